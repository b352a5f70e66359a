/* Reading a Linux bzImage's setup header (x86 boot protocol 2.06 or later,
 * Linux Documentation/arch/x86/boot.rst): whether the image is one we can
 * start, where its protected-mode part goes, and where an initrd may go.
 * Pure and bounds-checked, so a host fuzzer covers it; kernel/linux_boot.c
 * does the loading. */
#ifndef KERNEL_BZIMAGE_H
#define KERNEL_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets into the bzImage, which are also those of boot_params' copy of
 * the setup header (boot.rst "The real-mode kernel header"). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

struct bzimage {
	const uint8_t *data;
	size_t size;
	size_t setup_len;   /* the real-mode part, (setup_sects + 1) * 512 */
	uint64_t load_gpa;  /* where the protected-mode part goes */
	uint32_t init_size; /* memory it needs from load_gpa on */
};

/* The 32-bit little-endian field at off (callers keep off + 4 within the
 * header that bzimage_check vouched for). */
uint32_t bzimage_rd32(const uint8_t *p, unsigned off);

/* Given k->data and k->size, checks the header and fills in the rest of
 * *k for a VM of ram_size bytes: the protected-mode part, and init_size
 * bytes from load_gpa, lie in RAM from 1 MiB up, and the whole setup
 * header lies inside the image.  Otherwise returns false and points *why
 * at a static reason. */
bool bzimage_check(struct bzimage *k, uint64_t ram_size, const char **why);

/* The end of the setup header (offset), as its jump instruction at 0x200
 * says (boot.rst): at most 0x301, inside any image bzimage_check took. */
unsigned bzimage_header_end(const struct bzimage *k);

/* Where an initrd of size bytes goes: as high as both RAM and the kernel's
 * initrd_addr_max allow, page aligned, above the kernel's init_size.  False
 * when there is no such place. */
bool bzimage_initrd_gpa(const struct bzimage *k, uint64_t ram_size,
			uint64_t size, uint64_t *gpa);

#endif
