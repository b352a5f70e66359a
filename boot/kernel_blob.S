/* The kernel ELF, carried inside hv.efi so that one file is all a user
 * installs.  KERNEL_ELF is the path given by the Makefile. */
	.section .rodata
	.balign 64
	.global kernel_elf_start, kernel_elf_end
kernel_elf_start:
	.incbin KERNEL_ELF
kernel_elf_end:
	.section .note.GNU-stack, "", @progbits
