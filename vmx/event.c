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

/* Where v's next maskable interrupt comes from. */
enum irq_source {
	IRQ_NONE,
	IRQ_PIC,  /* the PIC's INTR, through LINT0 in ExtINT mode (virtual wire) */
	IRQ_APIC, /* the local APIC's highest deliverable request */
};

/* One question to each source: the PIC first (an ExtINT request is not
 * held back by the APIC's task priority), then the local APIC.
 * *apic_vector is set for IRQ_APIC. */
static enum irq_source next_irq(const struct vcpu *v, int *apic_vector)
{
	if (vlapic_accepts_pic(v) && vpic_has_pending(v->vm->pic))
		return IRQ_PIC;
	*apic_vector = vlapic_pending_vector(v);
	return *apic_vector >= 0 ? IRQ_APIC : IRQ_NONE;
}

bool event_pending(struct vcpu *v, uint64_t now)
{
	int vec;

	update_timers(v, now);
	return vlapic_take_nmi(v, false) ||
	       (!v->halted_for_good && next_irq(v, &vec) != IRQ_NONE);
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
};

/* An event already in the entry field (an exception, or a delivery an
 * exit interrupted) goes first.  An NMI goes in when nothing blocks it
 * (SDM Vol. 3C 26.3.1.5: blocking by STI, MOV SS or NMI); while blocked
 * it waits for a later entry (no NMI-window exit is requested).  A
 * maskable interrupt goes in when RFLAGS.IF is set and no STI or MOV SS
 * blocks it (SDM Vol. 3C 26.3.1.5, 6.8.1), else the interrupt-window
 * exit asks for the moment it can. */
static struct injection decide(struct vcpu *v)
{
	struct injection d = { .what = INJECT_NOTHING };
	enum irq_source irq = next_irq(v, &d.apic_vector);
	bool nmi = vlapic_take_nmi(v, false);
	uint32_t blocking;

	if (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) {
		d.window = irq != IRQ_NONE;
		return d;
	}
	if (!nmi && irq == IRQ_NONE)
		return d;
	blocking = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (nmi && !(blocking & (BLOCKING_STI_MOVSS | BLOCKING_NMI))) {
		d.what = INJECT_NMI;
		d.window = irq != IRQ_NONE;
	} else if (irq != IRQ_NONE) {
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

void event_deliver(struct vcpu *v, uint64_t now)
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
	set_window_exiting(v, d.window);
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
