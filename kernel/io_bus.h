/* A VM's I/O buses: one for ports, one for MMIO, with one shape.  A device
 * registers the address ranges it decodes with its ops; an access that
 * exits (I/O instruction, EPT violation outside RAM) is looked up here and
 * handed to the device with the vCPU that made it.  The bus knows nothing
 * of VMX, of the scheduler or of the VM: devices reach those through what
 * their handlers are given. */
#ifndef KERNEL_IO_BUS_H
#define KERNEL_IO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* What a handler did with an access (Jailhouse's MMIO result enum, for
 * both kinds of access).  IO_UNHANDLED: the device does not decode it
 * (wrong size or offset); the caller then answers as an empty bus does:
 * reads give all ones, writes vanish, and both are counted.  A device
 * says IO_UNHANDLED before it changes anything: the exit path relies on
 * it (such an access is a quiet exit, vmx/exit_io.c and vmx/mmio.c, after
 * which no interrupt check runs).  IO_HANDLED_QUIET: handled, and the
 * access raised no interrupt, asked for no NMI and set no timer (it may
 * have lowered a line): nothing the event check before the next entry
 * looks at is new, so that exit is quiet too (issue 15: a UART byte, a
 * PM-timer read, a scratch register).  When in doubt, IO_HANDLED. */
enum io_result { IO_HANDLED, IO_UNHANDLED, IO_HANDLED_QUIET };

/* Handlers get their device, the accessing vCPU, the address (a port or a
 * guest-physical address), the size in bytes (1, 2, 4, or 8 for MMIO),
 * and the value in the low bytes.  The access lies wholly inside the
 * range.  Either may be NULL: such accesses are unhandled. */
struct io_ops {
	enum io_result (*read)(void *dev, struct vcpu *v, uint64_t addr,
			       unsigned size, uint64_t *val);
	enum io_result (*write)(void *dev, struct vcpu *v, uint64_t addr,
				unsigned size, uint64_t val);
};

struct io_range {
	uint64_t base, len;
	const struct io_ops *ops;
	void *dev;
};

#define IO_BUS_MAX_RANGES 16

/* Ranges may only lie in [first, end): ports [0, 0x10000); MMIO above
 * the VM's RAM, which EPT maps and which therefore never exits. */
/* The legacy ports 0-0x3ff (the PC's own devices, and the ones guests
 * probe that nobody emulates: POST code 0x80, the DMA controllers, the
 * parallel port...) have a bit each, set where a range starts or covers
 * it.  An access whose first address is below IO_BUS_LOW_END and whose
 * bit is clear is unclaimed at once, without the walk through every
 * range (issue 15: OUT 0x80 walked them all, ~135 instructions); 128
 * bytes per bus. */
#define IO_BUS_LOW_END 0x400u

struct io_bus {
	uint64_t first, end;
	unsigned n;
	struct io_range r[IO_BUS_MAX_RANGES];
	uint64_t low_claimed[IO_BUS_LOW_END / 64];
};

void io_bus_init(struct io_bus *bus, uint64_t first, uint64_t end);
/* Adds a range; -1 if it is empty, outside the bus's window, overlaps a
 * range already there, or the bus is full. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_ops *ops, void *dev);
/* Whether any range overlaps [base, base+len). */
bool io_bus_overlaps(const struct io_bus *bus, uint64_t base, uint64_t len);

/* The lookups below run on every emulated access: inline, so that an exit
 * handler calls the device directly (make bench: a port read costs as
 * much as the per-VM lookup it replaced). */

/* The range that holds every byte of [addr, addr+size), or NULL.  An
 * access that runs past a range's end is decoded by no one, so a device
 * never sees bytes beyond its range, whatever lies there. */
static inline const struct io_range *io_bus_find(const struct io_bus *bus,
						 uint64_t addr, unsigned size)
{
	if (addr < IO_BUS_LOW_END &&
	    !((bus->low_claimed[addr / 64] >> (addr % 64)) & 1))
		return NULL;
	for (unsigned i = 0; i < bus->n; i++) {
		const struct io_range *r = &bus->r[i];
		if (addr - r->base < r->len)
			return size <= r->len && addr - r->base <= r->len - size
				       ? r : NULL;
	}
	return NULL;
}

/* One access by v; IO_UNHANDLED where no device decodes it (then *val is
 * left alone). */
static inline enum io_result io_bus_read(const struct io_bus *bus,
					 struct vcpu *v, uint64_t addr,
					 unsigned size, uint64_t *val)
{
	const struct io_range *r = io_bus_find(bus, addr, size);

	if (!r || !r->ops->read)
		return IO_UNHANDLED;
	return r->ops->read(r->dev, v, addr, size, val);
}

static inline enum io_result io_bus_write(const struct io_bus *bus,
					  struct vcpu *v, uint64_t addr,
					  unsigned size, uint64_t val)
{
	const struct io_range *r = io_bus_find(bus, addr, size);

	if (!r || !r->ops->write)
		return IO_UNHANDLED;
	return r->ops->write(r->dev, v, addr, size, val);
}

#endif
