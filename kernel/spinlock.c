#include "spinlock.h"

#ifdef HV_UNIT_HOST
#include <stdio.h>
#include <stdlib.h>

_Thread_local int unit_cpu_id;

static uint64_t irq_save(void) { return 0; }
static void irq_restore(uint64_t flags) { (void)flags; }
static void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static void __attribute__((noreturn)) recursion(const struct spinlock *l,
						int me)
{
	fprintf(stderr, "spinlock %s: taken again by cpu %d, which holds it\n",
		l->name, me);
	abort();
}
#else
#include "../arch/cpu.h"

const struct spinlock *volatile spin_misused;

static uint64_t irq_save(void)
{
	uint64_t flags = read_rflags();

	irq_disable();
	return flags;
}

static void irq_restore(uint64_t flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}

static void cpu_pause(void) { cpu_relax(); }

/* A bug of ours, reported the way the CPU reports one: UD2, whose
 * handler (arch/trap.c) names the lock.  Not a call to panic(): the panic
 * path itself takes locks (the console's). */
static void __attribute__((noreturn)) recursion(const struct spinlock *l,
						int me)
{
	(void)me;
	spin_misused = l;
	__builtin_trap();
}
#endif

void spin_lock_slow(struct spinlock *l, int me)
{
	for (;;) {
		int expected = SPINLOCK_FREE;
		if (__atomic_compare_exchange_n(&l->holder, &expected, me,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		if (expected == me)
			recursion(l, me);
		while (__atomic_load_n(&l->holder, __ATOMIC_RELAXED) !=
		       SPINLOCK_FREE)
			cpu_pause();
	}
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}
