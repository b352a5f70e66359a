#include "multiboot_image.h"

#include <string.h>

#include "acpi_tables.h"

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_SEARCH_LEN 8192
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_KNOWN_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry;
};

/* The header is 32-bit aligned in the first 8 KiB (spec 3.1.1).  Only its
 * first three words must be there: the address fields exist only for the
 * a.out kludge (flag 16), so a header near the end of the file is still
 * found (as GRUB finds it); missing fields read as zero. */
#define MB_HEADER_MIN 12

static bool find_header(const uint8_t *img, size_t size, struct mb_header *h,
			size_t *offset)
{
	for (size_t off = 0; off + MB_HEADER_MIN <= size && off < MB_SEARCH_LEN;
	     off += 4) {
		size_t n = size - off < sizeof(*h) ? size - off : sizeof(*h);
		memset(h, 0, sizeof(*h));
		memcpy(h, img + off, n);
		if (h->magic == MB_HEADER_MAGIC &&
		    h->magic + h->flags + h->checksum == 0) {
			*offset = off;
			return true;
		}
	}
	return false;
}

bool multiboot_fits(uint64_t ram_size, uint64_t gpa, uint64_t len)
{
	if (gpa > ram_size || len > ram_size - gpa)
		return false;
	return gpa + len <= MB_LOW_MEM_END || gpa >= MB_HOLE_END;
}

bool multiboot_in_bios_area(uint64_t gpa, uint64_t len)
{
	return len && gpa < ACPI_BIOS_AREA_END && gpa + len > ACPI_BIOS_AREA;
}

/* Where the CPU starts: the ELF entry is a virtual address; like GRUB
 * (grub-core/loader/multiboot_elfxx.c, for ELF32 and ELF64 alike) it is
 * converted through the loadable segment whose [p_vaddr, p_vaddr +
 * p_memsz) contains it, to p_paddr + (e_entry - p_vaddr), and an entry in
 * no segment is refused ("entry point isn't in a segment").  QEMU's ELF
 * loader does the same conversion.  For a kernel linked where it runs
 * (vaddr = paddr) it is e_entry itself. */
static bool physical_entry(const struct elf_info *elf, uint64_t *entry)
{
	for (unsigned i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segments[i];
		if (elf->entry >= s->vaddr && elf->entry - s->vaddr < s->memsz) {
			*entry = s->paddr + (elf->entry - s->vaddr);
			return true;
		}
	}
	return false;
}

/* ELF32 and ELF64 alike: each PT_LOAD segment goes to its physical
 * address p_paddr, as GRUB loads them; the CPU starts in 32-bit protected
 * mode (spec 3.2) whatever the ELF class, so an ELF64 kernel's first
 * instructions are 32-bit code and everything must lie below 4 GiB, in
 * the VM's RAM (multiboot_fits). */
bool multiboot_image_elf(const uint8_t *img, size_t size, uint64_t ram_size,
			 struct mb_image *out, const char **why)
{
	struct elf_info elf;

	memset(out, 0, sizeof(*out));
	if (elf_parse(img, size, &elf, why))
		return false;
	for (unsigned i = 0; i < elf.nsegments; i++) {
		const struct elf_segment *s = &elf.segments[i];
		if (multiboot_in_bios_area(s->paddr, s->memsz)) {
			*why = MB_BIOS_AREA_WHY;
			return false;
		}
		if (!multiboot_fits(ram_size, s->paddr, s->memsz)) {
			*why = "a segment lies outside the VM's memory";
			return false;
		}
		out->chunks[i] = (struct mb_chunk){ s->paddr, s->offset,
						    s->filesz, s->memsz };
		if (s->paddr + s->memsz > out->end)
			out->end = s->paddr + s->memsz;
	}
	out->nchunks = elf.nsegments;
	if (!physical_entry(&elf, &out->entry)) {
		*why = "the ELF entry point lies in no loadable segment";
		return false;
	}
	return true;
}

/* The a.out kludge: the header's address fields say what to load where
 * (spec 3.1.3); load_end_addr 0 means the rest of the file, bss_end_addr 0
 * no bss. */
bool multiboot_image_fields(size_t size, uint64_t ram_size,
			    const struct mb_load_fields *h, size_t hoff,
			    struct mb_image *out, const char **why)
{
	uint64_t file_start = hoff - (uint64_t)(h->header_addr - h->load_addr);
	uint64_t load_len = h->load_end_addr ? h->load_end_addr - h->load_addr
					     : size - file_start;
	uint64_t bss_end = h->bss_end_addr ? h->bss_end_addr
					   : h->load_addr + load_len;

	memset(out, 0, sizeof(*out));
	if (h->header_addr < h->load_addr || file_start > size ||
	    load_len > size - file_start || bss_end < h->load_addr + load_len) {
		*why = "inconsistent Multiboot address fields";
		return false;
	}
	if (multiboot_in_bios_area(h->load_addr, bss_end - h->load_addr)) {
		*why = MB_BIOS_AREA_WHY;
		return false;
	}
	if (!multiboot_fits(ram_size, h->load_addr, bss_end - h->load_addr)) {
		*why = "inconsistent Multiboot address fields";
		return false;
	}
	out->chunks[0] = (struct mb_chunk){ h->load_addr, file_start, load_len,
					    bss_end - h->load_addr };
	out->nchunks = 1;
	out->entry = h->entry;
	out->end = bss_end;
	return true;
}

bool multiboot_image_parse(const uint8_t *img, size_t size, uint64_t ram_size,
			   struct mb_image *out, const char **why)
{
	struct mb_header h;
	size_t hoff;

	memset(out, 0, sizeof(*out));
	if (!find_header(img, size, &h, &hoff)) {
		*why = "no Multiboot header in the first 8 KiB";
		return false;
	}
	if ((h.flags & 0xffff) & ~MB_KNOWN_REQUIRED) {
		*why = "the kernel requires unknown Multiboot features";
		return false;
	}
	if ((h.flags & MB_FLAG_AOUT_KLUDGE) && size - hoff < sizeof(h)) {
		*why = "the Multiboot header's address fields are cut off";
		return false;
	}
	if (h.flags & MB_FLAG_AOUT_KLUDGE)
		return multiboot_image_fields(size, ram_size,
			&(struct mb_load_fields){ h.header_addr, h.load_addr,
				h.load_end_addr, h.bss_end_addr, h.entry },
			hoff, out, why);
	return multiboot_image_elf(img, size, ram_size, out, why);
}
