/* Files on the volume hv.efi was started from. */
#ifndef BOOT_FILE_LOAD_H
#define BOOT_FILE_LOAD_H

#include <efi.h>
#include <stdint.h>

#define BOOT_DIR_MAX 256

struct boot_volume {
	EFI_FILE_HANDLE root;
	CHAR16 dir[BOOT_DIR_MAX]; /* hv.efi's directory, e.g. \EFI\BOOT */
};

EFI_STATUS volume_open(EFI_HANDLE image, struct boot_volume *vol);

/* Loads a whole file into fresh pages of type BOOT_MEMTYPE_HV.  A path
 * starting with '\' or '/' is from the volume root, anything else is
 * relative to hv.efi's directory. */
EFI_STATUS file_load(struct boot_volume *vol, const char *path,
		     uint64_t *phys, uint64_t *size);

#endif
