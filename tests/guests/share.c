/* How much of a host CPU this VM gets (issue 11: dedicated and shared
 * vCPUs).  For a window of SHARE_WINDOW TSC ticks (wall time: the guest's
 * TSC runs while other vCPUs have the CPU) it spins reading the TSC; a
 * step of less than SHARE_GAP ticks between two reads is time it had the
 * CPU, a longer one time it did not.  It prints its share of the window in
 * permille and its longest time off the CPU:
 *   SHARE permille P
 *   SHARE longest_off T
 * Command line "cli": the window runs with interrupts off (a dedicated
 * vCPU that never leaves the guest must not slow the others).
 * Two dedicated VMs that each get nearly 1000 permille over windows that
 * overlap ran at the same time, on two CPUs; time-sliced on one they
 * would get about 500 each. */
#include "guest.h"

#define SHARE_WINDOW 60000000ull
#define SHARE_GAP 20000ull
/* Spun before and after the window, so that VMs started a little apart
 * all compete through each other's windows. */
#define SHARE_MARGIN 10000000ull

static void spin_for(uint64_t ticks)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < ticks)
		;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *args = cmdline(info);
	bool cli = false;
	uint64_t t0, last, now, on = 0, longest = 0;

	(void)magic;
	for (const char *p = args; *p; p++)
		if (p[0] == 'c' && p[1] == 'l' && p[2] == 'i')
			cli = true;
	if (cli)
		__asm__ volatile("cli");
	spin_for(SHARE_MARGIN);
	t0 = last = rdtsc();
	do {
		now = rdtsc();
		if (now - last < SHARE_GAP)
			on += now - last;
		else if (now - last > longest)
			longest = now - last;
		last = now;
	} while (now - t0 < SHARE_WINDOW);
	spin_for(SHARE_MARGIN);
	puts_serial("SHARE permille ");
	/* 32-bit division: the window fits in 32 bits (no libgcc here). */
	print_dec((uint32_t)on / ((uint32_t)(now - t0) / 1000));
	puts_serial("\nSHARE longest_off ");
	print_dec(longest);
	puts_serial("\n");
	return 0;
}
