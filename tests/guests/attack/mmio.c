/* The hostile guest: MMIO attacks: odd accesses, self-modifying code, stale TLBs, RAM's end. */
#include "attack.h"

/* ==== MMIO ==== */

static uint32_t mmio_rd(uint32_t a, unsigned size)
{
	uint32_t v = 0;
	if (size == 1)
		__asm__ volatile("movb (%1), %b0" : "+q"(v) : "r"(a) : "memory");
	else if (size == 2)
		__asm__ volatile("movw (%1), %w0" : "+r"(v) : "r"(a) : "memory");
	else
		__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void mmio_wr(uint32_t a, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("movb %b0, (%1)" ::"q"(v), "r"(a) : "memory");
	else if (size == 2)
		__asm__ volatile("movw %w0, (%1)" ::"r"(v), "r"(a) : "memory");
	else
		__asm__ volatile("movl %0, (%1)" ::"r"(v), "r"(a) : "memory");
}

/* Odd sizes, unaligned registers, and accesses across the end of the
 * APIC, I/O APIC and test-device pages (the second part on a page with
 * nothing behind it).  The APIC must still answer sanely after. */
void a_mmio_straddle(void)
{
	static const uint32_t pages[] = { APIC, IOAPIC, TESTDEV };
	uint32_t tpr_before = *apic_reg(APIC_TPR);

	start();
	for (unsigned p = 0; p < 3; p++) {
		uint32_t b = pages[p];
		(void)mmio_rd(b + 0x21, 4);
		(void)mmio_rd(b + 0x22, 2);
		(void)mmio_rd(b + 0x23, 1);
		mmio_wr(b + 0x81, 4, 0xffffffffu);
		mmio_wr(b + 0x83, 1, 0xff);
		mmio_wr(b + 0x06, 2, 0xbeef);
		(void)mmio_rd(b + 0xffc, 4);
		(void)mmio_rd(b + 0xffd, 4);
		(void)mmio_rd(b + 0xffe, 4);
		(void)mmio_rd(b + 0xfff, 2);
		(void)mmio_rd(b + 0xfff, 1);
		mmio_wr(b + 0xffe, 4, 0xffffffffu);
		mmio_wr(b + 0xfff, 2, 0xffff);
	}
	uint32_t id = *apic_reg(APIC_ID), ver = *apic_reg(0x30);
	note("APIC ID after", id);
	note("TESTDEV scratch after", mmio_rd(TESTDEV + 4, 4));
	if (id != 0 || (ver & 0xff) != 0x14 || *apic_reg(APIC_TPR) != tpr_before)
		escaped("an odd-sized or straddling access changed APIC registers");
	else
		contained("odd, unaligned and page-crossing accesses handled or dropped");
}

/* Self-modifying code under MMIO emulation: the same code buffer turns
 * from a read of the TPR into a write of it and back, 200 times; the
 * decoder must always see the bytes the CPU ran (no decode cache). */
void a_mmio_smc(void)
{
	static uint8_t code[] = { 0xa1, 0x80, 0x00, 0xe0, 0xfe }; /* mov eax, [TPR] */
	unsigned wrong = 0;

	start();
	for (uint32_t i = 0; i < 200; i++) {
		uint32_t v = (i * 0x10) & 0xf0;
		code[0] = 0xa3; /* mov [TPR], eax */
		run_code(code, sizeof(code), v);
		code[0] = 0xa1;
		wrong += run_code(code, sizeof(code), 0x5555) != v;
		/* A different register and length: mov [TPR], ebx (89 1d). */
		uint8_t st[6] = { 0x89, 0x1d, 0x80, 0x00, 0xe0, 0xfe };
		scratch[0] = 0;
		run_code(st, sizeof(st), 0);
		wrong += (*apic_reg(APIC_TPR) & 0xff) != ((uint32_t)scratch & 0xff);
	}
	*apic_reg(APIC_TPR) = 0;
	note_dec("wrong results", wrong);
	if (wrong)
		wrong_verdict("the emulated access differs from the instruction that ran");
	else
		contained("every rewritten instruction emulated as it was written");
}

/* The page tables change under the CPU: the MMIO instruction runs from a
 * stale TLB entry (page A: a read of the TPR) while the guest's page
 * tables, which the hypervisor's decoder walks, already point at page B
 * (a write of it).  Whatever the decoder then does is this VM's own
 * business; it must not fault in root or touch anything else. */
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

static void stale_tlb(bool vanish)
{
	static const uint8_t rd[] = { 0xa1, 0x80, 0x00, 0xe0, 0xfe, 0xc3 };
	static const uint8_t wr[] = { 0xa3, 0x80, 0x00, 0xe0, 0xfe, 0xc3 };
	uint32_t la = (uint32_t)page_a, out;

	start();
	for (unsigned i = 0; i < sizeof(rd); i++) {
		page_a[i] = rd[i];
		page_b[i] = wr[i];
	}
	*apic_reg(APIC_TPR) = 0;
	paging32_on();
	out = 0x55;
	__asm__ volatile("call *%%ecx" : "+a"(out) : "c"(la) : "edx", "memory");
	pt32[la >> 12] = (uint32_t)page_b | 3; /* no INVLPG */
	out = 0x20;
	__asm__ volatile("call *%%ecx" : "+a"(out) : "c"(la) : "edx", "memory");
	if (!vanish) {
		pt32[la >> 12] = la | 3;
		__asm__ volatile("invlpg (%0)" ::"r"(la) : "memory");
		paging_off();
		note("eax after the stale read", out);
		note("TPR after", *apic_reg(APIC_TPR));
		*apic_reg(APIC_TPR) = 0;
		contained("the VM runs on; what its decoder did stays inside the VM");
		return;
	}
	/* The page leaves the tables altogether: the CPU still runs it from
	 * the TLB; the decoder finds no instruction.  A #PF for the guest
	 * (skipped here) or a stop of this VM are both contained. */
	pt32[la >> 12] = 0;
	out = 0x30;
	expect_fault(14, 5);
	__asm__ volatile("call *%%ecx" : "+a"(out) : "c"(la) : "edx", "memory");
	bool pf = fault_seen(14);
	pt32[la >> 12] = la | 3;
	__asm__ volatile("invlpg (%0)" ::"r"(la) : "memory");
	paging_off();
	contained(pf ? "#PF for the guest" : "emulated from the bytes the CPU ran");
}

void a_mmio_stale_tlb(void) { stale_tlb(false); }
void a_mmio_vanished_page(void) { stale_tlb(true); }

/* REP MOVS into MMIO: not decoded (the VM stops) or emulated. */
void a_mmio_rep_movs(void)
{
	static uint32_t src[4] = { 1, 2, 3, 4 };

	start();
	__asm__ volatile("cld; rep movsl"
			 ::"S"(src), "D"(TESTDEV + 4), "c"(2) : "memory");
	note("TESTDEV scratch", mmio_rd(TESTDEV + 4, 4));
	contained("REP MOVS to MMIO emulated");
}

/* An MMIO instruction in the last five bytes of RAM: the decoder's
 * 15-byte fetch runs past the end of RAM; the next fetch stops the VM. */
void a_mmio_ram_end(void)
{
	static const uint8_t insn[] = { 0xa1, 0x30, 0x00, 0xe0, 0xfe }; /* mov eax, [APIC version] */
	uint8_t *p = (uint8_t *)(ram_end - sizeof(insn));

	start();
	for (unsigned i = 0; i < sizeof(insn); i++)
		p[i] = insn[i];
	((void (*)(void))p)();
	escaped("execution went on past the end of RAM");
}
