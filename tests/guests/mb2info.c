/* A Multiboot2 kernel (Multiboot Specification version 2.0, "the spec"
 * below; sections cited by name) that checks what the loader gives it:
 * the machine state, the information's layout, and the content of every
 * tag its header (tests/guests/mb2_header.S) asks for.  Its arguments
 * say what to expect:
 *   self=PATH   the first word of the command line (the kernel's path)
 *   mods=N      the number of modules
 *   ram=KIB     the VM's memory
 * and each module's string carries len=N (its size) and n=I (its place
 * in the list), as in tests/guests/mbinfo.c. */
#include "guest.h"

#define MB2_BOOT_MAGIC 0x36d76289u
#define PAGE 4096u
#define HOLE_START 0x9fc00u
#define HOLE_END 0x100000u
#define BIOS_AREA 0xe0000u
#define MEM_AVAILABLE 1u
#define SHF_ALLOC 2u
#define SHT_SYMTAB 2u

struct tag {
	uint32_t type, size;
};

struct mmap_entry {
	uint64_t addr, len;
	uint32_t type, reserved;
};

struct shdr32 {
	uint32_t name, type, flags, addr, offset, size, link, info, addralign,
		entsize;
};

struct sym32 {
	uint32_t name, value, size;
	uint8_t info, other;
	uint16_t shndx;
};

extern char __image_start[], __image_end[]; /* guest_mb2.ld */

static uint32_t info_at, info_size;
static const struct tag *tags[32];  /* the first tag of each type */
static uint32_t nmods;
static const uint32_t *mods[8];     /* module tags, in order */

static bool same(const void *a, const void *b, uint32_t n)
{
	const uint8_t *x = a, *y = b;
	for (uint32_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

static bool overlaps(uint32_t a, uint32_t n, uint32_t b, uint32_t m)
{
	return a < b + m && b < a + n;
}

static uint8_t sum(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s += *b++;
	return s;
}

/* "Boot information format": total_size, reserved, then tags, each on
 * an 8-byte boundary, ending with type 0 size 8 at total_size. */
static void walk(uint32_t info)
{
	uint32_t off = 8;
	bool ended = false, aligned = true;

	info_size = *(const uint32_t *)info;
	check(((const uint32_t *)info)[1] == 0, "reserved word is 0 "
	      "(spec Boot information format)");
	while (off + 8 <= info_size) {
		const struct tag *t = (const void *)(info + off);
		aligned = aligned && (info + off) % 8 == 0 && t->size >= 8;
		if (t->type == 0) {
			ended = t->size == 8 && off + 8 == info_size;
			break;
		}
		if (t->type < 32 && !tags[t->type])
			tags[t->type] = t;
		if (t->type == 3 && nmods < 8)
			mods[nmods++] = (const uint32_t *)t;
		off += (t->size + 7) & ~7u;
	}
	check(aligned && ended, "tags 8-aligned, end tag (type 0, size 8) "
	      "closes total_size (spec Basic tags structure)");
}

static const char *tag_string(uint32_t type, uint32_t fixed)
{
	return tags[type] ? (const char *)tags[type] + 8 + fixed : "";
}

/* "Boot command line": the kernel's path, a space, the arguments. */
static const char *check_cmdline(void)
{
	const char *cl = tag_string(1, 0);
	const char *self = word_value(cl, "self");

	check(tags[1] != 0, "command line tag (type 1) present");
	puts_serial("cmdline: '");
	puts_serial(cl);
	puts_serial("'\n");
	check(self && first_word_is(cl, self),
	      "first word of the command line is the kernel's path");
	while (*cl && *cl != ' ')
		cl++;
	check(starts_with(cl, " self="), "arguments start at the second word");
	return tag_string(1, 0);
}

/* "Modules": mod_start, mod_end, then the string; page-aligned as the
 * module alignment tag asks; in order; the whole file. */
static void check_modules(const char *cl)
{
	check(nmods == word_number(cl, "mods") && word_value(cl, "mods"),
	      "one module tag per configured module (spec Modules)");
	for (uint32_t i = 0; i < nmods; i++) {
		const char *s = (const char *)(mods[i] + 4);
		const char *data = (const char *)mods[i][2];
		uint32_t start = mods[i][2], end = mods[i][3];
		char digit = 0;

		puts_serial("module ");
		print_dec(i);
		puts_serial(": '");
		puts_serial(s);
		puts_serial("'\n");
		check(start % PAGE == 0 && end >= start,
		      "module page-aligned (spec Module alignment tag)");
		check(!overlaps(start, end - start, (uint32_t)__image_start,
				(uint32_t)(__image_end - __image_start)) &&
			      !overlaps(start, end - start, info_at, info_size),
		      "module clear of the image and the information");
		check(word_number(s, "n") == i && word_value(s, "n"),
		      "modules in the configured order");
		check(end - start == word_number(s, "len") && word_value(s, "len"),
		      "module holds its whole file");
		for (const char *p = s; *p && *p != ' '; p++)
			if (starts_with(p, "module") && p[6] >= '1' &&
			    p[6] <= '9')
				digit = p[6];
		check(digit && starts_with(data, "hv module ") &&
			      data[10] == digit,
		      "module contents are the file its string names");
	}
}

/* "Basic memory information" and "Memory map": RAM below the EBDA and
 * from 1 MiB to the VM's end available, the hole at 640 KiB - 1 MiB
 * (with the BIOS area holding the ACPI tables) not. */
static void check_memory(const char *cl)
{
	const uint32_t *mi = (const uint32_t *)tags[4];
	const uint32_t *mm = (const uint32_t *)tags[6];
	uint32_t ram = word_number(cl, "ram") * 1024;
	uint32_t low_top = 0, top = 0, n = 0;
	bool hole_clear = true, bios_reserved = false;

	check(mi && mi[1] == 16, "basic meminfo tag (type 4) present");
	check(mm && mm[2] == 24 && mm[3] == 0,
	      "memory map: entry_size 24, entry_version 0 (spec Memory map)");
	if (!mi || !mm)
		return;
	for (uint32_t off = 16; off + 24 <= mm[1]; off += 24, n++) {
		const struct mmap_entry *e = (const void *)((uint32_t)mm + off);
		if (e->type == MEM_AVAILABLE && e->addr == 0)
			low_top = (uint32_t)e->len;
		if (e->type == MEM_AVAILABLE && e->addr + e->len > top)
			top = (uint32_t)(e->addr + e->len);
		if (e->type == MEM_AVAILABLE &&
		    overlaps((uint32_t)e->addr, (uint32_t)e->len, HOLE_START,
			     HOLE_END - HOLE_START))
			hole_clear = false;
		if (e->type != MEM_AVAILABLE && e->addr <= BIOS_AREA &&
		    e->addr + e->len >= HOLE_END)
			bios_reserved = true;
	}
	check(n >= 3 && top == ram && low_top == HOLE_START,
	      "memory map covers the VM's RAM (spec Memory map)");
	check(hole_clear && bios_reserved,
	      "memory map marks the hole below 1 MiB and the BIOS area "
	      "not available");
	check(mi[2] == low_top / 1024 && mi[3] == (ram - HOLE_END) / 1024,
	      "mem_lower/mem_upper in KiB agree with the map "
	      "(spec Basic memory information)");
}

/* "ELF-symbols": the section headers, the symbol table and its strings
 * copied where sh_addr says; the symbol guest_main has its address. */
static void check_elf(void)
{
	const uint32_t *t = (const uint32_t *)tags[9];
	const struct shdr32 *sh;
	bool found = false;

	check(t && t[2] > 1 && t[3] == sizeof(*sh) && t[4] < t[2] &&
		      t[1] >= 20 + t[2] * sizeof(*sh),
	      "ELF sections tag: num, entsize 40, shndx (spec ELF-symbols)");
	if (!t || t[3] != sizeof(*sh))
		return;
	sh = (const struct shdr32 *)(t + 5);
	check(sh[t[4]].addr && !(sh[t[4]].flags & SHF_ALLOC) &&
		      starts_with((const char *)sh[t[4]].addr +
					  sh[1].name, ".text"),
	      "section name table copied to its sh_addr");
	for (uint32_t i = 0; i < t[2]; i++) {
		const struct sym32 *sym = (const void *)sh[i].addr;
		const char *str;

		if (sh[i].type != SHT_SYMTAB || sh[i].link >= t[2])
			continue;
		str = (const char *)sh[sh[i].link].addr;
		for (uint32_t k = 0; k < sh[i].size / sizeof(*sym); k++)
			if (same(str + sym[k].name, "guest_main", 11))
				found = sym[k].value ==
					(uint32_t)guest_main;
	}
	check(found, "symbol table copied: guest_main at its address");
}

/* The RSDP an OS finds scanning 0xe0000-0xfffff on 16-byte boundaries
 * (ACPI 6.5 5.2.5.1). */
static const uint8_t *scan_rsdp(void)
{
	for (uint32_t a = BIOS_AREA; a < HOLE_END; a += 16)
		if (same((const void *)a, "RSD PTR ", 8) &&
		    sum((const void *)a, 20) == 0)
			return (const uint8_t *)a;
	return 0;
}

/* "ACPI old RSDP" and "ACPI new RSDP": copies of the RSDP (ACPI 6.5
 * 5.2.5.3), checksums intact, the same as the one in the BIOS area. */
static void check_acpi(void)
{
	const uint8_t *old = (const uint8_t *)tags[14];
	const uint8_t *new = (const uint8_t *)tags[15];
	const uint8_t *bios = scan_rsdp();

	check(bios != 0, "RSDP in the BIOS area");
	check(old && ((const uint32_t *)old)[1] == 8 + 20 &&
		      same(old + 8, "RSD PTR ", 8) && sum(old + 8, 20) == 0,
	      "ACPI old RSDP tag (type 14): a v1 RSDP, checksum 0");
	check(new && ((const uint32_t *)new)[1] == 8 + 36 && new[8 + 15] >= 2 &&
		      sum(new + 8, 20) == 0 && sum(new + 8, 36) == 0,
	      "ACPI new RSDP tag (type 15): revision 2, both checksums 0");
	check(bios && old && same(old + 8, bios, 20),
	      "old RSDP tag is a copy of the BIOS area's RSDP");
	check(bios && new && same(new + 8, bios, 36),
	      "new RSDP tag is a copy of the BIOS area's RSDP");
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint32_t cr0;
	const char *cl;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	check(magic == MB2_BOOT_MAGIC,
	      "EAX = 0x36d76289 (spec I386 machine state)");
	check((cr0 & 1) && !(cr0 & 0x80000000u),
	      "CR0.PE set, CR0.PG clear (spec I386 machine state)");
	check(info % 8 == 0, "EBX 8-aligned (spec I386 machine state)");
	info_at = info;
	walk(info);
	puts_serial("image at ");
	print_hex((uint32_t)__image_start);
	puts_serial(", boot information at ");
	print_hex(info);
	puts_serial("\n");
	check(!overlaps(info, info_size, (uint32_t)__image_start,
			(uint32_t)(__image_end - __image_start)) &&
		      !overlaps(info, info_size, HOLE_START,
				HOLE_END - HOLE_START),
	      "information clear of the image and the hole");
	cl = check_cmdline();
	check(tags[2] && same(tag_string(2, 0), "hv", 3),
	      "boot loader name tag (type 2): \"hv\"");
	check_modules(cl);
	check_memory(cl);
	check_elf();
	check_acpi();
	check(!tags[8], "no framebuffer tag: hv has none");
	return verdict();
}
