/* Starting Linux bzImage kernels through the x86 boot protocol's 32-bit
 * entry (Linux Documentation/arch/x86/boot.rst, protocol 2.06 or later). */
#ifndef KERNEL_LINUX_BOOT_H
#define KERNEL_LINUX_BOOT_H

#include <stdbool.h>

#include "vm.h"

/* Checks and loads the VM's bzImage and initrd, writes boot_params (with
 * an e820 map of exactly the VM's RAM), the command line and a GDT, and
 * sets the boot vCPU's registers.  On failure points *why at the reason. */
bool linux_load(struct vm *vm, const char **why);

#endif
