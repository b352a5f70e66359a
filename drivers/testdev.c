#include "testdev.h"

#include <stddef.h>
#include <stdlib.h>

#include "../kernel/snapshot.h"

enum { REG_ID = 0x00, REG_SCRATCH = 0x04, REG_COUNT = 0x08 };

/* No lock: the count and the scratch word are each one atomic access,
 * which is all the device promises (and its MMIO read is a `make bench`
 * row, so it stays lock-free). */
struct testdev {
	uint64_t scratch;
	uint32_t count;
};

/* A snapshot keeps it whole. */
const struct dev_snap testdev_snap =
	DEV_SNAP_FROM(struct testdev, scratch, NULL);

static enum io_result testdev_read(void *dev, struct vcpu *v,
				   uint64_t gpa, unsigned size, uint64_t *val)
{
	struct testdev *t = dev;
	uint64_t off = gpa - TESTDEV_BASE;

	uint32_t count = __atomic_add_fetch(&t->count, 1, __ATOMIC_RELAXED);
	uint64_t scratch = __atomic_load_n(&t->scratch, __ATOMIC_RELAXED);

	(void)v;
	/* COUNT first: SCRATCH's 8-byte form overlaps it, and a 32-bit read
	 * of COUNT must give the count, as the header says. */
	if (off == REG_COUNT && size == 4)
		*val = count;
	else if (off >= REG_SCRATCH && off + size <= REG_SCRATCH + 8)
		*val = scratch >> (8 * (off - REG_SCRATCH));
	else if (off == REG_ID)
		*val = TESTDEV_ID;
	else
		return IO_UNHANDLED;
	return IO_HANDLED_QUIET; /* no interrupts: no event check after it */
}

static enum io_result testdev_write(void *dev, struct vcpu *v,
				    uint64_t gpa, unsigned size, uint64_t val)
{
	struct testdev *t = dev;
	uint64_t off = gpa - TESTDEV_BASE;

	(void)v;
	__atomic_add_fetch(&t->count, 1, __ATOMIC_RELAXED);
	if (off != REG_SCRATCH)
		return IO_UNHANDLED;
	__atomic_store_n(&t->scratch,
			 size == 8 ? val : val & ((1ull << (8 * size)) - 1),
			 __ATOMIC_RELAXED);
	return IO_HANDLED_QUIET;
}

static const struct io_ops testdev_ops = { testdev_read, testdev_write };

bool testdev_attach(struct vm *vm, void **state)
{
	struct testdev *t = *state = calloc(1, sizeof(*t));

	return t && io_bus_register(&vm->mmio, TESTDEV_BASE, TESTDEV_SIZE,
				    &testdev_ops, t) == 0;
}
