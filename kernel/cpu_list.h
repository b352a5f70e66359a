/* The host's CPUs, by APIC ID: from the ACPI MADT where the firmware
 * publishes one (QEMU's OVMF, real servers), else from the list the UEFI
 * stage read from EFI_MP_SERVICES_PROTOCOL (OVMF under Bochs has no ACPI
 * tables).  The boot CPU comes first. */
#ifndef KERNEL_CPU_LIST_H
#define KERNEL_CPU_LIST_H

#include <stdint.h>

#include "../boot/boot_info.h"

/* Fills ids[0..max) and returns how many; *source names the list. */
unsigned cpu_list_collect(const struct boot_info *bi, uint32_t boot_apic_id,
			  uint32_t *ids, unsigned max, const char **source);

#endif
