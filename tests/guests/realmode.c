/* Real mode under unrestricted guest: a #GP that the hypervisor injects
 * for an exiting instruction (WRMSR of an unknown MSR; RDMSR of MSRs the
 * vCPU lacks: IA32_FEATURE_CONTROL, x2APIC MSR 0x802 in xAPIC mode)
 * reaches the real-mode IVT, which real mode delivers without an error
 * code (SDM Vol. 3C 27.2.1.3: "deliver error code" must be 0 when CR0.PE
 * = 0); and
 * MMIO from 16-bit code, whose default operand and address sizes are 16
 * bits (SDM Vol. 2A 2.1.5 Table 2-1), to the test device.
 *
 * The 16-bit code below is copied to RM_BASE and runs there with CS =
 * RM_SEG.  ES keeps a base of TESTDEV (loaded in 16-bit protected mode,
 * kept by real mode), FS the flat 4 GiB segment for 32-bit addresses. */
#include "guest.h"

#define RM_BASE 0x7000u
#define TESTDEV 0xfeb00000u
#define TESTDEV_ID 0x44545648u

__asm__(
	".set RM_SEG, 0x0700\n"
	".set SEL_CODE16, 0x18\n"
	".set SEL_TESTDEV16, 0x20\n"
	".set SEL_DATA16, 0x28\n"
	".set RMOFF, 0\n"

	/* 32-bit entry: keep the caller's state, go to 16-bit protected
	 * mode at the copy of rm_start. */
	".text\n"
	".code32\n"
	".global rm_run\n"
	"rm_run:\n"
	"	pushal\n"
	"	movl %esp, rm_saved_esp\n"
	"	sidt rm_saved_idt\n"
	"	sgdt rm_saved_gdt\n"
	"	lgdt rm_gdt_desc\n"
	"	ljmp $SEL_CODE16, $(pm16_entry - rm_start)\n"
	"pm32_back:\n"
	"	movw $0x10, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	movw %ax, %ss\n"
	"	movw %ax, %fs\n"
	"	movw %ax, %gs\n"
	"	movl rm_saved_esp, %esp\n"
	"	lgdt rm_saved_gdt\n"
	"	lidt rm_saved_idt\n"
	"	popal\n"
	"	ret\n"

	/* The 16-bit part, copied to RM_BASE. */
	".section .text.rm16, \"ax\"\n"
	".code16\n"
	".global rm_start, rm_end, rm_results\n"
	"rm_start:\n"
	"pm16_entry:\n"
	"	movw $SEL_DATA16, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %ss\n"
	"	movw $SEL_TESTDEV16, %ax\n"
	"	movw %ax, %es\n"
	"	movw $0x10, %ax\n"
	"	movw %ax, %fs\n"
	"	movl %cr0, %eax\n"
	"	andl $~1, %eax\n"
	"	movl %eax, %cr0\n"
	"	ljmp $RM_SEG, $(real_entry - rm_start)\n"
	"real_entry:\n"
	"	xorw %ax, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %ss\n"
	"	movw $0x7000, %sp\n"
	"	lidt %cs:(rm_idtr - rm_start)\n"
	"	movw $(gp_handler - rm_start), 13*4\n"
	"	movw $RM_SEG, 13*4+2\n"
	"	movw $(other_handler - rm_start), 6*4\n"
	"	movw $RM_SEG, 6*4+2\n"
	"	movw $(other_handler - rm_start), 14*4\n"
	"	movw $RM_SEG, 14*4+2\n"
	/* #GP from an exiting instruction: WRMSR of an MSR no one has. */
	"	testw $1, %cs:(r_mode - rm_start)\n"
	"	jz 2f\n"
	"	movl $0x0badc0de, %ecx\n"
	"	xorl %eax, %eax\n"
	"	xorl %edx, %edx\n"
	"	movw %sp, %cs:(r_sp_before - rm_start)\n"
	"	wrmsr\n"
	/* RDMSR of IA32_FEATURE_CONTROL (the vCPU has no VMX), then of
	 * the x2APIC ID in xAPIC mode (SDM Vol. 3A 11.12.2): #GP too. */
	"	movl $0x3a, %ecx\n"
	"	rdmsr\n"
	"	movl $0x802, %ecx\n"
	"	rdmsr\n"
	"	movw %sp, %cs:(r_sp_after - rm_start)\n"
	"2:	testw $2, %cs:(r_mode - rm_start)\n"
	"	jz 3f\n"
	/* MMIO with 16-bit code's sizes.  moffs16 with a 32-bit operand
	 * (66 a3 + 2-byte offset): */
	"	movl $0xaaaa5555, %eax\n"
	"	movl %eax, %es:4\n"
	/* ModRM mod=00 rm=110: disp16, 16-bit operand (89 36 + disp16) */
	"	movl $0x99991234, %esi\n"
	"	movw %si, %es:4\n"
	/* 32-bit load, ModRM disp16 (66 8b 1e + disp16): 0xaaaa1234 */
	"	movl %es:4, %ebx\n"
	"	movl %ebx, %cs:(r_load32 - rm_start)\n"
	/* [bx+si+disp8], 16-bit: bx = 0, si = 2, disp 2 -> offset 4 */
	"	xorw %bx, %bx\n"
	"	movw $2, %si\n"
	"	movw %es:2(%bx,%si), %cx\n"
	"	movw %cx, %cs:(r_bxsi - rm_start)\n"
	/* immediate store with imm16 after disp16 (c7 06 + disp16 + imm16) */
	"	movw $0x5678, %es:4\n"
	"	movl %es:4, %edx\n"
	"	movl %edx, %cs:(r_imm16 - rm_start)\n"
	/* 32-bit address size in 16-bit code (67 prefix): FS flat */
	"	movl $0xfeb00000, %edx\n"
	"	addr32 movl %fs:(%edx), %edi\n"
	"	movl %edi, %cs:(r_id - rm_start)\n"
	/* MOVZX from a 16-bit address into a 16-bit register */
	"	movw $0xffff, %ax\n"
	"	movzbw %es:5, %ax\n"
	"	movw %ax, %cs:(r_movzx - rm_start)\n"
	"3:	movw $1, %cs:(r_done - rm_start)\n"
	/* back to 32-bit protected mode */
	"	cli\n"
	"	movl %cr0, %eax\n"
	"	orl $1, %eax\n"
	"	movl %eax, %cr0\n"
	"	ljmpl $0x08, $pm32_back\n"

	/* Real-mode #GP: the frame is IP, CS, FLAGS and no error code. */
	"gp_handler:\n"
	"	pushw %bp\n"
	"	movw %sp, %bp\n"
	"	addw $2, 2(%bp)\n"
	"	incw %cs:(r_gp_count - rm_start)\n"
	"	popw %bp\n"
	"	iret\n"
	"other_handler:\n"
	"	incw %cs:(r_other - rm_start)\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"	.balign 4\n"
	"rm_idtr:\n"
	"	.word 0x3ff\n"
	"	.long 0\n"
	"	.balign 4\n"
	"rm_results:\n"
	"r_gp_count: .word 0\n"
	"r_other: .word 0\n"
	"r_sp_before: .word 0\n"
	"r_sp_after: .word 0\n"
	"r_done: .word 0\n"
	"r_movzx: .word 0\n"
	"r_bxsi: .word 0\n"
	"r_mode: .word 0\n"
	"r_load32: .long 0\n"
	"r_imm16: .long 0\n"
	"r_id: .long 0\n"
	"rm_end:\n"
	".code32\n"
	".text\n");

struct rm_results {
	uint16_t gp_count, other, sp_before, sp_after, done, movzx, bxsi, mode;
	uint32_t load32, imm16, id;
};

extern const uint8_t rm_start[], rm_end[], rm_results[];
void rm_run(void);

/* The start.S segments at 0x08 and 0x10, then 16-bit ones: code at
 * RM_BASE, data at the test device, data at 0, all 64 KiB. */
static const uint64_t rm_gdt[] = {
	0,
	0x00cf9a000000ffffull,
	0x00cf92000000ffffull,
	0x00009a007000ffffull,
	0xfe0092b00000ffffull,
	0x000092000000ffffull,
};
struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint32_t base;
};
struct desc_ptr rm_gdt_desc = { sizeof(rm_gdt) - 1, (uint32_t)rm_gdt };
struct desc_ptr rm_saved_gdt, rm_saved_idt;
uint32_t rm_saved_esp;

int guest_main(uint32_t magic, uint32_t info)
{
	volatile uint8_t *dst = (volatile uint8_t *)RM_BASE;
	volatile struct rm_results *r;
	const char *cl = cmdline(info);
	bool gp = cl[0] != 'm', mmio = cl[0] != 'g';
	uint32_t n = (uint32_t)(rm_end - rm_start);

	(void)magic;
	__asm__ volatile("cli");
	for (uint32_t i = 0; i < n; i++)
		dst[i] = rm_start[i];
	r = (volatile struct rm_results *)(RM_BASE +
						  (uint32_t)(rm_results - rm_start));
	r->mode = (uint16_t)((gp ? 1 : 0) | (mmio ? 2 : 0));
	puts_serial("entering real mode\n");
	rm_run();
	puts_serial("back in protected mode\n");
	check(r->done == 1, "real-mode code ran to its end");
	check(r->other == 0, "no other exception in real mode");
	if (gp) {
		check(r->gp_count == 3,
		      "WRMSR of an unknown MSR, RDMSR of FEATURE_CONTROL and of "
		      "x2APIC MSR 0x802 in real mode: #GP through the IVT, each");
		check(r->sp_before == r->sp_after,
		      "real-mode #GP pushed no error code");
	}
	if (mmio) {
		check(r->load32 == 0x1234u,
		      "16-bit code: moffs16 32-bit store, disp16 16-bit store, "
		      "32-bit load");
		check(r->bxsi == 0x1234, "16-bit code: [bx+si+disp8] load");
		check(r->imm16 == 0x5678u,
		      "16-bit code: imm16 store after disp16");
		check(r->id == TESTDEV_ID,
		      "16-bit code: 32-bit address (67 prefix)");
		check(r->movzx == 0x56,
		      "16-bit code: MOVZX into a 16-bit register");
		puts_serial("load32 ");
		print_hex(r->load32);
		puts_serial(" imm16 ");
		print_hex(r->imm16);
		puts_serial(" id ");
		print_hex(r->id);
		putc_serial('\n');
	}
	return verdict();
}
