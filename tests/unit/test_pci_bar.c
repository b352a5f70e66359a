/* PCI BAR decoding (drivers/pci_bar.c): values and size probes as real
 * devices answer them. */
#include "unit.h"

#include "../../drivers/pci_bar.h"

static struct pci_bar bar;

static unsigned decode(const uint32_t val[6], const uint32_t probe[6],
                       unsigned i)
{
    return pci_bar_decode(val, probe, i, &bar);
}

TEST(mem32_bar)
{
    /* An e1000's register BAR: 128 KiB of 32-bit memory. */
    uint32_t val[6] = { 0xfebc0000 }, probe[6] = { 0xfffe0000 };
    CHECK_EQ_U64(decode(val, probe, 0), 1);
    CHECK(!bar.io && !bar.mem64 && !bar.prefetch);
    CHECK_EQ_U64(bar.base, 0xfebc0000);
    CHECK_EQ_U64(bar.size, 0x20000);
    CHECK_EQ_U64(pci_bar_flags(&bar), 0);
}

TEST(io_bar)
{
    uint32_t val[6] = { 0, 0xc001 }, probe[6] = { 0, 0xffffffc1 };
    CHECK_EQ_U64(decode(val, probe, 1), 1);
    CHECK(bar.io);
    CHECK_EQ_U64(bar.base, 0xc000);
    CHECK_EQ_U64(bar.size, 0x40);
    CHECK_EQ_U64(pci_bar_flags(&bar), 1);
    /* A device that implements only 16 address bits reads zeros above. */
    probe[1] = 0x0000fff1;
    val[1] = 0xc011;
    CHECK_EQ_U64(decode(val, probe, 1), 1);
    CHECK_EQ_U64(bar.base, 0xc010);
    CHECK_EQ_U64(bar.size, 0x10);
}

TEST(mem64_prefetchable_bar)
{
    uint32_t val[6] = { 0, 0, 0x0000000c, 0x00000008 };
    uint32_t probe[6] = { 0, 0, 0xf000000c, 0xffffffff };
    CHECK_EQ_U64(decode(val, probe, 2), 2);
    CHECK(bar.mem64 && bar.prefetch && !bar.io);
    CHECK_EQ_U64(bar.base, 0x800000000ull);
    CHECK_EQ_U64(bar.size, 0x10000000);
    CHECK_EQ_U64(pci_bar_flags(&bar), 0xc);
}

TEST(mem64_bar_of_8_gib)
{
    uint32_t val[6] = { 0x4, 0x4 }, probe[6] = { 0x4, 0xfffffffe };
    CHECK_EQ_U64(decode(val, probe, 0), 2);
    CHECK_EQ_U64(bar.base, 0x400000000ull);
    CHECK_EQ_U64(bar.size, 0x200000000ull);
}

TEST(unimplemented_bars)
{
    uint32_t val[6] = { 0 }, probe[6] = { 0 };
    for (unsigned i = 0; i < 6; i++) {
        CHECK_EQ_U64(decode(val, probe, i), 1);
        CHECK_EQ_U64(bar.size, 0);
    }
    /* An I/O BAR whose probe keeps no address bit is not implemented. */
    val[0] = 1;
    probe[0] = 1;
    CHECK_EQ_U64(decode(val, probe, 0), 1);
    CHECK_EQ_U64(bar.size, 0);
}

TEST(mem64_in_last_slot_is_malformed)
{
    uint32_t val[6] = { 0, 0, 0, 0, 0, 0x4 };
    uint32_t probe[6] = { 0, 0, 0, 0, 0, 0xfffff004 };
    CHECK_EQ_U64(decode(val, probe, 5), 0);
}

/* A sub-page BAR (16 bytes, as a UHCI's or an SMBus controller's memory
 * BAR can be): only accesses wholly inside reach it. */
TEST(contains_whole_access_only)
{
    struct pci_bar b = { .base = 0xfebf1000, .size = 0x10 };

    CHECK(pci_bar_contains(&b, 0xfebf1000, 8));
    CHECK(pci_bar_contains(&b, 0xfebf1008, 8));
    CHECK(pci_bar_contains(&b, 0xfebf100f, 1));
    CHECK(pci_bar_contains(&b, 0xfebf100c, 4));
    /* The first byte inside, the rest past the end: the case. */
    CHECK(!pci_bar_contains(&b, 0xfebf100f, 8));
    CHECK(!pci_bar_contains(&b, 0xfebf100f, 2));
    CHECK(!pci_bar_contains(&b, 0xfebf100e, 4));
    CHECK(!pci_bar_contains(&b, 0xfebf1009, 8));
    CHECK(!pci_bar_contains(&b, 0xfebf1010, 1));
    CHECK(!pci_bar_contains(&b, 0xfebf0fff, 2));
    CHECK(!pci_bar_contains(&b, 0xfebf1000, 0));
    /* A 4-byte BAR and an 8-byte access at its start. */
    b.size = 4;
    CHECK(!pci_bar_contains(&b, 0xfebf1000, 8));
    /* Near the top of the address space nothing wraps. */
    b.base = 0xfffffffffffffff0ull;
    b.size = 0x10;
    CHECK(pci_bar_contains(&b, 0xfffffffffffffff8ull, 8));
    CHECK(!pci_bar_contains(&b, 0xfffffffffffffffcull, 8));
    CHECK(!pci_bar_contains(&b, 0x4, 8));
}

UNIT_MAIN("pci_bar")
