/* RDPMC and IA32_EFER writes, as the hardware answers them:
 * - RDPMC: the PMU is hidden (CPUID leaf 0xa reports no counters), so
 *   every counter number is invalid: #GP(0) (SDM Vol. 2B RDPMC);
 * - EFER.LME cannot change while CR0.PG = 1: #GP(0) (SDM Vol. 3A 4.1.2);
 *   reserved bits: #GP; LMA is read-only: a written value is ignored. */
#include "guest.h"

#define MSR_EFER 0xc0000080u
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

static uint32_t pd[1024] __attribute__((aligned(4096)));

static bool rdpmc_faults(uint32_t counter)
{
	uint32_t lo, hi;

	expect_fault(13, 2); /* RDPMC is 0f 33 */
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(counter));
	return fault_seen(13);
}

/* Identity paging with 4 MiB pages over the whole 4 GiB. */
static void paging(bool on)
{
	for (uint32_t i = 0; on && i < 1024; i++)
		pd[i] = (i << 22) | 0x83; /* P, RW, PS */
	paging_4m(pd, on);
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint64_t efer = ~0ull, v = ~0ull;
	const char *cl = cmdline(info);

	(void)magic;
	/* cmdline "pmc" or "efer" runs one part (so that one part's failure,
	 * a stopped VM, cannot hide the other's); anything else both. */
	if (cl[0] != 'e') {
		check(rdpmc_faults(0), "RDPMC counter 0: #GP");
		check(rdpmc_faults(1u << 30), "RDPMC fixed counter 0: #GP");
		check(rdpmc_faults(0xffffffffu), "RDPMC counter 0xffffffff: #GP");
	}
	if (cl[0] == 'p')
		return verdict();

	check(rdmsr_safe(MSR_EFER, &efer) && !(efer & (EFER_LME | EFER_LMA)),
	      "EFER read: LME and LMA clear");
	check(!wrmsr_safe(MSR_EFER, efer | (1ull << 1)), "EFER reserved bit 1: #GP");
	paging(true);
	puts_serial("paging on\n");
	check(!wrmsr_safe(MSR_EFER, efer | EFER_LME),
	      "EFER.LME set while CR0.PG = 1: #GP");
	check(rdmsr_safe(MSR_EFER, &v) && v == efer,
	      "EFER unchanged after the refused write");
	check(wrmsr_safe(MSR_EFER, efer), "EFER rewritten unchanged with paging: accepted");
	check(wrmsr_safe(MSR_EFER, efer | EFER_LMA) &&
	      rdmsr_safe(MSR_EFER, &v) && !(v & EFER_LMA),
	      "EFER.LMA written as 1: ignored");
	paging(false);
	puts_serial("paging off\n");
	check(wrmsr_safe(MSR_EFER, efer | EFER_LME) &&
	      rdmsr_safe(MSR_EFER, &v) && (v & EFER_LME),
	      "EFER.LME set with paging off: accepted");
	check(wrmsr_safe(MSR_EFER, efer) && rdmsr_safe(MSR_EFER, &v) &&
	      !(v & EFER_LME), "EFER.LME cleared with paging off: accepted");
	return verdict();
}
