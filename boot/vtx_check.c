#include "vtx_check.h"

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../vmx/vmx_caps.h"
#include "boot_log.h"

/* Reading the VMX capability MSRs is only legal when CPUID reports VMX
 * (SDM Vol. 3D A.1), so gather them after that check. */
static void read_caps(struct vmx_caps_raw *raw)
{
	raw->basic = rdmsr(MSR_IA32_VMX_BASIC);
	raw->procbased = rdmsr((raw->basic & VMX_BASIC_TRUE_CTLS)
				       ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
				       : MSR_IA32_VMX_PROCBASED_CTLS);
	raw->procbased2 = 0;
	raw->ept_vpid_cap = 0;
	if ((raw->procbased >> 32) & PROCBASED_ACTIVATE_SECONDARY) {
		raw->procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		/* EPT_VPID_CAP exists only if EPT or VPID may be 1. */
		if ((raw->procbased2 >> 32) &
		    (PROCBASED2_ENABLE_EPT | PROCBASED2_ENABLE_VPID))
			raw->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	}
}

static EFI_STATUS enable_in_feature_control(struct vmx_caps_raw *raw)
{
	raw->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
	switch (vmx_firmware_state(raw->feature_control)) {
	case VMX_FW_ENABLED:
		return EFI_SUCCESS;
	case VMX_FW_DISABLED:
		boot_log(L"hv-boot: error: VT-x not available: VT-x is disabled "
			 L"in the firmware settings (IA32_FEATURE_CONTROL is "
			 L"locked with VMX outside SMX off)");
		return EFI_UNSUPPORTED;
	case VMX_FW_UNLOCKED:
		break;
	}
	/* Firmware left it unlocked (Bochs does): enable and lock it for this
	 * CPU, as firmware normally would.  The other CPUs do the same when
	 * the kernel starts them. */
	raw->feature_control = vmx_feature_control_enable(raw->feature_control);
	wrmsr(MSR_IA32_FEATURE_CONTROL, raw->feature_control);
	return EFI_SUCCESS;
}

EFI_STATUS vtx_check(void)
{
	struct vmx_caps_raw raw = { 0 };
	char missing[200];
	EFI_STATUS st;

	raw.cpuid_vmx = (cpuid(1, 0).ecx & CPUID1_ECX_VMX) != 0;
	if (!raw.cpuid_vmx) {
		vmx_caps_missing(&raw, missing, sizeof(missing));
		boot_log(L"hv-boot: error: VT-x not available: this CPU does "
			 L"not report %a (no VT-x, or a host that hides it)",
			 missing);
		return EFI_UNSUPPORTED;
	}
	st = enable_in_feature_control(&raw);
	if (EFI_ERROR(st))
		return st;
	read_caps(&raw);
	if (vmx_caps_missing(&raw, missing, sizeof(missing))) {
		boot_log(L"hv-boot: error: VT-x not available: the CPU lacks "
			 L"%a", missing);
		return EFI_UNSUPPORTED;
	}
	boot_log(L"hv-boot: VT-x ok (EPT 4-level WB, VPID, unrestricted "
		 L"guest, true controls; IA32_VMX_BASIC=%lx)", raw.basic);
	return EFI_SUCCESS;
}
