/* Tries to see outside its own memory.  First: its RAM holds nothing but
 * zeros outside its own image (no data of the hypervisor or of other VMs,
 * such as the pattern guest's).  Then it touches the guest-physical
 * address on its command line ("r ADDR" reads, "w ADDR" writes): the
 * hypervisor must stop it there. */
#include "guest.h"

#define PATTERN 0x5a5ac0deu

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	const char *cmd = cmdline(info);
	uint32_t ram_end = (mbi[2] + 1024) * 1024, nonzero = 0, foreign = 0;
	volatile uint32_t *target;

	(void)magic;
	for (uint32_t a = 0x200000; a < ram_end; a += 4) {
		uint32_t w = *(volatile uint32_t *)a;
		nonzero += w != 0;
		foreign += (w & 0xffff0000u) == (PATTERN & 0xffff0000u);
	}
	check(nonzero == 0, "RAM above 2 MiB is all zeros");
	check(foreign == 0, "no other VM's pattern visible");
	target = (volatile uint32_t *)parse_hex(cmd + 2);
	puts_serial("probing ");
	print_hex((uint32_t)target);
	puts_serial(cmd[0] == 'w' ? " (write)\n" : " (read)\n");
	if (cmd[0] == 'w')
		*target = 0xbad;
	else
		(void)*target;
	puts_serial("ESCAPED: the probe returned\n");
	return 1;
}
