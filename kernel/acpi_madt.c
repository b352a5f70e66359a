#include "acpi_madt.h"

#include <string.h>

#define MADT_HEADER_LEN 44  /* table header 36, local APIC address, flags */
#define MADT_IOAPIC 1
#define MADT_ISO 2

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

bool acpi_madt_parse(const uint8_t *madt, size_t len,
		     struct acpi_madt_info *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < ACPI_ISA_IRQS; i++)
		out->isa_gsi[i] = i; /* identity unless overridden */
	if (len < MADT_HEADER_LEN || memcmp(madt, "APIC", 4) ||
	    le32(madt + 4) > len || le32(madt + 4) < MADT_HEADER_LEN)
		return false;
	len = le32(madt + 4);
	out->lapic_addr = le32(madt + 36);
	for (size_t off = MADT_HEADER_LEN; off < len;) {
		const uint8_t *e = madt + off;
		if (len - off < 2 || e[1] < 2 || e[1] > len - off)
			return false;
		if (e[0] == MADT_IOAPIC && e[1] >= 12 && !out->has_ioapic) {
			out->has_ioapic = true;
			out->ioapic_id = e[2];
			out->ioapic_addr = le32(e + 4);
			out->ioapic_gsi_base = le32(e + 8);
		} else if (e[0] == MADT_ISO && e[1] >= 10 && e[2] == 0 &&
			   e[3] < ACPI_ISA_IRQS) {
			out->isa_gsi[e[3]] = le32(e + 4);
			out->isa_flags[e[3]] = (uint16_t)(e[8] | e[9] << 8);
		}
		off += e[1];
	}
	return true;
}
