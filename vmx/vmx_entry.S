/* int vmx_enter(struct guest_regs *regs, int launched)
 *
 * Loads the guest GPRs and CR2 from *regs and enters the guest with
 * VMLAUNCH (launched == 0) or VMRESUME.  HOST_RSP is written here, so a VM
 * exit lands in vmx_exit_entry on this very stack frame, with *regs's
 * address on top; it stores the guest registers back and returns 0.  If the
 * entry instruction itself fails, returns 1 (VMfailInvalid) or 2
 * (VMfailValid).  Callee-saved host registers survive; the guest's FPU/SSE
 * state is never touched (SDM Vol. 3C 27.5: a VM exit loads only the state
 * in the host-state area). */

#define HOST_RSP 0x6c14
#define REG(n) (8 * (n))
#define REG_CR2 (8 * 16)

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
	movl	$HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfail_early		/* CF or ZF: the write failed */
	movq	REG_CR2(%rdi), %rax
	movq	%rax, %cr2
	movl	%esi, %eax		/* launched, tested after the loads */
	movq	REG(1)(%rdi), %rcx
	movq	REG(2)(%rdi), %rdx
	movq	REG(3)(%rdi), %rbx
	movq	REG(5)(%rdi), %rbp
	movq	REG(6)(%rdi), %rsi
	movq	REG(8)(%rdi), %r8
	movq	REG(9)(%rdi), %r9
	movq	REG(10)(%rdi), %r10
	movq	REG(11)(%rdi), %r11
	movq	REG(12)(%rdi), %r12
	movq	REG(13)(%rdi), %r13
	movq	REG(14)(%rdi), %r14
	movq	REG(15)(%rdi), %r15
	testl	%eax, %eax
	movq	REG(0)(%rdi), %rax	/* mov leaves the flags alone */
	movq	REG(7)(%rdi), %rdi
	jnz	.Lresume
	vmlaunch
	jmp	.Lfailed
.Lresume:
	vmresume
.Lfailed:
	/* Still in the host with the guest's values in the GPRs. */
	movl	$1, %eax
	jc	.Lout
	movl	$2, %eax
	jmp	.Lout
.Lfail_early:
	movl	$1, %eax
	jc	.Lout
	movl	$2, %eax
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
	pushq	%rdi			/* guest RDI */
	movq	8(%rsp), %rdi		/* regs */
	movq	%rax, REG(0)(%rdi)
	movq	%rcx, REG(1)(%rdi)
	movq	%rdx, REG(2)(%rdi)
	movq	%rbx, REG(3)(%rdi)
	movq	%rbp, REG(5)(%rdi)
	movq	%rsi, REG(6)(%rdi)
	popq	REG(7)(%rdi)
	movq	%r8, REG(8)(%rdi)
	movq	%r9, REG(9)(%rdi)
	movq	%r10, REG(10)(%rdi)
	movq	%r11, REG(11)(%rdi)
	movq	%r12, REG(12)(%rdi)
	movq	%r13, REG(13)(%rdi)
	movq	%r14, REG(14)(%rdi)
	movq	%r15, REG(15)(%rdi)
	movq	%cr2, %rax
	movq	%rax, REG_CR2(%rdi)
	xorl	%eax, %eax
	jmp	.Lout

	.section .note.GNU-stack, "", @progbits
