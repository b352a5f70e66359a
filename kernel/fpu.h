/* Guests' FPU/SSE/AVX state.  The hypervisor never touches those
 * registers (-mgeneral-regs-only), so a VM exit needs no save; but all
 * vCPUs share this CPU's registers, so switching from one vCPU to another
 * must save the first's state and load the second's (XSAVE/XRSTOR, or
 * FXSAVE/FXRSTOR without XSAVE; SDM Vol. 1 13.7-13.8).  Without it, one
 * guest would see, and corrupt, another's vector registers. */
#ifndef KERNEL_FPU_H
#define KERNEL_FPU_H

#include <stdbool.h>
#include <stddef.h>

#include "vm.h"

/* Gives v a save area in the power-up state; false if out of memory. */
bool fpu_create(struct vcpu *v);
/* The bytes of each vCPU's save area (a snapshot copies them). */
size_t fpu_area_size(void);
/* Gives the save area back (a VM that failed to start). */
void fpu_destroy(struct vcpu *v);
/* Back to the power-up state (a VM reset). */
void fpu_reset(struct vcpu *v);
/* Saves prev's registers (if any) and loads next's, XCR0 included.
 * False if next's state could not be loaded: it is then in the initial
 * state (never a fault in VMX root). */
bool fpu_switch(struct vcpu *prev, struct vcpu *next);
/* Saves v's registers into its area and leaves them in the CPU (v is
 * leaving this CPU for another, which loads them from the area). */
void fpu_save(struct vcpu *v);
/* The XCR0 values a guest may set: those XSETBV accepts on this CPU. */
bool fpu_xcr0_allowed(uint64_t xcr0);

#endif
