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

/* How a panic stops the other CPUs: arch/smp.c registers these once it
 * has started any (before that only this CPU runs, and a panic needs
 * none).  A hook rather than a call into arch/smp.c, so that the panic
 * path (which the lock, console and allocator code below it use) does not
 * depend on the code that starts CPUs. */
struct panic_cpu_ops {
	/* Stops every other online CPU (by NMI); how many were sent. */
	unsigned (*stop_others)(void);
	/* How many have stopped so far. */
	unsigned (*stopped)(void);
	/* This CPU stops for good (a panic is reported elsewhere). */
	void (*stop_here)(void) __attribute__((noreturn));
};
void panic_set_cpu_ops(const struct panic_cpu_ops *ops);

#endif
