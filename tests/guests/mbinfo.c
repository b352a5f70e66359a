/* The Multiboot boot information as GRUB and QEMU give it (Multiboot
 * Specification 0.6.96, "the spec" below), read by a kernel that trusts
 * nothing: where it lies, the command line, the modules.
 *
 * Built twice: mbinfo.elf linked at 1 MiB and mbinfo_low.elf linked at
 * 0x8000 (tests/guests/guest_low.ld), where hv used to keep the boot
 * information itself.  Its arguments say what to expect:
 *   self=PATH   the first word of the command line (the kernel's path)
 *   mods=N      the number of modules (0 when absent)
 *   at=HEX      the address the image is linked at
 * and each module's string carries len=N (its size) and n=I (its place in
 * the list).  With no arguments at all the command line must be the path
 * alone.  The boot's judge checks the exact strings this prints. */
#include "guest.h"

#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MB_MEM_AVAILABLE 1
#define PAGE 4096u
#define HOLE_START 0x9fc00u /* the map's reserved EBDA/VGA/BIOS hole */
#define HOLE_END 0x100000u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

extern char __image_start[], __image_end[]; /* guest.ld, guest_low.ld */

static uint32_t ram_end;
static const struct mb_module *mods;
static uint32_t nmods;

static uint32_t len(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

static bool overlaps(uint32_t a, uint32_t n, uint32_t b, uint32_t m)
{
	return a < b + m && b < a + n;
}

/* What the loader wrote must lie in RAM outside the hole and must not
 * overlap the kernel image or any module but `self` (spec 3.3: the
 * kernel may use the information only where it does not overlap what it
 * loaded; a loader that overlaps them corrupts one or the other). */
static bool clear(uint32_t a, uint32_t n, uint32_t self)
{
	uint32_t img = (uint32_t)__image_start;

	if (a + n < a || a + n > ram_end || overlaps(a, n, HOLE_START,
						     HOLE_END - HOLE_START))
		return false;
	if (overlaps(a, n, img, (uint32_t)__image_end - img))
		return false;
	for (uint32_t i = 0; i < nmods; i++)
		if (i != self && overlaps(a, n, mods[i].start,
					  mods[i].end - mods[i].start))
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

static void check_mmap(const struct mb_info *mbi)
{
	uint32_t top = 0, low_top = 0, n = 0;

	check(clear(mbi->mmap_addr, mbi->mmap_length, ~0u),
	      "memory map clear of the image and modules (spec 3.3)");
	for (uint32_t off = 0; off + 24 <= mbi->mmap_length; n++) {
		const struct mb_mmap_entry *e =
			(const void *)(mbi->mmap_addr + off);

		if (e->type == MB_MEM_AVAILABLE && e->addr == 0)
			low_top = (uint32_t)e->len;
		if (e->type == MB_MEM_AVAILABLE && e->addr + e->len > top)
			top = (uint32_t)(e->addr + e->len);
		off += e->size + 4; /* size excludes itself (spec 3.3) */
	}
	check(n >= 2 && top == ram_end && low_top == mbi->mem_lower * 1024,
	      "memory map agrees with mem_lower/mem_upper (spec 3.3)");
}

/* The command line: the kernel's path, a space, the arguments (GRUB's
 * `multiboot PATH ARGS`; QEMU's -kernel name, a space, -append). */
static void check_cmdline(const struct mb_info *mbi, uint32_t info)
{
	const char *cl = (const char *)mbi->cmdline;
	const char *self;

	check(clear(mbi->cmdline, len(cl) + 1, ~0u),
	      "command line clear of the image and modules (spec 3.3)");
	puts_serial("cmdline: '");
	puts_serial(cl);
	puts_serial("'\n");
	self = word_value(cl, "self");
	if (self) {
		check(first_word_is(cl, self),
		      "first word of the command line is the kernel's path");
		check(starts_with(cmdline(info), "self="),
		      "arguments start at the second word");
	} else {
		bool one_word = cl[0] == '\\';
		for (const char *p = cl; *p; p++)
			one_word = one_word && *p != ' ';
		check(one_word, "empty cmdline: just the kernel's path");
		check(*cmdline(info) == 0, "empty cmdline: no arguments");
	}
}

/* Module i: page-aligned (the header asks so: spec 3.1.2 flag bit 0), in
 * RAM clear of everything else, in the configured order (n=), with its
 * whole file (len=), and its string "PATH ARGS" (GRUB's `module` line). */
static void check_module(uint32_t i)
{
	const struct mb_module *m = &mods[i];
	const char *s = (const char *)m->string;
	const char *data = (const char *)m->start;
	uint32_t slen = len(s);
	char digit;

	puts_serial("module ");
	print_dec(i);
	puts_serial(": '");
	puts_serial(s);
	puts_serial("'\n");
	check(m->start % PAGE == 0 && m->end >= m->start,
	      "module page-aligned (spec 3.1.2 bit 0)");
	check(clear(m->start, m->end - m->start, i),
	      "module clear of the image and other modules (spec 3.3)");
	check(clear(m->string, slen + 1, ~0u), "module string clear (spec 3.3)");
	check(word_number(s, "n") == i && word_value(s, "n"),
	      "modules in the configured order (spec 3.3 mods_addr)");
	check(m->end - m->start == word_number(s, "len") && word_value(s, "len"),
	      "module holds its whole file");
	/* The path (first word) names moduleK.txt; the file starts
	 * "hv module K". */
	digit = 0;
	for (const char *p = s; *p && *p != ' '; p++)
		if (starts_with(p, "module") && p[6] >= '1' && p[6] <= '9')
			digit = p[6];
	check(digit && starts_with(data, "hv module ") && data[10] == digit,
	      "module contents are the file its string names");
}

int guest_main(uint32_t magic, uint32_t info)
{
	const struct mb_info *mbi = (const struct mb_info *)info;
	const char *cl;
	const char *at;

	check(magic == 0x2badb002, "multiboot magic in EAX (spec 3.2)");
	check((mbi->flags & (MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP)) ==
		      (MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP),
	      "flags: mem, cmdline, mods, mmap (spec 3.3)");
	ram_end = (mbi->mem_upper + 1024) * 1024;
	mods = (const struct mb_module *)mbi->mods_addr;
	nmods = mbi->mods_count;
	cl = (const char *)mbi->cmdline;
	at = word_value(cl, "at");
	puts_serial("image at ");
	print_hex((uint32_t)__image_start);
	puts_serial(", boot information at ");
	print_hex(info);
	puts_serial("\n");
	if (at)
		check(parse_hex(at) == (uint32_t)__image_start,
		      "the image is linked where at= says");
	check(info % PAGE == 0 && info >= (uint32_t)__image_end &&
		      clear(info, sizeof(*mbi), ~0u),
	      "boot information page-aligned after the image, clear of it "
	      "and the modules (spec 3.3)");
	check(clear(mbi->mods_addr, nmods * sizeof(*mods), ~0u),
	      "module list clear of the image and modules (spec 3.3)");
	check_mmap(mbi);
	check_cmdline(mbi, info);
	check(nmods == word_number(cl, "mods"), "module count as configured");
	for (uint32_t i = 0; i < nmods; i++)
		check_module(i);
	return verdict();
}
