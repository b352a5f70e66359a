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

uint64_t acpi_build(uint8_t *buf, uint64_t gpa, unsigned ncpus)
{
	enum { xsdt = 64, fadt_at = xsdt + 64, facs = fadt_at + 320,
	       dsdt = facs + FACS_SIZE, madt_at = dsdt + 64,
	       rsdt = madt_at + ((MADT_MAX_SIZE(ACPI_MAX_CPUS) + 15) & ~15) };
	uint8_t *r = buf;

	_Static_assert(rsdt + HEADER_SIZE + 8 <= ACPI_TABLES_MAX,
		       "the MADT for ACPI_MAX_CPUS and the RSDT fit");
	if (ncpus > ACPI_MAX_CPUS)
		ncpus = ACPI_MAX_CPUS;

	memset(buf, 0, ACPI_TABLES_MAX);
	/* DSDT */
	header(buf + dsdt, "DSDT", HEADER_SIZE + sizeof(dsdt_aml), 2);
	memcpy(buf + dsdt + HEADER_SIZE, dsdt_aml, sizeof(dsdt_aml));
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
