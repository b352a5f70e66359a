/* Reading a MADT (ACPI 6.5 5.2.12): the enabled processors' local APIC
 * IDs, where the first I/O APIC is, and how ISA IRQs map to its global
 * system interrupts (the interrupt source overrides).  Pure, so host unit tests read back the MADT that
 * kernel/acpi_tables.c writes. */
#ifndef KERNEL_ACPI_MADT_H
#define KERNEL_ACPI_MADT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_ISA_IRQS 16
/* Processors listed at most (more are counted in lapics_dropped). */
#define ACPI_MADT_MAX_LAPICS 64
/* MPS INTI flags (ACPI 6.5 Table 5.26): polarity bits 1:0, trigger 3:2. */
#define ACPI_INTI_POLARITY_HIGH 0x1
#define ACPI_INTI_POLARITY_LOW 0x3
#define ACPI_INTI_TRIGGER_EDGE 0x4
#define ACPI_INTI_TRIGGER_LEVEL 0xc

struct acpi_madt_info {
	uint32_t lapic_addr;
	/* Enabled processors in table order (Local APIC and Local x2APIC
	 * structures, ACPI 6.5 5.2.12.2 and 5.2.12.12), each APIC ID once. */
	uint32_t lapic_ids[ACPI_MADT_MAX_LAPICS];
	unsigned nlapics;
	unsigned lapics_dropped; /* enabled ones beyond the array */
	bool has_ioapic;
	uint8_t ioapic_id;
	uint32_t ioapic_addr, ioapic_gsi_base;
	/* ISA IRQ n is GSI isa_gsi[n] with isa_flags[n] (0: conforming). */
	uint32_t isa_gsi[ACPI_ISA_IRQS];
	uint16_t isa_flags[ACPI_ISA_IRQS];
};

/* Parses the whole table (header included, len from it); false when it
 * is not a MADT or its entries run past its end. */
bool acpi_madt_parse(const uint8_t *madt, size_t len,
		     struct acpi_madt_info *out);

#endif
