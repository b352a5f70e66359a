/* What every exit handler shares: exit reason names, skipping the
 * instruction that exited, and the one path for an exit nothing expects
 * (exit_unexpected: a report, then only that VM stops).  The dispatch
 * table itself is in vmx/vcpu_run.c, beside the loop that uses it. */
#include "exit.h"

#include "../arch/idt.h"
#include "../kernel/log.h"
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
	log_raw("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n",
		r[REG_R9], r[REG_R10], r[REG_R11], r[REG_R12]);
	log_raw("  r13 %016lx  r14 %016lx  r15 %016lx  cr2 %016lx\n",
		r[REG_R13], r[REG_R14], r[REG_R15], v->regs.cr2);
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

enum exit_action handle_triple_fault(struct vcpu *v,
				     const struct exit_info *e)
{
	log_error("vm %s: vCPU %u: triple fault at guest rip %#lx",
		  v->vm->name, v->id, e->guest_rip);
	dump_guest(v);
	vm_crash(v->vm, "triple fault");
	return EXIT_STOPPED;
}

enum exit_action handle_entry_failure(struct vcpu *v,
				      const struct exit_info *e)
{
	return exit_unexpected(v, e);
}
