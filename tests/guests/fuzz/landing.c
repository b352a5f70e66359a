/* The fuzzer's landing and restore machinery: the state shared with the
 * assembly, the trap stubs and landing, the fixups run after an item,
 * the set-up of its own GDT, IDT, TSS and page tables. */
#include "fuzz.h"

/* ---- state shared with the assembly below ---- */
uint32_t fz_landing_esp, fz_armed, fz_fault_vector, fz_in_landing;
uint32_t fz_irqs, fz_nmis_idle; /* interrupts taken; NMIs dropped outside a buffer */
uint32_t fz_entry;
uint32_t fz_regs[7]; /* eax ebx ecx edx esi edi ebp */
uint32_t fz_cr0, fz_cr4;
struct dtr fz_gdt_desc, fz_idt_desc;
uint64_t fz_gdt[GDT_SLOTS] __attribute__((aligned(8)));
static uint64_t fz_idt[256] __attribute__((aligned(8)));
uint64_t fz_ldt[LDT_SLOTS] __attribute__((aligned(8)));
uint8_t fz_tss[128] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
uint8_t scratch[4096] __attribute__((aligned(4096)));
uint8_t code[1024] __attribute__((aligned(64)));
uint8_t fixup_code[256] __attribute__((aligned(64)));
uint32_t idmap_pd[1024] __attribute__((aligned(4096)));
static uint32_t idmap_pt_low[1024] __attribute__((aligned(4096)));
static uint32_t idmap_pt_mmio[1024] __attribute__((aligned(4096)));
const char console_text[] = "fuzz: console write by VMCALL\n";
extern const uint32_t fz_stubs[256];
uint32_t fuzz_call(void);
void fz_landing(void);

/* The trap stubs: every vector pushes its number; exceptions (0-31) while
 * armed go to the landing (the stack is thrown away there, so error codes
 * do not matter); interrupts and software INTs >= 32 are acknowledged at
 * the APIC and return; an NMI while not armed is dropped. */
__asm__(
	".text\n"
	".altmacro\n"
	".macro fzstub v\n"
	"fz_stub_\\v: pushl $\\v; jmp fz_trap\n"
	".endm\n"
	".set i, 0\n"
	".rept 256\n"
	"fzstub %i\n"
	".set i, i+1\n"
	".endr\n"
	"fz_trap:\n"
	"	pushl %eax\n"
	"	pushl %ds\n"
	"	movl $0x10, %eax\n"
	"	movl %eax, %ds\n"
	"	movl 8(%esp), %eax\n"
	"	cmpl $32, %eax\n"
	"	jae 2f\n"
	"	cmpl $0, fz_in_landing\n"
	"	jne 3f\n"
	"	cmpl $0, fz_armed\n"
	"	je 4f\n"
	"	movl %eax, fz_fault_vector\n"
	"	jmp fz_landing\n"
	"2:	incl fz_irqs\n"
	"	movl $0, 0xfee000b0\n"
	"	popl %ds\n"
	"	popl %eax\n"
	"	addl $4, %esp\n"
	"	iret\n"
	"4:	cmpl $2, %eax\n"
	"	jne 3f\n"
	"	incl fz_nmis_idle\n"
	"	popl %ds\n"
	"	popl %eax\n"
	"	addl $4, %esp\n"
	"	iret\n"
	"3:	movl $0x10, %edx\n"
	"	movl %edx, %ss\n"
	"	movl fz_landing_esp, %esp\n"
	"	pushl %eax\n"
	"	call fz_fatal\n"
	".section .rodata\n"
	".macro fzaddr v\n"
	".long fz_stub_\\v\n"
	".endm\n"
	"fz_stubs:\n"
	".set i, 0\n"
	".rept 256\n"
	"fzaddr %i\n"
	".set i, i+1\n"
	".endr\n"
	".text\n"
	/* fuzz_call: runs the buffer at fz_entry with fz_regs loaded;
	 * returns fz_fault_vector (0xffffffff: no exception). */
	".global fuzz_call\n"
	"fuzz_call:\n"
	"	pushl %ebp\n"
	"	pushl %ebx\n"
	"	pushl %esi\n"
	"	pushl %edi\n"
	"	movl %esp, fz_landing_esp\n"
	"	movl $0xffffffff, fz_fault_vector\n"
	"	movl $1, fz_armed\n"
	"	movl fz_regs+0, %eax\n"
	"	movl fz_regs+4, %ebx\n"
	"	movl fz_regs+8, %ecx\n"
	"	movl fz_regs+12, %edx\n"
	"	movl fz_regs+16, %esi\n"
	"	movl fz_regs+20, %edi\n"
	"	movl fz_regs+24, %ebp\n"
	"	call *fz_entry\n"
	".global fz_landing\n"
	"fz_landing:\n"
	"	cli\n"
	"	xorl %eax, %eax\n"
	"	movl %eax, %dr7\n"
	"	movl $1, %ss:fz_in_landing\n"
	"	lgdt %ss:fz_gdt_desc\n"
	"	ljmp $0x08, $1f\n"
	"1:	movl $0x10, %eax\n"
	"	movl %eax, %ds\n"
	"	movl %eax, %es\n"
	"	movl %eax, %fs\n"
	"	movl %eax, %gs\n"
	"	movl %eax, %ss\n"
	"	movl fz_landing_esp, %esp\n"
	"	lidt fz_idt_desc\n"
	"	xorl %eax, %eax\n"
	"	lldt %ax\n"
	"	movl fz_cr0, %eax\n"
	"	movl %eax, %cr0\n"
	"	movl fz_cr4, %eax\n"
	"	movl %eax, %cr4\n"
	"	xorl %eax, %eax\n"
	"	movl %eax, %cr3\n"
	"	pushl $2\n"
	"	popfl\n"
	"	movl $0, fz_armed\n"
	"	movl $0, fz_in_landing\n"
	"	movl fz_fault_vector, %eax\n"
	"	popl %edi\n"
	"	popl %esi\n"
	"	popl %ebx\n"
	"	popl %ebp\n"
	"	ret\n");

static void lapic_w(uint32_t reg, uint32_t v)
{
	__asm__ volatile("movl %1, (%0)" ::"r"(LAPIC + reg), "r"(v) : "memory");
}

/* Run a buffer prepared elsewhere (the fixups): same landing, same
 * registers cleared. */
static uint32_t run_code(uint8_t *buf)
{
	fz_entry = (uint32_t)buf;
	return fuzz_call();
}

/* EFER = 0; APIC base: disabled (which also leaves x2APIC mode), then
 * enabled in xAPIC mode at 0xfee00000. */
static void put_msr_restore(void)
{
	mov_imm(1, 0xc0000080u);
	e2(0x31, 0xc0); e2(0x31, 0xd2); /* eax = edx = 0 */
	e2(0x0f, 0x30);
	put_apic_restore();
}

uint32_t restore_msrs(void)
{
	return run_code(fixup_code);
}

/* PIT channel 0 one-shot (mode 0) with the longest count: at most one
 * more tick; RTC: no periodic, alarm or update interrupts. */
void restore_timers(void)
{
	outb(0x43, 0x30);
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	outb(0x70, 0x0b);
	outb(0x71, 0x02);
	outb(0x70, 0x0c);
	(void)inb(0x71);
}

void restore_apic(void)
{
	lapic_w(0xf0, 0x1ff);       /* software-enabled, spurious 0xff */
	lapic_w(0x80, 0);           /* TPR */
	lapic_w(0x320, 0x10040);    /* timer masked */
	lapic_w(0x380, 0);
	lapic_w(0xb0, 0);           /* EOI */
}

/* ---- set-up ---- */
void setup(void)
{
	struct dtr old;

	fz_gdt[0] = 0;
	fz_gdt[1] = 0x00cf9a000000ffffull;
	fz_gdt[2] = 0x00cf92000000ffffull;
	fz_gdt_desc.limit = sizeof(fz_gdt) - 1;
	fz_gdt_desc.base = (uint32_t)fz_gdt;
	randomize_tables();
	for (int i = 0; i < 256; i++) {
		uint32_t h = fz_stubs[i];
		fz_idt[i] = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			    ((uint64_t)(h >> 16) << 48);
	}
	fz_idt_desc.limit = sizeof(fz_idt) - 1;
	fz_idt_desc.base = (uint32_t)fz_idt;
	__asm__ volatile("sidt %0" : "=m"(old));
	__asm__ volatile("lgdt %0; ljmp $0x08, $1f; 1:" ::"m"(fz_gdt_desc));
	__asm__ volatile("lidt %0" ::"m"(fz_idt_desc));
	/* INT3 over 0x1000-0x7fff (below the Multiboot information at
	 * 0x8000): the sled, and a net for any stray jump low. */
	for (uint32_t a = 0x1000; a < 0x8000; a++)
		*(volatile uint8_t *)a = 0xcc;
	/* The TSS: a fault at CPL 3 (after an IRET or RETF to a random ring-3
	 * selector) switches to ring0_stack. */
	*(uint32_t *)(fz_tss + 4) = (uint32_t)ring0_stack + sizeof(ring0_stack);
	*(uint32_t *)(fz_tss + 8) = 0x10;
	*(uint16_t *)(fz_tss + 0x66) = 0x68;
	__asm__ volatile("ltr %w0" ::"r"(3 << 3));
	pos = 0;
	put_msr_restore();
	end_buffer();
	for (unsigned i = 0; i < pos; i++)
		fixup_code[i] = code[i];
	/* Identity map for CR0.PG: RAM's first 4 MiB and 0xfec00000-0xff000000
	 * (I/O APIC, test device at 0xfeb00000 is outside: 4 KiB pages
	 * 0xfe800000-0xfebfffff would need another table). */
	for (uint32_t i = 0; i < 1024; i++) {
		idmap_pt_low[i] = (i << 12) | 3;
		idmap_pt_mmio[i] = (0xfec00000u + (i << 12)) | 0x1b;
	}
	idmap_pd[0] = (uint32_t)idmap_pt_low | 3;
	idmap_pd[0xfec00000u >> 22] = (uint32_t)idmap_pt_mmio | 3;
	__asm__ volatile("mov %%cr0, %0" : "=r"(fz_cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(fz_cr4));
}

void fz_fatal(uint32_t vector);
void fz_fatal(uint32_t vector)
{
	puts_serial("FUZZ fatal: vector ");
	print_dec(vector);
	puts_serial(fz_in_landing ? " while restoring" : " outside the buffer");
	puts_serial(" seed=");
	print_hex(cur_seed);
	puts_serial(" iter=");
	print_dec(cur_iter);
	puts_serial("\nRESULT: FAIL\n");
	guest_exit(1);
}
