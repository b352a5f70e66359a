/* Test-and-test-and-set spinlock that remembers its holder, so a deadlock
 * report can say which CPU has it (xv6 does the same).
 *
 * SMP rules: taking the lock is an atomic compare-and-exchange with
 * acquire order and giving it back a store with release order, so what
 * one CPU wrote inside the lock is seen by the next holder (on x86 the
 * LOCK CMPXCHG is a full barrier anyway; the orders keep the compiler
 * from moving accesses out of the critical section).  The waiters spin
 * on a plain load with PAUSE (SDM Vol. 2B "PAUSE": it saves power and
 * avoids the memory-order mis-speculation when the lock is freed), and
 * only try the exchange again once the lock looks free, so waiting CPUs
 * do not keep pulling the cache line away from the holder.
 *
 * A lock that code reachable from a host interrupt handler also takes
 * (kernel/passthrough.c raising a guest's I/O APIC line from
 * arch/irq.c) must be taken with spin_lock_irqsave, so that the handler
 * can never interrupt its own CPU while that CPU holds the lock.
 *
 * The lock does not nest: taking one this CPU already holds panics
 * instead of spinning for ever. */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define SPINLOCK_FREE (-1)

struct spinlock {
	volatile int holder; /* CPU id, or SPINLOCK_FREE */
	const char *name;
};

#define SPINLOCK_INIT(n) { .holder = SPINLOCK_FREE, .name = (n) }

/* For locks inside allocated objects (a device's state). */
static inline void spin_init(struct spinlock *l, const char *name)
{
	l->holder = SPINLOCK_FREE;
	l->name = name;
}

/* The CPU number the holder field records. */
#ifdef HV_UNIT_HOST
/* Host unit tests (tests/unit) run this very lock in pthreads: a thread
 * is a CPU, numbered by the test, and there are no interrupts to mask. */
extern _Thread_local int unit_cpu_id;
static inline int spin_cpu_id(void) { return unit_cpu_id; }
#else
#include "../arch/percpu.h"
static inline int spin_cpu_id(void) { return (int)this_cpu_id(); }
#endif

/* Set to a lock its holder tried to take again, just before the UD2
 * that reports it (arch/trap.c panics naming it). */
extern const struct spinlock *volatile spin_misused;

/* Contended, or taken again by its holder (which panics). */
void spin_lock_slow(struct spinlock *l, int me);

/* The uncontended case is inline: one LOCK CMPXCHG.  Device locks sit on
 * the exit paths that `make bench` measures in instructions. */
static inline void spin_lock(struct spinlock *l)
{
	int me = spin_cpu_id(), expected = SPINLOCK_FREE;

	if (!__atomic_compare_exchange_n(&l->holder, &expected, me, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		spin_lock_slow(l, me);
}

/* Takes l if it is free; false (and nothing taken) if any CPU holds it. */
static inline bool spin_trylock(struct spinlock *l)
{
	int expected = SPINLOCK_FREE;

	return __atomic_compare_exchange_n(&l->holder, &expected,
					   spin_cpu_id(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->holder, SPINLOCK_FREE, __ATOMIC_RELEASE);
}

/* Interrupts off, then the lock; spin_unlock_irqrestore gives back both,
 * interrupts as they were. */
uint64_t spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);

/* True if this CPU holds l (for recursion checks and assertions). */
static inline bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->holder, __ATOMIC_RELAXED) == spin_cpu_id();
}

#endif
