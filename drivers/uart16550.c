/* Polled 16550 driver.  Register layout from the PC16550D data sheet. */
#include "uart16550.h"

#include "../arch/cpu.h"
#include "../arch/io.h"

enum uart_reg {
	UART_THR = 0, /* transmit holding (write), DLAB=0 */
	UART_DLL = 0, /* divisor latch low, DLAB=1 */
	UART_IER = 1,
	UART_DLM = 1,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
};

#define UART_LCR_8N1 0x03
#define UART_LCR_DLAB 0x80
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* 1.8432 MHz / 16 / 115200 = 1 */
#define UART_DIVISOR_115200 1

/* Bounded wait for an LSR bit: a missing UART reads 0xff (every bit
 * set), a wedged one must not hang the hypervisor. */
static void wait_lsr(uint16_t port, uint8_t bit)
{
	for (unsigned spin = 0; spin < 100000; spin++) {
		if (inb(port + UART_LSR) & bit)
			return;
		cpu_relax();
	}
}

void uart_init(uint16_t port)
{
	if (!port)
		return;
	/* Let whatever the firmware queued finish: the FIFO reset below
	 * would drop it mid-line. */
	wait_lsr(port, UART_LSR_TEMT);
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, UART_LCR_DLAB);
	outb(port + UART_DLL, UART_DIVISOR_115200 & 0xff);
	outb(port + UART_DLM, UART_DIVISOR_115200 >> 8);
	outb(port + UART_LCR, UART_LCR_8N1);
	outb(port + UART_FCR, UART_FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

void uart_putc(uint16_t port, char c)
{
	wait_lsr(port, UART_LSR_THRE);
	outb(port + UART_THR, (uint8_t)c);
}

int uart_getc(uint16_t port)
{
	uint8_t lsr;

	if (!port)
		return -1;
	lsr = inb(port + UART_LSR);
	/* 0xff: no UART at all (a floating bus reads all ones). */
	if (lsr == 0xff || !(lsr & UART_LSR_DR))
		return -1;
	return inb(port + UART_THR); /* RBR shares THR's offset */
}

void uart_write(uint16_t port, const char *s, size_t len)
{
	if (!port)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc(port, '\r');
		uart_putc(port, s[i]);
	}
}
