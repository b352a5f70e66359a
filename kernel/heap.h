/* The kernel heap: newlib's malloc over a fixed arena of physical pages
 * handed out through _sbrk. */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_ARENA_SIZE ((uint64_t)16 << 20)

void heap_init(void);
size_t heap_used(void);
size_t heap_size(void);

#endif
