#include "console.h"

#include "../drivers/uart16550.h"
#include "spinlock.h"

static uint16_t port_base = UART_COM1;
static struct spinlock console_lock = SPINLOCK_INIT("console");

void console_init(uint16_t port)
{
	port_base = port;
	uart_init(port);
}

void console_write(const char *s, size_t len)
{
	/* Recursive use (an exception while printing) must not deadlock. */
	int nested = spin_held(&console_lock);

	if (!nested)
		spin_lock(&console_lock);
	uart_write(port_base, s, len);
	if (!nested)
		spin_unlock(&console_lock);
}

int console_getc(void)
{
	return uart_getc(port_base);
}

void console_break_lock(void)
{
	spin_unlock(&console_lock);
}

uint16_t console_port(void)
{
	return port_base;
}
