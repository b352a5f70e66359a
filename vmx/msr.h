/* Guest MSRs: the bitmap that lets harmless ones through, the emulation
 * of the rest, and the per-vCPU values of MSRs the VMCS does not switch. */
#ifndef VMX_MSR_H
#define VMX_MSR_H

#include <stdint.h>

#include "../arch/msr.h"
#include "../kernel/vm.h"

enum msr_access { MSR_READ = 1, MSR_WRITE = 2 };

/* A vCPU's IA32_MISC_ENABLE at reset (SDM Vol. 4 Table 2-2), as this
 * hypervisor's vCPUs have it: fast strings on; no performance monitoring
 * (CPUID leaf 0xa is hidden), BTS and PEBS unavailable (DS is hidden);
 * xTPR messages disabled (there is no chipset to tell, and CPUID.01H:ECX
 * bit 14 is hidden, so the bit cannot change); MONITOR FSM off, as
 * CPUID.01H:ECX.MONITOR is hidden.  vmx/msr.c says which bits writes
 * may change. */
#define MISC_ENABLE_RESET                                                  \
	(MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAIL |                  \
	 MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XTPR_DISABLE)

/* Fills the VM's bitmap: every MSR intercepted, then the pass-through
 * list opened. */
void msr_bitmap_init(struct vm *vm);
void msr_intercept_clear(struct vm *vm, uint32_t msr, enum msr_access acc);

/* Saves the running vCPU's swapped MSRs into save (if any) and loads
 * load's (if any): see struct msr_context in kernel/vm.h. */
void msr_context_switch(struct msr_context *save, const struct msr_context *load);

#endif
