/* Kernel entry from the UEFI stage (boot/handoff.S): paging on with the
 * hand-off tables, interrupts off, RDI = physical address of boot_info.
 * Switch to the boot CPU's stack and call C; the zeroed RBP ends stack
 * traces here. */
	.section .text.entry, "ax"
	.global kernel_entry
kernel_entry:
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	call	kmain
1:	cli
	hlt
	jmp	1b

	.bss
	.balign 16
	.global boot_stack_bottom
boot_stack_bottom:
	.skip	32768
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
