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

UNIT_MAIN("multiboot_image")
