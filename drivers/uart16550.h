/* Host 16550 UART, polled: the hypervisor's console (and the UEFI stage's
 * second output next to ConOut). */
#ifndef DRIVERS_UART16550_H
#define DRIVERS_UART16550_H

#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3f8

/* Programs 115200 8N1, FIFOs on, interrupts off.  port 0 means no UART:
 * every other call then does nothing. */
void uart_init(uint16_t port);
void uart_putc(uint16_t port, char c);
/* A received byte, or -1 when none is waiting (never blocks). */
int uart_getc(uint16_t port);
/* Writes len bytes, turning "\n" into "\r\n" for terminals. */
void uart_write(uint16_t port, const char *s, size_t len);

#endif
