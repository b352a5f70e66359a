/* Port and MMIO ranges of a VM, and the lookup of an access. */
#include "io_bus.h"

void io_bus_init(struct io_bus *bus, uint64_t first, uint64_t end)
{
	*bus = (struct io_bus){ .first = first, .end = end };
}

/* Written so that no sum can wrap: ranges may end at 2^64. */
static bool range_overlaps(const struct io_range *r, uint64_t base,
			   uint64_t len)
{
	return base - r->base < r->len || r->base - base < len;
}

bool io_bus_overlaps(const struct io_bus *bus, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < bus->n; i++)
		if (range_overlaps(&bus->r[i], base, len))
			return true;
	return false;
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *dev)
{
	if (bus->n == IO_BUS_MAX_RANGES || !len || base < bus->first ||
	    base > bus->end || len > bus->end - base ||
	    io_bus_overlaps(bus, base, len))
		return -1;
	bus->r[bus->n++] = (struct io_range){ base, len, ops, dev };
	for (uint64_t a = base; a < IO_BUS_LOW_END && a - base < len; a++)
		bus->low_claimed[a / 64] |= 1ull << (a % 64);
	return 0;
}
