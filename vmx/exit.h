/* VM exits: one handler per basic exit reason (dispatched through the
 * table in vmx/vcpu_run.c), one path for anything unexpected. */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include <stdint.h>

#include "../kernel/vm.h"
#include "exit_reason.h"

struct exit_info {
	uint32_t reason;      /* basic reason, bits 15:0 */
	uint32_t raw_reason;  /* the whole field */
	uint64_t qualification;
	uint64_t guest_rip;
	uint32_t insn_len;
	/* IDT-vectoring information (SDM Vol. 3C 28.2.4), read once by
	 * event_requeue_vectoring; 0 for exits that an instruction causes,
	 * which cannot interrupt an event's delivery. */
	uint32_t idt_vectoring;
	/* A memory access hv emulated for the instruction (MMIO), for the
	 * data breakpoints it may hit: its guest-linear address, size in
	 * bytes (0: none) and direction. */
	uint64_t data_linear;
	uint32_t data_size;
	bool data_write;
};

/* An I/O instruction's exit qualification (SDM Vol. 3C Table 28-5). */
#define IO_QUAL_SIZE(q) (((q) & 7) + 1)
#define IO_QUAL_IN (1ull << 3)
#define IO_QUAL_STRING (1ull << 4)
#define IO_QUAL_REP (1ull << 5)
#define IO_QUAL_PORT(q) ((uint16_t)((q) >> 16))

enum exit_action {
	/* handled, and nothing the event check looks at changed (no
	 * interrupt raised or acknowledged, no timer, window, PIC or APIC
	 * register touched): enter again, skipping the check while the
	 * last one found all quiet (vmx/vcpu_run.c) */
	EXIT_RESUME_QUIET,
	EXIT_RESUME,  /* handled: enter the guest again */
	EXIT_YIELD,   /* handled: let the scheduler pick (HLT, PAUSE, timer) */
	EXIT_STOPPED, /* the VM was stopped */
};

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v,
					    const struct exit_info *e);

/* Helpers for handlers. */
/* Completes an instruction hv emulated as the CPU completes one: RIP past
 * it, STI/MOV-SS blocking and RF ended, and the debug traps it raises
 * (single step, I/O breakpoints) delivered as a #DB after it. */
void vcpu_skip_instruction(const struct exit_info *e);
/* Stops the VM with a report of the exit and the guest registers. */
enum exit_action exit_unexpected(struct vcpu *v, const struct exit_info *e);

/* Emulates the access at gpa, whose first byte is in a registered MMIO
 * range or in no range at all (unassigned: reads all ones, writes
 * dropped). */
enum exit_action mmio_emulate(struct vcpu *v, const struct exit_info *e,
			      uint64_t gpa);

/* Handlers living next to their subjects; the table that dispatches to
 * them is in vmx/vcpu_run.c. */
/* vmx/exit.c: report, then the VM stops (or restarts: on_crash) */
enum exit_action handle_triple_fault(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_entry_failure(struct vcpu *v,
				      const struct exit_info *e);
enum exit_action handle_cpuid(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_io(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_rdmsr(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_wrmsr(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_cr_access(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_xsetbv(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_vmcall(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_ept_violation(struct vcpu *v,
				      const struct exit_info *e);
enum exit_action handle_ept_misconfig(struct vcpu *v,
				      const struct exit_info *e);
enum exit_action handle_hlt(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_interrupt_window(struct vcpu *v,
					 const struct exit_info *e);
enum exit_action handle_nmi_window(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_pause(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_preemption_timer(struct vcpu *v,
					 const struct exit_info *e);
enum exit_action handle_external_interrupt(struct vcpu *v,
					   const struct exit_info *e);
enum exit_action handle_exception_nmi(struct vcpu *v,
				      const struct exit_info *e);
/* vmx/exit_insn.c */
enum exit_action handle_vmx_instruction(struct vcpu *v,
					const struct exit_info *e);
enum exit_action handle_wbinvd(struct vcpu *v, const struct exit_info *e);
enum exit_action handle_monitor_mwait(struct vcpu *v,
				      const struct exit_info *e);
enum exit_action handle_rdpmc(struct vcpu *v, const struct exit_info *e);

#endif
