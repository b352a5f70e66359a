/* void handoff_jump(uint64_t cr3, uint64_t entry, uint64_t boot_info)
 *
 * Runs after ExitBootServices, from identity-mapped firmware memory.  The
 * new tables identity-map all RAM too, so the instruction after the CR3
 * load still fetches; then it jumps to the kernel's higher-half entry with
 * boot_info in RDI (System V ABI, first argument). */
	.text
	.global handoff_jump
handoff_jump:
	cli
	mov	%rdi, %cr3
	mov	%rdx, %rdi
	jmp	*%rsi
	.section .note.GNU-stack, "", @progbits
