/* Starting Multiboot2 kernels (Multiboot Specification version 2.0) as
 * GRUB 2's `multiboot2` command does: the header in
 * kernel/multiboot2_header.c, the boot information in
 * kernel/multiboot2_info.c, and the steps v1 shares in kernel/multiboot.c
 * (modules, placement after the image, the 32-bit entry). */
#ifndef KERNEL_MULTIBOOT2_H
#define KERNEL_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "multiboot2_header.h"
#include "vm.h"

/* Loads the image (whose Multiboot2 header multiboot2_detect found) and
 * its modules into the VM, writes the information, sets the boot vCPU's
 * registers.  False, with *why, for an image it refuses. */
bool multiboot2_load(struct vm *vm, const uint8_t *img, size_t size,
		     const char **why);

#endif
