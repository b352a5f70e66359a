/* A guest's port I/O as the device tests make it: one byte through the
 * port bus of the test's VM (`vm`, defined by the including test), as
 * vmx/exit_io.c does for an IN or OUT exit.  A read nothing decodes gives
 * 0xee, which no register these tests read holds. */
#ifndef TESTS_UNIT_GUEST_PORTS_H
#define TESTS_UNIT_GUEST_PORTS_H

#include <stdint.h>

#include "../../kernel/io_bus.h"
#include "../../kernel/vm.h"

static struct vm vm;

static inline void outb(uint16_t port, uint8_t val)
{
	io_bus_write(&vm.pio, NULL, port, 1, val);
}

static inline uint8_t inb(uint16_t port)
{
	uint64_t val = 0;

	if (io_bus_read(&vm.pio, NULL, port, 1, &val) == IO_UNHANDLED)
		return 0xee;
	return (uint8_t)val;
}

#endif
