/* Port passthrough (hv.cfg passthrough_io): with command line "own" this
 * VM was given host port 0xe9 (the emulator's debug console, which reads
 * back 0xe9), so its accesses reach that device; with "other" it was not,
 * and the port is as absent as any unclaimed one (reads all ones, writes
 * go nowhere).  The harness checks the emulator's output for which
 * writes arrived. */
#include "guest.h"

#define HOST_PORT 0xe9

static void host_puts(const char *s)
{
	while (*s)
		outb(HOST_PORT, (uint8_t)*s++);
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = cmdline(info);
	bool own = cmd[0] == 'o' && cmd[1] == 'w' && cmd[2] == 'n';

	(void)magic;
	if (own) {
		check(inb(HOST_PORT) == 0xe9, "port 0xe9 reaches the host's device");
		host_puts("E9-PASSTHROUGH-OK\n");
	} else {
		check(inb(HOST_PORT) == 0xff, "port 0xe9 is not this VM's: reads all ones");
		host_puts("E9-LEAKED\n");
	}
	return verdict();
}
