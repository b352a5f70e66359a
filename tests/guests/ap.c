/* Starting a test guest's application processors: see ap.h. */
#include "ap.h"

#define AP_STACK_SIZE 8192

/* What the starting AP picks up (one AP starts at a time). */
void (*volatile ap_fn)(void);
volatile uint32_t ap_stack_top;
volatile uint32_t ap_entered; /* APs that reached 32-bit code */
struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));
struct dtr ap_idtr;

/* APIC ID i's stack is ap_stacks[i - 1]. */
static uint8_t ap_stacks[AP_MAX - 1][AP_STACK_SIZE] __attribute__((aligned(16)));

/* The real-mode part runs from its copy at AP_TRAMPOLINE with CS =
 * AP_TRAMPOLINE >> 4, IP = 0 (SDM Vol. 3A 10.4.4.1): only offsets within
 * it are used, and the GDT pseudo-descriptor (a 32-bit base with the
 * operand-size prefix, SDM Vol. 2A LGDT) is filled in by ap_start.  The
 * far jump's 32-bit offset is the linked address of ap32. */
__asm__(
	".section .text.ap16, \"ax\"\n"
	".code16\n"
	".global ap16_start, ap16_gdtr, ap16_end\n"
	"ap16_start:\n"
	"	cli\n"
	"	lgdtl %cs:(ap16_gdtr - ap16_start)\n"
	"	movl %cr0, %eax\n"
	"	orl $1, %eax\n"                /* CR0.PE */
	"	movl %eax, %cr0\n"
	"	ljmpl $0x08, $ap32\n"
	"	.balign 4\n"
	"ap16_gdtr:\n"
	"	.word 0\n"
	"	.long 0\n"
	"ap16_end:\n"
	".code32\n"
	".text\n"
	"ap32:\n"
	"	movw $0x10, %ax\n"             /* start.S's data segment */
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	movw %ax, %ss\n"
	"	movw %ax, %fs\n"
	"	movw %ax, %gs\n"
	"	movl ap_stack_top, %esp\n"
	"	lidt ap_idtr\n"
	"	call ap_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n");

extern const uint8_t ap16_start[], ap16_gdtr[], ap16_end[];

void ap_main(void);
void ap_main(void)
{
	void (*fn)(void) = ap_fn;

	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);
	__atomic_add_fetch(&ap_entered, 1, __ATOMIC_SEQ_CST);
	fn();
}

static bool wait_entered(uint32_t n, uint64_t ticks)
{
	uint64_t t0 = rdtsc();

	while (__atomic_load_n(&ap_entered, __ATOMIC_SEQ_CST) < n)
		if (rdtsc() - t0 > ticks)
			return false;
	return true;
}

bool ap_start(uint32_t apic_id, void (*fn)(void), uint64_t ticks)
{
	volatile uint8_t *page = (volatile uint8_t *)AP_TRAMPOLINE;
	uint32_t n = (uint32_t)(ap16_end - ap16_start), want = ap_entered + 1;
	struct dtr gdtr;

	if (apic_id == 0 || apic_id >= AP_MAX)
		return false;
	for (uint32_t i = 0; i < n; i++)
		page[i] = ap16_start[i];
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(ap_idtr));
	for (uint32_t i = 0; i < sizeof(gdtr); i++)
		page[(ap16_gdtr - ap16_start) + i] = ((const uint8_t *)&gdtr)[i];
	ap_fn = fn;
	ap_stack_top = (uint32_t)&ap_stacks[apic_id - 1][AP_STACK_SIZE];
	/* INIT, then STARTUP; a second STARTUP only if the first was not
	 * taken (SDM Vol. 3A 10.4.4.1: a CPU already started ignores it,
	 * and hv's vCPUs take a SIPI only while waiting for one). */
	xapic_write(XAPIC_ICR_HI, apic_id << 24);
	xapic_write(XAPIC_ICR_LO, ICR_INIT_ASSERT);
	xapic_write(XAPIC_ICR_HI, apic_id << 24);
	xapic_write(XAPIC_ICR_LO, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
	if (wait_entered(want, ticks / 2))
		return true;
	xapic_write(XAPIC_ICR_HI, apic_id << 24);
	xapic_write(XAPIC_ICR_LO, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
	return wait_entered(want, ticks / 2);
}

uint32_t ap_self(void)
{
	uint32_t esp;

	__asm__ volatile("movl %%esp, %0" : "=r"(esp));
	for (uint32_t i = 1; i < AP_MAX; i++)
		if (esp >= (uint32_t)ap_stacks[i - 1] &&
		    esp < (uint32_t)&ap_stacks[i - 1][AP_STACK_SIZE])
			return i;
	return 0;
}

/* install_ap_code's routines (see ap.h), as machine code: the first at
 * 0x20000 (vector 0x20: CS = 0x2000), its NMI handler (IRET) at 0x20010
 * through IVT entry 2; the second at 0x21000. */
void install_ap_code(void)
{
	static const uint8_t halt[] = { 0xfa, 0xff, 0x06, 0x00, 0x70, 0xf4, 0xeb, 0xfd };
	static const uint8_t spin[] = { 0xfa, 0xff, 0x06, 0x02, 0x70, 0xeb, 0xfe };
	uint8_t *p = (uint8_t *)0x20000, *q = (uint8_t *)0x21000;

	for (unsigned i = 0; i < sizeof(halt); i++)
		p[i] = halt[i];
	p[0x10] = 0xcf; /* IRET */
	for (unsigned i = 0; i < sizeof(spin); i++)
		q[i] = spin[i];
	volatile uint32_t *ivt = 0;
	__asm__("" : "+r"(ivt)); /* address 0 is RAM here, not NULL */
	ivt[2] = 0x20000010u; /* IVT[2] = 2000:0010 */
	/* What the "bad" SIPI vectors 0x00 and 0xff start: halt, too (IVT
	 * entries 0 and 1 are not used here). */
	ivt[0] = 0xfdebf4fau; /* cli; hlt; jmp $-3 */
	*(volatile uint32_t *)0xff000 = 0xfdebf4fau;
	AP_STARTS[0] = AP_STARTS[1] = 0;
}

void ap_code_put(uint8_t vector, const uint8_t *start, const uint8_t *end)
{
	volatile uint8_t *dst = (volatile uint8_t *)((uint32_t)vector << 12);

	while (start < end)
		*dst++ = *start++;
}

void send_ipi(uint32_t dest, uint32_t lo)
{
	xapic_write(XAPIC_ICR_HI, dest << 24);
	xapic_write(XAPIC_ICR_LO, lo);
}
