/* Conformance of the MSRs a vCPU has, and has not (issue 12), each check
 * naming its rule:
 *   Vol. 4 Table 2-2, IA32_MISC_ENABLE (0x1a0): the read-only bits read
 *     as this vCPU has them (fast strings on; performance monitoring
 *     available = 0 as CPUID leaf 0xa shows no PMU; BTS and PEBS
 *     unavailable = 1 as CPUID.01H:EDX.DS is 0; MONITOR FSM = CPUID.01H:
 *     ECX.MONITOR), writes to read-only bits are ignored, setting a
 *     reserved bit (Enhanced SpeedStep without CPUID.01H:ECX.EST, or an
 *     unlisted one) raises #GP, fast strings and limit-CPUID (22: CPUID.0
 *     EAX = 2) and XD disable (34: CPUID.80000001H:EDX.NX = 0) work;
 *   Vol. 3B 18.17.3: CPUID.(7,0):EBX.TSC_ADJUST; a write to IA32_TSC moves
 *     IA32_TSC_ADJUST by as much as it moved the TSC; a write to
 *     IA32_TSC_ADJUST moves the TSC by the difference;
 *   Vol. 4 2.1 and Vol. 2B RDMSR/WRMSR: an MSR the vCPU does not have
 *     (its CPUID enumerates no feature it belongs to, or no MSR at all)
 *     raises #GP(0) on RDMSR and WRMSR;
 *   Vol. 3A 11.12.2: the x2APIC range while in xAPIC mode likewise. */
#include "guest.h"

#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3b
#define MSR_MISC_ENABLE 0x1a0
#define MSR_EFER 0xc0000080
#define EFER_NXE (1ull << 11)
/* TSC ticks a few exits may take, generously. */
#define SLACK (1ull << 32)

#define ME_FAST_STRINGS (1ull << 0)
#define ME_PERFMON (1ull << 7)
#define ME_BTS_UNAVAIL (1ull << 11)
#define ME_PEBS_UNAVAIL (1ull << 12)
#define ME_EIST (1ull << 16)
#define ME_MONITOR (1ull << 18)
#define ME_LIMIT_CPUID (1ull << 22)
#define ME_XD_DISABLE (1ull << 34)

/* MSRs this vCPU does not have, and why (SDM Vol. 4 Table 2-2). */
static const struct {
	uint32_t msr;
	const char *why;
} absent[] = {
	{ 0x03a, "IA32_FEATURE_CONTROL (no VMX, SMX or SGX in CPUID)" },
	{ 0x480, "IA32_VMX_BASIC (no VMX)" },
	{ 0x48b, "IA32_VMX_PROCBASED_CTLS2 (no VMX)" },
	{ 0x09b, "IA32_SMM_MONITOR_CTL (no VMX, SMX)" },
	{ 0x09e, "IA32_SMBASE (no SMM)" },
	{ 0x006, "IA32_MONITOR_FILTER_SIZE (no MONITOR)" },
	{ 0x0c1, "IA32_PMC0 (no PMU: CPUID.0AH = 0)" },
	{ 0x186, "IA32_PERFEVTSEL0 (no PMU)" },
	{ 0x38f, "IA32_PERF_GLOBAL_CTRL (no PMU)" },
	{ 0x199, "IA32_PERF_CTL (no EST)" },
	{ 0x19c, "IA32_THERM_STATUS (no ACPI thermal)" },
	{ 0x600, "IA32_DS_AREA (no DS)" },
	{ 0x400, "IA32_MC0_CTL (MCG_CAP: no banks)" },
	{ 0x0cf, "IA32_CORE_CAPABILITIES (hidden in CPUID)" },
	{ 0x570, "IA32_RTIT_CTL (no processor trace)" },
	{ 0x40000000, "0x40000000 (no paravirtual MSRs)" },
	{ 0x4b564d00, "0x4b564d00 (no KVM MSRs)" },
	{ 0xc0010000, "0xc0010000 (AMD, not this CPU)" },
	{ 0x0badc0de, "0x0badc0de (nothing)" },
	{ 0xffffffff, "0xffffffff (nothing)" },
};

/* The x2APIC range in xAPIC mode: ID, TPR, EOI, ICR, SELF IPI, the
 * range's ends. */
static const uint32_t x2apic_msrs[] = { 0x800, 0x802, 0x808, 0x80b,
					 0x830, 0x83f, 0x8ff, 0xbff };

static uint32_t cpuid_reg(uint32_t leaf, uint32_t sub, unsigned reg)
{
	uint32_t r[4];

	cpuid(leaf, sub, r);
	return r[reg];
}

enum { EAX, EBX, ECX, EDX };

static void misc_enable(void)
{
	uint64_t v, w;
	bool monitor = cpuid_reg(1, 0, ECX) & (1u << 3);
	bool has_nx = cpuid_reg(0x80000001u, 0, EDX) & (1u << 20);
	uint32_t max = cpuid_reg(0, 0, EAX);

	check(rdmsr_safe(MSR_MISC_ENABLE, &v), "Table 2-2: MISC_ENABLE reads");
	puts_serial("MISC_ENABLE ");
	print_hex(v);
	putc_serial('\n');
	check(v & ME_FAST_STRINGS, "Table 2-2: MISC_ENABLE[0] fast strings on");
	check((cpuid_reg(0xa, 0, EAX) & 0xff) == 0 && !(v & ME_PERFMON),
	      "Table 2-2: MISC_ENABLE[7] perfmon available = 0, as CPUID.0AH");
	check(!(cpuid_reg(1, 0, EDX) & (1u << 21)) && (v & ME_BTS_UNAVAIL) &&
	      (v & ME_PEBS_UNAVAIL),
	      "Table 2-2: MISC_ENABLE[11,12] BTS, PEBS unavailable, as CPUID DS = 0");
	check(!!(v & ME_MONITOR) == monitor,
	      "Table 2-2: MISC_ENABLE[18] matches CPUID.01H:ECX.MONITOR");
	check(!(v & (ME_LIMIT_CPUID | ME_XD_DISABLE | ME_EIST)),
	      "Table 2-2: limit-CPUID, XD disable, EIST clear at reset");
	check(wrmsr_safe(MSR_MISC_ENABLE, v), "Table 2-2: writing it back");
	check(wrmsr_safe(MSR_MISC_ENABLE, v & ~(ME_BTS_UNAVAIL | ME_PEBS_UNAVAIL)) &&
	      rdmsr_safe(MSR_MISC_ENABLE, &w) && w == v,
	      "Table 2-2: writes to read-only bits 11, 12 ignored");
	check(wrmsr_safe(MSR_MISC_ENABLE, v | ME_PERFMON) &&
	      rdmsr_safe(MSR_MISC_ENABLE, &w) && w == v,
	      "Table 2-2: write to read-only bit 7 ignored");
	check(wrmsr_safe(MSR_MISC_ENABLE, v | ME_MONITOR) &&
	      rdmsr_safe(MSR_MISC_ENABLE, &w) &&
	      !!(w & ME_MONITOR) == !!(cpuid_reg(1, 0, ECX) & (1u << 3)),
	      "Table 2-2: MISC_ENABLE[18] and CPUID.01H:ECX.MONITOR agree after a write");
	check(!(cpuid_reg(1, 0, ECX) & (1u << 7)) &&
	      !wrmsr_safe(MSR_MISC_ENABLE, v | ME_EIST),
	      "Table 2-2: MISC_ENABLE[16] without CPUID.01H:ECX.EST: #GP");
	check(!wrmsr_safe(MSR_MISC_ENABLE, v | (1ull << 1)) &&
	      !wrmsr_safe(MSR_MISC_ENABLE, v | (1ull << 63)),
	      "Table 2-2: reserved bits 1, 63: #GP");
	check(wrmsr_safe(MSR_MISC_ENABLE, v & ~ME_FAST_STRINGS) &&
	      rdmsr_safe(MSR_MISC_ENABLE, &w) && !(w & ME_FAST_STRINGS) &&
	      wrmsr_safe(MSR_MISC_ENABLE, v),
	      "Table 2-2: fast strings (R/W) clears and sets");
	check(max > 2 && wrmsr_safe(MSR_MISC_ENABLE, v | ME_LIMIT_CPUID) &&
	      cpuid_reg(0, 0, EAX) == 2 && wrmsr_safe(MSR_MISC_ENABLE, v) &&
	      cpuid_reg(0, 0, EAX) == max,
	      "Table 2-2: MISC_ENABLE[22] limits CPUID.0:EAX to 2");
	if (has_nx) {
		check(wrmsr_safe(MSR_MISC_ENABLE, v | ME_XD_DISABLE) &&
		      rdmsr_safe(MSR_MISC_ENABLE, &w) && (w & ME_XD_DISABLE) &&
		      !(cpuid_reg(0x80000001u, 0, EDX) & (1u << 20)),
		      "Table 2-2: MISC_ENABLE[34] XD disable clears CPUID NX");
		check(!wrmsr_safe(MSR_EFER, EFER_NXE),
		      "Table 2-2: with XD disabled EFER.NXE is reserved: #GP");
		check(wrmsr_safe(MSR_MISC_ENABLE, v) &&
		      (cpuid_reg(0x80000001u, 0, EDX) & (1u << 20)) &&
		      wrmsr_safe(MSR_EFER, EFER_NXE) && wrmsr_safe(MSR_EFER, 0),
		      "Table 2-2: XD enabled again: NX back, EFER.NXE writable");
	} else {
		check(!wrmsr_safe(MSR_MISC_ENABLE, v | ME_XD_DISABLE),
		      "Table 2-2: MISC_ENABLE[34] without NX: #GP");
	}
}

static void tsc_adjust(void)
{
	uint64_t adj, adj2, t0, t1, w;
	const uint64_t d = 1ull << 40;

	check(cpuid_reg(7, 0, EBX) & (1u << 1),
	      "18.17.3: CPUID.(7,0):EBX.TSC_ADJUST");
	check(rdmsr_safe(MSR_TSC_ADJUST, &adj) && adj == 0,
	      "18.17.3: TSC_ADJUST 0 after reset");
	/* The TSC moved by w minus its value at the write, which is at
	 * least t0 and at most a few exits later. */
	t0 = rdtsc();
	w = t0 + d;
	check(wrmsr_safe(MSR_TSC, w), "18.17.3: TSC write");
	t1 = rdtsc();
	check(t1 >= w && rdmsr_safe(MSR_TSC_ADJUST, &adj) && adj <= w - t0 &&
	      adj > w - t0 - SLACK,
	      "18.17.3: a TSC write moves TSC_ADJUST by as much");
	puts_serial("TSC_ADJUST after the TSC write ");
	print_hex(adj);
	putc_serial('\n');
	t0 = rdtsc();
	check(wrmsr_safe(MSR_TSC_ADJUST, adj + d), "18.17.3: TSC_ADJUST write");
	t1 = rdtsc();
	check(t1 - t0 >= d && t1 - t0 < d + SLACK,
	      "18.17.3: a TSC_ADJUST write moves the TSC by the difference");
	check(rdmsr_safe(MSR_TSC_ADJUST, &adj2) && adj2 == adj + d,
	      "18.17.3: TSC_ADJUST reads what was written");
	check(wrmsr_safe(MSR_TSC_ADJUST, 0) && rdtsc() < t1,
	      "18.17.3: TSC_ADJUST back to 0 moves the TSC back");
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint64_t v;
	bool all = true;

	(void)magic, (void)info;
	misc_enable();
	tsc_adjust();
	for (unsigned i = 0; i < sizeof(absent) / sizeof(*absent); i++) {
		bool gp = !rdmsr_safe(absent[i].msr, &v) &&
			  !wrmsr_safe(absent[i].msr, 0);
		if (!gp) {
			puts_serial("present: ");
			puts_serial(absent[i].why);
			putc_serial('\n');
			all = false;
		}
	}
	check(all, "Vol. 4 2.1: MSRs this vCPU does not have: #GP on RDMSR "
		   "and WRMSR");
	all = true;
	for (unsigned i = 0; i < sizeof(x2apic_msrs) / sizeof(*x2apic_msrs); i++)
		if (rdmsr_safe(x2apic_msrs[i], &v) ||
		    wrmsr_safe(x2apic_msrs[i], 0))
			all = false;
	check(all, "Vol. 3A 11.12.2: x2APIC MSRs in xAPIC mode: #GP");
	return verdict();
}
