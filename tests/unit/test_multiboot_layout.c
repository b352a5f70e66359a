/* Where the Multiboot loader puts modules and the boot information
 * (kernel/multiboot_layout.c): after the kernel image, page-aligned, in
 * RAM outside the 640 KiB - 1 MiB hole, never overlapping the image or
 * each other (Multiboot Specification 0.6.96, 3.3; QEMU and GRUB place
 * them after the image). */
#include "unit.h"

#include "../../kernel/multiboot_layout.h"

#define MiB (1ull << 20)

static struct mb_layout at;
static const char *why;

TEST(info_after_a_kernel_at_1mib)
{
    CHECK(multiboot_layout(4 * MiB, 0x105e88, NULL, 0, 700, &at, &why));
    CHECK_EQ_U64(at.info_gpa, 0x106000);
}

/* A kernel linked at 0x8000 (the old fixed information address): the
 * information goes after it, below the hole. */
TEST(info_after_a_kernel_linked_low)
{
    CHECK(multiboot_layout(4 * MiB, 0xe123, NULL, 0, 700, &at, &why));
    CHECK_EQ_U64(at.info_gpa, 0xf000);
}

TEST(modules_in_order_page_aligned_then_info)
{
    uint64_t size[3] = { 5000, 0, 4096 };

    CHECK(multiboot_layout(4 * MiB, 0x100800, size, 3, 900, &at, &why));
    CHECK_EQ_U64(at.mod_gpa[0], 0x101000);
    CHECK_EQ_U64(at.mod_gpa[1], 0x103000);
    CHECK_EQ_U64(at.mod_gpa[2], 0x103000); /* after an empty module */
    CHECK_EQ_U64(at.info_gpa, 0x104000);
}

/* What does not fit below the hole goes above it, never across it. */
TEST(skips_the_hole_below_1mib)
{
    uint64_t size[2] = { 0x1000, 0x10000 };

    CHECK(multiboot_layout(4 * MiB, 0x90000, size, 2, 0x9000, &at, &why));
    CHECK_EQ_U64(at.mod_gpa[0], 0x90000);
    CHECK_EQ_U64(at.mod_gpa[1], 0x100000);
    CHECK_EQ_U64(at.info_gpa, 0x110000);
}

TEST(refuses_what_does_not_fit)
{
    uint64_t size[1] = { 2 * MiB };

    CHECK(!multiboot_layout(2 * MiB, 0x1ff000, NULL, 0, 0x1001, &at, &why));
    CHECK_STR(why, "no room for the Multiboot information after the kernel "
                   "and its modules");
    CHECK(multiboot_layout(2 * MiB, 0x1ff000, NULL, 0, 0x1000, &at, &why));
    CHECK_EQ_U64(at.info_gpa, 0x1ff000);
    CHECK(!multiboot_layout(2 * MiB, 0x100000, size, 1, 100, &at, &why));
    CHECK_STR(why, "the modules do not fit in the VM's memory");
    size[0] = ~0ull - 100; /* no wrap-around */
    CHECK(!multiboot_layout(4 * MiB, 0x100000, size, 1, 100, &at, &why));
    CHECK(!multiboot_layout(4 * MiB, 0x100000, size, MB_MODS_MAX + 1, 100,
                            &at, &why));
    CHECK_STR(why, "too many modules");
}

UNIT_MAIN("multiboot_layout")
