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

/* The instruction at 1: is listed with the fixup at 3:, which clears the
 * success flag (an "=&r" output preset to 1) and resumes after it at 2:.
 * One macro for every guarded instruction, so each stays one line. */
#define GUARDED(insn)                                                       \
	"movl $1, %[ok]\n"                                                  \
	"1: " insn "\n"                                                     \
	"2:\n\t"                                                            \
	".pushsection .text.fixup, \"ax\"\n"                                \
	"3: xorl %[ok], %[ok]\n\t"                                          \
	"jmp 2b\n\t"                                                        \
	".popsection\n\t"                                                   \
	".pushsection __ex_table, \"a\"\n\t"                                \
	".balign 8\n\t"                                                     \
	".quad 1b, 3b\n\t"                                                  \
	".popsection"

bool probe_read64(const volatile void *addr, uint64_t *val)
{
	uint64_t v = 0;
	int ok;

	__asm__ volatile(GUARDED("movq (%[addr]), %[v]")
			 : [ok] "=&r"(ok), [v] "+r"(v)
			 : [addr] "r"(addr)
			 : "memory");
	*val = ok ? v : 0;
	return ok;
}

bool probe_write64(volatile void *addr, uint64_t val)
{
	int ok;

	__asm__ volatile(GUARDED("movq %[val], (%[addr])")
			 : [ok] "=&r"(ok)
			 : [addr] "r"(addr), [val] "r"(val)
			 : "memory");
	return ok;
}

bool xsetbv_safe(uint32_t xcr, uint64_t val)
{
	int ok;

	__asm__ volatile(GUARDED("xsetbv")
			 : [ok] "=&r"(ok)
			 : "c"(xcr), "a"((uint32_t)val),
			   "d"((uint32_t)(val >> 32))
			 : "memory");
	return ok;
}

bool xrstor_safe(const void *area, uint64_t rfbm)
{
	int ok;

	__asm__ volatile(GUARDED("xrstor64 (%[area])")
			 : [ok] "=&r"(ok)
			 : [area] "r"(area), "a"((uint32_t)rfbm),
			   "d"((uint32_t)(rfbm >> 32))
			 : "memory");
	return ok;
}

bool fxrstor_safe(const void *area)
{
	int ok;

	__asm__ volatile(GUARDED("fxrstor64 (%[area])")
			 : [ok] "=&r"(ok)
			 : [area] "r"(area)
			 : "memory");
	return ok;
}

bool wrmsr_safe(uint32_t msr, uint64_t val)
{
	int ok;

	__asm__ volatile(GUARDED("wrmsr")
			 : [ok] "=&r"(ok)
			 : "c"(msr), "a"((uint32_t)val),
			   "d"((uint32_t)(val >> 32))
			 : "memory");
	return ok;
}

bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	int ok;

	__asm__ volatile(GUARDED("rdmsr")
			 : [ok] "=&r"(ok), "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "memory");
	*val = ok ? ((uint64_t)hi << 32) | lo : 0;
	return ok;
}

bool vmptrst_safe(uint64_t *vmcs)
{
	uint64_t v = 0;
	int ok;

	__asm__ volatile(GUARDED("vmptrst %[v]")
			 : [ok] "=&r"(ok), [v] "+m"(v)
			 :
			 : "memory", "cc");
	*vmcs = ok ? v : 0;
	return ok;
}
