/* Multiboot2 (Multiboot Specification version 2.0, sections cited by
 * name): the header parser (kernel/multiboot2_header.c) and the boot
 * information builder (kernel/multiboot2_info.c), and ELF64 Multiboot v1
 * images loaded by physical address (kernel/multiboot_image.c). */
#include "unit.h"

#include "../../kernel/multiboot2_header.h"
#include "../../kernel/multiboot2_info.h"
#include "../../kernel/multiboot_layout.h"

#define MiB (1ull << 20)
#define MAGIC 0xe85250d6u

static uint8_t img[40000];
static size_t hdr_at, tag_at;
static struct mb2_header h;
static const char *why;

/* A header at off with architecture arch; tags are added with add_tag,
 * then close() writes the end tag, header_length and checksum. */
static void start(size_t off, uint32_t arch)
{
    memset(img, 0, sizeof(img));
    hdr_at = off;
    tag_at = off + 16;
    memcpy(img + off, &(uint32_t){ MAGIC }, 4);
    memcpy(img + off + 4, &arch, 4);
}

static void add_tag(uint16_t type, uint16_t flags, const uint32_t *w,
                    unsigned nw)
{
    uint32_t size = 8 + 4 * nw;

    memcpy(img + tag_at, &type, 2);
    memcpy(img + tag_at + 2, &flags, 2);
    memcpy(img + tag_at + 4, &size, 4);
    if (nw)
        memcpy(img + tag_at + 8, w, 4 * nw);
    tag_at += (size + 7) & ~7u;
}

static void close_header(void)
{
    uint32_t w[4];

    add_tag(0, 0, NULL, 0);
    memcpy(w, img + hdr_at, 8);
    w[2] = (uint32_t)(tag_at - hdr_at);
    w[3] = -(w[0] + w[1] + w[2]);
    memcpy(img + hdr_at + 8, &w[2], 8);
}

static bool parse(void)
{
    return multiboot2_header_parse(img, sizeof(img), &h, &why);
}

/* "OS image format": 64-bit aligned in the first 32768 bytes. */
TEST(header_found_8_aligned_in_32k)
{
    start(32760 - 16, 0);
    close_header();
    CHECK(multiboot2_detect(img, sizeof(img)) == MB2_FOUND);
    CHECK(parse());
    CHECK_EQ_U64(h.offset, 32760 - 16);
    start(32768, 0);
    close_header();
    CHECK(multiboot2_detect(img, sizeof(img)) == MB2_NONE);
    start(4, 0); /* not 8-aligned */
    close_header();
    CHECK(multiboot2_detect(img, sizeof(img)) == MB2_NONE);
}

/* "Header magic fields": the four fields must sum to 0. */
TEST(bad_checksum_refused)
{
    start(0, 0);
    close_header();
    img[12] ^= 1;
    CHECK(multiboot2_detect(img, sizeof(img)) == MB2_BAD_CHECKSUM);
    CHECK(!parse());
    CHECK_STR(why, "the Multiboot2 header's checksum is wrong");
}

TEST(architecture_must_be_i386)
{
    start(0, 4); /* MIPS */
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the Multiboot2 header is for another architecture "
                   "than i386 (0)");
}

TEST(missing_end_tag_refused)
{
    uint32_t w[4];

    start(0, 0);
    add_tag(6, 0, NULL, 0);
    memcpy(w, img, 8);
    w[2] = 24; /* ends before an end tag */
    w[3] = -(w[0] + w[1] + w[2]);
    memcpy(img + 8, &w[2], 8);
    CHECK(!parse());
    CHECK_STR(why, "the Multiboot2 header has no end tag");
}

/* "Multiboot2 information request": what hv gives is accepted; a tag it
 * cannot give refuses the kernel, named, unless the request is optional. */
TEST(information_request)
{
    uint32_t given[] = { 1, 2, 3, 4, 6, 9, 14, 15, 21 };
    uint32_t fb[] = { 8 };
    uint32_t efi[] = { 1, 12 };
    uint32_t unknown[] = { 99 };

    start(0, 0);
    add_tag(1, 0, given, 9);
    add_tag(1, 1, fb, 1);
    close_header();
    CHECK(parse());
    CHECK(h.wants_load_base);
    start(0, 0);
    add_tag(1, 0, efi, 2);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the kernel requires Multiboot2 information tag 12 "
                   "(EFI 64-bit system table), which hv cannot give");
    start(0, 0);
    add_tag(1, 0, fb, 1);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the kernel requires Multiboot2 information tag 8 "
                   "(framebuffer info: hv has no framebuffer), which hv "
                   "cannot give");
    start(0, 0);
    add_tag(1, 0, unknown, 1);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the kernel requires a Multiboot2 information tag of a "
                   "type hv does not know");
}

/* "General tag structure": bit 0 of flags, optional. */
TEST(required_header_tags_we_cannot_honour)
{
    uint32_t fb[3] = { 640, 480, 32 };
    uint32_t console[1] = { 1 };
    uint32_t entry[1] = { 0x100000 };

    start(0, 0);
    add_tag(5, 1, fb, 3);
    add_tag(4, 0, (uint32_t[]){ 2 }, 1);
    add_tag(7, 1, NULL, 0);
    add_tag(9, 1, entry, 1);
    add_tag(42, 1, NULL, 0);
    close_header();
    CHECK(parse());
    start(0, 0);
    add_tag(5, 0, fb, 3);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the kernel requires a framebuffer (Multiboot2 header "
                   "tag 5): hv has none");
    start(0, 0);
    add_tag(4, 0, console, 1);
    close_header();
    CHECK(!parse());
    start(0, 0);
    add_tag(9, 0, entry, 1);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the kernel requires an EFI amd64 entry (Multiboot2 "
                   "header tag 9): hv boots it without EFI");
    start(0, 0);
    add_tag(42, 0, NULL, 0);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "the kernel requires a Multiboot2 header tag of a type "
                   "hv does not know");
}

/* "The address tag" needs "The entry address tag". */
TEST(address_and_entry_tags)
{
    uint32_t addr[4] = { 0x100000, 0x100000, 0, 0x104000 };

    start(0, 0);
    add_tag(2, 0, addr, 4);
    close_header();
    CHECK(!parse());
    CHECK_STR(why, "a Multiboot2 address tag without an entry address tag");
    start(0, 0);
    add_tag(2, 0, addr, 4);
    add_tag(3, 0, (uint32_t[]){ 0x100040 }, 1);
    add_tag(10, 0, (uint32_t[]){ 0x100000, 0x800000, 4096, 0 }, 4);
    close_header();
    CHECK(parse());
    CHECK(h.has_address && h.has_entry && h.relocatable);
    CHECK_EQ_U64(h.fields.load_addr, 0x100000);
    CHECK_EQ_U64(h.fields.bss_end_addr, 0x104000);
    CHECK_EQ_U64(h.fields.entry, 0x100040);
    CHECK_EQ_U64(h.max_addr, 0x800000);
}

TEST(tag_size_past_header_refused)
{
    start(0, 0);
    add_tag(6, 0, NULL, 0);
    close_header();
    memcpy(img + 16 + 4, &(uint32_t){ 4000 }, 4);
    CHECK(!parse());
    CHECK_STR(why, "a Multiboot2 header tag's size is wrong");
}

/* ---- the information ("Boot information format") ---- */

static uint8_t info[65536];
static uint8_t rsdp[36];

static const uint8_t *find_tag(uint32_t type, unsigned nth)
{
    uint32_t total;

    memcpy(&total, info, 4);
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t t[2];
        memcpy(t, info + off, 8);
        if (t[0] == type && nth-- == 0)
            return info + off;
        if (t[0] == 0)
            break;
        off += (t[1] + 7) & ~7u;
    }
    return NULL;
}

static uint32_t u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

TEST(information_tags)
{
    struct mb2_info_module mods[2] = {
        { 0x200000, 0x200123, "\\m1.txt", "a b" },
        { 0x201000, 0x201000, "\\m2.txt", "" },
    };
    struct mb2_info_in in = {
        .path = "\\k.elf", .args = "x=1", .nmods = 2, .mods = mods,
        .ram_size = 64 * MiB, .rsdp = rsdp, .load_base = true,
        .load_base_addr = 0x100000,
    };
    uint64_t n;
    const uint8_t *t;

    memset(rsdp, 0, sizeof(rsdp));
    memcpy(rsdp, "RSD PTR ", 8);
    rsdp[15] = 2;
    rsdp[35] = 0x5a;
    memset(info, 0, sizeof(info));
    n = mb2_info_size(&in);
    mb2_info_write(info, 0x300000, &in);
    CHECK_EQ_U64(u32(info), n);       /* total_size */
    CHECK_EQ_U64(u32(info + 4), 0);   /* reserved */
    CHECK_EQ_U64(n % 8, 0);
    CHECK_EQ_U64(u32(info + n - 8), 0); /* end tag */
    CHECK_EQ_U64(u32(info + n - 4), 8);
    t = find_tag(1, 0);
    CHECK(t && strcmp((const char *)t + 8, "\\k.elf x=1") == 0);
    t = find_tag(2, 0);
    CHECK(t && strcmp((const char *)t + 8, "hv") == 0);
    t = find_tag(3, 0);
    CHECK(t && u32(t + 8) == 0x200000 && u32(t + 12) == 0x200123 &&
          strcmp((const char *)t + 16, "\\m1.txt a b") == 0);
    t = find_tag(3, 1);
    CHECK(t && u32(t + 8) == 0x201000 &&
          strcmp((const char *)t + 16, "\\m2.txt") == 0);
    t = find_tag(4, 0);
    CHECK(t && u32(t + 4) == 16 && u32(t + 8) == 639 &&
          u32(t + 12) == 63 * 1024);
    t = find_tag(6, 0);
    CHECK(t && u32(t + 8) == 24 && u32(t + 12) == 0 &&
          u32(t + 4) == 16 + 24 * MB_MAP_REGIONS);
    CHECK(t && u64(t + 16) == 0 && u64(t + 24) == 0x9fc00 &&
          u32(t + 32) == 1);
    CHECK(t && u64(t + 16 + 3 * 24) == MiB &&
          u64(t + 24 + 3 * 24) == 63 * MiB && u32(t + 32 + 3 * 24) == 1);
    t = find_tag(14, 0);
    CHECK(t && u32(t + 4) == 28 && memcmp(t + 8, rsdp, 20) == 0);
    t = find_tag(15, 0);
    CHECK(t && u32(t + 4) == 44 && memcmp(t + 8, rsdp, 36) == 0);
    t = find_tag(21, 0);
    CHECK(t && u32(t + 8) == 0x100000);
    CHECK(!find_tag(9, 0)); /* not an ELF kernel */
    CHECK(!find_tag(8, 0)); /* no framebuffer */
}

/* A v1 RSDP (revision 0) has no new-RSDP tag. */
TEST(acpi_v1_rsdp_gives_only_the_old_tag)
{
    struct mb2_info_in in = { .path = "k", .args = "", .ram_size = 4 * MiB,
                              .rsdp = rsdp };

    memset(rsdp, 0, sizeof(rsdp));
    memcpy(rsdp, "RSD PTR ", 8);
    memset(info, 0, sizeof(info));
    mb2_info_write(info, 0x200000, &in);
    CHECK(find_tag(14, 0) && !find_tag(15, 0) && !find_tag(21, 0));
}

/* A minimal ELF32 with a section header table: null, .text (alloc),
 * .symtab (not alloc: copied), .shstrtab (copied). */
static size_t make_elf(uint8_t *e)
{
    static const char names[] = "\0.text\0.symtab\0.shstrtab";
    uint32_t sh[4][10];
    uint16_t h16[6] = { 0 };

    memset(e, 0, 4096);
    memcpy(e, "\177ELF\1\1\1", 7);
    memcpy(e + 16, &(uint16_t){ 2 }, 2);      /* ET_EXEC */
    memcpy(e + 18, &(uint16_t){ 3 }, 2);      /* EM_386 */
    memcpy(e + 24, &(uint32_t){ 0x100000 }, 4);
    memcpy(e + 28, &(uint32_t){ 52 }, 4);     /* phoff */
    memcpy(e + 32, &(uint32_t){ 1024 }, 4);   /* shoff */
    h16[0] = 52; h16[1] = 32; h16[2] = 1; h16[3] = 40; h16[4] = 4;
    h16[5] = 3;
    memcpy(e + 40, h16, sizeof(h16));
    /* PT_LOAD: offset 512, at 1 MiB, 16 bytes. */
    memcpy(e + 52, (uint32_t[8]){ 1, 512, 0x100000, 0x100000, 16, 16, 5,
                                  4096 }, 32);
    memset(sh, 0, sizeof(sh));
    memcpy(sh[1], (uint32_t[10]){ 1, 1, 6, 0x100000, 512, 16 }, 40);
    memcpy(sh[2], (uint32_t[10]){ 7, 2, 0, 0, 600, 32, 3, 0, 4, 16 }, 40);
    memcpy(sh[3], (uint32_t[10]){ 15, 3, 0, 0, 700, sizeof(names) }, 40);
    memcpy(e + 1024, sh, sizeof(sh));
    memset(e + 600, 0xab, 32);
    memcpy(e + 700, names, sizeof(names));
    return 1024 + sizeof(sh);
}

/* "ELF-symbols": num, entsize, shndx (32-bit words, as GRUB writes
 * them), the headers; sections no segment loads copied after the tags,
 * sh_addr pointing at the copy; loaded sections keep their address. */
TEST(elf_sections_tag)
{
    static uint8_t e[4096];
    size_t size = make_elf(e);
    struct elf_info elf;
    struct mb2_info_in in = { .path = "k", .args = "", .ram_size = 4 * MiB,
                              .elf = e, .elf_size = size,
                              .elf_info = &elf };
    const uint8_t *t;
    uint32_t gpa = 0x200000, addr;
    uint64_t n;

    CHECK(elf_parse(e, size, &elf, &why) == 0);
    CHECK(elf_section_table(e, size, &elf, &why) == 0);
    memset(info, 0, sizeof(info));
    n = mb2_info_size(&in);
    mb2_info_write(info, gpa, &in);
    t = find_tag(9, 0);
    CHECK(t && u32(t + 8) == 4 && u32(t + 12) == 40 && u32(t + 16) == 3);
    CHECK(t && u32(t + 20 + 40 + 12) == 0x100000); /* .text's sh_addr */
    addr = u32(t + 20 + 2 * 40 + 12);               /* .symtab's */
    CHECK(addr >= gpa + u32(info) && addr + 32 <= gpa + n);
    CHECK(addr % 8 == 0);
    CHECK(info[addr - gpa] == 0xab && info[addr - gpa + 31] == 0xab);
    addr = u32(t + 20 + 3 * 40 + 12);               /* .shstrtab's */
    CHECK(strcmp((const char *)info + addr - gpa + 7, ".symtab") == 0);
}

TEST(elf_section_past_the_file_refused)
{
    static uint8_t e[4096];
    size_t size = make_elf(e);
    struct elf_info elf;

    memcpy(e + 1024 + 2 * 40 + 20, &(uint32_t){ 4000 }, 4); /* size */
    CHECK(elf_parse(e, size, &elf, &why) == 0);
    CHECK(elf_section_table(e, size, &elf, &why) == -1);
    CHECK_STR(why, "a section extends past the file");
}

UNIT_MAIN("multiboot2")
