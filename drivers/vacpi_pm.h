/* The guests' ACPI power-management registers (ACPI 6.5 4.8): PM1 event
 * and control blocks and the PM timer, at the ports the FADT from
 * kernel/acpi_tables.c names.  Sleep type S5 powers the VM off. */
#ifndef DRIVERS_VACPI_PM_H
#define DRIVERS_VACPI_PM_H

#include <stdbool.h>

#include "../kernel/vm.h"

bool vacpi_pm_attach(struct vm *vm, void **state);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vacpi_pm_snap;

#endif
