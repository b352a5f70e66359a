#ifndef BOOT_BOOT_PAGING_H
#define BOOT_BOOT_PAGING_H

#include <efi.h>

#include "kernel_load.h"

/* The highest physical address (exclusive) the hand-off tables must map:
 * all of the memory map, and at least 4 GiB so the LAPIC, IOAPIC and
 * firmware flash are reachable. */
uint64_t boot_phys_top(void);

/* Builds the tables the kernel starts on: an identity map of
 * [0, phys_top) (the hand-off code runs there, and UEFI runtime services
 * expect it), the same memory again at DIRECT_MAP_BASE, non-executable,
 * and the kernel image at its link address. */
EFI_STATUS boot_paging_build(const struct kernel_image *k, uint64_t phys_top,
			     uint64_t *cr3);

#endif
