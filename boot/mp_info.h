/* The host's CPUs, from EFI_MP_SERVICES_PROTOCOL (PI 1.7 Vol. 2 13.4).
 * Used instead of ACPI because OVMF under Bochs publishes no ACPI tables. */
#ifndef BOOT_MP_INFO_H
#define BOOT_MP_INFO_H

#include <efi.h>

#include "boot_info.h"

/* Fills bi->cpus / bi->ncpus.  Without the protocol (some firmware), falls
 * back to the BSP alone, read from CPUID. */
void mp_info_collect(struct boot_info *bi);

#endif
