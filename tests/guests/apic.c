/* The virtual local APIC and I/O APIC: identification, self-IPIs through
 * the ICR with TPR blocking and EOI, the timer in one-shot, periodic and
 * TSC-deadline modes, the PIT through I/O APIC pin 2, and x2APIC mode
 * through the MSRs. */
#include "guest.h"

#define APIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
enum {
	ID = 0x20, VER = 0x30, TPR = 0x80, PPR = 0xa0, EOI = 0xb0, SVR = 0xf0,
	ISR = 0x100, IRR = 0x200, ICR_LO = 0x300, ICR_HI = 0x310,
	LVT_TIMER = 0x320, LVT_LINT0 = 0x350, TMICT = 0x380, TMCCT = 0x390,
	TDCR = 0x3e0,
};
#define MASKED (1u << 16)
#define SELF (1u << 18)
#define PERIODIC (1u << 17)
#define TSC_DEADLINE (2u << 17)

static uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(APIC + off); }
static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(APIC + off) = v; }

static uint32_t io_rd(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

static void io_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static volatile uint32_t count[256];
static volatile uint32_t last;
static bool x2apic;

static void on_irq(uint32_t vector)
{
	count[vector]++;
	last = vector;
	if (x2apic)
		wrmsr_safe(0x80b, 0);
	else
		wr(EOI, 0);
}

/* Interrupts on until `vector` has come n times or a budget of TSC ticks
 * is spent; HLT between them, so the vCPU really sleeps. */
static bool wait_for(uint32_t vector, uint32_t n, uint64_t budget)
{
	uint64_t end = rdtsc() + budget;

	while (count[vector] < n && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
	return count[vector] >= n;
}

static void spin(uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;
	while (rdtsc() < end)
		__asm__ volatile("sti; nop; cli");
}

static bool bit(uint32_t base, unsigned v)
{
	return rd(base + (v / 32) * 0x10) & (1u << (v % 32));
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint32_t r[4];
	uint64_t v, t0;

	(void)magic, (void)info;
	irq_handler = on_irq;
	cpuid(1, 0, r);
	check(r[3] & (1u << 9), "CPUID: APIC");
	check(r[2] & (1u << 21), "CPUID: x2APIC");
	check(r[2] & (1u << 24), "CPUID: TSC deadline");
	check(rdmsr_safe(MSR_APIC_BASE, &v) && v == 0xfee00900,
	      "APIC base: xAPIC mode, boot CPU, enabled");
	check(rd(ID) == 0, "APIC ID 0");
	check((rd(VER) & 0xff) == 0x14 && ((rd(VER) >> 16) & 0xff) == 5,
	      "version 0x14 with six LVT entries");
	check((rd(LVT_LINT0) & 0x1ff00) == 0x700, "LINT0: virtual wire (ExtINT)");
	wr(LVT_LINT0, MASKED);
	wr(SVR, 0x1ff);
	wr(TPR, 0);

	/* Self-IPIs, TPR and EOI */
	wr(ICR_LO, SELF | 0x40);
	check(wait_for(0x40, 1, 1000000), "self-IPI 0x40 delivered");
	check(!bit(ISR, 0x40) && !bit(IRR, 0x40), "EOI cleared ISR");
	wr(TPR, 0x50);
	wr(ICR_LO, SELF | 0x45);
	spin(200000);
	check(count[0x45] == 0 && bit(IRR, 0x45), "TPR 0x50 holds vector 0x45 in IRR");
	check(rd(PPR) == 0x50, "PPR follows TPR");
	wr(TPR, 0);
	check(wait_for(0x45, 1, 1000000), "TPR 0 lets it through");

	/* One-shot timer, divide by 1 */
	wr(TDCR, 0xb);
	wr(LVT_TIMER, 0x41);
	wr(TMICT, 200000);
	t0 = rd(TMCCT);
	check(t0 > 0 && t0 <= 200000, "one-shot: the count runs down");
	check(wait_for(0x41, 1, 10000000), "one-shot: fired");
	spin(1000000);
	check(count[0x41] == 1 && rd(TMCCT) == 0, "one-shot: once, then 0");

	/* Periodic timer, divide by 2 */
	wr(TDCR, 0x0);
	wr(LVT_TIMER, PERIODIC | 0x42);
	wr(TMICT, 50000);
	check(wait_for(0x42, 5, 20000000), "periodic: 5 interrupts");
	wr(LVT_TIMER, MASKED | PERIODIC | 0x42);
	wr(TMICT, 0);

	/* TSC deadline */
	wr(LVT_TIMER, TSC_DEADLINE | 0x43);
	t0 = rdtsc() + 300000;
	check(wrmsr_safe(MSR_TSC_DEADLINE, t0), "TSC deadline armed");
	check(wait_for(0x43, 1, 10000000) && rdtsc() >= t0,
	      "TSC deadline: fired, not early");
	check(rdmsr_safe(MSR_TSC_DEADLINE, &v) && v == 0,
	      "TSC deadline: reads 0 after firing");
	wr(LVT_TIMER, MASKED);

	/* I/O APIC: the PIT (ISA IRQ 0) on pin 2 */
	check(io_rd(1) == 0x00170011, "I/O APIC: version 0x11, 24 pins");
	check(io_rd(0x10 + 2 * 2) & (1u << 16), "I/O APIC: pins start masked");
	outb(0x21, 0xff); /* PIC masked */
	io_wr(0x10 + 2 * 2 + 1, 0);        /* destination APIC 0 */
	io_wr(0x10 + 2 * 2, 0x44);         /* edge, fixed, unmasked */
	outb(0x43, 0x34);                  /* channel 0, mode 2 */
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);             /* 1 kHz */
	check(wait_for(0x44, 3, 100000000), "I/O APIC: PIT interrupts on pin 2");
	io_wr(0x10 + 2 * 2, (1u << 16) | 0x44);

	/* x2APIC */
	check(wrmsr_safe(MSR_APIC_BASE, 0xfee00000u | (1u << 11) | (1u << 10) | (1u << 8)),
	      "x2APIC mode on");
	x2apic = true;
	check(rdmsr_safe(0x802, &v) && v == 0, "x2APIC ID 0 (MSR 0x802)");
	check(rdmsr_safe(0x80d, &v) && v == 1, "x2APIC LDR derived from ID");
	check(!rdmsr_safe(0x80b, &v), "reading EOI: #GP");
	check(wrmsr_safe(0x83f, 0x46) && wait_for(0x46, 1, 1000000),
	      "x2APIC self-IPI delivered");
	check(wrmsr_safe(0x830, SELF | 0x47) && wait_for(0x47, 1, 1000000),
	      "x2APIC ICR self-IPI delivered");
	check(!wrmsr_safe(MSR_APIC_BASE, 0xfee00000u | (1u << 11) | (1u << 8)),
	      "x2APIC -> xAPIC directly: #GP");
	return verdict();
}
