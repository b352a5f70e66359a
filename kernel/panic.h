/* panic(): for the hypervisor's own bugs only (guest errors stop the
 * guest).  Stops every CPU, prints why and the call chain, then powers off
 * or halts as hv.cfg's on_idle says. */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdbool.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt,
							   ...);
bool panic_in_progress(void);

/* What to do once a panic has been reported (set from hv.cfg). */
void panic_set_poweroff(bool poweroff);

/* Assertions stay type-checked even when compiled out later. */
#define ASSERT(cond)                                                        \
	do {                                                                \
		if (!(cond))                                                \
			panic("assertion failed: %s (%s:%d)", #cond,        \
			      __FILE__, __LINE__);                          \
	} while (0)

#endif
