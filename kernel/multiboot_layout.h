/* Where a Multiboot (v1) kernel's modules and boot information go in guest
 * memory: after the loaded image, each on a page boundary, in usable RAM
 * (outside the hole at 640 KiB - 1 MiB), so that neither can overlap the
 * kernel or another module, wherever the kernel is linked (as QEMU's
 * -kernel and GRUB place them; Multiboot Specification 0.6.96, 3.3: the
 * information "may be placed anywhere in memory by the boot loader").
 * Pure, so a host unit test covers it. */
#ifndef KERNEL_MULTIBOOT_LAYOUT_H
#define KERNEL_MULTIBOOT_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* The initrd (if any), then the `module` lines. */
#define MB_MODS_MAX (1 + CFG_MODULES_MAX)

struct mb_layout {
	uint64_t mod_gpa[MB_MODS_MAX]; /* module i: [mod_gpa[i], + size) */
	uint64_t info_gpa;             /* the information block */
};

/* Places nmods modules of mod_size[] bytes, then info_size bytes of boot
 * information, after image_end in a VM of ram_size bytes.  False, with
 * *why pointing at a static reason, when they do not fit. */
bool multiboot_layout(uint64_t ram_size, uint64_t image_end,
		      const uint64_t *mod_size, unsigned nmods,
		      uint64_t info_size, struct mb_layout *out,
		      const char **why);

#endif
