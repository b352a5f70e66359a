#include "sched.h"

#include "../arch/cpu.h"
#include "../arch/irq.h"
#include "../arch/lapic.h"
#include "../arch/spec_ctrl.h"
#include "../vmx/event.h"
#include "../vmx/exit.h"
#include "../vmx/msr.h"
#include "../vmx/vmcs.h"
#include "../vmx/vmcs_setup.h"
#include "../vmx/vmx.h"
#include "fpu.h"
#include "log.h"
#include "passthrough.h"
#include "vm_console.h"

#define SCHED_MAX_VCPUS (CFG_MAX_VMS * VM_MAX_VCPUS)
/* A time slice in TSC ticks.  Under Bochs with clock sync=none the TSC
 * counts instructions, so this is about 2 million guest instructions. */
#define SLICE_TSC 2000000ull

int vmx_enter(struct guest_regs *regs, int launched);

static struct vcpu *runq[SCHED_MAX_VCPUS];
static unsigned nrunq;
static struct vcpu *last_run; /* whose MSRs, DRs, XCR0, FPU the CPU holds */
static struct vm *last_vm;    /* whose vCPU ran last: for the IBPB */
static struct vcpu *current;  /* whose exit is being handled, or NULL */

struct vcpu *sched_current(void)
{
	return current;
}

void sched_add(struct vcpu *v)
{
	if (nrunq < SCHED_MAX_VCPUS)
		runq[nrunq++] = v;
}

void sched_forget(struct vcpu *v)
{
	if (last_run == v)
		last_run = NULL;
}

/* The VMCS is loaded whatever last_run says: a VM reset or a loader may
 * have made another one current meanwhile (vmcs_load skips a reload).
 * Everything of a vCPU that VM exits leave in the CPU is swapped here;
 * moving to another VM also gets a branch-predictor barrier. */
static void switch_to(struct vcpu *v)
{
	vmcs_load(v);
	if (last_run == v)
		return;
	msr_context_switch(last_run ? &last_run->msrs : NULL, &v->msrs);
	debugreg_switch(last_run ? &last_run->dr : NULL, &v->dr);
	if (!fpu_switch(last_run, v))
		log_warn("vm %s: vCPU %u: FPU state could not be loaded; "
			 "reset to its initial state", v->vm->name, v->id);
	if (last_vm != v->vm)
		spec_barrier_between_vms();
	last_run = v;
	last_vm = v->vm;
}

/* The preemption timer ends the slice at slice_end, or earlier when the
 * vCPU's timer is due sooner.  The CPU saves the remaining count at every
 * exit (exit control "save VMX-preemption timer value"), so the timer is
 * rewritten only when that end moves: the common exit-and-resume path
 * pays no VMWRITE for it. */
static void set_slice_end(struct vcpu *v, uint64_t now, uint64_t slice_end,
			  uint64_t *programmed)
{
	uint64_t end = slice_end, deadline = event_next_deadline(v);

	if (deadline && deadline < end)
		end = deadline;
	if (end == *programmed)
		return;
	*programmed = end;
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE,
		     (uint32_t)((end > now ? end - now : 0) >>
				vmx_ctls.preemption_shift));
}

static void entry_failed(struct vcpu *v, int rc)
{
	uint32_t err = rc == 2 ? vmcs_read32(VM_INSTRUCTION_ERROR) : 0;

	vm_stop(v->vm, "VM entry failed: %s",
		rc == 2 ? vmx_instruction_error_name(err)
			: "VMfailInvalid (no current VMCS)");
}

/* Runs v until it yields, stops, or uses up its slice. */
static void run_slice(struct vcpu *v)
{
	uint64_t start = rdtsc(), programmed = 0;
	uint64_t slice_end = start + SLICE_TSC;
	enum exit_action act;

	if (v->state == VCPU_RESETTING) {
		vm_reset_step(v->vm);
		v->tsc_used += rdtsc() - start;
		return;
	}
	switch_to(v);
	if (v->start_pending) {
		/* The start-up IPI's state needs this vCPU's VMCS current. */
		v->start_pending = v->halted_for_good = false;
		vmcs_reset(v);
		vmcs_set_startup_state(v->sipi_vector);
	}
	current = v;
	do {
		uint64_t now = rdtsc();
		event_deliver(v, now);
		set_slice_end(v, now, slice_end, &programmed);
		spec_before_entry();
		int rc = vmx_enter(&v->regs, v->launched);
		if (rc) {
			entry_failed(v, rc);
			break;
		}
		v->launched = true;
		act = exit_dispatch(v);
		/* An exit can leave v unable to run without saying so: an
		 * INIT it sent itself through its APIC (by MMIO or MSR) puts
		 * it in wait-for-SIPI at once (SDM Vol. 3A 9.4.4.1).  And the
		 * preemption timer counts only the guest's own time (it is
		 * saved and reloaded across exits), so a guest that exits in
		 * a tight loop, each exit costly in root (a console line, an
		 * emulated instruction), would keep the CPU for ever: the
		 * slice ends by the wall clock, checked after every exit. */
	} while (act == EXIT_RESUME && v->state == VCPU_RUNNABLE &&
		 rdtsc() < slice_end);
	current = NULL;
	v->tsc_used += rdtsc() - start;
	if (v->vm->time_limit_tsc && v->tsc_used > v->vm->time_limit_tsc &&
	    v->state != VCPU_STOPPED)
		vm_stop(v->vm, "time limit reached (%lu TSC ticks)",
			v->vm->time_limit_tsc);
}

/* Halted with interrupts enabled: an interrupt, a timer's included,
 * wakes it. */
static bool waits_for_irq(const struct vcpu *v)
{
	return v->state == VCPU_HALTED && !v->halted_for_good;
}

/* A halted vCPU with an interrupt waiting runs again. */
static void wake_halted(uint64_t now)
{
	for (unsigned i = 0; i < nrunq; i++)
		if (runq[i]->state == VCPU_HALTED && event_pending(runq[i], now)) {
			runq[i]->state = VCPU_RUNNABLE;
			runq[i]->halted_for_good = false;
		}
}

/* The earliest timer of a halted vCPU, or 0 when none will ever wake. */
static uint64_t next_wakeup(void)
{
	uint64_t first = 0;

	for (unsigned i = 0; i < nrunq; i++) {
		uint64_t d = waits_for_irq(runq[i])
				     ? event_next_deadline(runq[i]) : 0;
		if (d && (!first || d < first))
			first = d;
	}
	return first;
}

static struct vcpu *pick_next(unsigned *cursor)
{
	vm_console_poll_input();
	wake_halted(rdtsc());
	for (unsigned n = 0; n < nrunq; n++) {
		struct vcpu *v = runq[(*cursor + n) % nrunq];
		if (v->state == VCPU_RUNNABLE || v->state == VCPU_RESETTING) {
			*cursor = (*cursor + n + 1) % nrunq;
			return v;
		}
	}
	return NULL;
}

/* A halted vCPU that a forwarded device interrupt may still wake. */
static bool any_waits_for_device(void)
{
	for (unsigned i = 0; i < nrunq; i++)
		if (waits_for_irq(runq[i]) &&
		    passthrough_has_irq(runq[i]->vm))
			return true;
	return false;
}

/* Every vCPU is halted: wait for the first timer (busy: the host has no
 * timer interrupt of its own), or with wake 0 for ever.  While device
 * interrupts are forwarded (arch/irq.h) they are taken here, with
 * interrupts on between checks, and the wait ends once one has woken a
 * vCPU. */
static void idle_until(uint64_t wake)
{
	while (!wake || rdtsc() < wake) {
		vm_console_poll_input();
		if (!irq_any()) {
			cpu_relax();
			continue;
		}
		irq_enable();
		cpu_relax();
		irq_disable();
		for (unsigned i = 0; i < nrunq; i++)
			if (waits_for_irq(runq[i]) &&
			    event_pending(runq[i], rdtsc()))
				return;
	}
}

/* Runs vCPUs until none is runnable, none will be woken by a timer and
 * no device interrupt can wake one. */
void sched_run(void)
{
	unsigned cursor = 0;
	struct vcpu *v;
	uint64_t wake;

	for (;;) {
		if ((v = pick_next(&cursor)) != NULL) {
			run_slice(v);
			continue;
		}
		wake = next_wakeup();
		if (!wake && !any_waits_for_device())
			break;
		idle_until(wake);
	}
	log_info("sched: no runnable vCPU left");
}

/* Whether any vCPU of the VM other than v can still run by itself. */
static bool others_alive(const struct vcpu *v)
{
	for (unsigned i = 0; i < v->vm->nvcpus; i++) {
		const struct vcpu *o = v->vm->vcpus[i];
		if (o != v && (o->state == VCPU_RUNNABLE || waits_for_irq(o)))
			return true;
	}
	return false;
}

/* HLT waits for an interrupt.  With interrupts disabled only an NMI or
 * INIT from another vCPU can end it (what Linux's CPUs do when they are
 * stopped); when no other vCPU is left to send one, the VM is done. */
enum exit_action handle_hlt(struct vcpu *v, const struct exit_info *e)
{
	vcpu_skip_instruction(e);
	v->halted_for_good = !(vmcs_readn(GUEST_RFLAGS) & RFLAGS_IF);
	if (v->halted_for_good && !others_alive(v)) {
		vm_stop(v->vm, "halted with interrupts disabled");
		return EXIT_STOPPED;
	}
	v->state = VCPU_HALTED;
	return EXIT_YIELD;
}

/* PAUSE is a spin-wait hint: let another vCPU run. */
enum exit_action handle_pause(struct vcpu *v, const struct exit_info *e)
{
	(void)v;
	vcpu_skip_instruction(e);
	return EXIT_YIELD;
}

enum exit_action handle_preemption_timer(struct vcpu *v,
					 const struct exit_info *e)
{
	(void)v, (void)e;
	return EXIT_YIELD;
}

/* A host interrupt came while the guest ran; the exit acknowledged it
 * (exit control "acknowledge interrupt on exit"), so its vector is in the
 * exit information (SDM Vol. 3C 28.2.2), and it is handled here as the
 * IDT would have.  It may have made a halted vCPU runnable: the current
 * one goes on and the scheduler finds the other at the slice's end. */
enum exit_action handle_external_interrupt(struct vcpu *v,
					   const struct exit_info *e)
{
	(void)v, (void)e;
	irq_dispatch((uint8_t)(vmcs_read32(VM_EXIT_INTR_INFO) & 0xff));
	return EXIT_RESUME;
}

/* With NMI exiting, an NMI during the guest exits here; it was meant for
 * the host (a panic on another CPU stops this one). */
enum exit_action handle_exception_nmi(struct vcpu *v,
				      const struct exit_info *e)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);

	if (((info >> 8) & 7) == 2) { /* type NMI */
		__asm__ volatile("int $2"); /* run the host's NMI handler */
		return EXIT_RESUME;
	}
	return exit_unexpected(v, e);
}
