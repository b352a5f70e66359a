/* The kernel's virtual layout (see docs/ARCHITECTURE.md):
 *   DIRECT_MAP_BASE + p   every physical address p below direct_map_size,
 *                         read/write, never executable;
 *   KERNEL_VBASE          the kernel image (text RX, rodata R, data RW NX);
 *   KERNEL_SCRATCH_BASE   a window for temporary mappings (self-tests). */
#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H

#include <stdint.h>

#include "../boot/boot_info.h"

#define KERNEL_SCRATCH_BASE 0xffffff0000000000ull

static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(phys + DIRECT_MAP_BASE);
}

static inline uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)va - DIRECT_MAP_BASE;
}

#endif
