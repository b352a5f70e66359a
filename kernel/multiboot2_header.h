/* Reading a Multiboot2 kernel's header (Multiboot Specification version
 * 2.0, "the spec" below, the format GRUB 2's `multiboot2` command and Xen
 * use; sections cited by name): find it, check it, and say what the
 * kernel asks of the loader, refusing a required tag hv cannot honour
 * with a reason that names it.  Pure and bounds-checked: the header is
 * untrusted, and a host unit test covers it. */
#ifndef KERNEL_MULTIBOOT2_HEADER_H
#define KERNEL_MULTIBOOT2_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "multiboot_image.h"

#define MB2_HEADER_MAGIC 0xe85250d6u
#define MB2_BOOT_MAGIC 0x36d76289u /* in EAX ("I386 machine state") */

/* Boot information tag types ("Boot information format"). */
#define MB2_INFO_END 0
#define MB2_INFO_CMDLINE 1
#define MB2_INFO_LOADER_NAME 2
#define MB2_INFO_MODULE 3
#define MB2_INFO_MEMINFO 4
#define MB2_INFO_MMAP 6
#define MB2_INFO_ELF_SECTIONS 9
#define MB2_INFO_ACPI_OLD 14
#define MB2_INFO_ACPI_NEW 15
#define MB2_INFO_LOAD_BASE 21

enum mb2_detect {
	MB2_NONE,         /* no Multiboot2 magic: a v1 kernel, or none */
	MB2_FOUND,        /* a header whose checksum holds */
	MB2_BAD_CHECKSUM, /* the magic, but no header's checksum holds */
};

/* Whether the first 32 KiB of the image hold a Multiboot2 header: the
 * magic on a 64-bit boundary, with magic + architecture + header_length
 * + checksum = 0 (spec "Header magic fields"). */
enum mb2_detect multiboot2_detect(const uint8_t *img, size_t size);

/* What the header asks for. */
struct mb2_header {
	size_t offset;           /* of the header in the file */
	bool has_address;        /* address tag: load by these fields */
	struct mb_load_fields fields;
	bool has_entry;          /* entry address tag */
	uint32_t entry;
	bool relocatable;        /* relocatable header tag */
	uint32_t min_addr, max_addr, align;
	bool wants_load_base;    /* requested information tag 21 */
};

/* Parses the header multiboot2_detect found.  False, with *why pointing
 * at a static reason, for a malformed header, an architecture other than
 * i386, or a tag not marked optional that hv cannot honour (named with
 * its type in the reason). */
bool multiboot2_header_parse(const uint8_t *img, size_t size,
			     struct mb2_header *h, const char **why);

#endif
