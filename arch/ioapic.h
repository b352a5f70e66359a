/* The host's I/O APIC (82093AA data sheet; ACPI MADT gives its address):
 * the hypervisor routes to itself only the pins of devices it forwards to
 * guests (kernel/passthrough.c); every other pin stays as firmware left
 * it, which is masked on every machine we boot (the host PIC is masked
 * too, drivers/pic8259.c). */
#ifndef ARCH_IOAPIC_H
#define ARCH_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/acpi_madt.h"

#define IOAPIC_PC_BASE 0xfec00000u /* where every PC chipset puts the first */

/* From the host's MADT; false when it names no I/O APIC. */
bool ioapic_init(const struct acpi_madt_info *madt);
/* Without a MADT (OVMF in Bochs has no ACPI tables): the I/O APIC at
 * IOAPIC_PC_BASE if its version register looks like one, with the PC's
 * wiring (ISA IRQ n on pin n, the timer on pin 2).  False if none. */
bool ioapic_init_pc_default(void);
unsigned ioapic_version(void);
unsigned ioapic_npins(void);
/* The GSI and MPS flags of ISA IRQ irq (MADT overrides applied). */
unsigned ioapic_isa_gsi(unsigned irq, uint16_t *flags);
/* Whether gsi is one of this I/O APIC's pins. */
bool ioapic_has_gsi(unsigned gsi);
/* Sends gsi to the local APIC apic_id as vector, fixed delivery; left
 * masked. */
void ioapic_route(unsigned gsi, uint8_t vector, bool level, bool active_low,
		  uint32_t apic_id);
void ioapic_mask(unsigned gsi, bool masked);

#endif
