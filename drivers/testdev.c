#include "testdev.h"

#include <stdlib.h>

enum { REG_ID = 0x00, REG_SCRATCH = 0x04, REG_COUNT = 0x08 };

struct testdev {
	uint64_t scratch;
	uint32_t count;
};

static enum io_result testdev_read(void *dev, uint64_t gpa, unsigned size,
				   uint64_t *val)
{
	struct testdev *t = dev;
	uint64_t off = gpa - TESTDEV_BASE;

	t->count++;
	/* COUNT first: SCRATCH's 8-byte form overlaps it, and a 32-bit read
	 * of COUNT must give the count, as the header says. */
	if (off == REG_COUNT && size == 4)
		*val = t->count;
	else if (off >= REG_SCRATCH && off + size <= REG_SCRATCH + 8)
		*val = t->scratch >> (8 * (off - REG_SCRATCH));
	else if (off == REG_ID)
		*val = TESTDEV_ID;
	else
		return IO_UNHANDLED;
	return IO_HANDLED;
}

static enum io_result testdev_write(void *dev, uint64_t gpa, unsigned size,
				    uint64_t val)
{
	struct testdev *t = dev;
	uint64_t off = gpa - TESTDEV_BASE;

	t->count++;
	if (off != REG_SCRATCH)
		return IO_UNHANDLED;
	t->scratch = size == 8 ? val : val & ((1ull << (8 * size)) - 1);
	return IO_HANDLED;
}

static const struct mmio_ops testdev_ops = { testdev_read, testdev_write };

bool testdev_attach(struct vm *vm)
{
	struct testdev *t = calloc(1, sizeof(*t));

	return t && mmio_register(vm, TESTDEV_BASE, TESTDEV_SIZE, &testdev_ops,
				  t) == 0;
}
