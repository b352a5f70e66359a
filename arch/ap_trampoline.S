/* The AP start-up trampoline; see arch/ap_trampoline.h for the contract.
 * It runs from a copy in a page below 1 MiB, so every reference to its
 * own bytes is an offset from the start (real mode: DS = CS = page >> 4;
 * later: EBX = the page's physical address).  The blob itself is data to
 * the kernel, hence .rodata. */
#include "ap_trampoline.h"

#define OFF(label) ((label) - ap_trampoline_start)
#define PARAM(field) (OFF(ap_trampoline_params) + (field))

	.section .rodata
	.balign 16
	.global ap_trampoline_start
	.code16
ap_trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	xorl	%ebx, %ebx
	movw	%ax, %bx
	shll	$4, %ebx
	lgdtl	PARAM(APT_GDTR)
	/* CR0 = PE alone: also clears CD and NW, which are set after INIT
	 * (SDM Vol. 3A 10.1.1, Table 10-1). */
	movl	$APT_CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	*PARAM(APT_PM32_JUMP)

	.code32
	.global ap_trampoline_pm32
ap_trampoline_pm32:
	movw	$APT_SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$APT_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	PARAM(APT_CR3)(%ebx), %eax
	movl	%eax, %cr3
	movl	$APT_MSR_EFER, %ecx
	rdmsr
	orl	$APT_EFER_LME_NXE, %eax
	wrmsr
	movl	$(APT_CR0_PE | APT_CR0_PG), %eax
	movl	%eax, %cr0
	ljmpl	*PARAM(APT_LM64_JUMP)(%ebx)

	.code64
	.global ap_trampoline_lm64
ap_trampoline_lm64:
	/* The upper halves of the registers are undefined after the switch
	 * to 64-bit mode (SDM Vol. 1 3.4.1.1). */
	movl	%ebx, %ebx
	movq	PARAM(APT_STACK)(%rbx), %rsp
	movq	PARAM(APT_ENTRY)(%rbx), %rax
	jmpq	*%rax

	.balign 8
	.global ap_trampoline_gdt
ap_trampoline_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* APT_SEL_CODE32: flat, 32-bit */
	.quad	0x00cf92000000ffff	/* APT_SEL_DATA: flat */
	.quad	0x00af9a000000ffff	/* APT_SEL_CODE64: L=1 */
	.global ap_trampoline_gdt_end
ap_trampoline_gdt_end:
	.balign 8
	.global ap_trampoline_params
ap_trampoline_params:
	.skip	APT_SIZE
	.global ap_trampoline_end
ap_trampoline_end:

/* In the kernel's text: the start-up tables still map this code, so the
 * switch to the kernel's own tables (no identity map) can be made here.
 * Then C, on the AP's stack; smp_ap_start never returns. */
	.text
	.global ap_entry
ap_entry:
	movq	smp_ap_cr3(%rip), %rax
	movq	%rax, %cr3
	xorl	%ebp, %ebp
	call	smp_ap_start
1:	cli
	hlt
	jmp	1b

	.section .note.GNU-stack, "", @progbits
