#include "extable.h"

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

uint64_t extable_fixup(uint64_t rip)
{
	for (const struct extable_entry *e = __ex_table_start;
	     e < __ex_table_end; e++)
		if (e->fault_rip == rip)
			return e->fixup_rip;
	return 0;
}

/* The faulting instruction at 1: is listed with the fixup at 3:, which
 * reports failure through the same output register. */
bool probe_read64(const volatile void *addr, uint64_t *val)
{
	uint64_t v;
	int ok;

	__asm__ volatile("1: movq (%2), %0\n\t"
			 "movl $1, %1\n"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: xorl %1, %1\n\t"
			 "xorq %0, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t"
			 ".pushsection __ex_table, \"a\"\n\t"
			 ".balign 8\n\t"
			 ".quad 1b, 3b\n\t"
			 ".popsection"
			 : "=&r"(v), "=&r"(ok)
			 : "r"(addr)
			 : "memory");
	*val = v;
	return ok;
}

bool probe_write64(volatile void *addr, uint64_t val)
{
	int ok;

	__asm__ volatile("1: movq %2, (%1)\n\t"
			 "movl $1, %0\n"
			 "2:\n\t"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: xorl %0, %0\n\t"
			 "jmp 2b\n\t"
			 ".popsection\n\t"
			 ".pushsection __ex_table, \"a\"\n\t"
			 ".balign 8\n\t"
			 ".quad 1b, 3b\n\t"
			 ".popsection"
			 : "=&r"(ok)
			 : "r"(addr), "r"(val)
			 : "memory");
	return ok;
}
