/* Physical page allocator over the UEFI memory map: a bitmap, one bit per
 * 4 KiB frame, 1 = in use.  Firmware runtime, ACPI, MMIO and reserved
 * regions are never free; neither is the first MiB (real-mode trampolines
 * and legacy BIOS areas live there) nor anything the UEFI stage gave us. */
#ifndef KERNEL_PAGE_ALLOC_H
#define KERNEL_PAGE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../boot/boot_info.h"

void page_alloc_init(const struct boot_info *bi);

/* count contiguous frames whose first frame number is a multiple of
 * align (in frames, a power of two).  Returns the physical address, or 0
 * when no such run is free.  Frames are not zeroed. */
uint64_t page_alloc(size_t count, size_t align);
/* The same, with the run's end at or below physical address limit (for
 * what a CPU must reach before it has 64-bit paging: the AP start-up
 * page tables). */
uint64_t page_alloc_below(size_t count, size_t align, uint64_t limit);
void page_free(uint64_t phys, size_t count);

/* Reservations: free frames set aside for an owner that allocates them
 * later, one by one, at its guests' pace, and must then not find them
 * taken (a VM's disk writes, drivers/virtio_blk.c: what one guest writes
 * comes out of its own budget, never out of the memory other VMs are
 * created or restarted from).  page_reserve promises count frames, or
 * returns false when fewer than that are free beyond what is promised
 * already; page_alloc and page_alloc_below never take promised frames.
 * page_alloc_reserved takes one frame out of the caller's promise (0 if
 * every promised frame is taken: the caller keeps count of its own);
 * page_free_reserved gives one back into it; page_unreserve ends a
 * promise of count frames that are free again. */
bool page_reserve(uint64_t count);
void page_unreserve(uint64_t count);
uint64_t page_alloc_reserved(void);
void page_free_reserved(uint64_t phys);

/* One zeroed frame for a paging structure: the alloc_table callback of
 * arch/paging.c for the kernel's tables and every VM's EPT. */
uint64_t page_table_alloc(void *opaque);
/* Gives such a frame back (arch/paging.c's free_table). */
void page_table_free(void *opaque, uint64_t phys);

uint64_t page_alloc_free_frames(void);
/* Free frames no reservation holds: what page_alloc can still give. */
uint64_t page_alloc_unreserved_frames(void);
uint64_t page_alloc_usable_frames(void);

/* Whether the kernel may reuse memory of this UEFI type once boot services
 * are gone (UEFI 2.10 Table 7-6). */
bool memtype_is_usable(uint32_t type);

#endif
