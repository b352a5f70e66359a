/* Starting Multiboot (v1) kernels the way QEMU's -kernel does
 * (Multiboot Specification 0.6.96). */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include <stdbool.h>

#include "vm.h"

/* Loads the VM's kernel (and initrd as a module) into its RAM, writes the
 * Multiboot information, and sets the boot vCPU's registers.  On failure
 * points *why at the reason. */
bool multiboot_load(struct vm *vm, const char **why);

#endif
