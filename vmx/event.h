/* Delivering interrupts and exceptions to guests through VM entry (SDM
 * Vol. 3C 27.6): an external interrupt is injected when the guest can
 * take it, else the interrupt-window exit asks for the moment it can. */
#ifndef VMX_EVENT_H
#define VMX_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"
#include "exit.h"
#include "exit_reason.h"
#include "vmcs.h"

/* Interruption-information format, the same in the VM-entry field and in
 * the exit and IDT-vectoring fields (SDM Vol. 3C 25.8.3, 25.9.2, 25.9.3). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_DELIVER_CODE (1u << 11)
/* Bit 12 of the exit interruption information (and of an EPT
 * violation's qualification): an IRET ended NMI blocking before the exit
 * (SDM Vol. 3C 28.2.3). */
#define INTR_INFO_NMI_UNBLOCKED (1u << 12)
#define INTR_TYPE_MASK (7u << 8)
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_SOFT_INTR (4u << 8)
#define INTR_TYPE_PRIV_SOFT_EXCEPTION (5u << 8) /* ICEBP */
#define INTR_TYPE_SOFT_EXCEPTION (6u << 8)

/* Makes the next VM entry deliver hardware exception `vector`, with
 * `error` as its error code when has_error and the guest is in protected
 * mode (real mode has none).  The vCPU's VMCS is current. */
void vcpu_inject_exception(unsigned vector, bool has_error, uint32_t error);

/* Before entering v: advance its VM's timer to `now`, inject a pending
 * interrupt or request an interrupt window.  v's VMCS is current.
 * Returns what event_next_deadline(v) would then say (the loop programs
 * the preemption timer with it), from the loads the check made anyway.
 * Sets v->quiet_until: if it found nothing at all to do (no window
 * asked, no timer due, nothing requested), the next timer deadline (or
 * ~0: none); else 0. */
uint64_t event_deliver(struct vcpu *v, uint64_t now);

/* Whether an event waits that ends v's HLT: an NMI, unless NMIs were
 * blocked when it halted (v->hlt_nmi_blocked), or, if it halted with
 * IF=1, an interrupt. */
bool event_pending(struct vcpu *v, uint64_t now);

/* Whether the current VMCS's guest has NMIs blocked: it is in its NMI
 * handler, before the IRET (virtual-NMI blocking, SDM Vol. 3C 25.4.2
 * Table 25-3). */
bool event_nmi_blocked(void);

/* TSC at which v next needs to be entered for a timer, or 0. */
uint64_t event_next_deadline(const struct vcpu *v);

/* After exit e: an event whose delivery the exit interrupted is
 * re-injected on the next entry (SDM Vol. 3C 28.2.4, 27.6), and NMI
 * blocking an interrupted IRET had ended is set again (SDM 28.2.3). */
void event_requeue(const struct exit_info *e, uint32_t idt_vectoring);

/* Inline, as the common exit (nothing was being delivered, not an
 * exception or EPT violation, which may report an IRET's NMI unblocking)
 * has nothing to do but read the field. */
/* Exits caused by executing an instruction: it runs only once any event
 * delivery before it has finished, so such an exit never occurs during
 * event delivery and its IDT-vectoring information is never valid (SDM
 * Vol. 3C 28.2.4 lists the exits that can: exceptions, EPT violations
 * and misconfigurations, task switches, APIC accesses, ...).  They skip
 * the VMREAD: the common exits of a busy guest are among them. */
#define EXIT_BIT(r) (1ull << EXIT_REASON_##r)
#define EXITS_BY_INSTRUCTION                                                  \
	(EXIT_BIT(CPUID) | EXIT_BIT(HLT) | EXIT_BIT(INVD) | EXIT_BIT(INVLPG) |  \
	 EXIT_BIT(RDPMC) | EXIT_BIT(RDTSC) | EXIT_BIT(VMCALL) |                \
	 EXIT_BIT(VMCLEAR) | EXIT_BIT(VMLAUNCH) | EXIT_BIT(VMPTRLD) |          \
	 EXIT_BIT(VMPTRST) | EXIT_BIT(VMREAD) | EXIT_BIT(VMRESUME) |           \
	 EXIT_BIT(VMWRITE) | EXIT_BIT(VMXOFF) | EXIT_BIT(VMXON) |              \
	 EXIT_BIT(CR_ACCESS) | EXIT_BIT(DR_ACCESS) | EXIT_BIT(IO_INSTRUCTION) | \
	 EXIT_BIT(MSR_READ) | EXIT_BIT(MSR_WRITE) | EXIT_BIT(MWAIT) |          \
	 EXIT_BIT(MONITOR) | EXIT_BIT(PAUSE) | EXIT_BIT(RDTSCP) |              \
	 EXIT_BIT(WBINVD) | EXIT_BIT(XSETBV) | EXIT_BIT(RDRAND) |              \
	 EXIT_BIT(INVPCID) | EXIT_BIT(VMFUNC) | EXIT_BIT(RDSEED))

static inline void event_requeue_vectoring(struct exit_info *e)
{
	uint32_t info;

	if (e->reason < 64 && ((EXITS_BY_INSTRUCTION >> e->reason) & 1))
		return;
	info = e->idt_vectoring = vmcs_read32(IDT_VECTORING_INFO_FIELD);

	if ((info & INTR_INFO_VALID) || e->reason == EXIT_REASON_EXCEPTION_NMI ||
	    e->reason == EXIT_REASON_EPT_VIOLATION)
		event_requeue(e, info);
}

#endif
