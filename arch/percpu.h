/* Per-CPU data, reached through GS from the first instruction of the
 * kernel on every CPU: one `mov %gs:0` gives this CPU's block, so code that
 * runs on many cores later needs no rework (Jailhouse and NOVA use a fixed
 * address; GS is the x86-64 idiom Linux and Xen use). */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "../boot/boot_info.h"
#include "gdt.h"

#define MAX_CPUS BOOT_MAX_CPUS

/* What the exception handler recorded about the last fault that an
 * exception-table fixup absorbed (see arch/extable.h). */
struct fault_record {
	uint64_t vector;
	uint64_t error_code;
	uint64_t cr2;
	uint64_t rip;
};

struct vcpu;
struct vm;
struct runqueue;

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads gs:0 */
	unsigned cpu_id;     /* dense index, 0 = boot CPU */
	uint32_t apic_id;
	unsigned trap_depth; /* nested exceptions in progress */
	struct fault_record last_fault;
	struct cpu_tables tables;
	/* What runs here (vmx/vcpu_run.c, kernel/sched.c). */
	struct vcpu *current;   /* whose VM exit is being handled, or NULL */
	/* The VM whose guest this CPU is in (from just before VM entry to
	 * just after the exit), or NULL: vm_ept_shootdown waits only for
	 * CPUs that may be using a VM's EPT translations now. */
	struct vm *in_guest;
	struct vcpu *last_run;  /* whose MSRs, DRs, XCR0, FPU the CPU holds */
	struct vm *last_vm;     /* whose vCPU ran here last: for the IBPB */
	uint64_t current_vmcs;  /* the VMCS current here (VMPTRLD), or 0 */
	struct runqueue *runq;  /* the vCPUs this CPU runs */
	bool resched;           /* another CPU pulled a vCPU from here: the
				   guest's turn ends so that it is sent */
	/* SMP (arch/smp.c). */
	bool online;            /* started and running our code */
	uint64_t stack_top;     /* an AP's kernel stack (CPU 0: entry.S) */
	uint64_t kicks;         /* VECTOR_KICK interrupts taken here */
	bool stopped;           /* halted for another CPU's panic */
	void (*volatile call_fn)(void *); /* smp_call_on's request, or NULL */
	void (*volatile work)(void); /* smp_start_work's, or NULL */
	void *call_arg;
	/* VMX root operation on this CPU (vmx/vmx.c). */
	bool vmx_on;
	uint64_t vmxon_region;  /* physical */
};

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static inline unsigned this_cpu_id(void)
{
	unsigned id;
	__asm__ volatile("movl %%gs:%c1, %0"
			 : "=r"(id)
			 : "i"(__builtin_offsetof(struct percpu, cpu_id)));
	return id;
}

/* Points GS at cpu_id's block and loads its GDT, TSS and the IDT. */
void percpu_init(unsigned cpu_id, uint32_t apic_id);
struct percpu *percpu_of(unsigned cpu_id);

#endif
