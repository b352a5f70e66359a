/* Exception and interrupt entry stubs.  Each pushes a zero error code where the CPU
 * pushes none (SDM Vol. 3A 6.13), then its vector, so every frame has the
 * same shape: struct trap_frame in arch/trap.h. */

/* Vectors that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC,
 * #CP (8, 10-14, 17, 21). */
.macro isr_stub vec
isr_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	isr_common
.endm

	.text
.altmacro
.macro isr_stubs from=0, to=31
	isr_stub \from
	.if \to-\from
	isr_stubs %(\from+1), \to
	.endif
.endm
	isr_stubs 0, 31
	isr_stubs 64, 79	/* IRQ_VECTOR_FIRST .. +IRQ_VECTORS (arch/irq.h) */
	isr_stub 240		/* VECTOR_KICK (arch/vectors.h) */
	isr_stub 255		/* IRQ_VECTOR_SPURIOUS */

isr_common:
	cld
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	call	trap_handler
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp	/* vector and error code */
	iretq

.macro stub_addr vec
	.quad isr_stub_\vec
.endm
	.section .rodata
	.balign 8
	.global isr_stub_table
isr_stub_table:
	.set i, 0
	.rept 32
	stub_addr %i
	.set i, i+1
	.endr
	.global irq_stub_table
irq_stub_table:
	.set i, 64
	.rept 16
	stub_addr %i
	.set i, i+1
	.endr
	stub_addr 255
	.global kick_stub
kick_stub:
	stub_addr 240

	.section .note.GNU-stack, "", @progbits
