#include "acpi.h"

#include <string.h>

#include "memory.h"

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

/* FADT fields up to X_DSDT (ACPI 6.5 Table 5.9). */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt;
} __attribute__((packed));

static bool checksum_ok(const void *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + ((const uint8_t *)p)[i]);
	return sum == 0;
}

static const struct acpi_header *table_at(uint64_t phys)
{
	const struct acpi_header *h = phys_to_virt(phys);
	return checksum_ok(h, h->length) ? h : 0;
}

static const struct acpi_header *find_table(const struct acpi_rsdp *rsdp,
					    const char *sig)
{
	bool x = rsdp->revision >= 2 && rsdp->xsdt;
	const struct acpi_header *root = table_at(x ? rsdp->xsdt : rsdp->rsdt);
	size_t width = x ? 8 : 4;

	if (!root)
		return 0;
	size_t n = (root->length - sizeof(*root)) / width;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t phys = 0;
		memcpy(&phys, entries + i * width, width);
		const struct acpi_header *t = table_at(phys);
		if (t && memcmp(t->signature, sig, 4) == 0)
			return t;
	}
	return 0;
}

/* The RSDP at phys if it is one (ACPI 1.0 checksum), else NULL. */
static const struct acpi_rsdp *rsdp_at(uint64_t phys)
{
	const struct acpi_rsdp *rsdp;

	if (!phys)
		return 0;
	rsdp = phys_to_virt(phys);
	if (memcmp(rsdp->signature, "RSD PTR ", 8) || !checksum_ok(rsdp, 20))
		return 0;
	return rsdp;
}

bool acpi_find_s5(uint64_t rsdp_phys, struct acpi_s5 *s5)
{
	const struct acpi_rsdp *rsdp = rsdp_at(rsdp_phys);
	const struct acpi_fadt *fadt;
	const struct acpi_header *dsdt;

	if (!rsdp)
		return false;
	fadt = (const struct acpi_fadt *)find_table(rsdp, "FACP");
	if (!fadt || !fadt->pm1a_cnt || !fadt->dsdt)
		return false;
	dsdt = table_at(fadt->dsdt);
	if (!dsdt || !acpi_aml_s5((const uint8_t *)(dsdt + 1),
				  dsdt->length - sizeof(*dsdt), &s5->slp_typa,
				  &s5->slp_typb))
		return false;
	s5->pm1a_cnt = (uint16_t)fadt->pm1a_cnt;
	s5->pm1b_cnt = (uint16_t)fadt->pm1b_cnt;
	return true;
}

const uint8_t *acpi_find_fadt(uint64_t rsdp_phys, size_t *len)
{
	const struct acpi_rsdp *rsdp = rsdp_at(rsdp_phys);
	const struct acpi_header *fadt = rsdp ? find_table(rsdp, "FACP") : 0;

	if (!fadt)
		return 0;
	*len = fadt->length;
	return (const uint8_t *)fadt;
}

const uint8_t *acpi_find_madt(uint64_t rsdp_phys)
{
	const struct acpi_rsdp *rsdp = rsdp_at(rsdp_phys);

	return rsdp ? (const uint8_t *)find_table(rsdp, "APIC") : 0;
}
