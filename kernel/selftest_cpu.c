/* The per-CPU self-test: run on each online CPU (through smp_call_on),
 * it checks what that CPU was given at start-up (arch/smp.c) against what
 * the CPU itself reports, so a CPU with the wrong per-CPU block, tables,
 * control registers, APIC or VMX state fails. */
#include <stdarg.h>
#include <stdio.h>

#include "../arch/cpu.h"
#include "../arch/extable.h"
#include "../arch/gdt.h"
#include "../arch/idt.h"
#include "../arch/lapic.h"
#include "../arch/msr.h"
#include "../arch/percpu.h"
#include "../arch/smp.h"
#include "../arch/vectors.h"
#include "log.h"
#include "selftest.h"

#define WHY_MAX 200
/* Unmapped in the kernel's tables (there is no identity map). */
#define UNMAPPED_PROBE 0x1000ull
#define KICK_SPINS 1000000

struct cpu_check {
	unsigned cpu;         /* the CPU it is meant to run on */
	bool vmx_expected;
	uint64_t cr0, cr4, efer, pat; /* the boot CPU's */
	bool ok;
	char why[WHY_MAX];
};

struct pseudo_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static bool fail(struct cpu_check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return false;
}

/* A kick sent to itself arrives (vector, gate, handler, EOI). */
static bool kick_arrives(struct percpu *p)
{
	uint64_t flags = read_rflags(), before = p->kicks;
	bool ok;

	irq_enable();
	lapic_send_fixed(p->apic_id, VECTOR_KICK);
	for (int spin = 0; spin < KICK_SPINS && p->kicks == before; spin++)
		cpu_relax();
	ok = p->kicks == before + 1;
	if (!(flags & RFLAGS_IF))
		irq_disable();
	return ok;
}

static bool check_this_cpu(struct cpu_check *c)
{
	struct percpu *p = this_cpu();
	struct pseudo_desc gdtr;
	uint16_t tr;
	uint64_t v;
	bool in_vmx;

	if (p != percpu_of(c->cpu) || p->self != p || p->cpu_id != c->cpu ||
	    this_cpu_id() != c->cpu)
		return fail(c, "GS reaches cpu %u's block, not cpu %u's",
			    p->cpu_id, c->cpu);
	if (rdmsr(MSR_GS_BASE) != (uint64_t)p)
		return fail(c, "GS base %lx, block at %p", rdmsr(MSR_GS_BASE),
			    (void *)p);
	if (lapic_id() != p->apic_id)
		return fail(c, "local APIC ID %u, its block says %u",
			    lapic_id(), p->apic_id);
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("str %0" : "=r"(tr));
	if (gdtr.base != (uint64_t)p->tables.gdt || tr != SEL_TSS)
		return fail(c, "GDT at %lx (own %p), TR %#x", gdtr.base,
			    (void *)p->tables.gdt, tr);
	if (read_cr0() != c->cr0 || read_cr4() != c->cr4 ||
	    rdmsr(MSR_IA32_EFER) != c->efer || rdmsr(MSR_IA32_PAT) != c->pat)
		return fail(c, "CR0 %lx CR4 %lx EFER %lx PAT %lx; cpu 0 has "
			    "%lx %lx %lx %lx", read_cr0(), read_cr4(),
			    rdmsr(MSR_IA32_EFER), rdmsr(MSR_IA32_PAT), c->cr0,
			    c->cr4, c->efer, c->pat);
	p->last_fault.vector = ~0ull;
	if (probe_read64((void *)UNMAPPED_PROBE, &v) ||
	    p->last_fault.vector != VEC_PF ||
	    p->last_fault.cr2 != UNMAPPED_PROBE)
		return fail(c, "probe of unmapped %#llx: vector %lu cr2 %lx",
			    UNMAPPED_PROBE, p->last_fault.vector,
			    p->last_fault.cr2);
	if (!kick_arrives(p))
		return fail(c, "a kick to itself did not arrive once (%lu)",
			    p->kicks);
	in_vmx = vmptrst_safe(&v);
	if (in_vmx != c->vmx_expected || p->vmx_on != c->vmx_expected)
		return fail(c, "VMX operation: CPU %s, its block %s, expected "
			    "%s", in_vmx ? "on" : "off", p->vmx_on ? "on" : "off",
			    c->vmx_expected ? "on" : "off");
	return true;
}

static void run_check(void *arg)
{
	struct cpu_check *c = arg;

	c->ok = check_this_cpu(c);
}

unsigned selftest_cpus(bool vmx_expected, unsigned *passed)
{
	unsigned failed = 0;

	/* Static, not on this stack: a CPU that answers after the timeout
	 * still writes into a live record. */
	static struct cpu_check checks[MAX_CPUS];

	for (unsigned cpu = 0; cpu < smp_online_cpus(); cpu++) {
		struct cpu_check *c = &checks[cpu];

		*c = (struct cpu_check){
			.cpu = cpu,
			.vmx_expected = vmx_expected,
			.cr0 = read_cr0(),
			.cr4 = read_cr4(),
			.efer = rdmsr(MSR_IA32_EFER),
			.pat = rdmsr(MSR_IA32_PAT),
			.why = "did not run (no answer)",
		};
		smp_call_on(cpu, run_check, c);
		if (c->ok) {
			log_info("selftest cpu %u: ok", cpu);
			(*passed)++;
		} else {
			log_error("selftest cpu %u: FAIL (%s)", cpu, c->why);
			failed++;
		}
	}
	return failed;
}
