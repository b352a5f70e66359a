#ifndef BOOT_KERNEL_LOAD_H
#define BOOT_KERNEL_LOAD_H

#include <efi.h>

#include "../arch/paging.h"
#include "../kernel/elf.h"

struct kernel_image {
	struct elf_info elf;
	uint64_t vbase;  /* lowest segment vaddr, page aligned */
	uint64_t phys;   /* where vbase lives physically */
	uint64_t size;   /* bytes, page aligned */
};

/* Copies the kernel ELF embedded in hv.efi into fresh BOOT_MEMTYPE_HV
 * pages, zero-filling .bss. */
EFI_STATUS kernel_load(struct kernel_image *k);

/* Maps each segment at its link address with the segment's rights:
 * text read-only and executable, data non-executable. */
int kernel_map(const struct kernel_image *k, struct pt_ctx *pt);

#endif
