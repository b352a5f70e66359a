/* The life of a VM exit after vmx_enter returns: read the reason, look
 * the handler up in exit_handlers[] (a bounds-checked table indexed by
 * basic exit reason), run it.  Anything without a handler goes to
 * exit_unexpected(), which stops only the VM that caused it. */
#include "exit.h"

#include "../arch/idt.h"
#include "../kernel/log.h"
#include "event.h"
#include "guest_mem.h"
#include "vmcs.h"

#define NAME(r) [EXIT_REASON_##r] = #r
static const char *const exit_reason_names[EXIT_REASON_MAX] = {
	NAME(EXCEPTION_NMI), NAME(EXTERNAL_INTERRUPT), NAME(TRIPLE_FAULT),
	NAME(INIT), NAME(SIPI), NAME(IO_SMI), NAME(OTHER_SMI),
	NAME(INTERRUPT_WINDOW), NAME(NMI_WINDOW), NAME(TASK_SWITCH),
	NAME(CPUID), NAME(GETSEC), NAME(HLT), NAME(INVD), NAME(INVLPG),
	NAME(RDPMC), NAME(RDTSC), NAME(RSM), NAME(VMCALL), NAME(VMCLEAR),
	NAME(VMLAUNCH), NAME(VMPTRLD), NAME(VMPTRST), NAME(VMREAD),
	NAME(VMRESUME), NAME(VMWRITE), NAME(VMXOFF), NAME(VMXON),
	NAME(CR_ACCESS), NAME(DR_ACCESS), NAME(IO_INSTRUCTION),
	NAME(MSR_READ), NAME(MSR_WRITE), NAME(INVALID_GUEST_STATE),
	NAME(MSR_LOADING), NAME(MWAIT), NAME(MONITOR_TRAP), NAME(MONITOR),
	NAME(PAUSE), NAME(MCE_DURING_ENTRY), NAME(TPR_BELOW_THRESHOLD),
	NAME(APIC_ACCESS), NAME(EOI_INDUCED), NAME(GDTR_IDTR),
	NAME(LDTR_TR), NAME(EPT_VIOLATION), NAME(EPT_MISCONFIG),
	NAME(INVEPT), NAME(RDTSCP), NAME(PREEMPTION_TIMER), NAME(INVVPID),
	NAME(WBINVD), NAME(XSETBV), NAME(APIC_WRITE), NAME(RDRAND),
	NAME(INVPCID), NAME(VMFUNC), NAME(ENCLS), NAME(RDSEED),
	NAME(PML_FULL), NAME(XSAVES), NAME(XRSTORS),
};
#undef NAME

const char *exit_reason_name(unsigned reason)
{
	if (reason < EXIT_REASON_MAX && exit_reason_names[reason])
		return exit_reason_names[reason];
	return "UNKNOWN";
}

void vcpu_skip_instruction(const struct exit_info *e)
{
	uint64_t rip = e->guest_rip + e->insn_len;

	/* Outside 64-bit code the instruction pointer wraps at the code
	 * size (IP at 64 KiB, EIP at 4 GiB; SDM Vol. 1 3.5); a RIP past it
	 * would also fail the next VM entry (SDM Vol. 3C 27.3.1.4).  Only
	 * a skip that crosses a 64 KiB line can need it: asked only then. */
	if ((rip ^ e->guest_rip) >> 16) {
		unsigned bits = guest_code_bits();
		if (bits < 64)
			rip &= bits == 16 ? 0xffffull : 0xffffffffull;
	}
	vmcs_writen(GUEST_RIP, rip);
	/* Skipping an instruction ends STI/MOV-SS blocking (SDM Vol. 3C
	 * 25.4.2); leaving it set would block the next interrupt. */
	uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & 3)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~3u);
}

static void dump_guest(const struct vcpu *v)
{
	const uint64_t *r = v->regs.gpr;

	log_raw("  rip %016lx  rsp %016lx  rflags %016lx\n",
		vmcs_readn(GUEST_RIP), vmcs_readn(GUEST_RSP),
		vmcs_readn(GUEST_RFLAGS));
	log_raw("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n",
		r[REG_RAX], r[REG_RBX], r[REG_RCX], r[REG_RDX]);
	log_raw("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n",
		r[REG_RSI], r[REG_RDI], r[REG_RBP], r[REG_R8]);
	log_raw("  cr0 %016lx  cr3 %016lx  cr4 %016lx  efer %016lx\n",
		vmcs_readn(GUEST_CR0), vmcs_readn(GUEST_CR3),
		vmcs_readn(GUEST_CR4), vmcs_read64(GUEST_IA32_EFER));
	log_raw("  cs %04x  ss %04x  idt vectoring %08x\n",
		vmcs_read16(GUEST_CS_SELECTOR), vmcs_read16(GUEST_SS_SELECTOR),
		vmcs_read32(IDT_VECTORING_INFO_FIELD));
}

enum exit_action exit_unexpected(struct vcpu *v, const struct exit_info *e)
{
	log_error("vm %s: vCPU %u: unhandled exit %s (%u%s), qualification "
		  "%#lx, guest rip %#lx",
		  v->vm->name, v->id, exit_reason_name(e->reason), e->reason,
		  (e->raw_reason & EXIT_REASON_ENTRY_FAILURE) ? ", entry failure"
							      : "",
		  e->qualification, e->guest_rip);
	dump_guest(v);
	vm_crash(v->vm, "unhandled exit %s", exit_reason_name(e->reason));
	return EXIT_STOPPED;
}

static enum exit_action handle_triple_fault(struct vcpu *v,
					    const struct exit_info *e)
{
	log_error("vm %s: vCPU %u: triple fault at guest rip %#lx",
		  v->vm->name, v->id, e->guest_rip);
	dump_guest(v);
	vm_crash(v->vm, "triple fault");
	return EXIT_STOPPED;
}

/* Guests see no VMX (CPUID hides it), so its instructions are invalid
 * opcodes to them (SDM Vol. 3C 31.3: #UD outside VMX operation). */
static enum exit_action handle_vmx_instruction(struct vcpu *v,
					       const struct exit_info *e)
{
	(void)v, (void)e;
	vcpu_inject_exception(VEC_UD, false, 0);
	return EXIT_RESUME;
}

/* WBINVD and INVD are no-ops, as in KVM for a VM without non-coherent
 * DMA: a VM's RAM is write-back in its EPT and the CPU's caches are
 * coherent, passed-through BARs are uncached, and no device of a VM can
 * do DMA (bus mastering stays off), so writing caches back changes
 * nothing a guest can observe.  Running the host's WBINVD instead would let
 * every guest stall the CPU (and every VM on it) for as long as writing
 * back all caches takes, as often as it likes; INVD would drop dirty lines
 * of memory other VMs own. */
static enum exit_action handle_wbinvd(struct vcpu *v,
				      const struct exit_info *e)
{
	(void)v;
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}

/* MONITOR/MWAIT are hidden from guests in CPUID; a guest that uses them
 * anyway gets #UD, as on a CPU without them. */
static enum exit_action handle_monitor_mwait(struct vcpu *v,
					     const struct exit_info *e)
{
	return handle_vmx_instruction(v, e);
}

/* The PMU is hidden (CPUID leaf 0xa reports no counters), so every
 * counter number RDPMC can name is invalid: #GP(0) (SDM Vol. 2B RDPMC). */
static enum exit_action handle_rdpmc(struct vcpu *v, const struct exit_info *e)
{
	(void)v, (void)e;
	vcpu_inject_exception(VEC_GP, true, 0);
	return EXIT_RESUME;
}

static enum exit_action handle_entry_failure(struct vcpu *v,
					     const struct exit_info *e)
{
	return exit_unexpected(v, e);
}

static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
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

enum exit_action exit_dispatch(struct vcpu *v)
{
	struct exit_info e;

	e.raw_reason = vmcs_read32(VM_EXIT_REASON);
	e.reason = e.raw_reason & 0xffff;
	e.qualification = vmcs_readn(EXIT_QUALIFICATION);
	e.guest_rip = vmcs_readn(GUEST_RIP);
	e.insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	v->exits++;
	event_requeue_vectoring();
	if (e.reason < EXIT_REASON_MAX && exit_handlers[e.reason])
		return exit_handlers[e.reason](v, &e);
	return exit_unexpected(v, &e);
}
