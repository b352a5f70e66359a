/* Starting Multiboot kernels the way GRUB and QEMU's -kernel do: v1
 * (Multiboot Specification 0.6.96) here, Multiboot2 (version 2.0) in
 * kernel/multiboot2.c, which shares the loading steps below. */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "multiboot_image.h"
#include "multiboot_layout.h"
#include "vm.h"

/* Loads the VM's kernel (and initrd as a module) into its RAM, writes the
 * boot information, and sets the boot vCPU's registers.  A kernel with a
 * Multiboot2 header boots as Multiboot2, otherwise as Multiboot v1.  On
 * failure points *why at the reason. */
bool multiboot_load(struct vm *vm, const char **why);

/* What goes into the VM besides the kernel: its modules' files and their
 * strings (the initrd first, then each `module` line, in order). */
struct mb_boot {
	unsigned nmods;
	const void *mod_data[MB_MODS_MAX];
	uint64_t mod_size[MB_MODS_MAX];
	const char *mod_path[MB_MODS_MAX];
	const char *mod_args[MB_MODS_MAX];
};

bool multiboot_find_modules(const struct vm_config *cfg, struct mb_boot *boot,
			    const char **why);

/* Places the modules and info_size bytes of information after the image
 * (multiboot_layout), then copies the image's chunks and the modules into
 * the VM. */
bool multiboot_place(struct vm *vm, const uint8_t *img,
		     const struct mb_image *mb, const struct mb_boot *boot,
		     uint64_t info_size, struct mb_layout *at,
		     const char **why);

/* The boot vCPU starts at entry in 32-bit protected mode, paging off
 * (v1 spec 3.2, Multiboot2 spec 3.3 "I386 machine state"), with
 * EAX = magic and EBX = the information's address. */
void multiboot_start(struct vm *vm, uint64_t entry, uint32_t magic,
		     uint32_t info_gpa);

#endif
