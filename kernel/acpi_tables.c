#include "acpi_tables.h"

#include <string.h>

#include "vm_irq.h"

#define OEM_ID "HVSMLL"
#define OEM_TABLE_ID "HVACPI  "
#define CREATOR_ID "HVSV"

#define RSDP_SIZE 36
#define HEADER_SIZE 36
#define FADT_SIZE 276
#define FACS_SIZE 64
#define DSDT_MAX 320 /* room for the DSDT: \_S5 and \_SB.PCI0 */

/* FADT field offsets (ACPI 6.5 Table 5.9). */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_SCI_INT 46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_CENTURY 108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131
#define FADT_X_DSDT 140

#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define FLAG_WBINVD (1u << 0)
#define FLAG_PROC_C1 (1u << 2)
#define FLAG_PWR_BUTTON (1u << 4) /* no fixed-feature power button */
#define FLAG_SLP_BUTTON (1u << 5)
#define FLAG_RESET_REG_SUP (1u << 10)
#define GAS_SYSTEM_IO 1

/* \_S5: Name (_S5, Package (4) { 5, 5, 0, 0 }), AML encoding (ACPI 6.5
 * 20.2.5.2 NameOp, 20.2.5.4 PackageOp; PkgLength counts itself). */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',
	0x12, 0x08, 0x04,
	0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00,
};

/* MADT (ACPI 6.5 5.2.12): the header's local APIC address and flags, then
 * one Processor Local APIC structure per vCPU, the I/O APIC, the ISA
 * interrupt source overrides a PC has (IRQ 0 on GSI 2; the SCI level-
 * triggered, active high, as on QEMU's and Xen's PCs) and LINT1 as every
 * CPU's NMI. */
#define MADT_LOCAL_APIC 0
#define MADT_IO_APIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_NMI 4
#define MADT_PCAT_COMPAT 1u   /* there is an 8259 pair too */
#define MADT_LAPIC_ENABLED 1u
#define MPS_TRIGGER_LEVEL (3u << 2)
#define MPS_POLARITY_HIGH 1u
#define MADT_MAX_SIZE(n) (HEADER_SIZE + 8 + 8 * (n) + 12 + 2 * 10 + 6)

static void put16(uint8_t *p, unsigned off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, unsigned off, uint32_t v) { memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, unsigned off, uint64_t v) { memcpy(p + off, &v, 8); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t, 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t, 24, 1);
	memcpy(t + 28, CREATOR_ID, 4);
	put32(t, 32, 1);
}

static void finish(uint8_t *t)
{
	uint32_t len;
	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = checksum(t, len);
}

static void fadt(uint8_t *t, uint32_t facs, uint32_t dsdt)
{
	header(t, "FACP", FADT_SIZE, 6);
	put32(t, FADT_FIRMWARE_CTRL, facs);
	put32(t, FADT_DSDT, dsdt);
	put16(t, FADT_SCI_INT, ACPI_SCI_IRQ);
	put32(t, FADT_PM1A_EVT_BLK, ACPI_PM1_EVT);
	put32(t, FADT_PM1A_CNT_BLK, ACPI_PM1_CNT);
	put32(t, FADT_PM_TMR_BLK, ACPI_PM_TMR);
	t[FADT_PM1_EVT_LEN] = 4;
	t[FADT_PM1_CNT_LEN] = 2;
	t[FADT_PM_TMR_LEN] = 4;
	put16(t, FADT_P_LVL2_LAT, 101);  /* > 100: no C2 */
	put16(t, FADT_P_LVL3_LAT, 1001); /* > 1000: no C3 */
	t[FADT_CENTURY] = 0x32;
	put16(t, FADT_IAPC_BOOT_ARCH,
	      BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT);
	put32(t, FADT_FLAGS, FLAG_WBINVD | FLAG_PROC_C1 | FLAG_PWR_BUTTON |
				     FLAG_SLP_BUTTON | FLAG_RESET_REG_SUP);
	t[FADT_RESET_REG] = GAS_SYSTEM_IO;
	t[FADT_RESET_REG + 1] = 8;  /* register bit width */
	t[FADT_RESET_REG + 3] = 1;  /* byte access */
	put64(t, FADT_RESET_REG + 4, ACPI_RESET_PORT);
	t[FADT_RESET_VALUE] = ACPI_RESET_VALUE;
	t[FADT_MINOR_VERSION] = 5;
	put64(t, FADT_X_DSDT, dsdt);
	finish(t);
}

/* An interrupt source override: ISA `irq` is `gsi`, with MPS INTI flags;
 * returns its length. */
static uint32_t madt_override(uint8_t *e, uint8_t irq, uint32_t gsi,
			      uint16_t flags)
{
	e[0] = MADT_OVERRIDE;
	e[1] = 10;
	e[2] = 0; /* bus: ISA */
	e[3] = irq;
	put32(e, 4, gsi);
	put16(e, 8, flags);
	return 10;
}

static uint32_t madt(uint8_t *t, unsigned ncpus)
{
	uint32_t off = HEADER_SIZE + 8;

	put32(t, HEADER_SIZE, ACPI_LAPIC_BASE);
	put32(t, HEADER_SIZE + 4, MADT_PCAT_COMPAT);
	for (unsigned i = 0; i < ncpus; i++, off += 8) {
		t[off] = MADT_LOCAL_APIC;
		t[off + 1] = 8;
		t[off + 2] = (uint8_t)i; /* ACPI processor UID */
		t[off + 3] = (uint8_t)i; /* APIC ID */
		put32(t, off + 4, MADT_LAPIC_ENABLED);
	}
	t[off] = MADT_IO_APIC;
	t[off + 1] = 12;
	t[off + 2] = (uint8_t)ncpus; /* I/O APIC ID, after the CPUs' */
	put32(t, off + 4, ACPI_IOAPIC_BASE);
	put32(t, off + 8, 0); /* GSI base */
	off += 12;
	off += madt_override(t + off, 0, ISA_IRQ0_GSI, 0 /* bus defaults */);
	off += madt_override(t + off, ACPI_SCI_IRQ, ACPI_SCI_IRQ,
			     MPS_TRIGGER_LEVEL | MPS_POLARITY_HIGH);
	t[off] = MADT_LAPIC_NMI;
	t[off + 1] = 6;
	t[off + 2] = 0xff; /* all processors */
	put16(t, off + 3, 0);
	t[off + 5] = 1; /* LINT1 */
	off += 6;
	header(t, "APIC", off, 5);
	finish(t);
	return off;
}

/* ---- \_SB.PCI0: the PCI host bridge (ACPI 6.5 6.1, 6.2, 6.4; PCI
 * Firmware 3.3 4.1) ----
 * An OS finds PCI through it: Linux scans bus 0 only for a PNP0A03
 * device (without one, on an ACPI system, it sees no PCI function at
 * all), takes BARs only inside its _CRS windows, and routes INTx by its
 * _PRT.  Bus 0; configuration ports 0xcf8-0xcff; I/O 0-0xcf7 and
 * 0xd00-0xffff; memory from above RAM (at least 3 GiB) up to the I/O
 * APIC, where hv's PCI window (drivers/vpci_func.h) and passed-through
 * functions' BARs lie; INTA# of slots 4-11 on GSI ACPI_PCI_GSI. */

/* PkgLength (20.2.4): one byte up to 63, else two (bits 0-3 in the first
 * byte, the rest in the second); the length counts its own bytes. */
static unsigned aml_pkglen(uint8_t *p, unsigned body)
{
	if (body + 1 < 64) {
		p[0] = (uint8_t)(body + 1);
		return 1;
	}
	body += 2;
	p[0] = (uint8_t)(0x40 | (body & 0xf));
	p[1] = (uint8_t)(body >> 4);
	return 2;
}

/* Wraps body (already at p + room) with `op` bytes and a PkgLength,
 * moving it into place; returns the total length. */
static unsigned aml_wrap(uint8_t *p, const uint8_t *op, unsigned nop,
			 const uint8_t *body, unsigned len)
{
	uint8_t pl[2];
	unsigned n = aml_pkglen(pl, len);

	memmove(p + nop + n, body, len);
	memcpy(p, op, nop);
	memcpy(p + nop, pl, n);
	return nop + n + len;
}

static unsigned aml_name_seg(uint8_t *p, const char *seg)
{
	p[0] = 0x08; /* NameOp */
	memcpy(p + 1, seg, 4);
	return 5;
}

/* Word Address Space Descriptor (6.4.3.5.3) of type t: min..max. */
static unsigned res_word(uint8_t *p, uint8_t type, uint8_t tflags,
			 uint16_t min, uint16_t max)
{
	const uint8_t h[] = { 0x88, 13, 0, type, 0x0c, tflags };

	memcpy(p, h, sizeof(h));
	put16(p, 6, 0);            /* granularity */
	put16(p, 8, min);
	put16(p, 10, max);
	put16(p, 12, 0);           /* translation */
	put16(p, 14, (uint16_t)(max - min + 1));
	return 16;
}

static unsigned pci0_crs(uint8_t *p, uint64_t ram_size)
{
	/* MinFixed, MaxFixed, producer (6.4.3.5: general flags 0x0c). */
	static const uint8_t cf8[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c,
				       0x01, 0x08 };
	uint64_t lo = (ram_size + 0xfffff) & ~0xfffffull;
	unsigned n = 0;

	n += res_word(p + n, 2, 0, 0, 0);           /* bus 0 */
	memcpy(p + n, cf8, sizeof(cf8));             /* I/O 0xcf8, 8 bytes */
	n += sizeof(cf8);
	n += res_word(p + n, 1, 3, 0x0000, 0x0cf7);  /* I/O, entire range */
	n += res_word(p + n, 1, 3, 0x0d00, 0xffff);
	if (lo < 0xc0000000ull)
		lo = 0xc0000000ull;
	if (lo < ACPI_IOAPIC_BASE) {
		/* DWord Memory (6.4.3.5.2): read/write, non-cacheable. */
		const uint8_t h[] = { 0x87, 23, 0, 0, 0x0c, 0x01 };
		memcpy(p + n, h, sizeof(h));
		put32(p, n + 6, 0);
		put32(p, n + 10, (uint32_t)lo);
		put32(p, n + 14, ACPI_IOAPIC_BASE - 1);
		put32(p, n + 18, 0);
		put32(p, n + 22, (uint32_t)(ACPI_IOAPIC_BASE - lo));
		n += 26;
	}
	p[n++] = 0x79; /* End Tag, checksum 0 */
	p[n++] = 0;
	return n;
}

/* Builds Device (\_SB.PCI0) { _HID, _UID, _CRS, _PRT } at p. */
static unsigned dsdt_pci0(uint8_t *p, uint64_t ram_size)
{
	static const uint8_t dev_op[] = { 0x5b, 0x82 };
	static const uint8_t path[] = { '\\', 0x2e, '_', 'S', 'B', '_',
					'P', 'C', 'I', '0' };
	uint8_t body[512], crs[128], prt[160];
	unsigned n = 0, c, r = 0;

	memcpy(body, path, sizeof(path));
	n = sizeof(path);
	n += aml_name_seg(body + n, "_HID");
	body[n++] = 0x0c;                        /* DWordConst */
	put32(body, n, 0x030ad041);              /* EISAID("PNP0A03") */
	n += 4;
	n += aml_name_seg(body + n, "_UID");
	body[n++] = 0x00;                        /* Zero */
	/* Name (_CRS, Buffer (len) { ... }) */
	c = pci0_crs(crs + 2, ram_size);
	crs[0] = 0x0a;                           /* BytePrefix: the size */
	crs[1] = (uint8_t)c;
	n += aml_name_seg(body + n, "_CRS");
	n += aml_wrap(body + n, (const uint8_t[]){ 0x11 }, 1, crs, c + 2);
	/* Name (_PRT, Package () { Package () { 0xSSSSffff, 0, 0, GSI },
	 * ... }): INTA# of each emulated slot (6.2.13). */
	prt[r++] = 8;                            /* NumElements */
	for (unsigned slot = 4; slot < 12; slot++) {
		uint8_t e[12];
		unsigned m = 0;
		e[m++] = 4;                      /* NumElements */
		e[m++] = 0x0c;
		put32(e, m, slot << 16 | 0xffff);
		m += 4;
		e[m++] = 0x00;                   /* pin: INTA# */
		e[m++] = 0x00;                   /* source: none (GSI) */
		e[m++] = 0x0a;
		e[m++] = ACPI_PCI_GSI;
		r += aml_wrap(prt + r, (const uint8_t[]){ 0x12 }, 1, e, m);
	}
	n += aml_name_seg(body + n, "_PRT");
	n += aml_wrap(body + n, (const uint8_t[]){ 0x12 }, 1, prt, r);
	return aml_wrap(p, dev_op, sizeof(dev_op), body, n);
}

uint64_t acpi_build(uint8_t *buf, uint64_t gpa, unsigned ncpus,
		    uint64_t ram_size)
{
	enum { xsdt = 64, fadt_at = xsdt + 64, facs = fadt_at + 320,
	       dsdt = facs + FACS_SIZE, madt_at = dsdt + DSDT_MAX,
	       rsdt = madt_at + ((MADT_MAX_SIZE(ACPI_MAX_CPUS) + 15) & ~15) };
	uint8_t *r = buf;
	unsigned dsdt_len;

	_Static_assert(rsdt + HEADER_SIZE + 8 <= ACPI_TABLES_MAX,
		       "the MADT for ACPI_MAX_CPUS and the RSDT fit");
	if (ncpus > ACPI_MAX_CPUS)
		ncpus = ACPI_MAX_CPUS;

	memset(buf, 0, ACPI_TABLES_MAX);
	/* DSDT: \_S5, then the PCI host bridge */
	memcpy(buf + dsdt + HEADER_SIZE, dsdt_aml, sizeof(dsdt_aml));
	dsdt_len = HEADER_SIZE + sizeof(dsdt_aml);
	dsdt_len += dsdt_pci0(buf + dsdt + dsdt_len, ram_size);
	header(buf + dsdt, "DSDT", dsdt_len, 2);
	finish(buf + dsdt);
	/* FACS: no checksum, no header (ACPI 6.5 5.2.10) */
	memcpy(buf + facs, "FACS", 4);
	put32(buf, facs + 4, FACS_SIZE);
	buf[facs + 32] = 2; /* version */
	fadt(buf + fadt_at, (uint32_t)gpa + facs, (uint32_t)gpa + dsdt);
	madt(buf + madt_at, ncpus);
	/* XSDT: the FADT and the MADT */
	header(buf + xsdt, "XSDT", HEADER_SIZE + 16, 1);
	put64(buf + xsdt, HEADER_SIZE, gpa + fadt_at);
	put64(buf + xsdt, HEADER_SIZE + 8, gpa + madt_at);
	finish(buf + xsdt);
	/* RSDT (ACPI 6.5 5.2.7): the same tables by 32-bit address, for an
	 * OS that knows only ACPI 1.0 or runs in 32-bit mode. */
	header(buf + rsdt, "RSDT", HEADER_SIZE + 8, 1);
	put32(buf + rsdt, HEADER_SIZE, (uint32_t)gpa + fadt_at);
	put32(buf + rsdt, HEADER_SIZE + 4, (uint32_t)gpa + madt_at);
	finish(buf + rsdt);
	/* RSDP 2.0 (ACPI 6.5 5.2.5.3): both the RSDT and the XSDT */
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;
	put32(r, 16, (uint32_t)gpa + rsdt);
	put32(r, 20, RSDP_SIZE);
	put64(r, 24, gpa + xsdt);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, RSDP_SIZE);
	return gpa;
}

void acpi_build_ebda(uint8_t *low_mem, const uint8_t *rsdp)
{
	uint8_t *ebda = low_mem + ACPI_EBDA_GPA;
	uint16_t seg = ACPI_EBDA_GPA >> 4;

	memcpy(low_mem + ACPI_BDA_EBDA_SEG, &seg, sizeof(seg));
	memset(ebda, 0, ACPI_EBDA_SIZE);
	ebda[0] = ACPI_EBDA_SIZE / 1024; /* its size in KiB, as BIOSes keep */
	/* The same 36 bytes: its addresses are absolute, its checksums its
	 * own. */
	memcpy(ebda + ACPI_EBDA_RSDP_OFF, rsdp, RSDP_SIZE);
}
