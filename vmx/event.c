#include "event.h"

#include "../arch/cpu.h"
#include "../arch/idt.h"
#include "../drivers/vlapic.h"
#include "../drivers/vpic.h"
#include "../drivers/vpit.h"
#include "exit.h"
#include "vmcs.h"
#include "vmcs_setup.h"
#include "vmx.h"

#define BLOCKING_STI_MOVSS 3u
#define BLOCKING_NMI 8u

/* The exceptions that are faults (SDM Vol. 3A Table 6-1): the CPU
 * reports them with the return address at the faulting instruction, and
 * sets RF in the RFLAGS image it pushes so that the handler's IRET
 * re-executes that instruction without an instruction breakpoint firing
 * again (SDM Vol. 3A 17.3.1.1).  #DB is left out: hv injects it only as a
 * trap (single step, I/O breakpoint). */
static bool exception_is_fault(unsigned vector)
{
	switch (vector) {
	case VEC_DE: case VEC_BR: case VEC_UD: case VEC_NM: case VEC_TS:
	case VEC_NP: case VEC_SS: case VEC_GP: case VEC_PF: case VEC_MF:
	case VEC_AC: case VEC_XM: case VEC_VE: case VEC_CP:
		return true;
	default:
		return false;
	}
}

/* Real mode delivers exceptions without error codes, and with
 * unrestricted guest a VM entry that asks for one while CR0.PE = 0 fails
 * (SDM Vol. 3C 27.2.1.3): the error code is dropped here, for every
 * caller, when the guest is in real mode.
 *
 * VM entry pushes RFLAGS as the guest-state area holds it, RF "not
 * modified based on the type of event" (SDM Vol. 3C 27.6.1.1), so for a
 * fault RF is set here, as the CPU would set it in the image it pushes
 * (SDM Vol. 3A 17.3.1.1; KVM does the same).  Delivery through a
 * protected-mode gate then clears the live RF.  In real mode the image
 * is 16-bit FLAGS (no RF) and delivery leaves the live RF alone, so it
 * is not touched there. */
void vcpu_inject_exception(unsigned vector, bool has_error, uint32_t error)
{
	uint32_t info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;
	bool protected_mode = (guest_cr0() & CR0_PE) != 0;

	if (has_error && protected_mode) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	if (protected_mode && exception_is_fault(vector)) {
		uint64_t rflags = vmcs_readn(GUEST_RFLAGS);
		if (!(rflags & RFLAGS_RF))
			vmcs_writen(GUEST_RFLAGS, rflags | RFLAGS_RF);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* The control word is cached in the vCPU so that the common case, no
 * change, costs no VMREAD on the way into the guest.  `irq` asks for the
 * interrupt window, `nmi` for the NMI window (SDM Vol. 3C 26.2, 27.7.5,
 * 27.7.6: an exit before the first instruction at which nothing blocks
 * the event); nmi is only ever true where vmx_ctls.nmi_window says the CPU
 * has it. */
static void set_window_exiting(struct vcpu *v, bool irq, bool nmi)
{
	uint32_t want = v->cpu_ctls &
			~(CPU_INTERRUPT_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING);

	if (irq)
		want |= CPU_INTERRUPT_WINDOW_EXITING;
	if (nmi)
		want |= CPU_NMI_WINDOW_EXITING;
	if (want != v->cpu_ctls) {
		v->cpu_ctls = want;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, want);
	}
}

/* The VM's timers are advanced first: their expiries are what most
 * interrupts are. */
static void update_timers(struct vcpu *v, uint64_t now)
{
	if (v->vm->pit)
		vpit_update(v->vm->pit, now);
	vlapic_update(v, now);
}

/* Where v's next maskable interrupt comes from. */
enum irq_source {
	IRQ_NONE,
	IRQ_PIC,  /* the PIC's INTR, through LINT0 in ExtINT mode (virtual wire) */
	IRQ_APIC, /* the local APIC's highest deliverable request */
};

/* One question to each source: the PIC first (an ExtINT request is not
 * held back by the APIC's task priority), then the local APIC.
 * *apic_vector is set for IRQ_APIC.  The PIC's IRR is asked before the
 * APIC's LINT0 set-up: one load, which mostly says no. */
static enum irq_source next_irq(const struct vcpu *v, int *apic_vector)
{
	if (vpic_has_pending(v->vm->pic) && vlapic_accepts_pic(v))
		return IRQ_PIC;
	*apic_vector = vlapic_pending_vector(v);
	return *apic_vector >= 0 ? IRQ_APIC : IRQ_NONE;
}

/* HLT ends at an NMI that can be taken, not at one the blocking holds
 * back (SDM Vol. 2A HLT: "an enabled interrupt (including NMI ...) will
 * resume execution"; Vol. 3A 6.7.1): a vCPU halted in its NMI handler
 * sleeps on, and that NMI comes after the next IRET. */
bool event_pending(struct vcpu *v, uint64_t now)
{
	int vec;

	update_timers(v, now);
	return (!v->hlt_nmi_blocked && vlapic_take_nmi(v, false)) ||
	       (!v->halted_for_good && next_irq(v, &vec) != IRQ_NONE);
}

bool event_nmi_blocked(void)
{
	return vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & BLOCKING_NMI;
}

uint64_t event_next_deadline(const struct vcpu *v)
{
	uint64_t pit = v->vm->pit && v->id == 0 ? vpit_next_deadline(v->vm->pit) : 0;
	uint64_t apic = vlapic_next_deadline(v);

	if (!pit || (apic && apic < pit))
		return apic;
	return pit;
}

/* What one VM entry delivers, decided once from the interrupt sources
 * and the guest's blocking state, then carried out by event_deliver. */
struct injection {
	enum { INJECT_NOTHING, INJECT_NMI, INJECT_PIC, INJECT_APIC } what;
	int apic_vector; /* for INJECT_APIC */
	bool window;     /* a maskable interrupt waits: exit when it can go */
	bool nmi_window; /* an NMI waits: exit when it can go */
};

/* An event already in the entry field (an exception, or a delivery an
 * exit interrupted) goes first.  An NMI goes in when nothing blocks it
 * (SDM Vol. 3C 26.3.1.5: blocking by STI, MOV SS or NMI); while blocked,
 * the NMI-window exit asks for the first instruction boundary where it
 * can go: with virtual NMIs that is right after the guest's IRET ends
 * its NMI handler (SDM Vol. 3C 26.2, 27.7.6), so an NMI sent to a vCPU
 * inside its handler arrives then, neither earlier nor later nor never.
 * A maskable interrupt goes in when RFLAGS.IF is set and no STI or MOV SS
 * blocks it (SDM Vol. 3C 26.3.1.5, 6.8.1), else the interrupt-window
 * exit asks for the moment it can.  Both windows may be asked at once:
 * the NMI-window exit comes first (SDM Vol. 3A Table 6-2, NMI above
 * INTR), and the next entry asks again for what is left. */
static struct injection decide(struct vcpu *v)
{
	struct injection d = { .what = INJECT_NOTHING };
	enum irq_source irq = next_irq(v, &d.apic_vector);
	bool nmi = vlapic_take_nmi(v, false);
	uint32_t blocking;

	/* Nothing to deliver (the common case): no window either, whatever
	 * the entry field holds, and no VMREAD is needed to say so. */
	if (!nmi && irq == IRQ_NONE)
		return d;
	if (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) {
		/* The windows open after that event is delivered (SDM Vol.
		 * 3C 27.7.5, 27.7.6: window exits follow injection). */
		d.window = irq != IRQ_NONE;
		d.nmi_window = nmi && vmx_ctls.nmi_window;
		return d;
	}
	blocking = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (nmi && !(blocking & (BLOCKING_STI_MOVSS | BLOCKING_NMI))) {
		d.what = INJECT_NMI;
		d.window = irq != IRQ_NONE;
		return d;
	}
	d.nmi_window = nmi && vmx_ctls.nmi_window;
	if (irq != IRQ_NONE) {
		if ((vmcs_readn(GUEST_RFLAGS) & RFLAGS_IF) &&
		    !(blocking & BLOCKING_STI_MOVSS))
			d.what = irq == IRQ_PIC ? INJECT_PIC : INJECT_APIC;
		else
			d.window = true;
	}
	return d;
}

static void inject(uint32_t info)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info | INTR_INFO_VALID);
}

static __attribute__((noinline)) void deliver(struct vcpu *v, uint64_t now)
{
	struct injection d;

	update_timers(v, now);
	d = decide(v);
	switch (d.what) {
	case INJECT_NOTHING:
		break;
	case INJECT_NMI:
		vlapic_take_nmi(v, true);
		inject(VEC_NMI | INTR_TYPE_NMI);
		break;
	case INJECT_PIC:
		inject(vpic_ack(v->vm->pic) | INTR_TYPE_EXTERNAL);
		break;
	case INJECT_APIC:
		vlapic_accept(v, d.apic_vector);
		inject((uint32_t)d.apic_vector | INTR_TYPE_EXTERNAL);
		break;
	}
	set_window_exiting(v, d.window, d.nmi_window);
}

/* The common entry: no window asked for, no timer due, nothing
 * requested.  Then deliver() would update no timer, decide
 * INJECT_NOTHING with no window and write nothing, so it is skipped: a
 * few loads instead of a walk through every source (and no register
 * saves: deliver() is out of line).  A request another CPU posts just
 * after is not lost: it stays in the IRR (or the PIC) and the sender
 * kicks this CPU, whose next entry looks again, as before. */
uint64_t event_deliver(struct vcpu *v, uint64_t now)
{
	struct vpit *pit = v->vm->pit;
	uint64_t pit_next = pit ? vpit_next_deadline(pit) : 0, apic_next, next;

	if ((v->cpu_ctls &
	     (CPU_INTERRUPT_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING)) ||
	    (pit_next && now >= pit_next) || !vlapic_quiet(v, now, &apic_next)) {
		v->quiet_until = 0;
		deliver(v, now);
		return event_next_deadline(v);
	}
	/* Quiet until either timer is due: any vCPU that enters after the
	 * PIT's deadline fires it (deliver, update_timers). */
	next = pit_next && (!apic_next || pit_next < apic_next) ? pit_next
								: apic_next;
	v->quiet_until = next ? next : UINT64_MAX;
	/* As event_next_deadline: the PIT's IRQ 0 is the boot vCPU's. */
	return v->id != 0 ? apic_next : next;
}

/* An exit in the middle of an IRET that had already ended virtual-NMI
 * blocking (a fault or EPT violation on its stack pops) reports it in bit
 * 12 of the exit interruption information (exception exits) or of the
 * exit qualification (EPT violations); the guest will run that IRET
 * again, so the blocking is set again first, or an NMI could come in
 * before the handler it is meant to follow has returned (SDM Vol. 3C
 * 28.2.3; 28.2.1 for EPT violations).  Only where no event delivery was
 * under way: then bit 12 is undefined (SDM Vol. 3C 28.2.3). */
static void restore_nmi_blocking(const struct exit_info *e)
{
	bool unblocked;

	if (!(vmx_ctls.pin & PIN_VIRTUAL_NMIS))
		return;
	if (e->reason == EXIT_REASON_EXCEPTION_NMI)
		unblocked = vmcs_read32(VM_EXIT_INTR_INFO) & INTR_INFO_NMI_UNBLOCKED;
	else if (e->reason == EXIT_REASON_EPT_VIOLATION)
		unblocked = e->qualification & INTR_INFO_NMI_UNBLOCKED;
	else
		return;
	if (unblocked)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) |
				     BLOCKING_NMI);
}

void event_requeue(const struct exit_info *e, uint32_t info)
{
	uint32_t type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID)) {
		restore_nmi_blocking(e);
		return;
	}
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     vmcs_read32(IDT_VECTORING_ERROR_CODE));
	/* The three software types push the address after the instruction,
	 * from the entry's instruction length (SDM Vol. 3C 27.6.1.1);
	 * ICEBP (INT1) is the privileged software exception among them. */
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SOFT_EXCEPTION ||
	    type == INTR_TYPE_SOFT_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN,
			     vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* An exit during an NMI's delivery leaves virtual-NMI blocking in
	 * effect (SDM Vol. 3C 28.1), and an entry that injects an NMI with
	 * it set fails (SDM Vol. 3C 27.3.1.5): the NMI was not delivered, so
	 * the blocking it began is undone (KVM does the same). */
	if (type == INTR_TYPE_NMI && (vmx_ctls.pin & PIN_VIRTUAL_NMIS)) {
		uint32_t blocking = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
		if (blocking & BLOCKING_NMI)
			vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
				     blocking & ~BLOCKING_NMI);
	}
	/* Bit 12 (NMI unblocking) is reserved in the entry field. */
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO_NMI_UNBLOCKED);
}

/* The guest can take an interrupt now; event_deliver injects it before
 * the next entry. */
enum exit_action handle_interrupt_window(struct vcpu *v,
					 const struct exit_info *e)
{
	(void)e;
	set_window_exiting(v, false, v->cpu_ctls & CPU_NMI_WINDOW_EXITING);
	return EXIT_RESUME;
}

/* The guest can take an NMI now (its handler's IRET ended the blocking,
 * SDM Vol. 3C 26.2); event_deliver injects the waiting one before the
 * next entry. */
enum exit_action handle_nmi_window(struct vcpu *v, const struct exit_info *e)
{
	(void)e;
	set_window_exiting(v, v->cpu_ctls & CPU_INTERRUPT_WINDOW_EXITING,
			   false);
	return EXIT_RESUME;
}
