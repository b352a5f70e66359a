/* Conformance of the local APIC's MSR interface and global enable (issue
 * 12), each check naming its rule in the SDM (Vol. 3A):
 *   11.12.2   x2APIC MSRs raise #GP unless the APIC is in x2APIC mode;
 *   11.12.1.2 Table 11-6: only the listed MSRs exist in 0x800-0xbff, each
 *             readable and/or writable as listed (reading EOI or SELF
 *             IPI, writing ID, version, PPR, LDR, ISR/TMR/IRR or the
 *             current count: #GP);
 *   11.12.1.3 reserved bits: a WRMSR that sets one raises #GP (TPR 31:8,
 *             EOI and ESR non-zero, SVR, LVT, divide, SELF IPI 31:8, ICR
 *             per 11.12.9 / Figure 11-28, bits 63:32 of all but the ICR);
 *   11.4.3    CPUID.01H:EDX.APIC is clear while IA32_APIC_BASE.EN is;
 *   11.12.5   the mode transitions of Figure 11-27 (disabled -> x2APIC,
 *             x2APIC -> xAPIC and EXTD without EN: #GP);
 *   11.4.7.1  after disabling and enabling again, the power-up state:
 *             SVR 0xff (software-disabled), LVT entries masked, TPR 0;
 *   11.4.7.2  a software-disabled APIC accepts no fixed interrupt. */
#include "guest.h"

#define APIC 0xfee00000u
#define MSR_APIC_BASE 0x1b
#define BASE_BSP (1u << 8)
#define BASE_EXTD (1u << 10)
#define BASE_EN (1u << 11)
#define XAPIC_MODE (APIC | BASE_BSP | BASE_EN)
#define X2APIC_MODE (XAPIC_MODE | BASE_EXTD)
#define DISABLED (APIC | BASE_BSP)

enum {
	X2_ID = 0x802, X2_VERSION = 0x803, X2_TPR = 0x808, X2_PPR = 0x80a,
	X2_EOI = 0x80b, X2_LDR = 0x80d, X2_SVR = 0x80f, X2_ISR0 = 0x810,
	X2_TMR0 = 0x818, X2_IRR0 = 0x820, X2_IRR2 = 0x822, X2_ESR = 0x828,
	X2_ICR = 0x830, X2_LVT_TIMER = 0x832, X2_LVT_LINT0 = 0x835,
	X2_CCR = 0x839, X2_DCR = 0x83e, X2_SELF_IPI = 0x83f,
};
enum { SVR = 0xf0, TPR = 0x80, VER = 0x30, ID = 0x20, LVT_TIMER = 0x320,
       LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, ICR_LO = 0x300, IRR = 0x200,
       EOI = 0xb0 };

static uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(APIC + off); }
static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(APIC + off) = v; }

static volatile uint32_t count[256];
static bool x2;

static void on_irq(uint32_t vector)
{
	count[vector]++;
	if (x2)
		wrmsr_safe(X2_EOI, 0);
	else
		wr(EOI, 0);
}

static bool wait_for(uint32_t vector, uint32_t n)
{
	uint64_t end = rdtsc() + 2000000;

	while (count[vector] < n && rdtsc() < end)
		__asm__ volatile("sti; nop; cli");
	return count[vector] >= n;
}

static bool cpuid_apic(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[3] & (1u << 9);
}

static bool rd_gp(uint32_t msr)
{
	uint64_t v;
	return !rdmsr_safe(msr, &v);
}

static bool wr_gp(uint32_t msr, uint64_t v)
{
	return !wrmsr_safe(msr, v);
}

/* Addresses in 0x800-0xbff that Table 11-6 does not list: APR (809),
 * RRD (80c) and DFR (80e) have no MSR, nor the ICR's high half (831);
 * CMCI (82f) exists only with MCG_CAP[10]. */
static const uint32_t reserved[] = {
	0x800, 0x801, 0x804, 0x805, 0x806, 0x807, 0x809, 0x80c, 0x80e,
	0x829, 0x82e, 0x82f, 0x831, 0x83a, 0x83b, 0x83c, 0x83d, 0x840,
	0x8ff, 0x900, 0xbff,
};

int guest_main(uint32_t magic, uint32_t info)
{
	uint64_t v;
	bool all;

	(void)magic, (void)info;
	irq_handler = on_irq;
	outb(0x21, 0xff); /* the PIC stays out of it */
	wr(LVT_LINT0, 1u << 16);

	check(cpuid_apic(), "11.4.3: CPUID.01H:EDX.APIC set while enabled");
	check(rd_gp(X2_ID) && wr_gp(X2_TPR, 0) && wr_gp(X2_ICR, 0x40) &&
	      wr_gp(X2_SELF_IPI, 0x40) && rd_gp(0x8ff),
	      "11.12.2: x2APIC MSRs in xAPIC mode: #GP");
	check(wrmsr_safe(MSR_APIC_BASE, X2APIC_MODE),
	      "11.12.5: xAPIC -> x2APIC allowed");
	x2 = true;

	all = true;
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (!rd_gp(reserved[i]) || !wr_gp(reserved[i], 0)) {
			puts_serial("not reserved: ");
			print_hex(reserved[i]);
			putc_serial('\n');
			all = false;
		}
	check(all, "11.12.1.2: MSRs Table 11-6 does not list: #GP both ways");
	check(rd_gp(X2_EOI) && rd_gp(X2_SELF_IPI),
	      "Table 11-6: reading EOI or SELF IPI (write-only): #GP");
	check(wr_gp(X2_ID, 0) && wr_gp(X2_VERSION, 0x50014) &&
	      wr_gp(X2_PPR, 0) && wr_gp(X2_LDR, 1) && wr_gp(X2_ISR0, 0) &&
	      wr_gp(X2_TMR0, 0) && wr_gp(X2_IRR0, 0) && wr_gp(X2_CCR, 0),
	      "Table 11-6: writing ID, version, PPR, LDR, ISR, TMR, IRR, "
	      "current count (read-only): #GP");
	check(rdmsr_safe(X2_ID, &v) && v == 0 && rdmsr_safe(X2_LDR, &v) &&
	      v == 1 && rdmsr_safe(X2_VERSION, &v) && (v & 0xff) == 0x14,
	      "Table 11-6: ID, LDR (11.12.10.2), version read");

	check(wr_gp(X2_TPR, 0x100) && wr_gp(X2_TPR, 1ull << 32),
	      "11.12.1.3: TPR bits 31:8 and 63:32 reserved: #GP");
	check(wrmsr_safe(X2_TPR, 0x20) && rdmsr_safe(X2_TPR, &v) && v == 0x20 &&
	      rdmsr_safe(X2_PPR, &v) && v == 0x20,
	      "Table 11-6: TPR writes, PPR follows");
	wrmsr_safe(X2_TPR, 0);
	check(wr_gp(X2_EOI, 1) && wrmsr_safe(X2_EOI, 0),
	      "Table 11-6: EOI non-zero: #GP, zero accepted");
	check(wr_gp(X2_ESR, 1) && wrmsr_safe(X2_ESR, 0),
	      "Table 11-6: ESR non-zero: #GP, zero accepted");
	check(wr_gp(X2_SVR, 0x11ff) && wr_gp(X2_SVR, 0x21ff) &&
	      wrmsr_safe(X2_SVR, 0x1ff),
	      "11.12.1.3: SVR reserved bits (12 without EOI-broadcast "
	      "suppression, 13): #GP");
	check(wr_gp(X2_LVT_TIMER, 0x400 | 0x40) && wr_gp(X2_LVT_TIMER, 1u << 19) &&
	      wrmsr_safe(X2_LVT_TIMER, (1u << 16) | 0x40),
	      "11.12.1.3: LVT timer reserved bits (Figure 11-8): #GP");
	check(wr_gp(X2_LVT_LINT0, 1u << 17) &&
	      wrmsr_safe(X2_LVT_LINT0, (1u << 16) | (7u << 8)),
	      "11.12.1.3: LVT LINT0 reserved bit 17: #GP");
	check(wr_gp(X2_DCR, 0x4) && wr_gp(X2_DCR, 0x10) && wrmsr_safe(X2_DCR, 0xb),
	      "11.12.1.3: divide configuration reserved bits: #GP");
	check(wr_gp(X2_SELF_IPI, 0x140) && wr_gp(X2_SELF_IPI, 1ull << 32),
	      "11.12.11: SELF IPI bits 31:8 reserved: #GP");
	check(count[0x40] == 0, "no interrupt from a refused write");
	check(wr_gp(X2_ICR, (1u << 12) | (1u << 18) | 0x41) &&
	      wr_gp(X2_ICR, (1u << 13) | (1u << 18) | 0x41) &&
	      wr_gp(X2_ICR, (1u << 16) | (1u << 18) | 0x41) &&
	      wr_gp(X2_ICR, (1u << 20) | (1u << 18) | 0x41) &&
	      wr_gp(X2_ICR, (1u << 31) | (1u << 18) | 0x41),
	      "11.12.9: ICR reserved bits 12, 13, 16, 20, 31: #GP");
	check(!wait_for(0x41, 1), "no IPI from a refused ICR write");
	check(wrmsr_safe(X2_SELF_IPI, 0x42) && wait_for(0x42, 1),
	      "11.12.11: SELF IPI delivers");
	check(wrmsr_safe(X2_ICR, (1u << 18) | (1u << 14) | 0x43) &&
	      wait_for(0x43, 1), "11.12.9: ICR self IPI delivers");

	/* Figure 11-27 */
	check(!wrmsr_safe(MSR_APIC_BASE, XAPIC_MODE),
	      "11.12.5: x2APIC -> xAPIC: #GP");
	check(!wrmsr_safe(MSR_APIC_BASE, DISABLED | BASE_EXTD),
	      "11.12.5: EXTD without EN (invalid): #GP");
	check(wrmsr_safe(MSR_APIC_BASE, DISABLED),
	      "11.12.5: x2APIC -> disabled allowed");
	x2 = false;
	check(rdmsr_safe(MSR_APIC_BASE, &v) && v == DISABLED,
	      "11.4.4: IA32_APIC_BASE reads disabled");
	check(!cpuid_apic(), "11.4.3: CPUID.01H:EDX.APIC clear while disabled");
	check(rd_gp(X2_ID), "11.12.2: x2APIC MSRs while disabled: #GP");
	check(!wrmsr_safe(MSR_APIC_BASE, X2APIC_MODE),
	      "11.12.5: disabled -> x2APIC: #GP");
	check(!wrmsr_safe(MSR_APIC_BASE, DISABLED | BASE_EN | 1),
	      "11.4.4: IA32_APIC_BASE reserved bit 0: #GP");
	check(wrmsr_safe(MSR_APIC_BASE, XAPIC_MODE),
	      "11.12.5: disabled -> xAPIC allowed");
	check(cpuid_apic(), "11.4.3: CPUID.01H:EDX.APIC set again");
	check(rd(SVR) == 0xff, "11.4.7.1: SVR 0xff after re-enabling");
	check(rd(TPR) == 0, "11.4.7.1: TPR 0 after re-enabling");
	check(rd(LVT_TIMER) == 1u << 16 && rd(LVT_LINT0) == 1u << 16 &&
	      rd(LVT_LINT1) == 1u << 16,
	      "11.4.7.1: LVT entries masked after re-enabling");
	check(rd(ID) == 0 && (rd(VER) & 0xff) == 0x14,
	      "11.4.7.1: ID and version kept");
	wr(ICR_LO, (1u << 18) | (1u << 14) | 0x44);
	check(!wait_for(0x44, 1) && !(rd(IRR + 0x20) & (1u << 4)),
	      "11.4.7.2: software-disabled APIC accepts no fixed IPI");
	wr(SVR, 0x1ff);
	wr(ICR_LO, (1u << 18) | (1u << 14) | 0x45);
	check(wait_for(0x45, 1), "11.4.7.2: software-enabled again: IPI delivered");
	return verdict();
}
