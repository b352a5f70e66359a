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
#include <stddef.h>
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

/* The memory map every Multiboot VM gets, v1 (spec 0.6.96, 3.3 mmap_*)
 * and Multiboot2 (spec 2.0, 3.6.8) alike: RAM below the EBDA, the EBDA,
 * the BIOS area holding the ACPI tables, RAM from 1 MiB. */
#define MB_MEM_AVAILABLE 1
#define MB_MEM_RESERVED 2
#define MB_MAP_REGIONS 4

struct mb_region {
	uint64_t addr, len;
	uint32_t type;
};

/* Fills out[MB_MAP_REGIONS] for a VM of ram_size (>= 1 MiB) bytes and
 * returns the number of regions. */
unsigned multiboot_memory_map(uint64_t ram_size, struct mb_region *out);

/* "path" or "path args": the string GRUB passes for a `multiboot` or
 * `module` line, and QEMU for -kernel and -append (the file name, a
 * space, the arguments).  _size counts the NUL; _put writes the string
 * with its NUL and returns the bytes written. */
size_t multiboot_string_size(const char *path, const char *args);
size_t multiboot_put_string(char *dst, const char *path, const char *args);

#endif
