#include "boot_log.h"

#include <efilib.h>

#include "../drivers/uart16550.h"

#define BOOT_LOG_MAX 320

static BOOLEAN conout_live;
static BOOLEAN conout_has_serial;

/* True when the firmware's console already includes a serial terminal
 * (OVMF does): the "ConOut" variable is a multi-instance device path
 * (UEFI 2.10 3.3), and a UART node in it means ConOut reaches the serial
 * port, so writing the line there ourselves too would print it twice. */
static BOOLEAN firmware_console_is_serial(void)
{
	EFI_DEVICE_PATH *dp = LibGetVariable(L"ConOut", &EfiGlobalVariable);
	EFI_DEVICE_PATH *node = dp;
	BOOLEAN serial = FALSE;

	if (!dp)
		return FALSE;
	for (;;) {
		if (DevicePathType(node) == MESSAGING_DEVICE_PATH &&
		    DevicePathSubType(node) == MSG_UART_DP)
			serial = TRUE;
		if (DevicePathType(node) == END_DEVICE_PATH_TYPE &&
		    DevicePathSubType(node) == END_ENTIRE_DEVICE_PATH_SUBTYPE)
			break;
		node = NextDevicePathNode(node);
	}
	FreePool(dp);
	return serial;
}

void boot_log_init(void)
{
	conout_live = TRUE;
	conout_has_serial = firmware_console_is_serial();
	if (!conout_has_serial)
		uart_init(UART_COM1);
}

void boot_log_serial_only(void)
{
	if (conout_has_serial)
		uart_init(UART_COM1); /* the firmware's driver is going away */
	conout_live = FALSE;
}

/* Each line goes to ConOut and to COM1; when ConOut already includes the
 * serial terminal, the firmware's copy is the serial one. */
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
	if (!conout_live || !conout_has_serial)
		uart_write(UART_COM1, narrow, n);
	if (conout_live)
		Print(L"%s\r\n", wide);
}
