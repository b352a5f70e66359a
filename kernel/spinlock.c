#include "spinlock.h"

#include "../arch/percpu.h"

void spin_lock(struct spinlock *l)
{
	int me = (int)this_cpu_id();

	for (;;) {
		int expected = SPINLOCK_FREE;
		if (__atomic_compare_exchange_n(&l->holder, &expected, me,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		while (__atomic_load_n(&l->holder, __ATOMIC_RELAXED) !=
		       SPINLOCK_FREE)
			cpu_relax();
	}
}

void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->holder, SPINLOCK_FREE, __ATOMIC_RELEASE);
}

bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->holder, __ATOMIC_RELAXED) ==
	       (int)this_cpu_id();
}
