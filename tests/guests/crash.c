/* Triple fault: an empty IDT makes INT3 fault, then #GP, then #DF can't be
 * delivered either.  Only this VM may stop. */
#include "guest.h"

int guest_main(uint32_t magic, uint32_t info)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = { 0, 0 };

	(void)magic, (void)info;
	puts_serial("about to triple-fault\n");
	__asm__ volatile("lidt %0; int3" ::"m"(empty));
	puts_serial("RESULT: FAIL (still running)\n");
	return 1;
}
