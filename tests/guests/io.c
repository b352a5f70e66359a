/* Ports: unclaimed ones read all ones; the UART and fw_cfg answer. */
#include "guest.h"

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	char sig[5];
	uint64_t ram = 0;
	uint16_t cpus;

	(void)magic;
	check(inb(0x80) == 0xff, "port 0x80 (unclaimed) reads 0xff");
	check(inw(0x200) == 0xffff, "port 0x200 (unclaimed) reads 0xffff");
	check(inl(0xcfc) == 0xffffffffu, "port 0xcfc (unclaimed) reads 0xffffffff");
	outb(0x80, 0x12); /* dropped, counted */
	outb(0x3ff, 0xa5);
	check(inb(0x3ff) == 0xa5, "UART scratch register holds a value");
	check((inb(0x3fd) & 0x60) == 0x60, "UART transmitter empty");
	outw(0x510, 0x0000);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(0x511);
	sig[4] = 0;
	check(__builtin_memcmp(sig, "QEMU", 4) == 0, "fw_cfg signature QEMU");
	outw(0x510, 0x0005);
	cpus = (uint16_t)(inb(0x511) | (inb(0x511) << 8));
	check(cpus == 1, "fw_cfg CPU count 1");
	outw(0x510, 0x0003);
	for (int i = 0; i < 8; i++)
		ram |= (uint64_t)inb(0x511) << (8 * i);
	check(ram == ((uint64_t)mbi[2] + 1024) * 1024, "fw_cfg RAM size matches Multiboot mem_upper");
	return verdict();
}
