/* ACPI tables for a guest (ACPI 6.5 chapter 5): RSDP, RSDT, XSDT, FADT, FACS,
 * a DSDT that declares \_S5, so an OS finds its power-management
 * registers and can power the VM off, and the PCI host bridge \_SB.PCI0
 * (bus 0, its windows, INTx routing), and a MADT with the vCPUs' local
 * APICs and the I/O APIC.  Pure: builds into a buffer that
 * will sit at guest-physical `gpa`; unit-tested on the host. */
#ifndef KERNEL_ACPI_TABLES_H
#define KERNEL_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* The guest's ACPI PM register block (drivers/vacpi_pm.c). */
#define ACPI_PM_BASE 0x600
#define ACPI_PM1_EVT (ACPI_PM_BASE + 0) /* status, enable: 2 + 2 bytes */
#define ACPI_PM1_CNT (ACPI_PM_BASE + 4) /* control: 2 bytes */
#define ACPI_PM_TMR (ACPI_PM_BASE + 8)  /* 24-bit timer, 3.579545 MHz */
#define ACPI_SCI_IRQ 9
#define ACPI_PCI_GSI 11 /* INTA# of the emulated PCI slots (_PRT) */
#define ACPI_S5_SLP_TYP 5  /* the \_S5 value in our DSDT */
#define ACPI_RESET_PORT 0xcf9
#define ACPI_RESET_VALUE 0x06

#define ACPI_LAPIC_BASE 0xfee00000u  /* drivers/vlapic.c */
#define ACPI_IOAPIC_BASE 0xfec00000u /* drivers/vioapic.c */
#define ACPI_MAX_CPUS 64
#define ACPI_TABLES_MAX 2048 /* bytes acpi_build may write */

/* Where every VM's tables live: at the start of the PC BIOS area
 * 0xe0000-0xfffff, where an OS scans for the RSDP on 16-byte boundaries
 * (ACPI 6.5 5.2.5.1).  The area is reserved in the VM's memory map and
 * no loader puts anything else there. */
#define ACPI_BIOS_AREA 0xe0000u
#define ACPI_BIOS_AREA_END 0x100000u
#define ACPI_TABLES_GPA ACPI_BIOS_AREA

/* The extended BIOS data area, as a BIOS leaves it: 1 KiB just below
 * 640 KiB, its segment in the BIOS data area's word at 0x40e, and a copy
 * of the RSDP in its first KiB, the other place an OS scans (ACPI 6.5
 * 5.2.5.1).  The memory maps (kernel/multiboot.c, kernel/linux_boot.c)
 * end low RAM at ACPI_EBDA_GPA and reserve up to 640 KiB, and no loader
 * puts anything there. */
#define ACPI_EBDA_GPA 0x9fc00u
#define ACPI_EBDA_SIZE 0x400u
#define ACPI_EBDA_RSDP_OFF 0x10  /* after the size byte; 16-byte aligned */
#define ACPI_BDA_EBDA_SEG 0x40eu /* BIOS data area: the EBDA's segment */

/* Writes the tables for ncpus (1..ACPI_MAX_CPUS) processors and ram_size
 * bytes of RAM from 0 (the PCI memory window starts above it) into buf (at
 * least ACPI_TABLES_MAX bytes, which will live at guest-physical gpa).
 * Returns the RSDP's guest-physical address; the RSDP is at the start of
 * buf. */
uint64_t acpi_build(uint8_t *buf, uint64_t gpa, unsigned ncpus,
		    uint64_t ram_size);

/* Fills in the EBDA and its pointer: low_mem is guest-physical 0 up to
 * ACPI_EBDA_GPA + ACPI_EBDA_SIZE; rsdp is the RSDP acpi_build wrote. */
void acpi_build_ebda(uint8_t *low_mem, const uint8_t *rsdp);

#endif
