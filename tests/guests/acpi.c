/* Firmware tables where a PC has them (issue 12): a kernel that knows
 * nothing of hv finds the ACPI tables the way it would on a PC, by
 * scanning for the RSDP (in the BIOS area, and in the EBDA the BIOS data
 * area points to), follows them to the FADT and uses the PM timer
 * it names.  Section numbers are the ACPI 6.5 specification's. */
#include "guest.h"

#define BIOS_AREA 0xe0000u
#define BIOS_AREA_END 0x100000u

/* FADT fields (5.2.9, Table 5.9). */
#define FADT_DSDT 40
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_FLAGS 112
#define FADT_TMR_VAL_EXT (1u << 8) /* 32-bit timer, else 24-bit */

/* The BIOS data area's word with the EBDA's segment (as every PC BIOS
 * keeps it; ACPI 6.5 5.2.5.1 names it "the 40:0E location"). */
#define BDA_EBDA_SEG 0x40eu
#define LOW_MEM_TOP 0xa0000u

static uint32_t get32(uint32_t a) { return *(const volatile uint32_t *)a; }
/* By asm: GCC takes a constant address in the first page for a null
 * pointer's neighbourhood (-Warray-bounds), and the BDA lives there. */
static uint16_t get16(uint32_t a)
{
	uint32_t v;
	__asm__ volatile("movzwl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return (uint16_t)v;
}
static uint8_t get8(uint32_t a) { return *(const volatile uint8_t *)a; }

static uint8_t sum(uint32_t a, uint32_t len)
{
	uint8_t s = 0;
	while (len--)
		s = (uint8_t)(s + get8(a++));
	return s;
}

static bool sig(uint32_t a, const char *s)
{
	for (int i = 0; s[i]; i++)
		if (get8(a + i) != (uint8_t)s[i])
			return false;
	return true;
}

/* 5.2.5.1: on 16-byte boundaries of 0xe0000-0xfffff, "RSD PTR " whose
 * first 20 bytes sum to zero (5.2.5.3, Checksum). */
static uint32_t find_rsdp(void)
{
	for (uint32_t a = BIOS_AREA; a < BIOS_AREA_END; a += 16)
		if (sig(a, "RSD PTR ") && sum(a, 20) == 0)
			return a;
	return 0;
}

/* 5.2.5.1: "the first 1 KB of the Extended BIOS Data Area", the other
 * place an OS scans, also on 16-byte boundaries. */
static uint32_t find_rsdp_in_ebda(uint32_t ebda)
{
	for (uint32_t a = ebda; a < ebda + 1024; a += 16)
		if (sig(a, "RSD PTR ") && sum(a, 20) == 0)
			return a;
	return 0;
}

/* Whether the Multiboot memory map (information flag 6) calls any byte
 * of [a, a + len) available RAM (type 1). */
static bool map_says_available(const uint32_t *mbi, uint32_t a, uint32_t len)
{
	uint32_t p = mbi[12], end = mbi[12] + mbi[11];

	if (!(mbi[0] & (1u << 6)))
		return true; /* no map: nothing reserved */
	for (; p < end; p += get32(p) + 4) {
		uint32_t base = get32(p + 4), size = get32(p + 12);
		if (get32(p + 8) || get32(p + 16))
			continue; /* above 4 GiB */
		if (get32(p + 20) == 1 && base < a + len && a < base + size)
			return true;
	}
	return false;
}

static void check_ebda(const uint32_t *mbi, uint32_t rsdp)
{
	uint32_t ebda = (uint32_t)get16(BDA_EBDA_SEG) << 4, copy;

	puts_serial("EBDA at ");
	print_hex(ebda);
	puts_serial("\n");
	check(ebda >= 0x80000 && ebda + 1024 <= LOW_MEM_TOP,
	      "5.2.5.1: the BDA word at 0x40e names an EBDA below 640 KiB");
	if (ebda < 0x80000 || ebda + 1024 > LOW_MEM_TOP)
		return;
	check(!map_says_available(mbi, ebda, 1024) &&
		      mbi[1] * 1024 <= ebda,
	      "the memory map reserves the EBDA; mem_lower ends below it");
	copy = find_rsdp_in_ebda(ebda);
	puts_serial("RSDP copy at ");
	print_hex(copy);
	puts_serial("\n");
	check(copy != 0 && sum(copy, 36) == 0,
	      "5.2.5.1: an RSDP in the EBDA's first KiB, both checksums 0");
	check(copy && rsdp && get32(copy + 16) == get32(rsdp + 16) &&
		      get32(copy + 24) == get32(rsdp + 24) &&
		      get32(copy + 28) == get32(rsdp + 28),
	      "5.2.5.1: the EBDA's RSDP names the same RSDT and XSDT");
}

/* A table with the standard header (5.2.6): its signature, and all
 * Length bytes summing to zero; it must lie below 1 MiB or in RAM. */
static bool table_ok(uint32_t a, const char *s, uint32_t ram_end)
{
	return a >= 0x1000 && a < ram_end && sig(a, s) &&
	       get32(a + 4) >= 36 && get32(a + 4) < ram_end - a &&
	       sum(a, get32(a + 4)) == 0;
}

/* The entry of the RSDT (4-byte entries, 5.2.7) or XSDT (8-byte, 5.2.8)
 * at root whose table has signature s; 0 if none. */
static uint32_t find_entry(uint32_t root, unsigned width, const char *s,
			   uint32_t ram_end)
{
	for (uint32_t off = 36; off + width <= get32(root + 4); off += width) {
		uint32_t t = get32(root + off);
		if (width == 8 && get32(root + off + 4))
			continue; /* above 4 GiB: not ours to reach */
		if (table_ok(t, s, ram_end))
			return t;
	}
	return 0;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	uint32_t ram_end = (mbi[2] + 1024) * 1024;
	uint32_t rsdp, rsdt = 0, xsdt = 0, fadt = 0, xfadt = 0, madt = 0;
	uint32_t tmr = 0;
	bool counts = true;

	(void)magic;
	rsdp = find_rsdp();
	puts_serial("RSDP at ");
	print_hex(rsdp);
	puts_serial("\n");
	check(rsdp != 0, "5.2.5.1: RSDP found on a 16-byte boundary in "
			 "0xe0000-0xfffff, checksum of its first 20 bytes 0");
	check_ebda(mbi, rsdp);
	if (!rsdp)
		return verdict();
	check(get8(rsdp + 15) >= 2 && get32(rsdp + 20) == 36 &&
		      sum(rsdp, 36) == 0,
	      "5.2.5.3: revision 2, Length 36, extended checksum 0");
	rsdt = get32(rsdp + 16);
	check(table_ok(rsdt, "RSDT", ram_end),
	      "5.2.7: RsdtAddress names an RSDT with a valid checksum");
	if (get32(rsdp + 28) == 0)
		xsdt = get32(rsdp + 24);
	check(table_ok(xsdt, "XSDT", ram_end),
	      "5.2.8: XsdtAddress names an XSDT with a valid checksum");
	if (rsdt)
		fadt = find_entry(rsdt, 4, "FACP", ram_end);
	if (xsdt)
		xfadt = find_entry(xsdt, 8, "FACP", ram_end);
	check(fadt != 0, "5.2.7: the RSDT lists a FADT (FACP), checksum 0");
	check(xfadt == fadt, "5.2.8: the XSDT lists the same FADT");
	if (rsdt)
		madt = find_entry(rsdt, 4, "APIC", ram_end);
	check(madt != 0, "5.2.12: the RSDT lists a MADT (APIC), checksum 0");
	if (!fadt)
		return verdict();
	check(table_ok(get32(fadt + FADT_DSDT), "DSDT", ram_end),
	      "5.2.9: the FADT's DSDT is a DSDT with a valid checksum");
	check(get32(fadt + FADT_PM1A_EVT_BLK) != 0 &&
		      get8(fadt + FADT_PM1_EVT_LEN) >= 4,
	      "5.2.9: PM1a_EVT_BLK given, PM1_EVT_LEN >= 4 (4.8.3.1)");
	check(get32(fadt + FADT_PM1A_CNT_BLK) != 0 &&
		      get8(fadt + FADT_PM1_CNT_LEN) >= 2,
	      "5.2.9: PM1a_CNT_BLK given, PM1_CNT_LEN >= 2 (4.8.3.2)");
	tmr = get32(fadt + FADT_PM_TMR_BLK);
	puts_serial("PM timer at port ");
	print_hex(tmr);
	puts_serial("\n");
	check(tmr != 0 && tmr < 0x10000 && get8(fadt + FADT_PM_TMR_LEN) == 4,
	      "5.2.9: PM_TMR_BLK is a port, PM_TMR_LEN 4");
	if (!tmr || tmr >= 0x10000)
		return verdict();
	/* 4.8.3.3: a free-running 3.579545 MHz counter, 24 bits unless
	 * TMR_VAL_EXT; it only counts up, wrapping at its width. */
	uint32_t mask = (get32(fadt + FADT_FLAGS) & FADT_TMR_VAL_EXT)
				? 0xffffffffu : 0xffffffu;
	uint32_t prev = inl((uint16_t)tmr), total = 0;
	check((prev & ~mask) == 0, "4.8.3.3: the timer's bits above its width read 0");
	for (int i = 0; i < 5; i++) {
		for (volatile int d = 0; d < 20000; d++)
			;
		uint32_t now = inl((uint16_t)tmr) & mask;
		uint32_t delta = (now - prev) & mask;
		if (delta == 0 || delta > mask / 2)
			counts = false;
		total += delta;
		prev = now;
	}
	puts_serial("PM timer advanced ");
	print_dec(total);
	puts_serial(" ticks over 5 reads\n");
	check(counts, "4.8.3.3: the PM timer counts up between reads");
	return verdict();
}
