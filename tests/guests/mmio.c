/* MMIO through the hypervisor's test device, with the instruction forms
 * the decoder handles: 8/16/32-bit loads and stores, immediates, MOVZX,
 * MOVSX. */
#include "guest.h"

#define TESTDEV 0xfeb00000u

int guest_main(uint32_t magic, uint32_t info)
{
	volatile uint32_t *id = (volatile uint32_t *)TESTDEV;
	volatile uint32_t *scratch = (volatile uint32_t *)(TESTDEV + 4);
	volatile uint16_t *scratch16 = (volatile uint16_t *)(TESTDEV + 4);
	volatile uint8_t *scratch8 = (volatile uint8_t *)(TESTDEV + 4);
	uint32_t v;

	(void)magic, (void)info;
	check(*id == 0x44545648u, "ID register reads HVTD");
	*scratch = 0x12345678u;
	check(*scratch == 0x12345678u, "32-bit store and load");
	*scratch16 = 0xbeef;
	check(*scratch16 == 0xbeef, "16-bit store and load");
	*scratch8 = 0x5a;
	check(*scratch8 == 0x5a, "8-bit store and load");
	__asm__ volatile("movl $0xcafef00d, (%0)" ::"r"(scratch) : "memory");
	check(*scratch == 0xcafef00du, "store of an immediate");
	__asm__ volatile("movzbl (%1), %0" : "=r"(v) : "r"(scratch8));
	check(v == 0x0d, "MOVZX byte load");
	__asm__ volatile("movzwl (%1), %0" : "=r"(v) : "r"(scratch16));
	check(v == 0xf00d, "MOVZX word load");
	__asm__ volatile("movsbl (%1), %0" : "=r"(v) : "r"(scratch8));
	check(v == 0x0d, "MOVSX byte load, positive");
	__asm__ volatile("movswl (%1), %0" : "=r"(v) : "r"(scratch16));
	check(v == 0xfffff00d, "MOVSX word load: the sign copied up");
	__asm__ volatile("movl 4(%%ebx,%%esi,1), %0" : "=r"(v) : "b"(TESTDEV), "S"(0));
	check(v == 0xcafef00du, "load with base+index+displacement");
	/* A load into ESP, which the VMCS holds, not the saved registers:
	 * read back at once and the real stack put back (IF is clear, so
	 * nothing uses the stack in between). */
	{
		uint32_t saved, got;
		__asm__ volatile("movl %%esp, %1\n\t"
				 "movl (%2), %%esp\n\t"
				 "movl %%esp, %0\n\t"
				 "movl %1, %%esp"
				 : "=&r"(got), "=&r"(saved)
				 : "r"(scratch)
				 : "memory");
		check(got == 0xcafef00du, "load into ESP");
	}
	return verdict();
}
