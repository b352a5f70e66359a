#include "elf.h"

#include <string.h>

#define EI_NIDENT 16
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1

struct elf64_ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf32_ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

struct elf64_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

struct elf32_shdr {
	uint32_t name, type, flags, addr, offset, size, link, info, addralign,
		entsize;
};

/* Header fields common to both classes, widened. */
struct elf_hdr {
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff, shoff;
	uint16_t shentsize, shnum, shstrndx;
};

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

static void read_hdr(const uint8_t *img, unsigned bits, struct elf_hdr *h)
{
	if (bits == 64) {
		struct elf64_ehdr e;
		memcpy(&e, img, sizeof(e));
		*h = (struct elf_hdr){ e.type, e.machine, e.phentsize,
				       e.phnum, e.entry, e.phoff, e.shoff,
				       e.shentsize, e.shnum, e.shstrndx };
	} else {
		struct elf32_ehdr e;
		memcpy(&e, img, sizeof(e));
		*h = (struct elf_hdr){ e.type, e.machine, e.phentsize,
				       e.phnum, e.entry, e.phoff, e.shoff,
				       e.shentsize, e.shnum, e.shstrndx };
	}
}

static void read_phdr(const uint8_t *p, unsigned bits, uint32_t *type,
		      struct elf_segment *s)
{
	if (bits == 64) {
		struct elf64_phdr ph;
		memcpy(&ph, p, sizeof(ph));
		*type = ph.type;
		*s = (struct elf_segment){ ph.vaddr, ph.paddr, ph.offset,
					   ph.filesz, ph.memsz, ph.flags };
	} else {
		struct elf32_phdr ph;
		memcpy(&ph, p, sizeof(ph));
		*type = ph.type;
		*s = (struct elf_segment){ ph.vaddr, ph.paddr, ph.offset,
					   ph.filesz, ph.memsz, ph.flags };
	}
}

static int check_ident(const uint8_t *img, size_t size, unsigned *bits,
		       const char **why)
{
	if (size < sizeof(struct elf32_ehdr) ||
	    memcmp(img, "\177ELF", 4) != 0)
		return fail(why, "not an ELF file");
	if (img[5] != ELFDATA2LSB)
		return fail(why, "not little-endian");
	if (img[4] == ELFCLASS64 && size >= sizeof(struct elf64_ehdr))
		*bits = 64;
	else if (img[4] == ELFCLASS32)
		*bits = 32;
	else
		return fail(why, "unknown ELF class or truncated header");
	return 0;
}

static int check_segment(const struct elf_segment *s, size_t size,
			 unsigned bits, const char **why)
{
	if (s->filesz > s->memsz)
		return fail(why, "segment file size exceeds memory size");
	if (s->offset > size || s->filesz > size - s->offset)
		return fail(why, "segment extends past the end of the file");
	if (s->vaddr + s->memsz < s->vaddr ||
	    (bits == 32 && s->vaddr + s->memsz > (1ull << 32)))
		return fail(why, "segment wraps around the address space");
	return 0;
}

static int read_segments(const uint8_t *img, size_t size, unsigned bits,
			 const struct elf_hdr *h, struct elf_info *info,
			 const char **why)
{
	size_t entsize = bits == 64 ? sizeof(struct elf64_phdr)
				    : sizeof(struct elf32_phdr);

	if (h->phentsize != entsize)
		return fail(why, "bad program header size");
	if (h->phoff > size || (uint64_t)h->phnum * entsize > size - h->phoff)
		return fail(why, "program headers extend past the file");
	info->nsegments = 0;
	for (unsigned i = 0; i < h->phnum; i++) {
		struct elf_segment s;
		uint32_t type;
		read_phdr(img + h->phoff + i * entsize, bits, &type, &s);
		if (type != PT_LOAD || s.memsz == 0)
			continue;
		if (check_segment(&s, size, bits, why))
			return -1;
		if (info->nsegments == ELF_MAX_SEGMENTS)
			return fail(why, "too many loadable segments");
		info->segments[info->nsegments++] = s;
	}
	if (!info->nsegments)
		return fail(why, "no loadable segments");
	return 0;
}

int elf_parse(const void *image, size_t size, struct elf_info *info,
	      const char **why)
{
	const uint8_t *img = image;
	struct elf_hdr h;
	unsigned bits;

	if (check_ident(img, size, &bits, why))
		return -1;
	read_hdr(img, bits, &h);
	if (h.type != ET_EXEC)
		return fail(why, "not an executable (ET_EXEC)");
	if (h.machine != (bits == 64 ? EM_X86_64 : EM_386))
		return fail(why, "not an x86 executable");
	info->bits = bits;
	info->entry = h.entry;
	info->shoff = h.shoff;
	info->shnum = h.shnum;
	info->shentsize = h.shentsize;
	info->shstrndx = h.shstrndx;
	return read_segments(img, size, bits, &h, info, why);
}

void elf_vaddr_span(const struct elf_info *info, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < info->nsegments; i++) {
		const struct elf_segment *s = &info->segments[i];
		if (s->vaddr < *lo)
			*lo = s->vaddr;
		if (s->vaddr + s->memsz > *hi)
			*hi = s->vaddr + s->memsz;
	}
}

void elf_section_read(const void *entry, unsigned bits, struct elf_section *s)
{
	if (bits == 64) {
		struct elf64_shdr sh;
		memcpy(&sh, entry, sizeof(sh));
		*s = (struct elf_section){ sh.type, sh.flags, sh.addr,
					   sh.offset, sh.size };
	} else {
		struct elf32_shdr sh;
		memcpy(&sh, entry, sizeof(sh));
		*s = (struct elf_section){ sh.type, sh.flags, sh.addr,
					   sh.offset, sh.size };
	}
}

void elf_section_set_addr(void *entry, unsigned bits, uint64_t addr)
{
	if (bits == 64) {
		memcpy((uint8_t *)entry + offsetof(struct elf64_shdr, addr),
		       &addr, sizeof(uint64_t));
	} else {
		uint32_t a = (uint32_t)addr;
		memcpy((uint8_t *)entry + offsetof(struct elf32_shdr, addr),
		       &a, sizeof(a));
	}
}

int elf_section_table(const void *image, size_t size,
		      const struct elf_info *info, const char **why)
{
	const uint8_t *img = image;
	size_t entsize = info->bits == 64 ? sizeof(struct elf64_shdr)
					  : sizeof(struct elf32_shdr);

	if (info->shnum == 0)
		return 0;
	if (info->shentsize != entsize)
		return fail(why, "bad section header size");
	if (info->shoff > size ||
	    (uint64_t)info->shnum * entsize > size - info->shoff)
		return fail(why, "section headers extend past the file");
	if (info->shstrndx >= info->shnum)
		return fail(why, "section name table index out of range");
	for (unsigned i = 0; i < info->shnum; i++) {
		struct elf_section s;
		elf_section_read(img + info->shoff + i * entsize, info->bits,
				 &s);
		if (s.type != ELF_SHT_NOBITS &&
		    (s.offset > size || s.size > size - s.offset))
			return fail(why, "a section extends past the file");
	}
	return 0;
}
