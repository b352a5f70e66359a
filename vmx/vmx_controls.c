/* Which VM-execution, VM-exit and VM-entry controls we run with, computed
 * from the capability MSRs rather than hard-coded (Xen's
 * adjust_vmx_controls): "required" bits the design depends on, "optional"
 * bits used when present. */
#include "vmx.h"

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../kernel/log.h"
#include "ept.h"

struct vmx_controls vmx_ctls;

static bool adjust(const char *what, uint32_t msr, uint32_t required,
		   uint32_t optional, uint32_t *out)
{
	uint32_t missing = vmx_adjust_controls(rdmsr(msr), required,
					       optional, out);
	if (missing)
		log_error("vmx: %s controls: the CPU cannot set required bits "
			  "%#x", what, missing);
	return !missing;
}

/* Guests own their exceptions, interrupts-flag, paging, FPU and debug
 * registers (DR7 and DEBUGCTL saved and loaded through the VMCS); we take
 * what isolation needs: I/O and MSRs through bitmaps (deny by default),
 * HLT and PAUSE (scheduling), external interrupts and NMIs (the host's;
 * with NMI exiting a guest's IRET no longer ends the blocking that an
 * injected NMI starts, so virtual NMIs track it for the guest, SDM Vol. 3C
 * 25.3, 26.7.1: without them a VM gets one NMI in its life),
 * the preemption timer (a guest spinning with interrupts off still loses
 * the CPU), TSC offsetting (RDTSC reads the vCPU's TSC, which writes to
 * IA32_TSC and IA32_TSC_ADJUST move: SDM Vol. 3B 18.17.3, 3C 26.6.5), EPT, VPID and unrestricted guest (guests start in real or
 * protected mode without paging). */
bool vmx_controls_init(void)
{
	uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
	bool true_ctls = (basic & VMX_BASIC_TRUE_CTLS) != 0;
	struct vmx_controls *c = &vmx_ctls;
	bool ok = true;

	c->revision_id = (uint32_t)basic & 0x7fffffff;
	c->preemption_shift = (unsigned)(rdmsr(MSR_IA32_VMX_MISC) & 0x1f);
	c->ept_ad = (rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & EPT_CAP_AD_FLAGS) != 0;
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

	ok &= adjust("pin-based", true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
					    : MSR_IA32_VMX_PINBASED_CTLS,
		     PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING |
			     PIN_PREEMPTION_TIMER,
		     PIN_VIRTUAL_NMIS, &c->pin);
	ok &= adjust("processor-based",
		     true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
			       : MSR_IA32_VMX_PROCBASED_CTLS,
		     CPU_HLT_EXITING | CPU_USE_IO_BITMAPS |
			     CPU_USE_MSR_BITMAPS | CPU_SECONDARY_CONTROLS |
			     CPU_MWAIT_EXITING | CPU_MONITOR_EXITING |
			     CPU_PAUSE_EXITING | CPU_RDPMC_EXITING |
			     CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING |
			     CPU_USE_TSC_OFFSETTING,
		     0, &c->cpu);
	ok &= adjust("secondary", MSR_IA32_VMX_PROCBASED_CTLS2,
		     CPU2_ENABLE_EPT | CPU2_ENABLE_VPID |
			     CPU2_UNRESTRICTED_GUEST,
		     CPU2_ENABLE_RDTSCP | CPU2_ENABLE_INVPCID |
			     CPU2_WBINVD_EXITING,
		     &c->cpu2);
	ok &= adjust("VM-exit", true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS
					  : MSR_IA32_VMX_EXIT_CTLS,
		     EXIT_HOST_ADDR_SPACE_SIZE | EXIT_ACK_INTERRUPT |
			     EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
			     EXIT_LOAD_PAT | EXIT_SAVE_PREEMPTION_TIMER |
			     EXIT_SAVE_DEBUG_CONTROLS,
		     0, &c->exit);
	ok &= adjust("VM-entry", true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
					   : MSR_IA32_VMX_ENTRY_CTLS,
		     ENTRY_LOAD_EFER | ENTRY_LOAD_PAT |
			     ENTRY_LOAD_DEBUG_CONTROLS,
		     0, &c->entry);
	/* NMI-window exiting is switched on per vCPU only while an NMI
	 * waits (vmx/event.c); the CPU must allow it, and it needs virtual
	 * NMIs (SDM Vol. 3C 27.2.1.1: NMI-window exiting 1 requires virtual
	 * NMIs 1).  Allowed-1 settings are bits 63:32 (SDM Vol. 3D A.3.2). */
	c->nmi_window = (c->pin & PIN_VIRTUAL_NMIS) &&
			((rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
					  : MSR_IA32_VMX_PROCBASED_CTLS) >>
			  32) & CPU_NMI_WINDOW_EXITING);
	/* Guests decide long mode themselves: the CPU keeps this control
	 * equal to the guest's EFER.LMA at every exit (SDM Vol. 3C 28.2). */
	c->entry &= ~ENTRY_IA32E_MODE;
	return ok;
}
