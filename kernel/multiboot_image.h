/* Reading a Multiboot (v1) kernel image (Multiboot Specification 0.6.96,
 * 3.1): find its header, check the features it requires, and say which
 * bytes of the file go where in guest memory, from its ELF program headers
 * or from the header's a.out kludge address fields.  Pure and bounds-
 * checked, so a host fuzzer covers it; kernel/multiboot.c does the copying. */
#ifndef KERNEL_MULTIBOOT_IMAGE_H
#define KERNEL_MULTIBOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"

/* The hole the memory map gives a Multiboot VM, as on a PC: the EBDA,
 * VGA memory and the BIOS area, [MB_LOW_MEM_END, MB_HOLE_END).  Kernels,
 * modules and the boot information go in RAM below or above it. */
#define MB_LOW_MEM_END 0x9fc00u
#define MB_HOLE_END 0x100000u

/* File bytes [offset, offset + filesz) go to guest-physical gpa; the rest
 * of [gpa, gpa + memsz) is zero. */
struct mb_chunk {
	uint64_t gpa, offset, filesz, memsz;
};

struct mb_image {
	uint64_t entry;
	uint64_t end; /* the end of the highest chunk */
	unsigned nchunks;
	struct mb_chunk chunks[ELF_MAX_SEGMENTS];
};

/* Whether [gpa, gpa + len) lies in a VM of ram_size bytes, outside the
 * hole below 1 MiB. */
bool multiboot_fits(uint64_t ram_size, uint64_t gpa, uint64_t len);

/* Whether [gpa, gpa + len) touches the PC BIOS area 0xe0000-0xfffff,
 * where every VM's ACPI tables live (kernel/acpi_tables.h): nothing of a
 * kernel may load there. */
bool multiboot_in_bios_area(uint64_t gpa, uint64_t len);
#define MB_BIOS_AREA_WHY "a segment lies in 0xe0000-0xfffff, the BIOS area " \
			 "that holds the VM's ACPI tables"

/* The address fields of a v1 header with the a.out kludge (spec 3.1.3),
 * and of a Multiboot2 address tag plus its entry address tag (spec 2.0,
 * 3.1.5 and 3.1.6). */
struct mb_load_fields {
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry;
};

/* The image as an ELF32 or ELF64 executable: segments at p_paddr, the
 * entry converted to a physical address as GRUB does. */
bool multiboot_image_elf(const uint8_t *img, size_t size, uint64_t ram_size,
			 struct mb_image *out, const char **why);

/* The image as the address fields say, the header found at file offset
 * hoff: load_end_addr 0 means the rest of the file, bss_end_addr 0 no
 * bss. */
bool multiboot_image_fields(size_t size, uint64_t ram_size,
			    const struct mb_load_fields *h, size_t hoff,
			    struct mb_image *out, const char **why);

/* Fills *out for a kernel image that loads entirely inside a VM of
 * ram_size bytes: every chunk fits (multiboot_fits) and its file bytes lie
 * inside the image.  Otherwise returns false and points *why at a static
 * reason. */
bool multiboot_image_parse(const uint8_t *img, size_t size, uint64_t ram_size,
			   struct mb_image *out, const char **why);

#endif
