/* A guest for the monitor's snapshots (vms.snapshot): counts and prints
 * "count N sum S tsc T" every COUNT_TSC guest TSC ticks, where S is a
 * checksum of a RAM region that every count rewrites (each word from its
 * old value and N, so S depends on the region's whole history) and T the
 * guest TSC when the line is printed.  The count itself lives in RAM too.
 * A restore that puts the VM back exactly makes the lines after it repeat
 * those that followed the snapshot: the same N, S, and (the guest's TSC
 * continuing from the snapshot's) T within one count's jitter. */
#include "guest.h"

#define COUNT_TSC 4000000ull
#define REGION_WORDS (64 * 1024 / 4)

static volatile uint32_t region[REGION_WORDS];
static volatile uint32_t count;

static uint32_t stir(uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < REGION_WORDS; i++) {
		uint32_t w = region[i] * 1103515245u + n + i;

		region[i] = w;
		sum = (sum << 1 | sum >> 31) ^ w;
	}
	return sum;
}

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	puts_serial("snapcount: counting\n");
	for (count = 1;; count++) {
		uint64_t next = rdtsc() + COUNT_TSC;
		uint32_t sum = stir(count);

		while (rdtsc() < next)
			__asm__ volatile("pause");
		puts_serial("count ");
		print_dec(count);
		puts_serial(" sum ");
		print_dec(sum);
		puts_serial(" tsc ");
		print_dec(rdtsc());
		putc_serial('\n');
	}
	return 1;
}
