/* Just enough ACPI to power off: RSDP -> XSDT/RSDT -> FADT -> PM1 control
 * blocks, and the \_S5 sleep type from the DSDT (ACPI 6.5 5.2, 7.4.2). */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_s5 {
	uint16_t pm1a_cnt; /* I/O ports */
	uint16_t pm1b_cnt; /* 0 when absent */
	uint8_t slp_typa, slp_typb;
};

/* Finds the S5 recipe starting from the RSDP's physical address. */
bool acpi_find_s5(uint64_t rsdp_phys, struct acpi_s5 *s5);

/* The host's FADT and its length (kernel/host_ports.c reads its register
 * blocks), or NULL. */
const uint8_t *acpi_find_fadt(uint64_t rsdp_phys, size_t *len);

/* The host's MADT (kernel/acpi_madt.c reads it), or NULL. */
const uint8_t *acpi_find_madt(uint64_t rsdp_phys);

/* Scans AML for the \_S5 package ("_S5_" NameOp PackageOp ...) and reads
 * its first two elements.  Pure, so host unit tests cover it. */
bool acpi_aml_s5(const uint8_t *aml, size_t len, uint8_t *typa,
		 uint8_t *typb);

#endif
