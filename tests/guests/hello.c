/* The smallest guest: prints and exits with status 0 (host sees 1). */
#include "guest.h"

int guest_main(uint32_t magic, uint32_t info)
{
	(void)info;
	puts_serial("hello from a Multiboot guest\n");
	check(magic == 0x2badb002, "multiboot magic in EAX");
	return verdict();
}
