/* The VM's I/O buses (kernel/io_bus.c): what a range may be, and which
 * accesses reach its device. */
#include "unit.h"

#include "../../kernel/io_bus.h"

static struct io_bus bus;
static unsigned reads, writes;
static uint64_t last_addr, last_val;
static struct vcpu *last_vcpu;

static enum io_result dev_read(void *dev, struct vcpu *v, uint64_t addr,
			       unsigned size, uint64_t *val)
{
	(void)size;
	reads++;
	last_addr = addr;
	last_vcpu = v;
	*val = (uint64_t)(uintptr_t)dev;
	return IO_HANDLED;
}

static enum io_result dev_write(void *dev, struct vcpu *v, uint64_t addr,
				unsigned size, uint64_t val)
{
	(void)dev, (void)size;
	writes++;
	last_addr = addr;
	last_val = val;
	last_vcpu = v;
	return IO_HANDLED;
}

static const struct io_ops ops = { dev_read, dev_write };
static const struct io_ops read_only = { dev_read, NULL };

static void setup(uint64_t first, uint64_t end)
{
	io_bus_init(&bus, first, end);
	reads = writes = 0;
	last_vcpu = NULL;
}

TEST(overlaps_and_empty_ranges_refused)
{
	setup(0, 0x10000);
	CHECK_EQ_U64(io_bus_register(&bus, 0x20, 2, &ops, NULL), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0x21, 1, &ops, NULL), (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x1f, 2, &ops, NULL), (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x10, 0x100, &ops, NULL),
		     (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x30, 0, &ops, NULL), (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x1e, 2, &ops, NULL), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0x22, 2, &ops, NULL), 0);
	CHECK_EQ_U64(bus.n, 3);
}

TEST(ranges_stay_inside_the_window)
{
	setup(0, 0x10000);
	CHECK_EQ_U64(io_bus_register(&bus, 0xfff8, 8, &ops, NULL), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0xfff0, 0x11, &ops, NULL),
		     (uint64_t)-1);
	setup(0x4000000, ~0ull); /* MMIO over 64 MiB of RAM */
	CHECK_EQ_U64(io_bus_register(&bus, 0x3fff000, 0x1000, &ops, NULL),
		     (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x3fff000, 0x2000, &ops, NULL),
		     (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x4000000, 0x1000, &ops, NULL), 0);
	CHECK_EQ_U64(io_bus_register(&bus, ~0ull - 0xfff, 0x2000, &ops, NULL),
		     (uint64_t)-1); /* would wrap */
	CHECK_EQ_U64(io_bus_register(&bus, 0xfee00000, 0x1000, &ops, NULL), 0);
}

TEST(full_bus_refuses)
{
	setup(0, 0x10000);
	for (unsigned i = 0; i < IO_BUS_MAX_RANGES; i++)
		CHECK_EQ_U64(io_bus_register(&bus, i * 16, 4, &ops, NULL), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0x1000, 4, &ops, NULL),
		     (uint64_t)-1);
}

TEST(only_whole_accesses_inside_reach_the_device)
{
	setup(0, 0x10000);
	CHECK_EQ_U64(io_bus_register(&bus, 0x3f8, 8, &ops, NULL), 0);
	CHECK(io_bus_find(&bus, 0x3f8, 1) != NULL);
	CHECK(io_bus_find(&bus, 0x3fc, 4) != NULL);
	CHECK(io_bus_find(&bus, 0x3fd, 4) == NULL); /* runs past the end */
	CHECK(io_bus_find(&bus, 0x3ff, 2) == NULL);
	CHECK(io_bus_find(&bus, 0x3f7, 2) == NULL); /* starts before */
	CHECK(io_bus_find(&bus, 0x400, 1) == NULL);
	CHECK(io_bus_overlaps(&bus, 0x3f0, 9));
	CHECK(!io_bus_overlaps(&bus, 0x3f0, 8));
}

/* The legacy ports' filter: a port no range covers is unclaimed without
 * the walk; every port a range covers is still found, at the edges too. */
TEST(low_port_filter_keeps_every_claimed_port)
{
	setup(0, 0xffff);
	CHECK_EQ_U64(io_bus_register(&bus, 0x3f8, 8, &ops, (void *)1), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0x3fe, 4, &ops, (void *)2), (uint64_t)-1);
	CHECK_EQ_U64(io_bus_register(&bus, 0x400, 4, &ops, (void *)3), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0x3c, 8, &ops, (void *)4), 0);
	CHECK_EQ_U64(io_bus_register(&bus, 0x100, 0x200, &ops, (void *)5), 0);
	for (uint64_t p = 0; p < 0x500; p++) {
		const struct io_range *r = io_bus_find(&bus, p, 1);
		void *want = p >= 0x3f8 && p < 0x400   ? (void *)1
			     : p >= 0x400 && p < 0x404 ? (void *)3
			     : p >= 0x3c && p < 0x44   ? (void *)4
			     : p >= 0x100 && p < 0x300 ? (void *)5
						       : NULL;
		CHECK(want ? r != NULL && r->dev == want : r == NULL);
	}
	CHECK_EQ_U64(bus.low_claimed[0x80 / 64] >> (0x80 % 64) & 1, 0);
	CHECK_EQ_U64(bus.low_claimed[0x3ff / 64] >> (0x3ff % 64) & 1, 1);
}

TEST(handlers_get_the_vcpu_address_and_value)
{
	struct vcpu *who = (struct vcpu *)(uintptr_t)0x1000;
	uint64_t val = 0;

	setup(0x100000, ~0ull);
	CHECK_EQ_U64(io_bus_register(&bus, 0xfec00000, 0x1000, &ops,
				     (void *)(uintptr_t)0x77), 0);
	CHECK(io_bus_read(&bus, who, 0xfec00010, 4, &val) == IO_HANDLED);
	CHECK_EQ_U64(val, 0x77);
	CHECK(last_vcpu == who);
	CHECK_EQ_U64(last_addr, 0xfec00010);
	CHECK(io_bus_write(&bus, who, 0xfec00ff8, 8, 0x1234) == IO_HANDLED);
	CHECK_EQ_U64(last_val, 0x1234);
	CHECK(io_bus_write(&bus, who, 0xfec00ffc, 8, 1) == IO_UNHANDLED);
	CHECK(io_bus_read(&bus, who, 0xfebfffff, 1, &val) == IO_UNHANDLED);
	CHECK_EQ_U64(reads, 1);
	CHECK_EQ_U64(writes, 1);
}

TEST(missing_handler_is_unhandled)
{
	uint64_t val = 5;

	setup(0, 0x10000);
	CHECK_EQ_U64(io_bus_register(&bus, 0x70, 2, &read_only, NULL), 0);
	CHECK(io_bus_write(&bus, NULL, 0x70, 1, 1) == IO_UNHANDLED);
	CHECK(io_bus_read(&bus, NULL, 0x71, 1, &val) == IO_HANDLED);
}

UNIT_MAIN("io_bus")
