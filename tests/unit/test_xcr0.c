/* XCR0 values XSETBV accepts (SDM Vol. 1 13.3): the guard in front of the
 * hypervisor's own XSETBV in VMX root. */
#include "unit.h"

#include "../../arch/xcr0.h"

/* A Skylake-X-like CPU: x87, SSE, AVX, MPX, AVX-512, PKRU. */
#define SKX 0x2ffull
/* Sapphire-Rapids-like: that plus AMX. */
#define SPR (SKX | XCR0_AMX)

TEST(accepts_usual_values)
{
    CHECK(xcr0_valid(0x1, SKX));
    CHECK(xcr0_valid(0x3, SKX));
    CHECK(xcr0_valid(0x7, SKX));
    CHECK(xcr0_valid(0xe7, SKX));
    CHECK(xcr0_valid(0x1f, SKX));
    CHECK(xcr0_valid(0x2e7, SKX));
    CHECK(xcr0_valid(SPR, SPR));
}

TEST(refuses_without_x87)
{
    CHECK(!xcr0_valid(0x0, SKX));
    CHECK(!xcr0_valid(0x2, SKX));
    CHECK(!xcr0_valid(0x6, SKX));
}

TEST(refuses_avx_without_sse)
{
    CHECK(!xcr0_valid(0x5, SKX));
}

TEST(refuses_partial_avx512)
{
    CHECK(!xcr0_valid(0x27, SKX)); /* opmask alone */
    CHECK(!xcr0_valid(0x67, SKX));
    CHECK(!xcr0_valid(0xa7, SKX));
    CHECK(!xcr0_valid(0xc7, SKX));
    CHECK(!xcr0_valid(0xe3, SKX)); /* AVX-512 without AVX */
    CHECK(!xcr0_valid(0xe1, SKX));
}

TEST(refuses_partial_mpx_and_amx)
{
    CHECK(!xcr0_valid(0x9, SKX));
    CHECK(!xcr0_valid(0x11, SKX));
    CHECK(!xcr0_valid(0x3 | XCR0_TILECFG, SPR));
    CHECK(!xcr0_valid(0x3 | XCR0_TILEDATA, SPR));
}

TEST(refuses_what_the_cpu_lacks)
{
    CHECK(!xcr0_valid(0xe7, 0x7));      /* Haswell: no AVX-512 */
    CHECK(!xcr0_valid(0x1f, 0x7));      /* no MPX */
    CHECK(!xcr0_valid(SPR, SKX));       /* no AMX */
    CHECK(!xcr0_valid(0x3 | (1ull << 63), SKX)); /* reserved */
    CHECK(!xcr0_valid(0x3 | (1ull << 8), SKX));  /* supervisor PT */
}

UNIT_MAIN("xcr0")
