/* A guest for the operator's monitor (vms.monitor): prints a numbered
 * stream, "tick 1", "tick 2", ..., one line every TICK_TSC guest TSC
 * ticks, until it is killed; and reports every byte typed at it on its
 * UART as "input XX" (hex), so console switching can be judged.  The
 * judge checks that every number arrives once and in order (no output
 * lost while the monitor is open), and the monitor's figures show the
 * VM stopped while paused. */
#include "guest.h"

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define TICK_TSC 4000000ull

static void poll_input(void)
{
	static const char hex[] = "0123456789abcdef";

	while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
		uint8_t c = inb(COM1);

		puts_serial("input ");
		putc_serial(hex[c >> 4]);
		putc_serial(hex[c & 15]);
		putc_serial('\n');
	}
}

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	puts_serial("ticker: counting\n");
	for (uint64_t n = 1;; n++) {
		uint64_t next = rdtsc() + TICK_TSC;

		while (rdtsc() < next) {
			poll_input();
			__asm__ volatile("pause");
		}
		puts_serial("tick ");
		print_dec(n);
		putc_serial('\n');
	}
	return 1;
}
