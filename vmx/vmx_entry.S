/* int vmx_enter(struct guest_regs *regs, int launched)
 *
 * Loads the guest GPRs and CR2 from *regs and enters the guest with
 * VMLAUNCH (launched == 0) or VMRESUME.  HOST_RSP is written here, so a VM
 * exit lands in vmx_exit_entry on this very stack frame, with *regs's
 * address on top; it stores the guest registers back and returns 0.  If the
 * entry instruction itself fails, returns VMX_FAIL_INVALID or
 * VMX_FAIL_VALID.  Callee-saved host registers survive; the guest's FPU/SSE
 * state is never touched (SDM Vol. 3C 27.5: a VM exit loads only the state
 * in the host-state area).
 *
 * The offsets into *regs, HOST_RSP's encoding and the return codes come
 * from the C definitions through asm_offsets.h, generated at build time
 * from vmx/asm_offsets.c. */

#include "asm_offsets.h"

/* Each of the 16 x86 GPRs but RSP (which the VMCS holds) is moved below
 * by name: a register slot added to struct guest_regs would be neither
 * loaded nor saved. */
.if GUEST_NREGS != 16
	.error "vmx_entry.S moves 16 guest GPRs; struct guest_regs changed"
.endif

	.text
	.global vmx_enter
vmx_enter:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi			/* regs, found by the exit path */
	movl	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfailed		/* CF or ZF: the write failed */
	movq	REGS_CR2(%rdi), %rax
	movq	%rax, %cr2
	movl	%esi, %eax		/* launched, tested after the loads */
	movq	REGS_RCX(%rdi), %rcx
	movq	REGS_RDX(%rdi), %rdx
	movq	REGS_RBX(%rdi), %rbx
	movq	REGS_RBP(%rdi), %rbp
	movq	REGS_RSI(%rdi), %rsi
	movq	REGS_R8(%rdi), %r8
	movq	REGS_R9(%rdi), %r9
	movq	REGS_R10(%rdi), %r10
	movq	REGS_R11(%rdi), %r11
	movq	REGS_R12(%rdi), %r12
	movq	REGS_R13(%rdi), %r13
	movq	REGS_R14(%rdi), %r14
	movq	REGS_R15(%rdi), %r15
	testl	%eax, %eax
	movq	REGS_RAX(%rdi), %rax	/* mov leaves the flags alone */
	movq	REGS_RDI(%rdi), %rdi
	jnz	.Lresume
	vmlaunch
	jmp	.Lfailed
.Lresume:
	vmresume
.Lfailed:
	/* Still in the host (with the guest's values in the GPRs when the
	 * entry instruction failed): CF is VMfailInvalid, else VMfailValid. */
	movl	$VMX_FAIL_INVALID, %eax
	jc	.Lout
	movl	$VMX_FAIL_VALID, %eax
.Lout:
	popq	%rdi
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

	.global vmx_exit_entry
vmx_exit_entry:
	/* The return stack buffer still holds the return addresses the
	 * guest's own CALLs left, and hv's next RETs would be predicted from
	 * them: speculation at addresses the guest chose, in root (Spectre-
	 * RSB).  32 CALLs, each to the next one, push 32 harmless entries
	 * (each predicted return lands on an INT3, a speculation trap) over
	 * them; the ADD drops what the CALLs pushed, and the LFENCE keeps
	 * what follows from running ahead of it.  Only RSP and the flags
	 * change, so the guest's registers are still as it left them.  This
	 * is Linux's __FILL_RETURN_BUFFER on VM exit (Intel's "Retpoline: A
	 * Branch Target Injection Mitigation", RSB stuffing). */
	.rept	32
	call	1f
	int3
1:
	.endr
	addq	$(32 * 8), %rsp
	lfence
	pushq	%rdi			/* guest RDI */
	movq	8(%rsp), %rdi		/* regs */
	movq	%rax, REGS_RAX(%rdi)
	movq	%rcx, REGS_RCX(%rdi)
	movq	%rdx, REGS_RDX(%rdi)
	movq	%rbx, REGS_RBX(%rdi)
	movq	%rbp, REGS_RBP(%rdi)
	movq	%rsi, REGS_RSI(%rdi)
	popq	REGS_RDI(%rdi)
	movq	%r8, REGS_R8(%rdi)
	movq	%r9, REGS_R9(%rdi)
	movq	%r10, REGS_R10(%rdi)
	movq	%r11, REGS_R11(%rdi)
	movq	%r12, REGS_R12(%rdi)
	movq	%r13, REGS_R13(%rdi)
	movq	%r14, REGS_R14(%rdi)
	movq	%r15, REGS_R15(%rdi)
	movq	%cr2, %rax
	movq	%rax, REGS_CR2(%rdi)
	xorl	%eax, %eax
	jmp	.Lout

	.section .note.GNU-stack, "", @progbits
