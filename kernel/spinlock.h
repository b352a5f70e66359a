/* Test-and-test-and-set spinlock that remembers its holder, so a deadlock
 * report can say which CPU has it (xv6 does the same). */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>

#include "../arch/cpu.h"

#define SPINLOCK_FREE (-1)

struct spinlock {
	volatile int holder; /* CPU id, or SPINLOCK_FREE */
	const char *name;
};

#define SPINLOCK_INIT(n) { .holder = SPINLOCK_FREE, .name = (n) }

void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
/* True if this CPU holds l (for recursion checks and assertions). */
bool spin_held(const struct spinlock *l);

#endif
