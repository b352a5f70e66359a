/* Multiboot entry for the test guests: EAX = 0x2BADB002, EBX = info.
 * Loads our own GDT (the loader's is undefined by the spec), a stack and
 * an IDT whose handlers call guest_trap(), then guest_main(magic, info).
 * Its return value goes to the debug-exit port. */
	.section .multiboot, "a"
	.balign 4
	.long 0x1badb002
	.long 0x00000003		/* page-align modules, memory info */
	.long -(0x1badb002 + 0x00000003)

	.text
	.global _start
_start:
	cli
	lgdt	gdt_desc
	ljmp	$0x08, $1f
1:	movw	$0x10, %cx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %ss
	movw	%cx, %fs
	movw	%cx, %gs
	movl	$stack_top, %esp
	pushl	%ebx
	pushl	%eax
	call	idt_setup
	call	guest_main
	movw	$0xf4, %dx
	outl	%eax, %dx
2:	cli
	hlt
	jmp	2b

/* Exception and interrupt stubs (all 256 vectors): push a zero error code where the CPU does not, then
 * the vector; guest_trap(frame) may change the saved EIP. */
.macro trap vec
trap_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17)
	.else
	pushl	$0
	.endif
	pushl	$\vec
	jmp	trap_common
.endm
	.altmacro
	.set i, 0
	.rept 256
	trap %i
	.set i, i+1
	.endr

trap_common:
	pushal
	pushl	%esp
	call	guest_trap
	addl	$4, %esp
	popal
	addl	$8, %esp
	iret

.macro addr vec
	.long trap_\vec
.endm
	.section .rodata
	.global trap_table
trap_table:
	.set i, 0
	.rept 256
	addr %i
	.set i, i+1
	.endr

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

	.bss
	.balign 16
	.skip 16384
stack_top:
	.section .note.GNU-stack, "", @progbits
