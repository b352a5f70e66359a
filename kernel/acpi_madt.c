#include "acpi_madt.h"

#include <string.h>

#define MADT_HEADER_LEN 44  /* table header 36, local APIC address, flags */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_X2APIC 9
/* Local (x2)APIC flags (ACPI 6.5 Table 5.23): bit 0 Enabled.  A processor
 * with only bit 1 (Online Capable) set may be hot-added later; it is not
 * there now, so it is not started. */
#define MADT_LAPIC_ENABLED 0x1

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Firmware lists each processor once, in either form; a table that names
 * an APIC ID twice (both forms) still yields one CPU. */
static void add_lapic(struct acpi_madt_info *out, uint32_t apic_id,
		      uint32_t flags)
{
	if (!(flags & MADT_LAPIC_ENABLED))
		return;
	for (unsigned i = 0; i < out->nlapics; i++)
		if (out->lapic_ids[i] == apic_id)
			return;
	if (out->nlapics == ACPI_MADT_MAX_LAPICS)
		out->lapics_dropped++;
	else
		out->lapic_ids[out->nlapics++] = apic_id;
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
		if (e[0] == MADT_LAPIC && e[1] >= 8) {
			add_lapic(out, e[3], le32(e + 4));
		} else if (e[0] == MADT_X2APIC && e[1] >= 16) {
			add_lapic(out, le32(e + 4), le32(e + 8));
		} else if (e[0] == MADT_IOAPIC && e[1] >= 12 &&
			   !out->has_ioapic) {
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
