#include "event.h"

#include "../drivers/vpic.h"
#include "../drivers/vpit.h"
#include "exit.h"
#include "vmcs.h"
#include "vmx.h"

/* Interruption-information format (SDM Vol. 3C 25.8.3, 25.9.3). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_HAS_ERROR (1u << 11)
#define INTR_TYPE_MASK (7u << 8)
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_SOFT_INTR (4u << 8)
#define INTR_TYPE_SOFT_EXCEPTION (6u << 8)
#define BLOCKING_STI_MOVSS 3u

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

/* Only the boot vCPU is wired to the legacy PIC (virtual wire mode). */
bool event_pending(struct vcpu *v, uint64_t now)
{
	if (v->id != 0 || !v->vm->pic)
		return false;
	vpit_update(v->vm->pit, now);
	return vpic_has_pending(v->vm->pic);
}

uint64_t event_next_deadline(const struct vcpu *v)
{
	return v->id == 0 && v->vm->pit ? vpit_next_deadline(v->vm->pit) : 0;
}

static bool guest_interruptible(void)
{
	return (vmcs_readn(GUEST_RFLAGS) & (1ull << 9)) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & BLOCKING_STI_MOVSS);
}

void event_deliver(struct vcpu *v, uint64_t now)
{
	if (!event_pending(v, now)) {
		set_window_exiting(v, false);
		return;
	}
	if ((vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) ||
	    !guest_interruptible()) {
		set_window_exiting(v, true); /* another event goes first */
		return;
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
		     vpic_ack(v->vm->pic) | INTR_TYPE_EXTERNAL | INTR_INFO_VALID);
	set_window_exiting(v, false);
}

void event_requeue_vectoring(void)
{
	uint32_t info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	uint32_t type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return;
	if (info & INTR_INFO_HAS_ERROR)
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
