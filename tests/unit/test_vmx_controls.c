/* Host unit tests for the VMX control adjustment rule (vmx_adjust_controls,
 * SDM Vol. 3D A.3): bits 31:0 of a capability MSR are the allowed-0
 * settings (1 = the control must be 1), bits 63:32 the allowed-1 settings
 * (0 = the control must be 0).
 *
 * The Bochs values are what it reports for a VMX-capable CPU model, a
 * machine the hypervisor is known to run on. */
#include <stdint.h>

#include "../../vmx/vmx.h"
#include "unit.h"

/* Control bit positions (SDM Vol. 3C 25.6.2, Table 25-6), restated. */
#define T_HLT_EXITING (1u << 7)
#define T_CR3_LOAD_EXITING (1u << 15)
#define T_CR3_STORE_EXITING (1u << 16)
#define T_USE_MSR_BITMAPS (1u << 28)
#define T_SECONDARY_CONTROLS (1u << 31)
#define T_ENABLE_EPT (1u << 1)
#define T_ENABLE_VPID (1u << 5)
#define T_UNRESTRICTED_GUEST (1u << 7)
#define T_ENABLE_XSAVES (1u << 20)

#define BOCHS_PROCBASED2 0x00047fff00000000ull

static uint64_t cap(uint32_t allowed0, uint32_t allowed1)
{
	return (uint64_t)allowed1 << 32 | allowed0;
}

TEST(header_bits_match_sdm)
{
	CHECK_EQ_U64(CPU_HLT_EXITING, T_HLT_EXITING);
	CHECK_EQ_U64(CPU_CR3_LOAD_EXITING, T_CR3_LOAD_EXITING);
	CHECK_EQ_U64(CPU_CR3_STORE_EXITING, T_CR3_STORE_EXITING);
	CHECK_EQ_U64(CPU_USE_MSR_BITMAPS, T_USE_MSR_BITMAPS);
	CHECK_EQ_U64(CPU_SECONDARY_CONTROLS, T_SECONDARY_CONTROLS);
	CHECK_EQ_U64(CPU2_ENABLE_EPT, T_ENABLE_EPT);
	CHECK_EQ_U64(CPU2_ENABLE_VPID, T_ENABLE_VPID);
	CHECK_EQ_U64(CPU2_UNRESTRICTED_GUEST, T_UNRESTRICTED_GUEST);
}

TEST(everything_allowed_gives_exactly_the_request)
{
	uint32_t out = 0xdeadbeef;

	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0xffffffff), 0x11, 0x300, &out), 0);
	CHECK_EQ_U64(out, 0x311);
	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0xffffffff), 0, 0, &out), 0);
	CHECK_EQ_U64(out, 0);
}

TEST(must_be_one_bits_always_present)
{
	uint32_t out;

	/* Nothing asked for: the must-be-one bits still come back. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0x16, 0xffff), 0, 0, &out), 0);
	CHECK_EQ_U64(out, 0x16);
	/* Added to what is asked for. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0x16, 0xffff), 0x100, 0x1000,
					 &out), 0);
	CHECK_EQ_U64(out, 0x1116);
	/* Even when allowed-1 (inconsistently) leaves them out. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0x80000001, 0), 0, 0, &out), 0);
	CHECK_EQ_U64(out, 0x80000001);
}

TEST(optional_bits_dropped_when_not_allowed)
{
	uint32_t out;

	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0x0000ff00), 0, 0xffffffff,
					 &out), 0);
	CHECK_EQ_U64(out, 0x0000ff00);
	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0x5), 0, 0x6, &out), 0);
	CHECK_EQ_U64(out, 0x4);
	/* No optional bit allowed at all: not a failure. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0), 0, 0xffffffff, &out), 0);
	CHECK_EQ_U64(out, 0);
}

TEST(missing_required_bits_reported_exactly)
{
	uint32_t out;

	/* Bits 3 and 31 required; the CPU allows 0..15 only. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0xffff), 0x80000008, 0, &out),
		     0x80000000);
	CHECK_EQ_U64(out, 0x8);
	/* Nothing allowed: every required bit is missing, optional silent. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0), 0x00f0000f, 0x0f00, &out),
		     0x00f0000f);
	CHECK_EQ_U64(out, 0);
	/* Optional bits never count as missing. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0, 0x1), 0x1, 0xfffffffe, &out), 0);
	CHECK_EQ_U64(out, 0x1);
}

TEST(bit_both_required_and_must_be_one)
{
	uint32_t out;

	CHECK_EQ_U64(vmx_adjust_controls(cap(0x4, 0xffff), 0x4, 0, &out), 0);
	CHECK_EQ_U64(out, 0x4);
	/* Also optional: still one bit, no failure. */
	CHECK_EQ_U64(vmx_adjust_controls(cap(0x4, 0xffff), 0x4, 0x4, &out), 0);
	CHECK_EQ_U64(out, 0x4);
}

/* 0xfff9fffe0401e172 is Bochs's IA32_VMX_PROCBASED_CTLS (0x482): its
 * allowed-0 half 0x0401e172 is exactly the default1 class (bits 1, 4-6, 8,
 * 13-16, 26; SDM Vol. 3D A.3.2), so CR3-load/store exiting are forced on.
 * The TRUE MSR (0x48e) reports 0x04006172 there, which lets them be
 * cleared. */
#define BOCHS_PROCBASED 0xfff9fffe0401e172ull
#define BOCHS_TRUE_PROCBASED 0xfff9fffe04006172ull

TEST(bochs_procbased_default1_forces_cr3_exiting)
{
	uint32_t out;

	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_PROCBASED,
					 T_HLT_EXITING | T_SECONDARY_CONTROLS,
					 0, &out), 0);
	CHECK(out & T_HLT_EXITING);
	CHECK(out & T_SECONDARY_CONTROLS);
	CHECK(out & T_CR3_LOAD_EXITING);
	CHECK(out & T_CR3_STORE_EXITING);
	CHECK_EQ_U64(out, 0x0401e172u | T_HLT_EXITING | T_SECONDARY_CONTROLS);
}

TEST(bochs_true_procbased)
{
	uint32_t out;

	/* HLT exiting and the secondary controls can be set. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_TRUE_PROCBASED,
					 T_HLT_EXITING | T_SECONDARY_CONTROLS,
					 0, &out), 0);
	CHECK(out & T_HLT_EXITING);
	CHECK(out & T_SECONDARY_CONTROLS);
	/* CR3-load/store exiting can be cleared with the TRUE MSR. */
	CHECK(!(out & T_CR3_LOAD_EXITING));
	CHECK(!(out & T_CR3_STORE_EXITING));
	CHECK_EQ_U64(out, 0x04006172u | T_HLT_EXITING | T_SECONDARY_CONTROLS);
	/* ... and still set when asked for. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_TRUE_PROCBASED, 0,
					 T_CR3_LOAD_EXITING, &out), 0);
	CHECK(out & T_CR3_LOAD_EXITING);
	/* Bits 0, 17 and 18 are reserved at 0: asking for them fails. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_TRUE_PROCBASED, 0x00060001, 0,
					 &out), 0x00060001);
	/* Everything optional: exactly the allowed-1 settings. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_TRUE_PROCBASED, 0, 0xffffffff,
					 &out), 0);
	CHECK_EQ_U64(out, 0xfff9fffeu);
}

TEST(bochs_procbased2)
{
	uint32_t out;

	/* EPT, VPID and unrestricted guest are available. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_PROCBASED2,
					 T_ENABLE_EPT | T_ENABLE_VPID |
					 T_UNRESTRICTED_GUEST, 0, &out), 0);
	CHECK_EQ_U64(out, T_ENABLE_EPT | T_ENABLE_VPID | T_UNRESTRICTED_GUEST);
	/* Nothing is forced on. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_PROCBASED2, 0, 0, &out), 0);
	CHECK_EQ_U64(out, 0);
	/* XSAVES (bit 20) is not in 0x00047fff: optional drops, required fails. */
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_PROCBASED2, T_ENABLE_EPT,
					 T_ENABLE_XSAVES, &out), 0);
	CHECK_EQ_U64(out, T_ENABLE_EPT);
	CHECK_EQ_U64(vmx_adjust_controls(BOCHS_PROCBASED2,
					 T_ENABLE_EPT | T_ENABLE_XSAVES, 0, &out),
		     T_ENABLE_XSAVES);
	CHECK_EQ_U64(out, T_ENABLE_EPT);
}

UNIT_MAIN("vmx_controls")
