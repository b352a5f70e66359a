/* Messages from the UEFI stage: to the UEFI console (ConOut) and to the
 * serial port, so that both a person at the screen and a harness reading
 * COM1 see the same line.  Format strings are gnu-efi's (L"", %a for ASCII
 * strings, %r for EFI_STATUS, %lx for 64-bit hex). */
#ifndef BOOT_BOOT_LOG_H
#define BOOT_BOOT_LOG_H

#include <efi.h>

void boot_log_init(void);
void boot_log(const CHAR16 *fmt, ...);
/* After ExitBootServices ConOut is gone: serial only. */
void boot_log_serial_only(void);

#endif
