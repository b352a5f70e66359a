#include "boot_log.h"

#include <efilib.h>

#include "../drivers/uart16550.h"

#define BOOT_LOG_MAX 320

static BOOLEAN conout_live;

void boot_log_init(void)
{
	uart_init(UART_COM1);
	conout_live = TRUE;
}

void boot_log_serial_only(void)
{
	conout_live = FALSE;
}

/* OVMF may route ConOut to the same COM1 (QEMU -nographic does); its
 * terminal driver then repeats our line.  A duplicate line is harmless; a
 * line missing from either place is not. */
void boot_log(const CHAR16 *fmt, ...)
{
	CHAR16 wide[BOOT_LOG_MAX];
	char narrow[BOOT_LOG_MAX];
	va_list ap;
	UINTN n;

	va_start(ap, fmt);
	UnicodeVSPrint(wide, sizeof(wide), fmt, ap);
	va_end(ap);
	for (n = 0; wide[n] && n < BOOT_LOG_MAX - 2; n++)
		narrow[n] = wide[n] < 0x80 ? (char)wide[n] : '?';
	narrow[n++] = '\n';
	uart_write(UART_COM1, narrow, n);
	if (conout_live)
		Print(L"%s\r\n", wide);
}
