/* Host I/O ports handed to one VM (hv.cfg `passthrough_io`): the VM's
 * I/O bitmap lets its accesses reach the hardware with no VM exit, as
 * Jailhouse's pio_bitmap does.  The config parser already refused a port
 * given to two VMs; here ports the hypervisor itself drives, and ports of
 * the VM's own emulated devices, are refused too. */
#ifndef KERNEL_PASSTHROUGH_H
#define KERNEL_PASSTHROUGH_H

#include <stdbool.h>

#include "vm.h"

/* Opens the VM's configured ranges; false with *why set if one of them
 * may not be given. */
bool passthrough_attach(struct vm *vm, const char **why);

#endif
