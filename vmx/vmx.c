/* Entering VMX root operation on a CPU (SDM Vol. 3C 24.7 and 24.8):
 * IA32_FEATURE_CONTROL must allow VMX outside SMX, CR0 and CR4 must hold
 * the values IA32_VMX_CR{0,4}_FIXED{0,1} demand (CR4.VMXE among them),
 * and VMXON takes a 4 KiB region that starts with the VMCS revision ID. */
#include "vmx.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../arch/paging.h"
#include "../arch/percpu.h"
#include "../kernel/log.h"
#include "../kernel/memory.h"
#include "../kernel/page_alloc.h"
#include "vmx_caps.h"
#include "vmx_insn.h"

static bool feature_control_allows_vmx(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	switch (vmx_firmware_state(fc)) {
	case VMX_FW_ENABLED:
		return true;
	case VMX_FW_UNLOCKED:
		/* The UEFI stage did this on the boot CPU only. */
		wrmsr(MSR_IA32_FEATURE_CONTROL, vmx_feature_control_enable(fc));
		return true;
	case VMX_FW_DISABLED:
		break;
	}
	log_error("vmx: VT-x is disabled in the firmware on this CPU");
	return false;
}

/* Guests' XCR0 is loaded with XSETBV whenever one of their vCPUs runs
 * (kernel/sched.c), which needs CR4.OSXSAVE in the host (SDM Vol. 2C
 * XSETBV).  The host itself never uses XSAVE state. */
static uint64_t host_osxsave(void)
{
	return (cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) ? CR4_OSXSAVE : 0;
}

/* Per CPU: IA32_FEATURE_CONTROL, CR0/CR4 and the VMXON region are each
 * CPU's own (SDM Vol. 3C 24.7), so every CPU that runs vCPUs comes here
 * (kernel/main.c: the boot CPU, then each AP through smp_call_on). */
bool vmx_cpu_enable(void)
{
	struct percpu *cpu = this_cpu();
	uint64_t region;
	int rc;

	if (cpu->vmx_on)
		return true;
	if (!feature_control_allows_vmx())
		return false;
	write_cr0((read_cr0() | vmx_ctls.cr0_fixed0) & vmx_ctls.cr0_fixed1);
	write_cr4((read_cr4() | vmx_ctls.cr4_fixed0 | CR4_VMXE |
		   host_osxsave()) & vmx_ctls.cr4_fixed1);
	region = page_alloc(1, 1);
	if (!region)
		return false;
	memset(phys_to_virt(region), 0, PAGE_SIZE);
	*(uint32_t *)phys_to_virt(region) = vmx_ctls.revision_id;
	rc = vmxon(region);
	if (rc) {
		log_error("vmx: VMXON failed (%s)",
			  rc == VMX_FAIL_INVALID ? "VMfailInvalid"
						 : "VMfailValid");
		page_free(region, 1);
		return false;
	}
	cpu->vmxon_region = region;
	cpu->vmx_on = true;
	/* Drop stale translations a previous user of VMX may have left. */
	invept(INVEPT_ALL_CONTEXT, 0);
	return true;
}
