/* Retpolines: the targets of hv's indirect calls and jumps (exit
 * handlers through vmx/vcpu_run.c's table, device callbacks through
 * kernel/io_bus.c, newlib's printf callbacks) are never predicted from
 * the branch target buffer, which a guest can train (Spectre v2, branch
 * target injection: a guest steering hv's speculation to a gadget that
 * reads another VM's memory through the direct map).  The C code and
 * newlib are built with -mindirect-branch=thunk-extern
 * -mindirect-branch-register, so each `call *%reg` or `jmp *%reg`
 * becomes a call or jump here.  The CALL pushes a return address whose
 * prediction (the return stack buffer's entry the CALL made) traps
 * speculation in the PAUSE/LFENCE loop; the MOV replaces that address
 * with the real target, which the RET then goes to architecturally.
 * Intel, "Retpoline: A Branch Target Injection Mitigation" (2018); the
 * names are the ones GCC calls. */

.macro THUNK reg
	.section .text.__x86_indirect_thunk_\reg, "ax", @progbits
	.global __x86_indirect_thunk_\reg
	.type __x86_indirect_thunk_\reg, @function
__x86_indirect_thunk_\reg:
	call	1f
2:	pause
	lfence
	jmp	2b
1:	movq	%\reg, (%rsp)
	ret
	.size __x86_indirect_thunk_\reg, . - __x86_indirect_thunk_\reg
.endm

	THUNK rax
	THUNK rbx
	THUNK rcx
	THUNK rdx
	THUNK rsi
	THUNK rdi
	THUNK rbp
	THUNK r8
	THUNK r9
	THUNK r10
	THUNK r11
	THUNK r12
	THUNK r13
	THUNK r14
	THUNK r15

	.section .note.GNU-stack, "", @progbits
