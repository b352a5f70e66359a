/* Host unit tests for the VT-x capability check (vmx/vmx_caps.c).
 *
 * The baseline is what Bochs reports for a VMX-capable CPU model, a machine
 * the hypervisor is known to run on. */
#include <stdint.h>
#include <string.h>

#include "../../arch/msr.h"
#include "../../vmx/vmx_caps.h"
#include "unit.h"

#define BASE_BASIC 0x00D810000000002Bull
#define BASE_PROCBASED 0xfff9fffe0401e172ull /* PROCBASED_CTLS (non-TRUE) */
#define BASE_PROCBASED2 0x00047fff00000000ull
#define BASE_EPT_VPID_CAP 0xF0106334141ull

static char msg[256];

static struct vmx_caps_raw baseline(void)
{
	return (struct vmx_caps_raw){
		.cpuid_vmx = true,
		.feature_control = FEATURE_CONTROL_LOCK |
				   FEATURE_CONTROL_VMX_OUTSIDE_SMX,
		.basic = BASE_BASIC,
		.procbased = BASE_PROCBASED,
		.procbased2 = BASE_PROCBASED2,
		.ept_vpid_cap = BASE_EPT_VPID_CAP,
	};
}

static unsigned missing(const struct vmx_caps_raw *raw)
{
	memset(msg, 'X', sizeof(msg));
	return vmx_caps_missing(raw, msg, sizeof(msg));
}

/* ---- vmx_caps_missing ------------------------------------------------------ */

TEST(baseline_values_have_the_required_bits)
{
	/* Guard the constants themselves, so the tests below clear bits that
	 * were actually set. */
	CHECK(BASE_BASIC & VMX_BASIC_TRUE_CTLS);
	CHECK((BASE_PROCBASED >> 32) & PROCBASED_ACTIVATE_SECONDARY);
	CHECK((BASE_PROCBASED2 >> 32) & PROCBASED2_ENABLE_EPT);
	CHECK((BASE_PROCBASED2 >> 32) & PROCBASED2_ENABLE_VPID);
	CHECK((BASE_PROCBASED2 >> 32) & PROCBASED2_UNRESTRICTED_GUEST);
	CHECK(BASE_EPT_VPID_CAP & EPT_CAP_WALK_4);
	CHECK(BASE_EPT_VPID_CAP & EPT_CAP_MEMTYPE_WB);
	CHECK_EQ_U64(VMX_BASIC_TRUE_CTLS, 1ull << 55);
	CHECK_EQ_U64(PROCBASED_ACTIVATE_SECONDARY, 1ull << 31);
	CHECK_EQ_U64(EPT_CAP_WALK_4, 1ull << 6);
	CHECK_EQ_U64(EPT_CAP_MEMTYPE_WB, 1ull << 14);
}

TEST(baseline_nothing_missing)
{
	struct vmx_caps_raw r = baseline();

	CHECK_EQ_U64(missing(&r), 0);
	CHECK_STR(msg, "");
}

TEST(no_cpuid_vmx)
{
	struct vmx_caps_raw r = baseline();

	r.cpuid_vmx = false;
	CHECK_EQ_U64(missing(&r), 1);
	CHECK(strstr(msg, "VMX") != NULL);
	CHECK(strchr(msg, ',') == NULL);
	/* Nothing else is consulted: everything else zero, still 1. */
	r = (struct vmx_caps_raw){ .cpuid_vmx = false };
	CHECK_EQ_U64(missing(&r), 1);
	CHECK(strstr(msg, "VMX") != NULL);
}

/* Clears `bit` in `field` of the baseline and expects exactly `name`. */
#define CHECK_ONLY_MISSING(field, bit, name) do {                          \
		struct vmx_caps_raw r_ = baseline();                        \
		r_.field &= ~(uint64_t)(bit);                               \
		CHECK_EQ_U64(missing(&r_), 1);                              \
		CHECK_STR(msg, name);                                       \
	} while (0)

TEST(each_required_bit_alone)
{
	CHECK_ONLY_MISSING(basic, VMX_BASIC_TRUE_CTLS, "true VMX control MSRs");
	CHECK_ONLY_MISSING(procbased2, (uint64_t)PROCBASED2_ENABLE_EPT << 32,
			   "EPT");
	CHECK_ONLY_MISSING(procbased2, (uint64_t)PROCBASED2_ENABLE_VPID << 32,
			   "VPID");
	CHECK_ONLY_MISSING(procbased2,
			   (uint64_t)PROCBASED2_UNRESTRICTED_GUEST << 32,
			   "unrestricted guest");
	CHECK_ONLY_MISSING(ept_vpid_cap, EPT_CAP_WALK_4, "EPT 4-level walk");
	CHECK_ONLY_MISSING(ept_vpid_cap, EPT_CAP_MEMTYPE_WB,
			   "EPT write-back memory type");
}

TEST(allowed1_is_the_high_half)
{
	struct vmx_caps_raw r = baseline();

	/* The low half (allowed-0) having the bits does not count. */
	r.procbased2 = (uint64_t)(PROCBASED2_ENABLE_EPT |
				  PROCBASED2_ENABLE_VPID |
				  PROCBASED2_UNRESTRICTED_GUEST);
	CHECK_EQ_U64(missing(&r), 3);
	CHECK_STR(msg, "EPT, VPID, unrestricted guest");

	r = baseline();
	r.procbased = PROCBASED_ACTIVATE_SECONDARY; /* low half only */
	CHECK_EQ_U64(missing(&r), 4);

	/* Only the three required bits in the high half suffice. */
	r = baseline();
	r.procbased = (uint64_t)PROCBASED_ACTIVATE_SECONDARY << 32;
	r.procbased2 = (uint64_t)(PROCBASED2_ENABLE_EPT |
				  PROCBASED2_ENABLE_VPID |
				  PROCBASED2_UNRESTRICTED_GUEST) << 32;
	r.ept_vpid_cap = EPT_CAP_WALK_4 | EPT_CAP_MEMTYPE_WB;
	CHECK_EQ_U64(missing(&r), 0);
	CHECK_STR(msg, "");
}

TEST(no_secondary_implies_ept_vpid_unrestricted)
{
	struct vmx_caps_raw r = baseline();

	r.procbased &= ~((uint64_t)PROCBASED_ACTIVATE_SECONDARY << 32);
	CHECK_EQ_U64(missing(&r), 4);
	CHECK_STR(msg, "secondary processor controls, EPT, VPID, "
		       "unrestricted guest");
}

TEST(two_missing_comma_separated)
{
	struct vmx_caps_raw r = baseline();

	r.basic &= ~VMX_BASIC_TRUE_CTLS;
	r.ept_vpid_cap &= ~EPT_CAP_MEMTYPE_WB;
	CHECK_EQ_U64(missing(&r), 2);
	CHECK_STR(msg, "true VMX control MSRs, EPT write-back memory type");

	r = baseline();
	r.ept_vpid_cap = 0;
	CHECK_EQ_U64(missing(&r), 2);
	CHECK_STR(msg, "EPT 4-level walk, EPT write-back memory type");
}

TEST(everything_missing)
{
	struct vmx_caps_raw r = { .cpuid_vmx = true };

	CHECK_EQ_U64(missing(&r), 7);
	CHECK_STR(msg, "true VMX control MSRs, secondary processor controls, "
		       "EPT, VPID, unrestricted guest, EPT 4-level walk, "
		       "EPT write-back memory type");
}

TEST(tiny_buffer_truncates_and_terminates)
{
	struct vmx_caps_raw r = baseline();
	/* A larger array so bytes past `len` can be checked untouched. */
	char small[16];

	r.basic &= ~VMX_BASIC_TRUE_CTLS;
	r.ept_vpid_cap &= ~EPT_CAP_WALK_4;
	memset(small, 'Z', sizeof(small));
	/* The count is right even though the names do not fit. */
	CHECK_EQ_U64(vmx_caps_missing(&r, small, 8), 2);
	CHECK_EQ_U64(small[7], '\0');
	CHECK_STR(small, "true VM");
	for (size_t i = 8; i < sizeof(small); i++)
		CHECK_EQ_U64(small[i], 'Z');

	memset(small, 'Z', sizeof(small));
	r.cpuid_vmx = false;
	CHECK_EQ_U64(vmx_caps_missing(&r, small, 8), 1);
	CHECK_STR(small, "VMX (CP");
	CHECK_EQ_U64(small[8], 'Z');

	/* len 1: just the terminator. */
	memset(small, 'Z', sizeof(small));
	CHECK_EQ_U64(vmx_caps_missing(&r, small, 1), 1);
	CHECK_EQ_U64(small[0], '\0');
	CHECK_EQ_U64(small[1], 'Z');

	/* Baseline with len 1: empty string. */
	r = baseline();
	memset(small, 'Z', sizeof(small));
	CHECK_EQ_U64(vmx_caps_missing(&r, small, 1), 0);
	CHECK_EQ_U64(small[0], '\0');
	CHECK_EQ_U64(small[1], 'Z');
}

/* ---- IA32_FEATURE_CONTROL -------------------------------------------------- */

TEST(firmware_state)
{
	CHECK_EQ_U64(vmx_firmware_state(0), VMX_FW_UNLOCKED);
	/* Unlocked wins whatever else is set. */
	CHECK_EQ_U64(vmx_firmware_state(FEATURE_CONTROL_VMX_OUTSIDE_SMX |
					 FEATURE_CONTROL_VMX_INSIDE_SMX),
		     VMX_FW_UNLOCKED);
	CHECK_EQ_U64(vmx_firmware_state(FEATURE_CONTROL_LOCK |
					 FEATURE_CONTROL_VMX_OUTSIDE_SMX),
		     VMX_FW_ENABLED);
	CHECK_EQ_U64(vmx_firmware_state(FEATURE_CONTROL_LOCK |
					 FEATURE_CONTROL_VMX_OUTSIDE_SMX |
					 FEATURE_CONTROL_VMX_INSIDE_SMX |
					 0xff00),
		     VMX_FW_ENABLED);
	CHECK_EQ_U64(vmx_firmware_state(FEATURE_CONTROL_LOCK),
		     VMX_FW_DISABLED);
	/* Inside-SMX only is no use outside SMX. */
	CHECK_EQ_U64(vmx_firmware_state(FEATURE_CONTROL_LOCK |
					 FEATURE_CONTROL_VMX_INSIDE_SMX),
		     VMX_FW_DISABLED);
	CHECK_EQ_U64(vmx_firmware_state(0x5), VMX_FW_ENABLED);
	CHECK_EQ_U64(vmx_firmware_state(0x3), VMX_FW_DISABLED);
}

TEST(feature_control_enable)
{
	CHECK_EQ_U64(vmx_feature_control_enable(0), 0x5);
	/* Other bits (SENTER enables, SGX, LMCE...) are kept. */
	CHECK_EQ_U64(vmx_feature_control_enable(0x7f02), 0x7f07);
	CHECK_EQ_U64(vmx_feature_control_enable(1ull << 20), (1ull << 20) | 5);
	CHECK_EQ_U64(vmx_feature_control_enable(0x5), 0x5);
	/* The result is what vmx_firmware_state calls usable. */
	CHECK_EQ_U64(vmx_firmware_state(vmx_feature_control_enable(0x2)),
		     VMX_FW_ENABLED);
}

UNIT_MAIN("vmx_caps")

TEST(zero_length_buffer_untouched)
{
	struct vmx_caps_raw raw = baseline();
	char one = 'Z';

	raw.cpuid_vmx = false;
	CHECK_EQ_U64(vmx_caps_missing(&raw, &one, 0), 1);
	CHECK_EQ_U64(one, 'Z');
}
