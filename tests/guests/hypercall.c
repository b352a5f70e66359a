/* Every hypercall, with good and bad arguments. */
#include "guest.h"

enum { HC_VERSION = 0, HC_CONSOLE_WRITE = 1, HC_EXIT = 2 };

static const char msg[] = "written by the console hypercall\n";

static char long_msg[4096];

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	uint32_t ram_end = (mbi[2] + 1024) * 1024;

	(void)magic;
	check(vmcall(HC_VERSION, 0, 0, 0) == 0x00010000, "version is 1.0");
	check(vmcall(HC_CONSOLE_WRITE, (uint32_t)msg, sizeof(msg) - 1, 0) ==
	      (int32_t)sizeof(msg) - 1, "console write returns its length");
	check(vmcall(HC_CONSOLE_WRITE, (uint32_t)msg, 0, 0) == 0, "empty write returns 0");
	for (unsigned i = 0; i < sizeof(long_msg); i++)
		long_msg[i] = i % 64 == 63 ? '\n' : '-';
	/* The hypervisor waits for its UART: a call prints a bounded part. */
	check(vmcall(HC_CONSOLE_WRITE, (uint32_t)long_msg, sizeof(long_msg), 0) == 128,
	      "a 4096-byte write prints its first 128 bytes");
	check(vmcall(HC_CONSOLE_WRITE, (uint32_t)msg, 4097, 0) == -22,
	      "too long a write: -EINVAL");
	check(vmcall(HC_CONSOLE_WRITE, ram_end - 4, 8, 0) == -14,
	      "buffer past the end of RAM: -EFAULT");
	check(vmcall(HC_CONSOLE_WRITE, 0xfee00000, 4, 0) == -14,
	      "buffer outside RAM: -EFAULT");
	check(vmcall(99, 0, 0, 0) == -38, "unknown call: -ENOSYS");
	verdict();
	/* Ends the VM with a status of our choosing; never returns. */
	vmcall(HC_EXIT, 42, 0, 0);
	puts_serial("RESULT: FAIL (HC_EXIT returned)\n");
	return 1;
}
