/* ELF executable parsing (System V gABI, ELF-64 and ELF-32 for x86):
 * validates an image and lists its loadable segments.  Pure, bounds-checked
 * code: it reads untrusted guest images as well as our own kernel. */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16

#define ELF_PF_X 0x1
#define ELF_PF_W 0x2
#define ELF_PF_R 0x4

struct elf_segment {
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t offset; /* in the file */
	uint64_t filesz;
	uint64_t memsz;  /* >= filesz; the rest is zero-filled */
	uint32_t flags;  /* ELF_PF_* */
};

struct elf_info {
	unsigned bits; /* 32 or 64 */
	uint64_t entry;
	unsigned nsegments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
	/* The section header table as the ELF header gives it, unchecked:
	 * elf_section_table() validates it. */
	uint64_t shoff;
	unsigned shnum, shentsize, shstrndx;
};

/* Section headers (gABI "Sections"), for loaders that hand them to a
 * kernel (Multiboot2's ELF-symbols tag). */
#define ELF_SHT_NOBITS 8
#define ELF_SHF_ALLOC 0x2

struct elf_section {
	uint32_t type;
	uint64_t flags, addr, offset, size;
};

/* Returns 0 and fills info for an x86 (EM_386 for ELF-32, EM_X86_64 for
 * ELF-64) executable whose PT_LOAD segments all lie inside the file;
 * otherwise returns -1 and points *why at a static reason. */
int elf_parse(const void *image, size_t size, struct elf_info *info,
	      const char **why);

/* Checks the section header table of an image elf_parse accepted: every
 * entry of the class's size inside the file, and the file bytes of every
 * section that occupies some (not SHT_NOBITS) inside it too.  Returns 0
 * (also for an image without sections: shnum 0), or -1 with *why. */
int elf_section_table(const void *image, size_t size,
		      const struct elf_info *info, const char **why);

/* Reads and writes one entry of the table (entry: its first byte). */
void elf_section_read(const void *entry, unsigned bits, struct elf_section *s);
void elf_section_set_addr(void *entry, unsigned bits, uint64_t addr);

/* The lowest vaddr and the end of the highest segment (vaddr + memsz). */
void elf_vaddr_span(const struct elf_info *info, uint64_t *lo, uint64_t *hi);

#endif
