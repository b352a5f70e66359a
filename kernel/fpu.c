#include "fpu.h"

#include <string.h>

#include "../arch/cpu.h"
#include "memory.h"
#include "page_alloc.h"

/* Offsets in the legacy (FXSAVE) region (SDM Vol. 1 Table 10-2). */
#define FXSAVE_FCW 0
#define FXSAVE_MXCSR 24
#define FCW_INIT 0x037f
#define MXCSR_INIT 0x1f80

static bool use_xsave(void)
{
	return (read_cr4() & CR4_OSXSAVE) != 0;
}

/* Bytes XSAVE needs for every component the CPU supports (CPUID.(0xd,0)
 * ECX), or the 512-byte FXSAVE image. */
static size_t area_size(void)
{
	return use_xsave() ? cpuid(0xd, 0).ecx : 512;
}

void fpu_reset(struct vcpu *v)
{
	uint16_t fcw = FCW_INIT;
	uint32_t mxcsr = MXCSR_INIT;

	/* XSTATE_BV = 0: XRSTOR puts every component in its initial state,
	 * except MXCSR, which it reads from here (SDM Vol. 1 13.8.1). */
	memset(v->fpu, 0, area_size());
	memcpy(v->fpu + FXSAVE_FCW, &fcw, 2);
	memcpy(v->fpu + FXSAVE_MXCSR, &mxcsr, 4);
}

bool fpu_create(struct vcpu *v)
{
	size_t pages = (area_size() + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t pa = page_alloc(pages, 1); /* page-aligned: XSAVE wants 64 */

	if (!pa)
		return false;
	v->fpu = phys_to_virt(pa);
	fpu_reset(v);
	return true;
}

void fpu_switch(struct vcpu *prev, struct vcpu *next)
{
	if (!use_xsave()) {
		if (prev)
			__asm__ volatile("fxsave64 %0" : "=m"(*prev->fpu));
		__asm__ volatile("fxrstor64 %0" ::"m"(*next->fpu));
		return;
	}
	/* XSAVE with prev's XCR0 still loaded saves what prev enabled. */
	if (prev)
		__asm__ volatile("xsave64 %0"
				 : "=m"(*prev->fpu)
				 : "a"(~0u), "d"(~0u)
				 : "memory");
	__asm__ volatile("xsetbv" ::"a"((uint32_t)next->xcr0),
			 "d"((uint32_t)(next->xcr0 >> 32)), "c"(0));
	__asm__ volatile("xrstor64 %0" ::"m"(*next->fpu), "a"(~0u), "d"(~0u)
			 : "memory");
}
