/* The files the UEFI stage loaded for hv.cfg, looked up by path. */
#ifndef KERNEL_MODULES_H
#define KERNEL_MODULES_H

#include <stddef.h>

#include "../boot/boot_info.h"

void modules_init(const struct boot_info *bi);
/* The file's bytes and size, or NULL if the UEFI stage did not load it. */
const void *module_find(const char *path, size_t *size);

#endif
