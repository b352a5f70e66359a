/* Host unit tests for the ELF executable parser (kernel/elf.c).
 *
 * Images are built byte by byte from the System V gABI layout (not from
 * <elf.h>) into an exact-size heap buffer, so ASan flags any read past the
 * end of the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/elf.h"
#include "unit.h"

/* gABI constants, restated here on purpose. */
#define T_ELFCLASS32 1
#define T_ELFCLASS64 2
#define T_ELFDATA2LSB 1
#define T_ELFDATA2MSB 2
#define T_ET_EXEC 2
#define T_ET_DYN 3
#define T_EM_386 3
#define T_EM_X86_64 62
#define T_PT_NULL 0
#define T_PT_LOAD 1
#define T_PT_NOTE 4
#define T_EHDR64 64
#define T_PHDR64 56
#define T_EHDR32 52
#define T_PHDR32 32

static uint8_t img[16384];
static size_t img_len;
static struct elf_info info;
static const char *why;

static void put16(size_t off, uint16_t v)
{
	img[off] = (uint8_t)v;
	img[off + 1] = (uint8_t)(v >> 8);
}

static void put32(size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		img[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void put64(size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		img[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void ident(uint8_t cls)
{
	img[0] = 0x7f;
	img[1] = 'E';
	img[2] = 'L';
	img[3] = 'F';
	img[4] = cls;
	img[5] = T_ELFDATA2LSB;
	img[6] = 1; /* EV_CURRENT */
}

/* ELF-64 header with program headers right after it at offset 64. */
static void ehdr64(uint16_t type, uint16_t machine, uint64_t entry,
		   uint16_t phnum)
{
	memset(img, 0, sizeof(img));
	ident(T_ELFCLASS64);
	put16(16, type);
	put16(18, machine);
	put32(20, 1);
	put64(24, entry);
	put64(32, T_EHDR64);   /* phoff */
	put64(40, 0);          /* shoff */
	put32(48, 0);          /* flags */
	put16(52, T_EHDR64);   /* ehsize */
	put16(54, T_PHDR64);   /* phentsize */
	put16(56, phnum);
	img_len = 4096;
}

static void phdr64(unsigned i, uint32_t type, uint32_t flags, uint64_t offset,
		   uint64_t vaddr, uint64_t paddr, uint64_t filesz,
		   uint64_t memsz)
{
	size_t o = T_EHDR64 + (size_t)i * T_PHDR64;

	put32(o, type);
	put32(o + 4, flags);
	put64(o + 8, offset);
	put64(o + 16, vaddr);
	put64(o + 24, paddr);
	put64(o + 32, filesz);
	put64(o + 40, memsz);
	put64(o + 48, 0x1000); /* align */
}

static void ehdr32(uint16_t type, uint16_t machine, uint32_t entry,
		   uint16_t phnum)
{
	memset(img, 0, sizeof(img));
	ident(T_ELFCLASS32);
	put16(16, type);
	put16(18, machine);
	put32(20, 1);
	put32(24, entry);
	put32(28, T_EHDR32);   /* phoff */
	put32(32, 0);          /* shoff */
	put32(36, 0);          /* flags */
	put16(40, T_EHDR32);   /* ehsize */
	put16(42, T_PHDR32);   /* phentsize */
	put16(44, phnum);
	img_len = 4096;
}

static void phdr32(unsigned i, uint32_t type, uint32_t flags, uint32_t offset,
		   uint32_t vaddr, uint32_t paddr, uint32_t filesz,
		   uint32_t memsz)
{
	size_t o = T_EHDR32 + (size_t)i * T_PHDR32;

	put32(o, type);
	put32(o + 4, offset);
	put32(o + 8, vaddr);
	put32(o + 12, paddr);
	put32(o + 16, filesz);
	put32(o + 20, memsz);
	put32(o + 24, flags);
	put32(o + 28, 0x1000);
}

/* Parses the first img_len bytes of img from an exact-size heap copy. */
static int parse(void)
{
	uint8_t *buf = malloc(img_len ? img_len : 1);
	int rc;

	if (!buf)
		abort();
	memcpy(buf, img, img_len);
	why = NULL;
	memset(&info, 0xa5, sizeof(info));
	rc = elf_parse(buf, img_len, &info, &why);
	free(buf);
	return rc;
}

/* A valid 64-bit kernel-like image: text, a PT_NOTE, data+bss, and an
 * empty PT_LOAD. */
static void good64(void)
{
	ehdr64(T_ET_EXEC, T_EM_X86_64, 0xffffffff80100040ull, 4);
	phdr64(0, T_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000,
	       0xffffffff80100000ull, 0x100000, 0x800, 0x800);
	phdr64(1, T_PT_NOTE, ELF_PF_R, 0x200, 0, 0, 0x20, 0x20);
	phdr64(2, T_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x1800,
	       0xffffffff80102000ull, 0x102000, 0x100, 0x3000);
	phdr64(3, T_PT_LOAD, ELF_PF_R, 0x99999999, 0x5000, 0x5000, 0, 0);
	img_len = 0x2000;
}

#define CHECK_REJECT(reason) do {                                           \
		CHECK(parse() == -1);                                       \
		CHECK_STR(why, reason);                                     \
	} while (0)

/* ---- valid images ---------------------------------------------------------- */

TEST(valid_elf64)
{
	uint64_t lo, hi;

	good64();
	CHECK_EQ_U64(parse(), 0);
	CHECK_EQ_U64(info.bits, 64);
	CHECK_EQ_U64(info.entry, 0xffffffff80100040ull);
	CHECK_EQ_U64(info.nsegments, 2); /* PT_NOTE and the empty load skipped */
	CHECK_EQ_U64(info.segments[0].vaddr, 0xffffffff80100000ull);
	CHECK_EQ_U64(info.segments[0].paddr, 0x100000);
	CHECK_EQ_U64(info.segments[0].offset, 0x1000);
	CHECK_EQ_U64(info.segments[0].filesz, 0x800);
	CHECK_EQ_U64(info.segments[0].memsz, 0x800);
	CHECK_EQ_U64(info.segments[0].flags, ELF_PF_R | ELF_PF_X);
	CHECK_EQ_U64(info.segments[1].vaddr, 0xffffffff80102000ull);
	CHECK_EQ_U64(info.segments[1].paddr, 0x102000);
	CHECK_EQ_U64(info.segments[1].offset, 0x1800);
	CHECK_EQ_U64(info.segments[1].filesz, 0x100);
	CHECK_EQ_U64(info.segments[1].memsz, 0x3000);
	CHECK_EQ_U64(info.segments[1].flags, ELF_PF_R | ELF_PF_W);
	elf_vaddr_span(&info, &lo, &hi);
	CHECK_EQ_U64(lo, 0xffffffff80100000ull);
	CHECK_EQ_U64(hi, 0xffffffff80105000ull);
}

TEST(valid_elf32)
{
	uint64_t lo, hi;

	ehdr32(T_ET_EXEC, T_EM_386, 0x100000c, 2);
	phdr32(0, T_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x2000, 0x1200000, 0x200000,
	       0x10, 0x1000);
	phdr32(1, T_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000, 0x1000000, 0x100000,
	       0x400, 0x400);
	img_len = 0x2010; /* the first segment ends exactly at the end */
	CHECK_EQ_U64(parse(), 0);
	CHECK_EQ_U64(info.bits, 32);
	CHECK_EQ_U64(info.entry, 0x100000c);
	CHECK_EQ_U64(info.nsegments, 2);
	CHECK_EQ_U64(info.segments[0].vaddr, 0x1200000);
	CHECK_EQ_U64(info.segments[0].paddr, 0x200000);
	CHECK_EQ_U64(info.segments[0].offset, 0x2000);
	CHECK_EQ_U64(info.segments[0].filesz, 0x10);
	CHECK_EQ_U64(info.segments[0].memsz, 0x1000);
	CHECK_EQ_U64(info.segments[0].flags, ELF_PF_R | ELF_PF_W);
	CHECK_EQ_U64(info.segments[1].vaddr, 0x1000000);
	CHECK_EQ_U64(info.segments[1].flags, ELF_PF_R | ELF_PF_X);
	/* Span is min vaddr .. max end, regardless of header order. */
	elf_vaddr_span(&info, &lo, &hi);
	CHECK_EQ_U64(lo, 0x1000000);
	CHECK_EQ_U64(hi, 0x1201000);

	/* One byte less and the first segment no longer fits. */
	img_len = 0x200f;
	CHECK_REJECT("segment extends past the end of the file");
}

TEST(max_segments_accepted_one_more_rejected)
{
	ehdr64(T_ET_EXEC, T_EM_X86_64, 0x1000, ELF_MAX_SEGMENTS);
	for (unsigned i = 0; i < ELF_MAX_SEGMENTS; i++)
		phdr64(i, T_PT_LOAD, ELF_PF_R, 0, 0x100000 + i * 0x1000ull,
		       0, 0x10, 0x1000);
	CHECK_EQ_U64(parse(), 0);
	CHECK_EQ_U64(info.nsegments, ELF_MAX_SEGMENTS);
	CHECK_EQ_U64(info.segments[ELF_MAX_SEGMENTS - 1].vaddr,
		     0x100000 + (ELF_MAX_SEGMENTS - 1) * 0x1000ull);

	/* Non-loadable headers do not count against the limit... */
	put16(56, ELF_MAX_SEGMENTS + 1);
	phdr64(ELF_MAX_SEGMENTS, T_PT_NOTE, 0, 0, 0, 0, 0x10, 0x10);
	CHECK_EQ_U64(parse(), 0);
	CHECK_EQ_U64(info.nsegments, ELF_MAX_SEGMENTS);

	/* ...but one more PT_LOAD does. */
	phdr64(ELF_MAX_SEGMENTS, T_PT_LOAD, ELF_PF_R, 0, 0x900000, 0, 0x10,
	       0x1000);
	CHECK_REJECT("too many loadable segments");
}

/* ---- identification -------------------------------------------------------- */

TEST(bad_ident)
{
	good64();
	img[1] = 'e';
	CHECK_REJECT("not an ELF file");

	good64();
	img[0] = 0;
	CHECK_REJECT("not an ELF file");

	good64();
	img[5] = T_ELFDATA2MSB;
	CHECK_REJECT("not little-endian");

	good64();
	img[4] = 0; /* ELFCLASSNONE */
	CHECK_REJECT("unknown ELF class or truncated header");

	good64();
	img[4] = 3;
	CHECK_REJECT("unknown ELF class or truncated header");
}

TEST(truncated_header)
{
	good64();
	img_len = 0;
	CHECK_REJECT("not an ELF file");
	img_len = 4;
	CHECK_REJECT("not an ELF file");
	img_len = T_EHDR32 - 1;
	CHECK_REJECT("not an ELF file");
	/* Long enough for an ELF-32 header but not an ELF-64 one. */
	img_len = T_EHDR64 - 1;
	CHECK_REJECT("unknown ELF class or truncated header");
	/* Whole ELF-64 header, but its program headers are cut off. */
	img_len = T_EHDR64;
	CHECK_REJECT("program headers extend past the file");

	ehdr32(T_ET_EXEC, T_EM_386, 0, 1);
	img_len = T_EHDR32 - 1;
	CHECK_REJECT("not an ELF file");
}

TEST(wrong_type_or_machine)
{
	good64();
	put16(16, T_ET_DYN);
	CHECK_REJECT("not an executable (ET_EXEC)");

	good64();
	put16(16, 1); /* ET_REL */
	CHECK_REJECT("not an executable (ET_EXEC)");

	good64();
	put16(18, T_EM_386);
	CHECK_REJECT("not an x86 executable");

	ehdr32(T_ET_EXEC, T_EM_X86_64, 0x1000, 1);
	phdr32(0, T_PT_LOAD, ELF_PF_R, 0, 0x1000, 0x1000, 0x10, 0x10);
	CHECK_REJECT("not an x86 executable");
	put16(18, T_EM_386);
	CHECK_EQ_U64(parse(), 0);
	put16(16, T_ET_DYN);
	CHECK_REJECT("not an executable (ET_EXEC)");
}

/* ---- program header table -------------------------------------------------- */

TEST(bad_phentsize)
{
	good64();
	put16(54, T_PHDR32);
	CHECK_REJECT("bad program header size");
	put16(54, T_PHDR64 + 8);
	CHECK_REJECT("bad program header size");
	put16(54, 0);
	CHECK_REJECT("bad program header size");

	ehdr32(T_ET_EXEC, T_EM_386, 0, 1);
	phdr32(0, T_PT_LOAD, ELF_PF_R, 0, 0x1000, 0x1000, 0x10, 0x10);
	put16(42, T_PHDR64);
	CHECK_REJECT("bad program header size");
}

TEST(phoff_past_end)
{
	good64();
	put64(32, img_len + 1);
	CHECK_REJECT("program headers extend past the file");
	put64(32, UINT64_MAX - 8);
	CHECK_REJECT("program headers extend past the file");
	/* phoff == size with phnum > 0: nothing fits. */
	put64(32, img_len);
	CHECK_REJECT("program headers extend past the file");
	/* The table ends exactly at the end of the file: accepted. */
	put64(32, img_len - 4 * T_PHDR64);
	memcpy(img + img_len - 4 * T_PHDR64, img + T_EHDR64, 4 * T_PHDR64);
	CHECK_EQ_U64(parse(), 0);
	CHECK_EQ_U64(info.nsegments, 2);
	/* ...and one byte further is not. */
	put64(32, img_len - 4 * T_PHDR64 + 1);
	CHECK_REJECT("program headers extend past the file");

	ehdr32(T_ET_EXEC, T_EM_386, 0, 1);
	put32(28, 0xffffffff);
	CHECK_REJECT("program headers extend past the file");
}

TEST(phnum_too_large)
{
	/* 0xffff * 56 bytes cannot fit in 16 KiB. */
	good64();
	put16(56, 0xffff);
	img_len = sizeof(img);
	CHECK_REJECT("program headers extend past the file");
	/* Exactly one entry too many for the file. */
	good64();
	img_len = T_EHDR64 + 4 * T_PHDR64 - 1;
	CHECK_REJECT("program headers extend past the file");

	ehdr32(T_ET_EXEC, T_EM_386, 0, 0xffff);
	CHECK_REJECT("program headers extend past the file");
}

/* ---- segments -------------------------------------------------------------- */

TEST(segment_past_end_of_file)
{
	/* offset + filesz one byte past the end. */
	good64();
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0x1000, 0x400000, 0, 0x1001, 0x1001);
	CHECK_REJECT("segment extends past the end of the file");
	/* offset + filesz exactly at the end is fine. */
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0x1000, 0x400000, 0, 0x1000, 0x1000);
	CHECK_EQ_U64(parse(), 0);
	/* offset itself past the end. */
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0x2001, 0x400000, 0, 0, 0x1000);
	CHECK_REJECT("segment extends past the end of the file");
	/* A huge offset whose sum with filesz wraps to a small number. */
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0xfffffffffffff000ull, 0x400000, 0,
	       0x2000, 0x2000);
	CHECK_REJECT("segment extends past the end of the file");
	/* A huge filesz with a small offset (sum wraps too). */
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0x10, 0x400000, 0, UINT64_MAX - 8,
	       UINT64_MAX - 8);
	CHECK_REJECT("segment extends past the end of the file");

	ehdr32(T_ET_EXEC, T_EM_386, 0, 1);
	phdr32(0, T_PT_LOAD, ELF_PF_R, 0xfffff000, 0x1000, 0, 0x2000, 0x2000);
	CHECK_REJECT("segment extends past the end of the file");
}

TEST(filesz_greater_than_memsz)
{
	good64();
	phdr64(2, T_PT_LOAD, ELF_PF_R, 0x1800, 0x400000, 0, 0x101, 0x100);
	CHECK_REJECT("segment file size exceeds memory size");

	ehdr32(T_ET_EXEC, T_EM_386, 0, 1);
	phdr32(0, T_PT_LOAD, ELF_PF_R, 0x100, 0x1000, 0, 0x20, 0x1f);
	CHECK_REJECT("segment file size exceeds memory size");
}

TEST(vaddr_wraps)
{
	good64();
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0x1000, 0xfffffffffffff000ull, 0, 0x10,
	       0x1001);
	CHECK_REJECT("segment wraps around the address space");
	/* Ending exactly at 2^64 - 1 is fine. */
	phdr64(0, T_PT_LOAD, ELF_PF_R, 0x1000, 0xfffffffffffff000ull, 0, 0x10,
	       0xfff);
	CHECK_EQ_U64(parse(), 0);
	CHECK_EQ_U64(info.segments[0].vaddr, 0xfffffffffffff000ull);
}

TEST(no_loadable_segments)
{
	ehdr64(T_ET_EXEC, T_EM_X86_64, 0x1000, 3);
	phdr64(0, T_PT_NOTE, ELF_PF_R, 0x100, 0, 0, 0x10, 0x10);
	phdr64(1, T_PT_NULL, 0, 0, 0, 0, 0, 0);
	phdr64(2, T_PT_LOAD, ELF_PF_R, 0x100, 0x400000, 0, 0, 0);
	CHECK_REJECT("no loadable segments");

	/* phnum == 0 */
	ehdr64(T_ET_EXEC, T_EM_X86_64, 0x1000, 0);
	CHECK_REJECT("no loadable segments");

	ehdr32(T_ET_EXEC, T_EM_386, 0x1000, 1);
	phdr32(0, T_PT_NOTE, ELF_PF_R, 0x100, 0, 0, 0x10, 0x10);
	CHECK_REJECT("no loadable segments");
}

UNIT_MAIN("elf")

TEST(elf32_segment_past_4g_rejected)
{
	ehdr32(T_ET_EXEC, T_EM_386, 0x100000, 1);
	phdr32(0, T_PT_LOAD, ELF_PF_R | ELF_PF_X, 0x1000, 0xfffff000,
	       0xfffff000, 0x100, 0x2000);
	img_len = 0x2000;
	CHECK_REJECT("segment wraps around the address space");
}
