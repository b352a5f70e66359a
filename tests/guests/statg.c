/* A guest for the monitor's `stat` (vms.monitor): exactly STAT_CPUIDS
 * CPUIDs and STAT_OUTS port writes (to port 0x80, which no device claims),
 * then HLT with interrupts on and nothing that can wake it; it prints
 * nothing, so the exit counts the monitor shows are exactly these (and
 * the one HLT).  The judge compares them with these numbers. */
#include "guest.h"

#define STAT_CPUIDS 1000
#define STAT_OUTS 300

int guest_main(uint32_t magic, uint32_t info)
{
	uint32_t r[4];

	(void)magic, (void)info;
	for (int i = 0; i < STAT_CPUIDS; i++)
		cpuid(0, 0, r);
	for (int i = 0; i < STAT_OUTS; i++)
		outb(0x80, (uint8_t)i);
	for (;;)
		__asm__ volatile("sti; hlt");
	return 1;
}
