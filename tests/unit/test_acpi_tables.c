/* Host unit tests for the guests' ACPI tables (kernel/acpi_tables.c):
 * every checksum, the XSDT's two tables, the MADT's processors, I/O APIC
 * and overrides, and a \_S5 that our own AML scan (kernel/acpi_s5.c)
 * finds in the DSDT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/acpi.h"
#include "../../kernel/acpi_madt.h"
#include "../../kernel/acpi_tables.h"
#include "unit.h"

#define GPA 0xe0000u

static uint8_t buf[ACPI_TABLES_MAX];

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The table at guest-physical gpa, checked to lie inside buf. */
static const uint8_t *table(uint64_t gpa)
{
	if (gpa < GPA || gpa - GPA + 36 > sizeof(buf))
		return NULL;
	const uint8_t *t = buf + (gpa - GPA);
	return get32(t + 4) <= sizeof(buf) - (gpa - GPA) ? t : NULL;
}

static const uint8_t *xsdt_entry(unsigned i)
{
	const uint8_t *x = table(get64(buf + 24));
	return x && 36 + 8 * i < get32(x + 4) ? table(get64(x + 36 + 8 * i)) : NULL;
}

TEST(rsdp_and_xsdt)
{
	uint64_t rsdp = acpi_build(buf, GPA, 1, 64ull << 20);
	const uint8_t *x;

	CHECK_EQ_U64(rsdp, GPA);
	CHECK(memcmp(buf, "RSD PTR ", 8) == 0);
	CHECK_EQ_U64(sum(buf, 20), 0);
	CHECK_EQ_U64(sum(buf, 36), 0);
	CHECK_EQ_U64(buf[15], 2);
	x = table(get64(buf + 24));
	CHECK(x && memcmp(x, "XSDT", 4) == 0);
	CHECK_EQ_U64(get32(x + 4), 36 + 2 * 8);
	CHECK_EQ_U64(sum(x, get32(x + 4)), 0);
}

/* The EBDA (ACPI 6.5 5.2.5.1): its segment at 0x40e, the RSDP's 36 bytes
 * on a 16-byte boundary of its first KiB; nothing else of low memory
 * touched. */
TEST(ebda_holds_the_rsdp)
{
	static uint8_t low[ACPI_EBDA_GPA + ACPI_EBDA_SIZE];
	uint16_t seg;
	size_t untouched = 0;

	memset(low, 0xcc, sizeof(low));
	acpi_build(buf, GPA, 2, 64ull << 20);
	acpi_build_ebda(low, buf);
	memcpy(&seg, low + 0x40e, 2);
	CHECK_EQ_U64((uint64_t)seg << 4, ACPI_EBDA_GPA);
	CHECK_EQ_U64(ACPI_EBDA_RSDP_OFF % 16, 0);
	CHECK(memcmp(low + ACPI_EBDA_GPA + ACPI_EBDA_RSDP_OFF, buf, 36) == 0);
	CHECK_EQ_U64(low[ACPI_EBDA_GPA], 1); /* size in KiB */
	for (size_t i = 0; i < ACPI_EBDA_GPA; i++)
		untouched += low[i] == 0xcc;
	CHECK_EQ_U64(untouched, ACPI_EBDA_GPA - 2);
}

/* The RSDT (ACPI 6.5 5.2.7) lists the XSDT's tables by 32-bit address. */
TEST(rsdt_matches_xsdt)
{
	const uint8_t *x, *r;

	acpi_build(buf, GPA, 4, 64ull << 20);
	x = table(get64(buf + 24));
	r = table(get32(buf + 16));
	CHECK(r && memcmp(r, "RSDT", 4) == 0);
	CHECK_EQ_U64(get32(r + 4), 36 + 2 * 4);
	CHECK_EQ_U64(sum(r, get32(r + 4)), 0);
	CHECK(x && get32(r + 36) == get64(x + 36));
	CHECK(x && get32(r + 40) == get64(x + 44));
	CHECK_EQ_U64(GPA % 16, 0);
}

TEST(fadt_and_dsdt)
{
	const uint8_t *f, *d;
	uint8_t a, b;

	acpi_build(buf, GPA, 1, 64ull << 20);
	f = xsdt_entry(0);
	CHECK(f && memcmp(f, "FACP", 4) == 0);
	CHECK_EQ_U64(sum(f, get32(f + 4)), 0);
	CHECK_EQ_U64(get32(f + 64), ACPI_PM1_CNT);
	d = table(get64(f + 140));
	CHECK(d && memcmp(d, "DSDT", 4) == 0);
	CHECK_EQ_U64(sum(d, get32(d + 4)), 0);
	CHECK(acpi_aml_s5(d + 36, get32(d + 4) - 36, &a, &b));
	CHECK_EQ_U64(a, ACPI_S5_SLP_TYP);
}

/* PkgLength (ACPI 6.5 20.2.4): the value and how many bytes encode it. */
static unsigned pkglen(const uint8_t *p, unsigned *bytes)
{
	unsigned extra = p[0] >> 6, v = p[0] & (extra ? 0x0f : 0x3f);

	for (unsigned i = 0; i < extra; i++)
		v |= (unsigned)p[1 + i] << (4 + 8 * i);
	*bytes = 1 + extra;
	return v;
}

static const uint8_t *find(const uint8_t *p, size_t len, const void *what,
			   size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(p + i, what, n))
			return p + i;
	return NULL;
}

/* \_SB.PCI0 (ACPI 6.1, 6.4.3.5; what Linux needs to scan bus 0): a
 * PNP0A03 device right after \_S5 whose PkgLength ends exactly at the
 * table's end, a _CRS with bus 0, the config ports, and a memory window
 * from above RAM (3 GiB at least) to below the I/O APIC; a _PRT. */
static void check_pci0(uint64_t ram, uint32_t window_lo)
{
	static const uint8_t hid[] = { '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const uint8_t mem[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01 };
	const uint8_t *d, *dev, *m;
	unsigned len, nb;

	acpi_build(buf, GPA, 1, ram);
	d = table(get64(xsdt_entry(0) + 140));
	CHECK(d != NULL);
	len = get32(d + 4);
	dev = find(d + 36, len - 36, "\x5b\x82", 2);
	CHECK(dev != NULL);
	CHECK_EQ_U64((size_t)(dev - d) + 2 + pkglen(dev + 2, &nb), len);
	CHECK(memcmp(dev + 2 + nb, "\\\x2e_SB_PCI0", 10) == 0);
	CHECK(find(dev, len - (size_t)(dev - d), hid, sizeof(hid)) != NULL);
	CHECK(find(dev, len - (size_t)(dev - d), "_PRT", 4) != NULL);
	m = find(dev, len - (size_t)(dev - d), mem, sizeof(mem));
	CHECK(m != NULL);
	CHECK_EQ_U64(get32(m + 10), window_lo);
	CHECK_EQ_U64(get32(m + 14), ACPI_IOAPIC_BASE - 1);
	CHECK_EQ_U64(get32(m + 22), ACPI_IOAPIC_BASE - window_lo);
	CHECK_EQ_U64(sum(d, len), 0);
}

TEST(dsdt_pci_host_bridge)
{
	check_pci0(64ull << 20, 0xc0000000u);
	check_pci0(0xe0000000ull + 4096, 0xe0100000u);
}

/* Walks the MADT's structures, counting each type; fails on a structure
 * that runs past the table. */
static unsigned madt_count(const uint8_t *m, uint8_t type, const uint8_t **first)
{
	uint32_t len = get32(m + 4), off = 44;
	unsigned n = 0;

	*first = NULL;
	while (off + 2 <= len && m[off + 1] >= 2 && off + m[off + 1] <= len) {
		if (m[off] == type && !n++)
			*first = m + off;
		off += m[off + 1];
	}
	return off == len ? n : 9999;
}

static void check_madt(unsigned ncpus)
{
	const uint8_t *m, *e;

	acpi_build(buf, GPA, ncpus, 64ull << 20);
	m = xsdt_entry(1);
	CHECK(m && memcmp(m, "APIC", 4) == 0);
	CHECK_EQ_U64(sum(m, get32(m + 4)), 0);
	CHECK_EQ_U64(get32(m + 36), ACPI_LAPIC_BASE);
	CHECK_EQ_U64(get32(m + 40) & 1, 1); /* PC-AT compatible: 8259s */
	CHECK_EQ_U64(madt_count(m, 0, &e), ncpus);
	for (unsigned i = 0; i < ncpus; i++, e += 8) {
		CHECK_EQ_U64(e[3], i);          /* APIC ID */
		CHECK_EQ_U64(get32(e + 4), 1);  /* enabled */
	}
	CHECK_EQ_U64(madt_count(m, 1, &e), 1);
	CHECK_EQ_U64(get32(e + 4), ACPI_IOAPIC_BASE);
	CHECK_EQ_U64(get32(e + 8), 0);
	CHECK(e[2] >= ncpus); /* its ID is no CPU's */
	CHECK_EQ_U64(madt_count(m, 2, &e), 2);
	CHECK_EQ_U64(e[3], 0);                /* ISA IRQ 0 ... */
	CHECK_EQ_U64(get32(e + 4), 2);        /* ... is GSI 2 */
	CHECK_EQ_U64(madt_count(m, 4, &e), 1);
	CHECK_EQ_U64(e[5], 1);                /* NMI on LINT1 */
}

/* kernel/acpi_madt.c reads back what acpi_build wrote. */
TEST(madt_parse_round_trip)
{
	struct acpi_madt_info info;
	const uint8_t *m;

	acpi_build(buf, GPA, 4, 64ull << 20);
	m = xsdt_entry(1);
	CHECK(m != NULL);
	CHECK(acpi_madt_parse(m, get32(m + 4), &info));
	CHECK_EQ_U64(info.lapic_addr, ACPI_LAPIC_BASE);
	CHECK(info.has_ioapic);
	CHECK_EQ_U64(info.ioapic_addr, ACPI_IOAPIC_BASE);
	CHECK_EQ_U64(info.ioapic_id, 4);
	CHECK_EQ_U64(info.ioapic_gsi_base, 0);
	CHECK_EQ_U64(info.isa_gsi[0], 2);
	CHECK_EQ_U64(info.isa_gsi[4], 4);
	CHECK_EQ_U64(info.isa_flags[4], 0);
	CHECK_EQ_U64(info.isa_gsi[ACPI_SCI_IRQ], ACPI_SCI_IRQ);
	CHECK_EQ_U64(info.isa_flags[ACPI_SCI_IRQ],
		     ACPI_INTI_TRIGGER_LEVEL | ACPI_INTI_POLARITY_HIGH);
	CHECK_EQ_U64(info.nlapics, 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ_U64(info.lapic_ids[i], i);
	CHECK_EQ_U64(info.lapics_dropped, 0);
}

static size_t put_entry(uint8_t *m, size_t off, const uint8_t *e, size_t len)
{
	memcpy(m + off, e, len);
	return off + len;
}

/* The host's CPU list (kernel/cpu_list.c) comes from these entries: a
 * Local APIC and a Local x2APIC structure each name an enabled CPU, a
 * disabled or only online-capable one is no CPU, and an APIC ID named
 * twice (once in each form) is one CPU. */
TEST(madt_parse_lists_enabled_processors)
{
	static const uint8_t lapic0[8] = { 0, 8, 0, 0, 1, 0, 0, 0 };
	static const uint8_t lapic_off[8] = { 0, 8, 1, 5, 0, 0, 0, 0 };
	static const uint8_t lapic_hotplug[8] = { 0, 8, 2, 6, 2, 0, 0, 0 };
	static const uint8_t lapic2[8] = { 0, 8, 3, 2, 1, 0, 0, 0 };
	static const uint8_t x2apic[16] = { 9, 16, 0, 0, 0x00, 0x01, 0, 0,
					     1, 0, 0, 0, 4, 0, 0, 0 };
	static const uint8_t x2apic_dup[16] = { 9, 16, 0, 0, 2, 0, 0, 0,
						 1, 0, 0, 0, 5, 0, 0, 0 };
	struct acpi_madt_info info;
	uint8_t m[256] = "APIC";
	size_t len = 44;
	uint32_t len32;

	len = put_entry(m, len, lapic0, sizeof(lapic0));
	len = put_entry(m, len, lapic_off, sizeof(lapic_off));
	len = put_entry(m, len, lapic_hotplug, sizeof(lapic_hotplug));
	len = put_entry(m, len, lapic2, sizeof(lapic2));
	len = put_entry(m, len, x2apic, sizeof(x2apic));
	len = put_entry(m, len, x2apic_dup, sizeof(x2apic_dup));
	len32 = (uint32_t)len;
	memcpy(m + 4, &len32, 4);
	CHECK(acpi_madt_parse(m, len, &info));
	CHECK_EQ_U64(info.nlapics, 3);
	CHECK_EQ_U64(info.lapic_ids[0], 0);
	CHECK_EQ_U64(info.lapic_ids[1], 2);
	CHECK_EQ_U64(info.lapic_ids[2], 0x100);
	CHECK(!info.has_ioapic);
}

/* More enabled processors than the list holds are counted, not written
 * past its end. */
TEST(madt_parse_counts_processors_beyond_the_list)
{
	struct acpi_madt_info info;
	static uint8_t m[44 + 8 * (ACPI_MADT_MAX_LAPICS + 3)];
	size_t len = 44;
	uint32_t len32;

	memcpy(m, "APIC", 4);
	for (unsigned i = 0; i < ACPI_MADT_MAX_LAPICS + 3; i++) {
		uint8_t e[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };
		len = put_entry(m, len, e, sizeof(e));
	}
	len32 = (uint32_t)len;
	memcpy(m + 4, &len32, 4);
	CHECK(acpi_madt_parse(m, len, &info));
	CHECK_EQ_U64(info.nlapics, ACPI_MADT_MAX_LAPICS);
	CHECK_EQ_U64(info.lapics_dropped, 3);
	CHECK_EQ_U64(info.lapic_ids[ACPI_MADT_MAX_LAPICS - 1],
		     ACPI_MADT_MAX_LAPICS - 1);
}

/* A MADT cut short, or one whose entry claims to run past its end, is
 * refused rather than read beyond. */
TEST(madt_parse_refuses_truncation)
{
	struct acpi_madt_info info;
	uint8_t copy[ACPI_TABLES_MAX];
	const uint8_t *m;

	acpi_build(buf, GPA, 2, 64ull << 20);
	m = xsdt_entry(1);
	CHECK(m != NULL);
	uint32_t len = get32(m + 4);
	memcpy(copy, m, len);
	CHECK(!acpi_madt_parse(copy, len - 1, &info));
	copy[44 + 1] = 200; /* first entry's length */
	CHECK(!acpi_madt_parse(copy, len, &info));
	copy[44 + 1] = 0;
	CHECK(!acpi_madt_parse(copy, len, &info));
	memcpy(copy, "FACP", 4);
	CHECK(!acpi_madt_parse(copy, len, &info));
}

TEST(madt_one_cpu) { check_madt(1); }
TEST(madt_four_cpus) { check_madt(4); }
TEST(madt_most_cpus) { check_madt(ACPI_MAX_CPUS); }

UNIT_MAIN("acpi_tables")
