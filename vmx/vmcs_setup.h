#ifndef VMX_VMCS_SETUP_H
#define VMX_VMCS_SETUP_H

#include "../kernel/vm.h"

/* Allocates, clears and loads v's VMCS and fills controls and host state;
 * the guest state starts as a flat 32-bit protected-mode machine with
 * paging off (what Multiboot promises); loaders adjust it after. */
bool vmcs_create(struct vcpu *v);
/* Gives v's VMCS back (a VM that failed to start). */
void vmcs_destroy(struct vcpu *v);

/* Flat 4 GiB 32-bit code (selector cs) and data (ds, also SS, ES, FS,
 * GS) segments and the GDTR, in the current VMCS: the loaders' entry
 * state.  The GDT itself is the loader's to write in guest memory. */
void vmcs_set_flat_protected_mode(uint16_t cs, uint16_t ds,
				  uint64_t gdt_base, uint32_t gdt_limit);

/* Real mode at vector << 12, as a start-up IPI leaves an application
 * processor, in the current VMCS (fresh from vmcs_reset). */
void vmcs_set_startup_state(uint8_t vector);

/* Puts v's VMCS back to its initial state (for a VM restart). */
void vmcs_reset(struct vcpu *v);

/* Makes v's VMCS current on this CPU (where it must be active already,
 * or nowhere). */
void vmcs_load(struct vcpu *v);
/* VMCLEAR on this CPU, where it is active: written back to memory, it
 * may then be loaded on another CPU (SDM Vol. 3C 25.11.1). */
void vmcs_put(struct vcpu *v);

/* The guest's view of CR0 and CR4: host-owned bits from the read shadow,
 * the rest from the real register, which the guest changes without exits
 * (SDM Vol. 3C 25.6.6).  The VMCS is the only copy. */
uint64_t guest_cr0(void);
uint64_t guest_cr4(void);

/* CR0/CR4 bits the host owns and the guest sees through read shadows:
 * those VMX operation pins (SDM Vol. 3C 24.8, A.7, A.8). */
uint64_t vmcs_cr0_host_owned(void);
uint64_t vmcs_cr4_host_owned(void);

#endif
