#include "multiboot2_info.h"

#include <string.h>

#include "multiboot2_header.h"
#include "multiboot_layout.h"

#define ALIGN8(x) (((x) + 7) & ~(uint64_t)7)
#define TAG_HDR 8u /* type, size */

/* Fixed parts of the tags ("Boot information format"). */
#define MODULE_FIXED (TAG_HDR + 8)   /* mod_start, mod_end, then string */
#define MEMINFO_SIZE (TAG_HDR + 8)   /* mem_lower, mem_upper (KiB) */
#define MMAP_FIXED (TAG_HDR + 8)     /* entry_size, entry_version */
#define MMAP_ENTRY_SIZE 24           /* base_addr, length, type, reserved */
#define MMAP_ENTRY_VERSION 0
/* ELF-symbols: num, entsize, shndx as 32-bit words, as GRUB 2 writes them
 * (its multiboot2.h; the 2.0 document's first text showed 16-bit fields,
 * but kernels read what GRUB writes), then the section headers. */
#define ELF_FIXED (TAG_HDR + 12)
#define LOAD_BASE_SIZE (TAG_HDR + 4)

static size_t shdr_size(const struct elf_info *e)
{
	return e->bits == 64 ? 64 : 40;
}

/* Sections whose bytes the loader copies: those no segment loads
 * (not SHF_ALLOC) that have file bytes; GRUB loads them so that the
 * kernel finds its symbol table. */
static bool copied(const struct elf_section *s)
{
	return !(s->flags & ELF_SHF_ALLOC) && s->type != ELF_SHT_NOBITS &&
	       s->size;
}

static void section(const struct mb2_info_in *in, unsigned i,
		    struct elf_section *s)
{
	elf_section_read(in->elf + in->elf_info->shoff +
				 i * shdr_size(in->elf_info),
			 in->elf_info->bits, s);
}

static uint64_t tags_size(const struct mb2_info_in *in)
{
	uint64_t n = 8; /* total_size, reserved */

	n += ALIGN8(TAG_HDR + multiboot_string_size(in->path, in->args));
	n += ALIGN8(TAG_HDR + sizeof(MB2_LOADER_NAME));
	for (unsigned i = 0; i < in->nmods; i++)
		n += ALIGN8(MODULE_FIXED + multiboot_string_size(
					   in->mods[i].path, in->mods[i].args));
	n += ALIGN8(MEMINFO_SIZE);
	n += ALIGN8(MMAP_FIXED + MB_MAP_REGIONS * MMAP_ENTRY_SIZE);
	if (in->elf && in->elf_info->shnum)
		n += ALIGN8(ELF_FIXED + (uint64_t)in->elf_info->shnum *
						shdr_size(in->elf_info));
	if (in->rsdp) {
		n += ALIGN8(TAG_HDR + MB2_RSDP_V1_SIZE);
		if (in->rsdp[15] >= 2) /* revision */
			n += ALIGN8(TAG_HDR + MB2_RSDP_V2_SIZE);
	}
	if (in->load_base)
		n += ALIGN8(LOAD_BASE_SIZE);
	return n + TAG_HDR; /* the end tag */
}

uint64_t mb2_info_size(const struct mb2_info_in *in)
{
	uint64_t n = tags_size(in);

	if (in->elf) {
		for (unsigned i = 0; i < in->elf_info->shnum; i++) {
			struct elf_section s;
			section(in, i, &s);
			if (copied(&s))
				n = ALIGN8(n) + s.size;
		}
	}
	return n;
}

/* Starts a tag of type at *off with size bytes; returns its first byte
 * and moves *off past it, to the next 8-byte boundary. */
static uint8_t *tag(uint8_t *buf, uint64_t *off, uint32_t type, uint64_t size)
{
	uint8_t *t = buf + *off;
	uint32_t w[2] = { type, (uint32_t)size };

	memcpy(t, w, sizeof(w));
	*off = ALIGN8(*off + size);
	return t;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void string_tag(uint8_t *buf, uint64_t *off, uint32_t type,
		       const char *path, const char *args)
{
	uint8_t *t = tag(buf, off, type,
			 TAG_HDR + multiboot_string_size(path, args));
	multiboot_put_string((char *)t + TAG_HDR, path, args);
}

static void memory_tags(uint8_t *buf, uint64_t *off, uint64_t ram_size)
{
	struct mb_region map[MB_MAP_REGIONS];
	unsigned n = multiboot_memory_map(ram_size, map);
	uint8_t *t = tag(buf, off, MB2_INFO_MEMINFO, MEMINFO_SIZE);

	/* "Basic memory information": KiB below 1 MiB from 0, KiB from
	 * 1 MiB to the first hole (here, the end of RAM). */
	put32(t + 8, (uint32_t)(map[0].len / 1024));
	put32(t + 12, (uint32_t)((ram_size - map[n - 1].addr) / 1024));
	t = tag(buf, off, MB2_INFO_MMAP, MMAP_FIXED + n * MMAP_ENTRY_SIZE);
	put32(t + 8, MMAP_ENTRY_SIZE);
	put32(t + 12, MMAP_ENTRY_VERSION);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = t + MMAP_FIXED + i * MMAP_ENTRY_SIZE;
		put64(e, map[i].addr);
		put64(e + 8, map[i].len);
		put32(e + 16, map[i].type);
	}
}

/* "ELF-symbols": the section header table, where each section the
 * loader copied has sh_addr set to its copy (after the tags); loaded
 * sections keep theirs. */
static void elf_tag(uint8_t *buf, uint64_t *off, uint32_t gpa,
		    const struct mb2_info_in *in)
{
	const struct elf_info *e = in->elf_info;
	size_t es = shdr_size(e);
	uint8_t *t = tag(buf, off, MB2_INFO_ELF_SECTIONS,
			 ELF_FIXED + (uint64_t)e->shnum * es);
	uint64_t data = tags_size(in);

	put32(t + 8, e->shnum);
	put32(t + 12, (uint32_t)es);
	put32(t + 16, e->shstrndx);
	memcpy(t + ELF_FIXED, in->elf + e->shoff, (size_t)e->shnum * es);
	for (unsigned i = 0; i < e->shnum; i++) {
		struct elf_section s;

		section(in, i, &s);
		if (!copied(&s))
			continue;
		data = ALIGN8(data);
		memcpy(buf + data, in->elf + s.offset, s.size);
		elf_section_set_addr(t + ELF_FIXED + i * es, e->bits,
				     gpa + data);
		data += s.size;
	}
}

void mb2_info_write(uint8_t *buf, uint32_t gpa, const struct mb2_info_in *in)
{
	uint64_t off = 8;

	string_tag(buf, &off, MB2_INFO_CMDLINE, in->path, in->args);
	string_tag(buf, &off, MB2_INFO_LOADER_NAME, MB2_LOADER_NAME, "");
	for (unsigned i = 0; i < in->nmods; i++) {
		const struct mb2_info_module *m = &in->mods[i];
		uint8_t *t = tag(buf, &off, MB2_INFO_MODULE,
				 MODULE_FIXED + multiboot_string_size(
							m->path, m->args));
		put32(t + 8, (uint32_t)m->start);
		put32(t + 12, (uint32_t)m->end);
		multiboot_put_string((char *)t + MODULE_FIXED, m->path,
				     m->args);
	}
	memory_tags(buf, &off, in->ram_size);
	if (in->elf && in->elf_info->shnum)
		elf_tag(buf, &off, gpa, in);
	if (in->rsdp) {
		uint8_t *t = tag(buf, &off, MB2_INFO_ACPI_OLD,
				 TAG_HDR + MB2_RSDP_V1_SIZE);
		memcpy(t + TAG_HDR, in->rsdp, MB2_RSDP_V1_SIZE);
		if (in->rsdp[15] >= 2) {
			t = tag(buf, &off, MB2_INFO_ACPI_NEW,
				TAG_HDR + MB2_RSDP_V2_SIZE);
			memcpy(t + TAG_HDR, in->rsdp, MB2_RSDP_V2_SIZE);
		}
	}
	if (in->load_base) {
		uint8_t *t = tag(buf, &off, MB2_INFO_LOAD_BASE, LOAD_BASE_SIZE);
		put32(t + 8, in->load_base_addr);
	}
	tag(buf, &off, MB2_INFO_END, TAG_HDR);
	put32(buf, (uint32_t)off); /* total_size */
	put32(buf + 4, 0);
}
