/* Guest MSRs: the bitmap that lets harmless ones through, the emulation
 * of the rest, and the per-vCPU values of MSRs the VMCS does not switch. */
#ifndef VMX_MSR_H
#define VMX_MSR_H

#include <stdint.h>

#include "../kernel/vm.h"

enum msr_access { MSR_READ = 1, MSR_WRITE = 2 };

/* Fills the VM's bitmap: every MSR intercepted, then the pass-through
 * list opened. */
void msr_bitmap_init(struct vm *vm);
void msr_intercept_clear(struct vm *vm, uint32_t msr, enum msr_access acc);

/* Saves the running vCPU's swapped MSRs into save (if any) and loads
 * load's (if any): see struct msr_context in kernel/vm.h. */
void msr_context_switch(struct msr_context *save, const struct msr_context *load);

#endif
