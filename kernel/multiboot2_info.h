/* The Multiboot2 boot information (Multiboot Specification version 2.0,
 * "Boot information format"): an 8-aligned block of total_size,
 * reserved, then tags each on an 8-byte boundary, ending with a tag of
 * type 0 and size 8.  Pure: it builds into a buffer that will sit at a
 * guest-physical address; a host unit test covers it. */
#ifndef KERNEL_MULTIBOOT2_INFO_H
#define KERNEL_MULTIBOOT2_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"

#define MB2_LOADER_NAME "hv"
#define MB2_RSDP_V1_SIZE 20 /* ACPI 6.5 5.2.5.3: up to the revision */
#define MB2_RSDP_V2_SIZE 36

struct mb2_info_module {
	uint64_t start, end;
	const char *path, *args;
};

/* What the information says. */
struct mb2_info_in {
	const char *path, *args;         /* command line "PATH ARGS" */
	unsigned nmods;
	const struct mb2_info_module *mods;
	uint64_t ram_size;
	/* A copy of the VM's RSDP (NULL: none): the old tag gets its first
	 * 20 bytes, the new one all 36 when its revision is 2 or more. */
	const uint8_t *rsdp;
	bool load_base;                  /* give tag 21 */
	uint32_t load_base_addr;
	/* The ELF-symbols tag when elf is not NULL: the section header
	 * table (checked by elf_section_table) of elf[0, elf_size). */
	const uint8_t *elf;
	size_t elf_size;
	const struct elf_info *elf_info;
};

/* The bytes mb2_info_write writes: the tags, then the file bytes of the
 * ELF sections no segment loads (symbol and string tables), which the
 * ELF-symbols tag points at, as GRUB loads them. */
uint64_t mb2_info_size(const struct mb2_info_in *in);

/* Writes the information into buf (mb2_info_size bytes, zeroed), which
 * the kernel will see at guest-physical gpa (8-aligned). */
void mb2_info_write(uint8_t *buf, uint32_t gpa, const struct mb2_info_in *in);

#endif
