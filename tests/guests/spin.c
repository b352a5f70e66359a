/* Spins forever with interrupts off: only the preemption timer gets the
 * CPU back, and the VM's time limit ends it. */
#include "guest.h"

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	puts_serial("spinning with interrupts off\n");
	__asm__ volatile("cli; 1: jmp 1b");
	return 1;
}
