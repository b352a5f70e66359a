/* Turning the machine off (on_idle = poweroff, tests, panic). */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

#include "../boot/boot_info.h"

void power_init(const struct boot_info *bi);

/* Prints "hv: power off: <outcome>" as the last line, then tries, in
 * order: UEFI ResetSystem(EfiResetShutdown), ACPI S5 through the FADT's
 * PM1 control registers, and Bochs's shutdown port.  Halts if all fail. */
__attribute__((noreturn)) void power_off(const char *outcome);

/* The host's ACPI PM1a (which 0) or PM1b (1) control port that power-off
 * uses, or 0 when there is none. */
uint16_t power_pm1_port(unsigned which);

#endif
