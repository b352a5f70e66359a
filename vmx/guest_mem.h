/* Reading guest memory the way the guest's CPU would: linear addresses
 * through the guest's own page tables (none, 32-bit, PAE or 4-level). */
#ifndef VMX_GUEST_MEM_H
#define VMX_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kernel/vm.h"

/* Running 64-bit code: IA-32e mode and CS.L (SDM Vol. 3A 5.2.1). */
bool guest_is_64bit(void);
/* The guest's code size in bits: 64 in 64-bit code, else its code
 * segment's default size, CS.D, which real mode and virtual-8086 mode
 * have at 16 (SDM Vol. 3A 3.4.5, 20.1.1). */
unsigned guest_code_bits(void);

/* How an access through the guest's page tables is made.  0: hv's own
 * look, which checks no rights and sets no flags (the bytes of an
 * instruction the CPU fetched already).  GUEST_WALK_DATA: an access the
 * guest's instruction makes, which hv emulates (string I/O), checked as
 * the CPU checks it (SDM Vol. 3A 4.6: U/S at CPL 3, R/W with CR0.WP,
 * SMAP) and leaving the accessed flags, and for a write the dirty flag,
 * set as the CPU leaves them (4.8). */
#define GUEST_WALK_DATA (1u << 0)
#define GUEST_WALK_WRITE (1u << 1)

/* Translates a linear address with the current vCPU's CR0/CR3/CR4/EFER.
 * Returns false when the guest would fault, with the #PF error code in
 * *pf_error (SDM Vol. 3A 4.7: P for a protection fault, W, U/S). */
bool guest_linear_to_phys(struct vcpu *v, uint64_t linear, unsigned access,
			  uint64_t *gpa, uint32_t *pf_error);

/* Copies the instruction bytes at CS:rip (fewer near the end of RAM or
 * of a page that is not mapped are fine as long as at least one byte is
 * readable; the rest read as zero). */
bool guest_fetch_insn(struct vcpu *v, uint64_t rip, uint8_t *buf,
		      size_t len);

#endif
