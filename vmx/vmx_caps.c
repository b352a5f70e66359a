/* The VT-x features every VM relies on, and the check for them.
 *
 * Required, because later code assumes them without asking again:
 *  - the TRUE_* control MSRs (IA32_VMX_BASIC bit 55), so default-1 controls
 *    that the CPU lets us clear are cleared (SDM Vol. 3D A.2);
 *  - secondary processor-based controls with EPT, VPID and unrestricted
 *    guest (guests start in real mode and own their paging);
 *  - EPT with 4-level walks and write-back paging-structure memory
 *    (SDM Vol. 3D A.10), which is what our EPT builder produces. */
#include "vmx_caps.h"

#include "../arch/msr.h"

struct vmx_requirement {
	const char *name;
	bool (*present)(const struct vmx_caps_raw *raw);
};

static bool allowed1(uint64_t ctl_msr, uint32_t bit)
{
	return ((ctl_msr >> 32) & bit) != 0;
}

static bool has_true_ctls(const struct vmx_caps_raw *r)
{
	return (r->basic & VMX_BASIC_TRUE_CTLS) != 0;
}

static bool has_secondary(const struct vmx_caps_raw *r)
{
	return allowed1(r->procbased, PROCBASED_ACTIVATE_SECONDARY);
}

static bool has_ept(const struct vmx_caps_raw *r)
{
	return has_secondary(r) &&
	       allowed1(r->procbased2, PROCBASED2_ENABLE_EPT);
}

static bool has_vpid(const struct vmx_caps_raw *r)
{
	return has_secondary(r) &&
	       allowed1(r->procbased2, PROCBASED2_ENABLE_VPID);
}

static bool has_unrestricted(const struct vmx_caps_raw *r)
{
	return has_secondary(r) &&
	       allowed1(r->procbased2, PROCBASED2_UNRESTRICTED_GUEST);
}

static bool has_ept_walk4(const struct vmx_caps_raw *r)
{
	return (r->ept_vpid_cap & EPT_CAP_WALK_4) != 0;
}

static bool has_ept_wb(const struct vmx_caps_raw *r)
{
	return (r->ept_vpid_cap & EPT_CAP_MEMTYPE_WB) != 0;
}

static const struct vmx_requirement requirements[] = {
	{ "true VMX control MSRs", has_true_ctls },
	{ "secondary processor controls", has_secondary },
	{ "EPT", has_ept },
	{ "VPID", has_vpid },
	{ "unrestricted guest", has_unrestricted },
	{ "EPT 4-level walk", has_ept_walk4 },
	{ "EPT write-back memory type", has_ept_wb },
};

enum vmx_firmware_state vmx_firmware_state(uint64_t fc)
{
	if (!(fc & FEATURE_CONTROL_LOCK))
		return VMX_FW_UNLOCKED;
	if (fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)
		return VMX_FW_ENABLED;
	return VMX_FW_DISABLED;
}

uint64_t vmx_feature_control_enable(uint64_t fc)
{
	return fc | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK;
}

static void append(char *buf, size_t len, size_t *pos, const char *s)
{
	if (!len)
		return;
	while (*s && *pos + 1 < len)
		buf[(*pos)++] = *s++;
	buf[*pos] = '\0';
}

unsigned vmx_caps_missing(const struct vmx_caps_raw *raw, char *buf,
			  size_t len)
{
	unsigned missing = 0;
	size_t pos = 0;

	if (len)
		buf[0] = '\0';
	if (!raw->cpuid_vmx) {
		append(buf, len, &pos, "VMX (CPUID.1:ECX bit 5 is 0)");
		return 1;
	}
	for (size_t i = 0; i < sizeof(requirements) / sizeof(requirements[0]);
	     i++) {
		if (requirements[i].present(raw))
			continue;
		if (missing++)
			append(buf, len, &pos, ", ");
		append(buf, len, &pos, requirements[i].name);
	}
	return missing;
}
