/* Not on the fast paths make bench measures: VMCS accessors out of
 * line, for size (vmx/vmcs.h). */
#define VMCS_ACCESS_OUT_OF_LINE

#include "guest_walk.h"

#include <string.h>

#include "../arch/idt.h"
#include "../arch/paging.h"
#include "../kernel/snapshot.h"
#include "event.h"
#include "guest_mem.h"
#include "vmcs.h"

/* Segment access rights in the VMCS (SDM Vol. 3C 25.4.1 Table 25-2). */
#define AR_TYPE_CODE (1u << 3)
#define AR_TYPE_EXPAND_DOWN (1u << 2) /* in a data segment */
#define AR_DB (1u << 14)
#define AR_UNUSABLE (1u << 16)


static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static enum guest_access seg_fault(enum guest_seg seg)
{
	vcpu_inject_exception(seg == SEG_SS ? VEC_SS : VEC_GP, true, 0);
	return GUEST_ACCESS_FAULTED;
}

/* Offsets [offset, offset + size) inside the segment's limit: expand-up
 * up to the limit, expand-down above it (SDM Vol. 3A 5.3). */
static bool within_limit(uint32_t ar, uint64_t limit, uint64_t offset,
			 unsigned size)
{
	uint64_t last = offset + size - 1;

	if (!(ar & AR_TYPE_CODE) && (ar & AR_TYPE_EXPAND_DOWN))
		return offset > limit &&
		       last <= ((ar & AR_DB) ? 0xffffffffull : 0xffffull);
	return last <= limit && last >= offset;
}

enum guest_access guest_seg_linear(enum guest_seg seg, uint64_t offset,
				   unsigned size, uint64_t *linear)
{
	const struct vmcs_segment *f;
	uint32_t ar;
	uint64_t base;

	/* Instruction information names only ES..GS (SDM Vol. 3C Table
	 * 28-8); anything else has no segment to check against. */
	if ((unsigned)seg >= SEG_COUNT)
		return seg_fault(seg);
	f = &vmcs_guest_segment[seg];
	ar = vmcs_read_f32(f->rights);
	base = vmcs_read_fn(f->base);
	if (guest_is_64bit()) {
		/* Only FS and GS have bases in 64-bit mode (SDM Vol. 3A
		 * 3.4.4). */
		*linear = (seg == SEG_FS || seg == SEG_GS ? base : 0) + offset;
		if (!canonical(*linear) || !canonical(*linear + size - 1))
			return seg_fault(seg);
		return GUEST_ACCESS_OK;
	}
	if ((ar & AR_UNUSABLE) ||
	    !within_limit(ar, vmcs_read_f32(f->limit), offset, size))
		return seg_fault(seg);
	*linear = (uint32_t)(base + offset);
	return GUEST_ACCESS_OK;
}

static void inject_page_fault(struct vcpu *v, uint64_t linear,
			      uint32_t error)
{
	v->regs.cr2 = linear; /* loaded into CR2 at the next entry */
	vcpu_inject_exception(VEC_PF, true, error);
}

enum guest_access guest_linear_copy(struct vcpu *v, uint64_t linear,
				    void *buf, unsigned size,
				    enum guest_copy how, uint64_t *gpa)
{
	uint8_t *host[2] = { NULL, NULL };
	unsigned len[2];
	uint64_t addr[2], piece_gpa[2];

	/* At most two pieces: the part in the first page, the rest. */
	len[0] = (unsigned)(PAGE_SIZE - (linear & (PAGE_SIZE - 1)));
	if (len[0] > size)
		len[0] = size;
	len[1] = size - len[0];
	addr[0] = linear;
	addr[1] = linear + len[0];
	if (!guest_is_64bit())
		addr[1] = (uint32_t)addr[1];
	for (int i = 0; i < 2 && len[i]; i++) {
		uint32_t pf_error;
		if (!guest_linear_to_phys(v, addr[i],
					  GUEST_WALK_DATA |
					  (how != COPY_FROM_GUEST ? GUEST_WALK_WRITE : 0),
					  gpa, &pf_error)) {
			inject_page_fault(v, addr[i], pf_error);
			return GUEST_ACCESS_FAULTED;
		}
		host[i] = vm_gpa_to_hva(v->vm, *gpa, len[i]);
		piece_gpa[i] = *gpa;
		if (!host[i])
			return GUEST_ACCESS_NOT_RAM;
	}
	for (int i = 0, done = 0; how != CHECK_WRITABLE && i < 2 && len[i];
	     done += len[i++]) {
		if (how == COPY_TO_GUEST) {
			/* Not through the EPT: a snapshot sharing this RAM
			 * copies it first (kernel/snapshot.c). */
			snapshot_host_write(v->vm, piece_gpa[i], len[i]);
			memcpy(host[i], (uint8_t *)buf + done, len[i]);
		}
		else
			memcpy((uint8_t *)buf + done, host[i], len[i]);
	}
	return GUEST_ACCESS_OK;
}
