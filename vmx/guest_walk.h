/* Guest memory as an emulated instruction sees it: a segment and offset
 * become a linear address with the CPU's segment checks (SDM Vol. 3A
 * 3.4, 5.3), a linear address becomes guest-physical through the guest's
 * page tables (vmx/guest_mem.c), and a fault the CPU would raise is
 * injected into the guest instead of happening in root. */
#ifndef VMX_GUEST_WALK_H
#define VMX_GUEST_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"

/* Segment registers in the order of their encoding in instruction
 * information fields (SDM Vol. 3C Table 28-8). */
enum guest_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };

enum guest_access {
	GUEST_ACCESS_OK,
	GUEST_ACCESS_FAULTED, /* an exception was injected: resume the guest */
	GUEST_ACCESS_NOT_RAM, /* guest-physical memory that is not its RAM */
};

/* The linear address of seg:offset for an access of `size` bytes, with
 * the offset already wrapped to the address size.  Outside 64-bit mode
 * an unusable segment or an offset past the limit injects #GP(0) (#SS(0)
 * for SS); in 64-bit mode a non-canonical address injects #GP(0). */
enum guest_access guest_seg_linear(enum guest_seg seg, uint64_t offset,
				   unsigned size, uint64_t *linear);

enum guest_copy {
	COPY_FROM_GUEST,
	COPY_TO_GUEST,
	CHECK_WRITABLE, /* the checks of COPY_TO_GUEST, nothing copied */
};

/* Copies `size` bytes (at most 8) between guest linear memory and buf;
 * the access may cross a page.  A page that is not present injects #PF
 * with CR2 = the address; memory that is not RAM gives
 * GUEST_ACCESS_NOT_RAM and that guest-physical address in *gpa.  Nothing
 * is copied unless every byte is reachable. */
enum guest_access guest_linear_copy(struct vcpu *v, uint64_t linear,
				    void *buf, unsigned size,
				    enum guest_copy how, uint64_t *gpa);

#endif
