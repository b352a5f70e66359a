/* Fills its RAM above 2 MiB with a pattern, lets the other VMs run for a
 * while, then checks that not one word changed. */
#include "guest.h"

#define PATTERN 0x5a5ac0deu

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	volatile uint32_t *p = (volatile uint32_t *)0x200000;
	uint32_t words = ((mbi[2] + 1024) * 1024 - 0x200000) / 4;
	uint32_t bad = 0;

	(void)magic;
	for (uint32_t i = 0; i < words; i++)
		p[i] = PATTERN ^ i;
	puts_serial("pattern written; yielding\n");
	for (int i = 0; i < 200000; i++)
		__asm__ volatile("pause");
	for (uint32_t i = 0; i < words; i++)
		if (p[i] != (PATTERN ^ i))
			bad++;
	check(bad == 0, "every word of the pattern intact");
	return verdict();
}
