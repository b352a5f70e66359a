#include "cpu_list.h"

#include <string.h>

#include "acpi.h"
#include "acpi_madt.h"
#include "log.h"

/* Adds id unless it is there already; false when ids is full. */
static bool add_id(uint32_t *ids, unsigned *n, unsigned max, uint32_t id)
{
	for (unsigned i = 0; i < *n; i++)
		if (ids[i] == id)
			return true;
	if (*n == max)
		return false;
	ids[(*n)++] = id;
	return true;
}

/* The MADT's enabled processors, if it lists any. */
static bool from_madt(const struct boot_info *bi, uint32_t *ids,
		      unsigned *n, unsigned max, unsigned *left_out)
{
	const uint8_t *madt = acpi_find_madt(bi->acpi_rsdp);
	struct acpi_madt_info info;
	uint32_t len;

	if (!madt)
		return false;
	memcpy(&len, madt + 4, sizeof(len));
	if (!acpi_madt_parse(madt, len, &info) || !info.nlapics)
		return false;
	for (unsigned i = 0; i < info.nlapics; i++)
		if (!add_id(ids, n, max, info.lapic_ids[i]))
			(*left_out)++;
	*left_out += info.lapics_dropped;
	return true;
}

unsigned cpu_list_collect(const struct boot_info *bi, uint32_t boot_apic_id,
			  uint32_t *ids, unsigned max, const char **source)
{
	unsigned n = 0, left_out = 0;

	add_id(ids, &n, max, boot_apic_id);
	if (from_madt(bi, ids, &n, max, &left_out)) {
		*source = "the ACPI MADT";
	} else {
		*source = "EFI MP services";
		for (unsigned i = 0; i < bi->ncpus && i < BOOT_MAX_CPUS; i++)
			if (!add_id(ids, &n, max, bi->cpus[i].apic_id))
				left_out++;
	}
	if (left_out)
		log_warn("cpus: %u more listed than the %u this build uses",
			 left_out, max);
	return n;
}
