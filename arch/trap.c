/* The hypervisor's own exceptions.  Any exception in VMX root is our bug
 * (guests' exceptions arrive as VM exits), so the policy is: report
 * everything a developer needs, then panic; the exceptions are an
 * instruction listed in the exception table, which is resumed at its
 * fixup, and an NMI, which is not a fault of ours (see host_nmi). */
#include "trap.h"

#include "../kernel/log.h"
#include "../kernel/panic.h"
#include "../kernel/spinlock.h"
#include "cpu.h"
#include "extable.h"
#include "io.h"
#include "idt.h"
#include "irq.h"
#include "percpu.h"
#include "smp.h"
#include "stacktrace.h"

static const char *const exception_names[NUM_EXCEPTIONS] = {
	[VEC_DE] = "#DE divide error",  [VEC_DB] = "#DB debug",
	[VEC_NMI] = "NMI",             [VEC_BP] = "#BP breakpoint",
	[VEC_OF] = "#OF overflow",     [VEC_BR] = "#BR bound range",
	[VEC_UD] = "#UD invalid opcode", [VEC_NM] = "#NM device not available",
	[VEC_DF] = "#DF double fault", [VEC_TS] = "#TS invalid TSS",
	[VEC_NP] = "#NP segment not present", [VEC_SS] = "#SS stack fault",
	[VEC_GP] = "#GP general protection", [VEC_PF] = "#PF page fault",
	[VEC_MF] = "#MF x87 error",    [VEC_AC] = "#AC alignment check",
	[VEC_MC] = "#MC machine check", [VEC_XM] = "#XM SIMD error",
	[VEC_VE] = "#VE virtualization", [VEC_CP] = "#CP control protection",
};

const char *exception_name(uint64_t vector)
{
	if (vector < NUM_EXCEPTIONS && exception_names[vector])
		return exception_names[vector];
	return "reserved vector";
}

static void dump_frame(const struct trap_frame *f)
{
	log_raw("  rip %016lx  cs %04lx  rflags %016lx\n", f->rip, f->cs,
		f->rflags);
	log_raw("  rsp %016lx  ss %04lx  error code %016lx\n", f->rsp, f->ss,
		f->error_code);
	log_raw("  rax %016lx  rbx %016lx  rcx %016lx\n", f->rax, f->rbx,
		f->rcx);
	log_raw("  rdx %016lx  rsi %016lx  rdi %016lx\n", f->rdx, f->rsi,
		f->rdi);
	log_raw("  rbp %016lx  r8  %016lx  r9  %016lx\n", f->rbp, f->r8,
		f->r9);
	log_raw("  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r10, f->r11,
		f->r12);
	log_raw("  r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14,
		f->r15);
	log_raw("  cr0 %016lx  cr2 %016lx  cr3 %016lx  cr4 %016lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

/* Returns true when the faulting instruction asked to be resumed. */
static bool try_fixup(struct trap_frame *f)
{
	uint64_t fixup = extable_fixup(f->rip);
	struct percpu *cpu = this_cpu();

	if (!fixup)
		return false;
	cpu->last_fault = (struct fault_record){
		.vector = f->vector,
		.error_code = f->error_code,
		.cr2 = f->vector == VEC_PF ? read_cr2() : 0,
		.rip = f->rip,
	};
	f->rip = fixup;
	return true;
}

/* NMI status and control, System Control Port B (Intel PCH datasheets,
 * NMI_STS_CNT; PIIX4 NMISC): bit 7 a PCI SERR# or memory parity error,
 * bit 6 an ISA IOCHK#; writing one to bit 2 or 3 clears and disables that
 * source, writing zero enables it again.  Bits 1:0 are the PIT gate and
 * speaker, written back as read. */
#define NMI_REASON_PORT 0x61
#define NMI_REASON_SERR 0x80
#define NMI_REASON_IOCHK 0x40
#define NMI_REASON_CLEAR_SERR 0x04
#define NMI_REASON_CLEAR_IOCHK 0x08
#define NMI_REASON_CONTROL 0x0f

static uint64_t host_nmis;

uint64_t trap_host_nmis(void)
{
	return __atomic_load_n(&host_nmis, __ATOMIC_RELAXED);
}

/* A host NMI that is not another CPU's panic: a chipset error (SERR#,
 * IOCHK#), a watchdog, an NMI button, or one a device or the firmware
 * raised.  None of it is the hypervisor's fault and none of it needs the
 * machine stopped, so it is logged and survived, as Linux does for an
 * NMI no handler claims.  The log is rate-limited: the first four, then
 * the 8th, 16th, 32nd... with the running count, so an NMI storm cannot
 * keep the CPU printing.
 *
 * Both ways in run with NMIs blocked until this handler's IRET: an NMI in
 * VMX root is delivered through the IDT (SDM Vol. 3A 6.7.1), and one that
 * arrives in a guest causes a VM exit that leaves NMIs blocked (SDM Vol.
 * 3C 28.1), whose handler (kernel/sched.c) then runs `int $2` into here.
 * So no second NMI lands on the IST stack in use, as long as nothing here
 * faults: a fault's IRET would unblock NMIs early.  Only port I/O, a
 * counter and the console (whose lock nests on one CPU) are used. */
static void host_nmi(void)
{
	uint8_t reason = inb(NMI_REASON_PORT);
	uint64_t n = __atomic_add_fetch(&host_nmis, 1, __ATOMIC_RELAXED);

	if (reason & (NMI_REASON_SERR | NMI_REASON_IOCHK)) {
		/* Clear the latched source and enable it again, so the next
		 * error raises an NMI too (Linux: pci_serr_error). */
		uint8_t ctl = reason & NMI_REASON_CONTROL;
		uint8_t clear = (reason & NMI_REASON_SERR ? NMI_REASON_CLEAR_SERR
							  : 0) |
				(reason & NMI_REASON_IOCHK ? NMI_REASON_CLEAR_IOCHK
							   : 0);
		outb(NMI_REASON_PORT, (uint8_t)(ctl | clear));
		outb(NMI_REASON_PORT, (uint8_t)(ctl & ~clear));
	}
	if (n <= 4 || (n & (n - 1)) == 0)
		log_warn("hv: host NMI #%lu on cpu%u (port 0x61 = %#04x:%s%s%s); "
			 "going on", n, this_cpu_id(), reason,
			 reason & NMI_REASON_SERR ? " SERR#/parity error" : "",
			 reason & NMI_REASON_IOCHK ? " IOCHK#" : "",
			 reason & (NMI_REASON_SERR | NMI_REASON_IOCHK)
				 ? "" : " no chipset source");
}

void trap_handler(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();

	if (f->vector >= NUM_EXCEPTIONS) {
		irq_dispatch((uint8_t)f->vector); /* only while idling */
		return;
	}
	if (f->vector == VEC_NMI) {
		if (panic_in_progress())
			smp_stopped_here(); /* another CPU panicked: stop */
		host_nmi();
		return;
	}
	if (try_fixup(f))
		return;
	if (cpu->trap_depth++ > 1)
		cpu_halt_forever(); /* faulting while reporting a fault */
	if (f->vector == VEC_UD && spin_misused &&
	    spin_misused->holder == (int)cpu->cpu_id)
		panic("spinlock %s: taken again by cpu %u, which holds it",
		      spin_misused->name, cpu->cpu_id);
	log_raw("\n[cpu%u] exception %lu (%s) in the hypervisor\n",
		cpu->cpu_id, f->vector, exception_name(f->vector));
	dump_frame(f);
	print_stack_trace(f->rbp);
	panic("unhandled exception %lu (%s) at rip %016lx", f->vector,
	      exception_name(f->vector), f->rip);
}
