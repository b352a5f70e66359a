#ifndef BOOT_VTX_CHECK_H
#define BOOT_VTX_CHECK_H

#include <efi.h>

/* Checks, before anything else is touched, that this CPU can run the
 * hypervisor; enables VMX in an unlocked IA32_FEATURE_CONTROL.  On failure
 * logs one line naming what is missing and returns EFI_UNSUPPORTED. */
EFI_STATUS vtx_check(void);

#endif
