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

/* Real mode delivers exceptions without error codes, and with
 * unrestricted guest a VM entry that asks for one while CR0.PE = 0 fails
 * (SDM Vol. 3C 27.2.1.3): the error code is dropped here, for every
 * caller, when the guest is in real mode. */
void vcpu_inject_exception(unsigned vector, bool has_error, uint32_t error)
{
	uint32_t info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

	if (has_error && (guest_cr0() & CR0_PE)) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* The control word is cached in the vCPU so that the common case, no
 * change, costs no VMREAD on the way into the guest. */
static void set_window_exiting(struct vcpu *v, bool on)
{
	uint32_t want = on ? v->cpu_ctls | CPU_INTERRUPT_WINDOW_EXITING
			   : v->cpu_ctls & ~CPU_INTERRUPT_WINDOW_EXITING;

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

/* The PIC's INTR, which reaches v through LINT0 in ExtINT mode (virtual
 * wire). */
static bool pic_pending(const struct vcpu *v)
{
	return vlapic_accepts_pic(v) && vpic_has_pending(v->vm->pic);
}

/* A maskable interrupt for v: from the PIC, or from its local APIC. */
static bool irq_pending(const struct vcpu *v)
{
	return pic_pending(v) || vlapic_pending_vector(v) >= 0;
}

bool event_pending(struct vcpu *v, uint64_t now)
{
	update_timers(v, now);
	return vlapic_take_nmi(v, false) ||
	       (!v->halted_for_good && irq_pending(v));
}

uint64_t event_next_deadline(const struct vcpu *v)
{
	uint64_t pit = v->vm->pit && v->id == 0 ? vpit_next_deadline(v->vm->pit) : 0;
	uint64_t apic = vlapic_next_deadline(v);

	if (!pit || (apic && apic < pit))
		return apic;
	return pit;
}

static bool guest_interruptible(void)
{
	return (vmcs_readn(GUEST_RFLAGS) & (1ull << 9)) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & BLOCKING_STI_MOVSS);
}

/* An NMI goes in when nothing blocks it (SDM Vol. 3C 26.3.1.5: blocking
 * by STI, MOV SS or NMI).  While blocked it waits for a later entry; an
 * NMI window would need virtual NMIs, which are not in use. */
static bool deliver_nmi(struct vcpu *v)
{
	if (!vlapic_take_nmi(v, false) ||
	    (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
	     (BLOCKING_STI_MOVSS | BLOCKING_NMI)))
		return false;
	vlapic_take_nmi(v, true);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
		     VEC_NMI | INTR_TYPE_NMI | INTR_INFO_VALID);
	return true;
}

void event_deliver(struct vcpu *v, uint64_t now)
{
	int vec;

	update_timers(v, now);
	if (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) {
		/* Another event goes first; try again after it. */
		set_window_exiting(v, irq_pending(v));
		return;
	}
	if (deliver_nmi(v) || !irq_pending(v)) {
		set_window_exiting(v, irq_pending(v));
		return;
	}
	if (!guest_interruptible()) {
		set_window_exiting(v, true);
		return;
	}
	if (pic_pending(v)) {
		vec = (int)vpic_ack(v->vm->pic);
	} else {
		vec = vlapic_pending_vector(v);
		vlapic_accept(v, vec);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
		     (uint32_t)vec | INTR_TYPE_EXTERNAL | INTR_INFO_VALID);
	set_window_exiting(v, false);
}

void event_requeue_vectoring(void)
{
	uint32_t info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	uint32_t type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return;
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN,
			     vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* Bit 12 (NMI unblocking) is reserved in the entry field. */
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info & ~(1u << 12));
}

/* The guest can take an interrupt now; event_deliver injects it before
 * the next entry. */
enum exit_action handle_interrupt_window(struct vcpu *v,
					 const struct exit_info *e)
{
	(void)e;
	set_window_exiting(v, false);
	return EXIT_RESUME;
}
