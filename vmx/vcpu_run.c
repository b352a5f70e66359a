#include "vcpu_run.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/irq.h"
#include "../arch/percpu.h"
#include "../arch/smp.h"
#include "../arch/spec_ctrl.h"
#include "../arch/xcr0.h"
#include "../kernel/fpu.h"
#include "../kernel/log.h"
#include "../kernel/sched.h"
#include "event.h"
#include "exit_stats.h"
#include "msr.h"
#include "vmcs.h"
#include "vmcs_setup.h"
#include "vmx.h"
#include "vmx_entry.h"
#include "vmx_insn.h"

void vcpu_forget(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();

	if (cpu->last_run == v)
		cpu->last_run = NULL;
}

/* A VMCS is active on one CPU at a time; before another CPU loads it,
 * VMCLEAR on this one writes the CPU's cached copy back to the region
 * and clears its launch state (SDM Vol. 3C 25.1, 25.11.1), so it runs
 * on with VMLAUNCH there.  The lazily kept state is saved as a switch to
 * another vCPU would save it; this CPU then holds nobody's. */
void vcpu_unload(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();

	if (cpu->last_run == v) {
		msr_context_switch(&v->msrs, NULL);
		debugreg_switch(&v->dr, NULL);
		fpu_save(v);
		cpu->last_run = NULL;
	}
	vmcs_put(v);
}

void vcpu_reset_local(struct vcpu *v)
{
	vcpu_forget(v);
	memset(&v->msrs, 0, sizeof(v->msrs));
	v->dr = (struct dr_context){ .dr6 = DR6_RESET };
	v->xcr0 = XCR0_X87;
	fpu_reset(v);
	vmcs_reset(v); /* its first load flushes the VPID here, too */
	__atomic_store_n(&v->reset_pending, false, __ATOMIC_SEQ_CST);
}

/* A CPU that flushed an older generation of the VM's EPT (or never
 * flushed it) flushes it before entering: translations it may cache
 * from before a change are not used after it (SDM Vol. 3C 29.4.3.1). */
static void ept_sync(struct percpu *cpu, struct vm *vm)
{
	uint32_t gen = __atomic_load_n(&vm->ept_gen, __ATOMIC_ACQUIRE);

	if (vm->ept_gen_seen[cpu->cpu_id] == gen)
		return;
	invept(INVEPT_SINGLE_CONTEXT, vm->eptp);
	__atomic_store_n(&vm->ept_gen_seen[cpu->cpu_id], gen, __ATOMIC_RELEASE);
}

bool exit_stats_on = true;

void vm_ept_shootdown(struct vm *vm)
{
	uint32_t gen = __atomic_add_fetch(&vm->ept_gen, 1, __ATOMIC_SEQ_CST);
	unsigned me = this_cpu_id();

	for (unsigned c = 0; c < smp_online_cpus(); c++) {
		struct percpu *p = percpu_of(c);

		if (c == me || __atomic_load_n(&p->in_guest, __ATOMIC_SEQ_CST) != vm)
			continue;
		smp_kick(c);
		__atomic_add_fetch(&vm->ept_kicks, 1, __ATOMIC_RELAXED);
		/* Until it left the guest (it flushes before it enters again)
		 * or it flushed this generation (or a later one) on its way
		 * back in. */
		while (__atomic_load_n(&p->in_guest, __ATOMIC_SEQ_CST) == vm &&
		       (int32_t)(__atomic_load_n(&vm->ept_gen_seen[c],
						 __ATOMIC_ACQUIRE) - gen) < 0)
			cpu_relax();
	}
}

/* The VMCS is loaded whatever last_run says: a VM reset or a loader may
 * have made another one current meanwhile (vmcs_load skips a reload).
 * Everything of a vCPU that VM exits leave in the CPU is swapped here;
 * moving to another VM also gets a branch-predictor barrier. */
static void switch_to(struct percpu *cpu, struct vcpu *v)
{
	struct vcpu *prev = cpu->last_run;

	vmcs_load(v);
	if (prev == v)
		return;
	msr_context_switch(prev ? &prev->msrs : NULL, &v->msrs);
	debugreg_switch(prev ? &prev->dr : NULL, &v->dr);
	if (!fpu_switch(prev, v))
		log_warn("vm %s: vCPU %u: FPU state could not be loaded; "
			 "reset to its initial state", v->vm->name, v->id);
	if (cpu->last_vm != v->vm)
		spec_barrier_between_vms();
	cpu->last_run = v;
	cpu->last_vm = v->vm;
}

/* The preemption timer ends the slice at slice_end, or earlier when the
 * vCPU's timer is due sooner.  The CPU saves the remaining count at every
 * exit (exit control "save VMX-preemption timer value"), so the timer is
 * rewritten only when that end moves: the common exit-and-resume path
 * pays no VMWRITE for it. */
static void set_slice_end(uint64_t deadline, uint64_t now, uint64_t slice_end,
			  uint64_t *programmed)
{
	uint64_t end = slice_end;

	if (deadline && deadline < end)
		end = deadline;
	if (end == *programmed)
		return;
	*programmed = end;
	uint64_t ticks = (end > now ? end - now : 0) >> vmx_ctls.preemption_shift;
	/* A dedicated vCPU's slice has no end: the longest count there is. */
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE,
		     ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks);
}

static void entry_failed(struct vcpu *v, int rc)
{
	bool valid = rc == VMX_FAIL_VALID;
	uint32_t err = valid ? vmcs_read32(VM_INSTRUCTION_ERROR) : 0;

	vm_stop(v->vm, "VM entry failed: %s",
		valid ? vmx_instruction_error_name(err)
		      : "VMfailInvalid (no current VMCS)");
}

/* Exits are dispatched here, beside the loop, so that an exit is traced
 * through at most four files: vmx/vmx_entry.S (it lands), this file (the
 * loop reads the reason and looks the handler up in exit_handlers[], a
 * bounds-checked table indexed by basic exit reason), the handler's file
 * and, for an emulated device, the device model.  Anything without a
 * handler goes to exit_unexpected() (vmx/exit.c). */
static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_wbinvd,
	[EXIT_REASON_RDPMC] = handle_rdpmc,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMXOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMXON] = handle_vmx_instruction,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_VMFUNC] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_rdmsr,
	[EXIT_REASON_MSR_WRITE] = handle_wrmsr,
	[EXIT_REASON_INVALID_GUEST_STATE] = handle_entry_failure,
	[EXIT_REASON_MSR_LOADING] = handle_entry_failure,
	[EXIT_REASON_MWAIT] = handle_monitor_mwait,
	[EXIT_REASON_MONITOR] = handle_monitor_mwait,
	[EXIT_REASON_PAUSE] = handle_pause,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_WBINVD] = handle_wbinvd,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
};

static enum exit_action exit_dispatch(struct vcpu *v)
{
	struct exit_info e;

	e.raw_reason = vmcs_read32(VM_EXIT_REASON);
	e.reason = e.raw_reason & 0xffff;
	e.qualification = vmcs_readn(EXIT_QUALIFICATION);
	e.guest_rip = vmcs_readn(GUEST_RIP);
	e.insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	e.data_size = 0;
	e.idt_vectoring = 0;
	v->exits++;
	/* Bounded here, once: the telemetry indexes by it. */
	v->exit_reason = e.reason < EXIT_REASON_MAX ? e.reason : 0;
	/* An event the exit interrupted goes in again first. */
	event_requeue_vectoring(&e);
	if (e.reason < EXIT_REASON_MAX && exit_handlers[e.reason])
		return exit_handlers[e.reason](v, &e);
	return exit_unexpected(v, &e);
}

/* A few VMREADs once per turn, not per exit: what `info` shows. */
void vcpu_save_view(struct vcpu *v)
{
	v->view = (struct vcpu_view){
		.rip = vmcs_readn(GUEST_RIP),
		.rsp = vmcs_readn(GUEST_RSP),
		.rflags = vmcs_readn(GUEST_RFLAGS),
		.cr0 = guest_cr0(),
		.cr3 = vmcs_readn(GUEST_CR3),
		.cr4 = guest_cr4(),
		.efer = vmcs_read64(GUEST_IA32_EFER),
		.cs_ar = vmcs_read32(GUEST_CS_AR_BYTES),
		.valid = true,
	};
}

static uint64_t boot_efi_start, boot_handoff;
static bool first_entry_logged;

void vcpu_run_boot_times(uint64_t efi_start, uint64_t handoff)
{
	boot_efi_start = efi_start;
	boot_handoff = handoff;
}

/* Once, at the first entry into any guest (issue 15: start-up time). */
static void log_first_entry(void)
{
	uint64_t now = rdtsc();

	if (__atomic_exchange_n(&first_entry_logged, true, __ATOMIC_RELAXED) ||
	    !boot_efi_start)
		return;
	log_info("hv: first guest entry %lu TSC ticks after hv.efi started "
		 "(UEFI stage %lu, kernel %lu)", now - boot_efi_start,
		 boot_handoff - boot_efi_start, now - boot_handoff);
}

uint64_t vcpu_run(struct vcpu *v, uint64_t slice_end)
{
	struct percpu *cpu = this_cpu();
	uint64_t start = rdtsc(), now = start, programmed = 0;
	enum exit_action act = EXIT_RESUME;

	if (__atomic_load_n(&v->reset_pending, __ATOMIC_ACQUIRE))
		vcpu_reset_local(v);
	switch_to(cpu, v);
	if (v->sched.arrived) { /* the receiving half of a move's cost */
		v->sched.move_ticks += rdtsc() - start;
		v->sched.arrived = false;
	}
	if (v->start_pending) {
		/* The start-up IPI's state needs this vCPU's VMCS current. */
		v->start_pending = v->halted_for_good = false;
		v->hlt_nmi_blocked = false;
		/* The INIT before it cleared DR0-DR3 and DR6 (DR7 is the
		 * VMCS's), but left MSRs and x87/SSE state alone (SDM Vol. 3A
		 * 10.1.1, Table 10-1).  switch_to() made this CPU hold v's
		 * debug registers, so they are loaded here too. */
		v->dr = (struct dr_context){ .dr6 = DR6_RESET };
		debugreg_switch(NULL, &v->dr);
		vmcs_reset(v);
		vmcs_set_startup_state(v->sipi_vector);
	}
	cpu->current = v;
	if (!v->launched)
		log_first_entry();
	if (v->stats->gen != __atomic_load_n(&v->vm->stats_gen, __ATOMIC_RELAXED)) {
		/* The monitor's `stat reset`, applied by the CPU that owns the
		 * counters (vmx/exit_stats.h). */
		memset(v->stats, 0, sizeof(*v->stats));
		v->stats->gen = __atomic_load_n(&v->vm->stats_gen,
						__ATOMIC_RELAXED);
	}
	for (;;) {
		/* The event check, unless the last one found nothing to do,
		 * none of its timers is due yet, and no exit since could have
		 * changed that: the last exit's handler said EXIT_RESUME_QUIET
		 * (any other exit is followed by a check, so every exit since
		 * the check said so).  An event another CPU raises meanwhile
		 * kicks this one (vcpu_notify: v is running), and root mode
		 * runs with interrupts off, so the kick makes the guest exit
		 * right after the entry, and the check after that exit sees
		 * the event.  So a quiet exit pays no event check (issue 15:
		 * nothing periodic on every exit when nothing is pending). */
		if (act != EXIT_RESUME_QUIET || now >= v->quiet_until)
			set_slice_end(event_deliver(v, now), now, slice_end,
				      &programmed);
		/* In the guest from here on for vm_ept_shootdown, then the
		 * flush it may ask for: the store is ordered before the load
		 * of ept_gen (a locked exchange), so either the shootdown
		 * sees this CPU in the guest and waits for it, or this CPU
		 * sees the new generation and flushes. */
		__atomic_store_n(&cpu->in_guest, v->vm, __ATOMIC_SEQ_CST);
		ept_sync(cpu, v->vm);
		spec_before_entry();
		int rc = vmx_enter(&v->regs, v->launched);
		uint64_t exited = rdtsc();

		__atomic_store_n(&cpu->in_guest, NULL, __ATOMIC_RELEASE);

		if (rc) {
			entry_failed(v, rc);
			break;
		}
		v->launched = true;
		/* An exit can also leave v unable to run without saying so:
		 * an INIT it sent itself through its APIC (by MMIO or MSR)
		 * puts it in wait-for-SIPI at once (SDM Vol. 3A 9.4.4.1). */
		act = exit_dispatch(v);
		/* The exit's cost in root, for the monitor's `stat`: from the
		 * exit to here (its handler), the TSC read the slice check
		 * needs anyway. */
		now = rdtsc();
		if (__atomic_load_n(&exit_stats_on, __ATOMIC_RELAXED))
			exit_stat_add(v->stats, v->exit_reason, now - exited);
		if (act > EXIT_RESUME || v->state != VCPU_RUNNABLE ||
		    vm_has_request(v->vm) ||
		    __atomic_load_n(&cpu->resched, __ATOMIC_RELAXED))
			break;
		/* The preemption timer counts only the guest's own time (it
		 * is saved and reloaded across exits), so a guest that exits
		 * in a tight loop, each exit costly in root (a console line,
		 * an emulated instruction), would keep the CPU for ever: the
		 * slice ends by the wall clock, checked after every exit. */
		if (now >= slice_end)
			break;
	}
	vcpu_save_view(v);
	cpu->current = NULL;
	return rdtsc() - start;
}

/* Whether any vCPU of the VM other than v can still run by itself. */
static bool others_alive(const struct vcpu *v)
{
	for (unsigned i = 0; i < v->vm->nvcpus; i++) {
		const struct vcpu *o = v->vm->vcpus[i];
		if (o != v &&
		    (o->state == VCPU_RUNNABLE || vcpu_waits_for_irq(o)))
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
	v->hlt_nmi_blocked = event_nmi_blocked();
	if (v->halted_for_good && !others_alive(v)) {
		vm_stop(v->vm, "halted with interrupts disabled");
		return EXIT_STOPPED;
	}
	/* A compare-and-swap: an INIT another vCPU sent meanwhile has put
	 * v in wait-for-SIPI (drivers/vlapic.c), which a plain store would
	 * undo, and the SIPI after it would then be ignored. */
	enum vcpu_state runnable = VCPU_RUNNABLE;
	__atomic_compare_exchange_n(&v->state, &runnable, VCPU_HALTED, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return EXIT_YIELD;
}

/* PAUSE is a spin-wait hint: let another vCPU run. */
enum exit_action handle_pause(struct vcpu *v, const struct exit_info *e)
{
	(void)v;
	vcpu_skip_instruction(e);
	return EXIT_YIELD;
}

/* The timer ends a slice, or came for the vCPU's own timer deadline
 * (set_slice_end programs the nearer).  The slice's end breaks the loop
 * by the clock anyway; for a deadline, a vCPU alone on its CPU goes on
 * at once (the event check injects the interrupt): a guest's every timer
 * tick need not pay a scheduler pass (issue 15: about 1,000 ticks, and
 * a tick-driven Linux boot takes thousands).  With others in the run
 * queue the scheduler looks at them now, as before: a halted one's
 * wake-up may be due. */
enum exit_action handle_preemption_timer(struct vcpu *v,
					 const struct exit_info *e)
{
	(void)v, (void)e;
	return sched_runs_alone() ? EXIT_RESUME : EXIT_YIELD;
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

	if ((info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
		__asm__ volatile("int $2"); /* run the host's NMI handler */
		return EXIT_RESUME;
	}
	return exit_unexpected(v, e);
}
