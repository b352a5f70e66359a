/* The host console: the serial port chosen in hv.cfg.  All kernel output,
 * newlib's _write included, ends here. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void console_init(uint16_t port);
/* The console UART's first port (8 ports), or 0 for none. */
uint16_t console_port(void);
void console_write(const char *s, size_t len);
/* A byte typed on the console, or -1 when none is waiting. */
int console_getc(void);
/* For panic: stop waiting for a lock another CPU may never release. */
void console_break_lock(void);

#endif
