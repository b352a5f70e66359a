/* XCR0, the XSAVE feature-enable register: its bits and the rules a value
 * must follow (SDM Vol. 1 13.3, Vol. 2C XSETBV).  Pure, so the host unit
 * tests check it: a value the CPU would refuse must never reach XSETBV in
 * VMX root. */
#ifndef ARCH_XCR0_H
#define ARCH_XCR0_H

#include <stdbool.h>
#include <stdint.h>

#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_BNDREGS (1ull << 3)
#define XCR0_BNDCSR (1ull << 4)
#define XCR0_OPMASK (1ull << 5)
#define XCR0_ZMM_HI256 (1ull << 6)
#define XCR0_HI16_ZMM (1ull << 7)
#define XCR0_TILECFG (1ull << 17)
#define XCR0_TILEDATA (1ull << 18)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_MPX (XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AMX (XCR0_TILECFG | XCR0_TILEDATA)

/* Whether XSETBV would accept val for XCR0 on a CPU whose supported user
 * components are `supported` (CPUID.(EAX=0DH,ECX=0):EDX:EAX):
 * - no bit the CPU lacks, and x87 always on;
 * - AVX needs SSE;
 * - the two MPX components together, or neither;
 * - AVX-512's three components together, or none, and only with AVX
 *   (and so SSE) on;
 * - AMX's two components together, or neither. */
static inline bool xcr0_valid(uint64_t val, uint64_t supported)
{
	uint64_t avx512 = val & XCR0_AVX512;

	if ((val & ~supported) || !(val & XCR0_X87))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if ((val & XCR0_MPX) && (val & XCR0_MPX) != XCR0_MPX)
		return false;
	if (avx512 && (avx512 != XCR0_AVX512 || !(val & XCR0_AVX)))
		return false;
	if ((val & XCR0_AMX) && (val & XCR0_AMX) != XCR0_AMX)
		return false;
	return true;
}

#endif
