#include "acpi_tables.h"

#include <string.h>

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

uint64_t acpi_build(uint8_t *buf, uint64_t gpa)
{
	uint32_t xsdt = 64, fadt_at = xsdt + 64, facs = fadt_at + 320;
	uint32_t dsdt = facs + FACS_SIZE;
	uint8_t *r = buf;

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
	/* XSDT with one entry */
	header(buf + xsdt, "XSDT", HEADER_SIZE + 8, 1);
	put64(buf + xsdt, HEADER_SIZE, gpa + fadt_at);
	finish(buf + xsdt);
	/* RSDP 2.0 (ACPI 6.5 5.2.5.3): no RSDT, the XSDT only */
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;
	put32(r, 20, RSDP_SIZE);
	put64(r, 24, gpa + xsdt);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, RSDP_SIZE);
	return gpa;
}
