#include "heap.h"

#include <errno.h>
#include <reent.h>
#include <sys/lock.h>

#include "../arch/paging.h"
#include "memory.h"
#include "page_alloc.h"
#include "panic.h"
#include "spinlock.h"

static char *arena, *brk_ptr, *arena_end;

/* malloc may be called from any CPU; newlib brackets every heap change
 * with these hooks.  It may nest them (realloc calling malloc), so the lock
 * counts recursion. */
static struct spinlock malloc_spin = SPINLOCK_INIT("malloc");
static int malloc_depth;

void __malloc_lock(struct _reent *r)
{
	(void)r;
	if (!spin_held(&malloc_spin))
		spin_lock(&malloc_spin);
	malloc_depth++;
}

void __malloc_unlock(struct _reent *r)
{
	(void)r;
	if (--malloc_depth == 0)
		spin_unlock(&malloc_spin);
}

void heap_init(void)
{
	uint64_t pages = HEAP_ARENA_SIZE / PAGE_SIZE;
	uint64_t phys = page_alloc(pages, 1);

	if (!phys)
		panic("no memory for the %lu MiB heap",
		      HEAP_ARENA_SIZE >> 20);
	arena = brk_ptr = phys_to_virt(phys);
	arena_end = arena + HEAP_ARENA_SIZE;
}

/* newlib's _sbrk_r wraps this (see kernel/syscalls.c on the name). */
void *sbrk(ptrdiff_t incr);
void *sbrk(ptrdiff_t incr)
{
	char *old = brk_ptr;

	if (!arena || incr > arena_end - brk_ptr || incr < arena - brk_ptr) {
		errno = ENOMEM;
		return (void *)-1;
	}
	brk_ptr += incr;
	return old;
}

size_t heap_used(void)
{
	return (size_t)(brk_ptr - arena);
}

size_t heap_size(void)
{
	return HEAP_ARENA_SIZE;
}
