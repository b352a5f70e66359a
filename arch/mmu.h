/* The kernel's own address space, built on arch/paging.c. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "../boot/boot_info.h"

/* Builds the kernel page tables (no identity map: a stray NULL-ish
 * pointer faults) and switches to them. */
void mmu_init(const struct boot_info *bi);

int mmu_map(uint64_t va, uint64_t pa, uint64_t size, uint64_t attr);
int mmu_unmap(uint64_t va, uint64_t size);
bool mmu_translate(uint64_t va, uint64_t *pa, uint64_t *attr);
uint64_t mmu_root(void);

#endif
