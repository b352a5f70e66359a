/* What every exit handler shares: exit reason names, skipping the
 * instruction that exited, and the one path for an exit nothing expects
 * (exit_unexpected: a report, then only that VM stops).  The dispatch
 * table itself is in vmx/vcpu_run.c, beside the loop that uses it. */
#include "exit.h"

#include "../arch/cpu.h"
#include "../arch/debugreg.h"
#include "../arch/idt.h"
#include "../kernel/log.h"
#include "event.h"
#include "guest_mem.h"
#include "vmcs.h"
#include "vmcs_setup.h"

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

static uint64_t read_dr(unsigned n)
{
	switch (n) {
	case 0: return read_dr0();
	case 1: return read_dr1();
	case 2: return read_dr2();
	default: return read_dr3();
	}
}

/* Bytes a breakpoint covers, by its LENn (SDM Vol. 3B 18.2.4). */
static const unsigned dr7_len_bytes[4] = { 1, 2, 8, 4 };

/* The enabled I/O breakpoints (CR4.DE set, RWn = 10) that an IN or OUT
 * of the ports in qualification q hits, as DR6 Bn bits: any byte of the
 * access inside the breakpoint's port range, which LENn sizes and
 * aligns (SDM Vol. 3B 18.2.4, 18.2.5).  The CPU would report them as a
 * trap after the instruction (SDM Vol. 3B 18.3.1.2); an instruction hv
 * emulates never reaches that point in the guest, so hv reports them. */
static uint64_t io_breakpoints(uint64_t q)
{
	uint64_t dr7 = vmcs_readn(GUEST_DR7), hits = 0;
	uint64_t first = IO_QUAL_PORT(q), last = first + IO_QUAL_SIZE(q) - 1;

	if (!(dr7 & DR7_IO_BREAKPOINTS) || !(guest_cr4() & CR4_DE))
		return 0;
	for (unsigned n = 0; n < 4; n++) {
		if (!DR7_ENABLED(dr7, n) || DR7_RW(dr7, n) != DR7_RW_IO)
			continue;
		uint64_t len = dr7_len_bytes[DR7_LEN(dr7, n)];
		uint64_t base = read_dr(n) & 0xffff & ~(len - 1);
		if (first <= base + len - 1 && base <= last)
			hits |= DR6_B(n);
	}
	return hits;
}

/* The enabled data breakpoints (RWn = 01 for writes, 11 for reads or
 * writes) that the memory access of an emulated instruction hits: any
 * byte of it inside the breakpoint's range, which LENn sizes and aligns
 * (SDM Vol. 3B 18.2.4, 18.2.5).  The CPU reports them as a trap after
 * the instruction (18.3.1.2); the access was hv's (an EPT violation
 * stops the CPU before it), so hv reports them. */
static uint64_t data_breakpoints(const struct exit_info *e)
{
	uint64_t dr7 = vmcs_readn(GUEST_DR7), hits = 0;
	uint64_t first = e->data_linear, last = first + e->data_size - 1;

	/* No breakpoint enabled, the common case: decided without the
	 * loop. */
	if (!(dr7 & DR7_ENABLE_BITS))
		return 0;
	for (unsigned n = 0; n < 4; n++) {
		unsigned rw = DR7_RW(dr7, n);

		if (!DR7_ENABLED(dr7, n) ||
		    !(rw == DR7_RW_DATA || (rw == DR7_RW_WRITE && e->data_write)))
			continue;
		uint64_t len = dr7_len_bytes[DR7_LEN(dr7, n)];
		uint64_t base = read_dr(n) & ~(len - 1);
		if (first <= base + len - 1 && base <= last)
			hits |= DR6_B(n);
	}
	return hits;
}

/* Delivers the debug traps `hits` (DR6 bits) as the CPU does after an
 * instruction: one #DB, trap-like (no RF), with DR6 saying why.  VM entry
 * injection writes neither DR6 nor DR7 (SDM Vol. 3C 27.6.1.1), so hv
 * does what delivery would: B0-B3 replaced by this exception's, the
 * other DR6 bits kept (SDM Vol. 3B 18.2.3), DR7.GD cleared as on entry
 * to a #DB handler (SDM Vol. 3B 18.2.4); KVM's kvm_vcpu_do_singlestep
 * does the same.  The CPU holds the running vCPU's DR6 (arch/debugreg.h:
 * MOV DR does not exit and the scheduler switches them), so it is
 * written there. */
static void raise_debug_trap(uint64_t hits)
{
	uint64_t dr7 = vmcs_readn(GUEST_DR7);

	write_dr6((read_dr6() & ~DR6_TRAP_BITS) | hits);
	if (dr7 & DR7_GD)
		vmcs_writen(GUEST_DR7, dr7 & ~DR7_GD);
	vcpu_inject_exception(VEC_DB, false, 0);
}

/* Outside 64-bit code the instruction pointer wraps at the code size (IP
 * at 64 KiB, EIP at 4 GiB; SDM Vol. 1 3.5); a RIP past it would also fail
 * the next VM entry (SDM Vol. 3C 27.3.1.4). */
static __attribute__((noinline, cold)) uint64_t wrap_rip(uint64_t rip)
{
	unsigned bits = guest_code_bits();

	if (bits < 64)
		rip &= bits == 16 ? 0xffffull : 0xffffffffull;
	return rip;
}

/* The rest of vcpu_skip_instruction, for an instruction that ends a
 * blocking, clears RF, or may raise a debug trap. */
static __attribute__((noinline, cold)) void skip_complete(const struct exit_info *e,
						     uint32_t intr,
						     uint64_t rflags)
{
	uint64_t hits = 0;

	/* Skipping an instruction ends STI/MOV-SS blocking (SDM Vol. 3C
	 * 25.4.2); leaving it set would block the next interrupt. */
	if (intr & 3)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~3u);
	/* The CPU clears RF once an instruction completes (SDM Vol. 3A
	 * 17.3.1.1); left set, it would hide an instruction breakpoint on
	 * the next instruction.  An EPT violation (MMIO) saves RF = 1 (SDM
	 * Vol. 3C 28.3.3), and the guest's IRET from a breakpoint #DB on
	 * this very instruction sets it. */
	if (rflags & RFLAGS_RF)
		vmcs_writen(GUEST_RFLAGS, rflags & ~RFLAGS_RF);
	/* TF as the instruction began: a single-step trap after it, unless
	 * IA32_DEBUGCTL.BTF asks for branches only (SDM Vol. 3B 18.3.1.4,
	 * 18.4.3); none of the instructions hv emulates is a branch. */
	if ((rflags & RFLAGS_TF) &&
	    !(vmcs_read64(GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF))
		hits |= DR6_BS;
	if (e->reason == EXIT_REASON_IO_INSTRUCTION)
		hits |= io_breakpoints(e->qualification);
	else if (e->data_size)
		hits |= data_breakpoints(e);
	/* A debug exception that MOV SS held back until after this
	 * instruction (SDM Vol. 3A 6.8.3) waits in the pending debug
	 * exceptions field (SDM Vol. 3C 28.3.4), and a CPU may have put this
	 * instruction's own single step there too (Bochs delivers it after
	 * the next entry): all of them are due now, as one #DB, and the field
	 * is emptied so that none comes twice. */
	if (hits || (intr & 2)) {
		uint64_t pending = vmcs_readn(GUEST_PENDING_DBG_EXCEPTIONS);
		if (pending) {
			hits |= pending & (DR6_TRAP_BITS | DR6_BS);
			vmcs_writen(GUEST_PENDING_DBG_EXCEPTIONS, 0);
		}
	}
	if (hits)
		raise_debug_trap(hits);
}

/* The common case in a few instructions (issue 15): RIP moved on, and
 * two VMREADs that show no blocking to end, no RF or TF; for port I/O
 * or an emulated memory access a third, of DR7, that shows no breakpoint
 * enabled. */
void vcpu_skip_instruction(const struct exit_info *e)
{
	uint64_t rip = e->guest_rip + e->insn_len, rflags;
	uint32_t intr;

	/* Only a skip that crosses a 64 KiB line can need to wrap. */
	if ((rip ^ e->guest_rip) >> 16)
		rip = wrap_rip(rip);
	vmcs_writen(GUEST_RIP, rip);
	intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	rflags = vmcs_readn(GUEST_RFLAGS);
	if ((intr & 3) || (rflags & (RFLAGS_RF | RFLAGS_TF)) ||
	    ((e->reason == EXIT_REASON_IO_INSTRUCTION || e->data_size) &&
	     (vmcs_readn(GUEST_DR7) & DR7_ENABLE_BITS)))
		skip_complete(e, intr, rflags);
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
