/* MADT reader (kernel/acpi_madt.c), which reads the host firmware's table:
 * it stays inside both the buffer and the table's own length. */
#include "fuzz.h"

#include "../../kernel/acpi_madt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acpi_madt_info info;

    if (!acpi_madt_parse(data, size, &info))
        return 0;
    FUZZ_ASSERT(size >= 44);
    FUZZ_ASSERT(info.has_ioapic || info.ioapic_addr == 0);
    /* The CPU list: bounded, each APIC ID once. */
    FUZZ_ASSERT(info.nlapics <= ACPI_MADT_MAX_LAPICS);
    for (unsigned i = 0; i < info.nlapics; i++)
        for (unsigned j = i + 1; j < info.nlapics; j++)
            FUZZ_ASSERT(info.lapic_ids[i] != info.lapic_ids[j]);
    return 0;
}
