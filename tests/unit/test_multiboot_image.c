/* Finding the Multiboot header (kernel/multiboot_image.c, spec 3.1.1):
 * only magic, flags and checksum must be in the file; the address fields
 * only when the a.out kludge (flag 16) uses them. */
#include "unit.h"

#include "../../kernel/multiboot_image.h"

#define MAGIC 0x1badb002u

static uint8_t img[8192];
static struct mb_image mb;
static const char *why;

static void put_header(size_t off, uint32_t flags)
{
    uint32_t w[3] = { MAGIC, flags, (uint32_t)-(MAGIC + flags) };
    memcpy(img + off, w, sizeof(w));
}

TEST(header_in_the_last_12_bytes_is_found)
{
    memset(img, 0, sizeof(img));
    put_header(100, 0);
    /* Found: the complaint is about the ELF image, not the header. */
    CHECK(!multiboot_image_parse(img, 112, 64 << 20, &mb, &why));
    CHECK(strcmp(why, "no Multiboot header in the first 8 KiB") != 0);
    CHECK(!multiboot_image_parse(img, 108, 64 << 20, &mb, &why));
    CHECK_STR(why, "no Multiboot header in the first 8 KiB");
}

TEST(aout_kludge_needs_its_address_fields)
{
    memset(img, 0, sizeof(img));
    put_header(100, 1u << 16);
    CHECK(!multiboot_image_parse(img, 120, 64 << 20, &mb, &why));
    CHECK_STR(why, "the Multiboot header's address fields are cut off");
}

TEST(aout_kludge_loads)
{
    /* header_addr, load_addr, load_end_addr (0: the rest of the file),
     * bss_end_addr, entry: the file is loaded at 1 MiB. */
    uint32_t f[5] = { 0x100000, 0x100000, 0, 0x102000, 0x100020 };
    memset(img, 0, sizeof(img));
    put_header(0, 1u << 16);
    memcpy(img + 12, f, sizeof(f));
    CHECK(multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_EQ_U64(mb.entry, 0x100020);
    CHECK_EQ_U64(mb.nchunks, 1);
    CHECK_EQ_U64(mb.chunks[0].gpa, 0x100000);
}

/* Every VM's ACPI tables live in 0xe0000-0xfffff, where an OS scans for
 * the RSDP (ACPI 6.5 5.2.5.1): a kernel that would load over them is
 * refused, saying so; one that ends just below or starts at 1 MiB loads. */
static bool aout_at(uint32_t load, uint32_t bss_end)
{
    uint32_t f[5] = { load, load, 0, bss_end, load + 0x20 };
    memset(img, 0, sizeof(img));
    put_header(0, 1u << 16);
    memcpy(img + 12, f, sizeof(f));
    return multiboot_image_parse(img, 4096, 64 << 20, &mb, &why);
}

TEST(kernel_over_the_acpi_tables_is_refused)
{
    CHECK(!aout_at(0xe0000, 0));
    CHECK_STR(why, "a segment lies in 0xe0000-0xfffff, the BIOS area "
                   "that holds the VM's ACPI tables");
    CHECK(!aout_at(0xff000, 0));
    CHECK(!aout_at(0xdf000, 0xe0001)); /* its bss reaches the area */
    CHECK(!aout_at(0xdf000, 0xe0000)); /* the hole below 1 MiB */
    CHECK(aout_at(0x100000, 0));
    CHECK(!multiboot_in_bios_area(0xdf000, 0x1000));
    CHECK(multiboot_in_bios_area(0xfffff, 1));
    CHECK(!multiboot_in_bios_area(0x100000, 0x1000));
    CHECK(!multiboot_in_bios_area(0xe0000, 0));
}

/* A kernel may be linked below 1 MiB (GRUB and QEMU load one at 0x8000),
 * but not across the EBDA/VGA/BIOS hole the memory map reserves. */
TEST(aout_kludge_low_but_not_in_the_hole)
{
    uint32_t f[5] = { 0x8000, 0x8000, 0, 0x9000, 0x8020 };
    memset(img, 0, sizeof(img));
    put_header(0, 1u << 16);
    memcpy(img + 12, f, sizeof(f));
    CHECK(multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_EQ_U64(mb.chunks[0].gpa, 0x8000);
    CHECK_EQ_U64(mb.end, 0x9000);
    f[0] = f[1] = 0x9f000;
    f[3] = 0xa0000;
    memcpy(img + 12, f, sizeof(f));
    CHECK(!multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_STR(why, "inconsistent Multiboot address fields");
}

/* An ELF64 Multiboot v1 kernel as GRUB loads it
 * (grub-core/loader/multiboot_elfxx.c): its one segment linked at
 * vaddr 0xffffffff80100000, loaded at p_paddr paddr; the entry converted
 * through that segment to a physical address. */
static void put_elf64(uint64_t vaddr, uint64_t paddr, uint64_t entry)
{
    uint16_t h16[6] = { 64, 56, 1, 64, 0, 0 };
    uint64_t ph[6] = { 512, vaddr, paddr, 256, 4096, 4096 };
    uint32_t type_flags[2] = { 1, 5 }; /* PT_LOAD, R+X */

    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF\2\1\1", 7);
    memcpy(img + 16, &(uint16_t){ 2 }, 2);  /* ET_EXEC */
    memcpy(img + 18, &(uint16_t){ 62 }, 2); /* EM_X86_64 */
    memcpy(img + 24, &entry, 8);
    memcpy(img + 32, &(uint64_t){ 64 }, 8); /* phoff */
    memcpy(img + 52, h16, sizeof(h16));
    memcpy(img + 64, type_flags, 8);
    memcpy(img + 72, ph, sizeof(ph));
    put_header(512, 3); /* in the segment's file bytes */
}

TEST(elf64_loaded_by_physical_address)
{
    put_elf64(0xffffffff80100000ull, 0x100000, 0xffffffff8010000cull);
    CHECK(multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_EQ_U64(mb.nchunks, 1);
    CHECK_EQ_U64(mb.chunks[0].gpa, 0x100000);
    CHECK_EQ_U64(mb.entry, 0x10000c);
    CHECK_EQ_U64(mb.end, 0x101000);
}

TEST(elf64_entry_outside_every_segment_refused)
{
    put_elf64(0xffffffff80100000ull, 0x100000, 0xffffffff80200000ull);
    CHECK(!multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_STR(why, "the ELF entry point lies in no loadable segment");
}

/* Everything must land in the VM's RAM below 4 GiB: the CPU starts in
 * 32-bit protected mode with paging off. */
TEST(elf64_segment_above_4g_or_outside_ram_refused)
{
    put_elf64(0xffffffff80100000ull, 0x100000000ull, 0xffffffff8010000cull);
    CHECK(!multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_STR(why, "a segment lies outside the VM's memory");
    put_elf64(0x4000000, 0x4000000, 0x4000000);
    CHECK(!multiboot_image_parse(img, 4096, 64 << 20, &mb, &why));
    CHECK_STR(why, "a segment lies outside the VM's memory");
}

UNIT_MAIN("multiboot_image")
