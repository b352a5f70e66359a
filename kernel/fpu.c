#include "fpu.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/extable.h"
#include "../arch/xcr0.h"
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

/* Every user state component this CPU has (CPUID.(0xd,0) EDX:EAX), and
 * the bytes XSAVE needs for all of them (ECX), or the 512-byte FXSAVE
 * image; asked once (CPUID itself exits when hv runs nested). */
static uint64_t xcr0_all;
static size_t area_bytes;

static size_t area_size(void)
{
	if (!area_bytes) {
		struct cpuid_regs r = use_xsave() ? cpuid(0xd, 0)
						  : (struct cpuid_regs){ 0 };
		xcr0_all = ((uint64_t)r.edx << 32) | r.eax;
		area_bytes = use_xsave() ? r.ecx : 512;
	}
	return area_bytes;
}

size_t fpu_area_size(void)
{
	return area_size();
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
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

static size_t area_pages(void)
{
	return (area_size() + PAGE_SIZE - 1) / PAGE_SIZE;
}

void fpu_destroy(struct vcpu *v)
{
	if (v->fpu)
		page_free(virt_to_phys(v->fpu), area_pages());
	v->fpu = NULL;
}

bool fpu_create(struct vcpu *v)
{
	uint64_t pa = page_alloc(area_pages(), 1); /* page-aligned: XSAVE wants 64 */

	if (!pa)
		return false;
	v->fpu = phys_to_virt(pa);
	fpu_reset(v);
	return true;
}

void fpu_save(struct vcpu *v)
{
	uint64_t all = xcr0_all;

	if (!use_xsave()) {
		__asm__ volatile("fxsave64 %0" : "=m"(*v->fpu));
		return;
	}
	/* With XCR0 at everything the CPU has, XSAVE stores every
	 * component, whatever v's own XCR0 (the area holds them all). */
	if (xgetbv0() != all)
		xsetbv_safe(0, all);
	__asm__ volatile("xsave64 %0"
			 : "=m"(*v->fpu)
			 : "a"((uint32_t)all), "d"((uint32_t)(all >> 32))
			 : "memory");
}

/* Every component is saved and loaded, whatever either vCPU's XCR0 says:
 * XSAVE and XRSTOR act only on the components enabled in XCR0 (their
 * requested-feature bitmap is XCR0 AND EDX:EAX, SDM Vol. 1 13.7-13.8), so
 * with a guest's XCR0 loaded
 * - a component outside it would keep the previous vCPU's registers (legacy
 *   SSE works with XCR0 = 1: another VM's XMM registers would be readable
 *   and writable), and
 * - an area saved under a larger XCR0 has XSTATE_BV bits that XRSTOR under
 *   a smaller one refuses with #GP.
 * So XCR0 is the CPU's full set around the pair, and the next guest's
 * value is loaded just before it runs.  The area always holds the
 * standard form (XCOMP_BV 0, reserved header bytes 0), written only by
 * XSAVE and fpu_reset; XRSTOR runs under a fixup all the same, and a
 * failure leaves that vCPU in the initial state rather than faulting in
 * VMX root. */
bool fpu_switch(struct vcpu *prev, struct vcpu *next)
{
	uint64_t all = xcr0_all;
	bool ok = true;

	if (prev)
		fpu_save(prev); /* leaves XCR0 at xcr0_all */
	if (!use_xsave()) {
		if (!fxrstor_safe(next->fpu)) {
			fpu_reset(next);
			ok = false;
			fxrstor_safe(next->fpu);
		}
		return ok;
	}
	if (!prev && xgetbv0() != all)
		xsetbv_safe(0, all); /* the CPU's own list: always valid */
	if (!xrstor_safe(next->fpu, all)) {
		fpu_reset(next);
		ok = false;
		xrstor_safe(next->fpu, all);
	}
	/* next->xcr0 passed xcr0_valid when the guest set it. */
	if (!xsetbv_safe(0, next->xcr0)) {
		next->xcr0 = XCR0_X87;
		xsetbv_safe(0, XCR0_X87);
		ok = false;
	}
	return ok;
}

bool fpu_xcr0_allowed(uint64_t xcr0)
{
	area_size(); /* learns xcr0_all */
	return use_xsave() && xcr0_valid(xcr0, xcr0_all);
}
