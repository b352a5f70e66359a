/* I/O APIC model (82093AA data sheet 3.2): the index register IOREGSEL at
 * offset 0, the data window IOWIN at 0x10; ID, version and arbitration
 * registers, then two 32-bit halves of each pin's redirection entry.
 * Version 0x11 has no EOI register: level-triggered pins are ended by the
 * local APIC's EOI, which calls vioapic_eoi(). */
#include "vioapic.h"

#include <stddef.h>
#include <stdlib.h>

#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"
#include "vlapic.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARB 0x02
#define REG_REDIR 0x10
#define VERSION_VALUE (((VIOAPIC_PINS - 1u) << 16) | 0x11u)

/* Redirection entry bits (82093AA 3.2.4). */
#define RTE_VECTOR(r) ((uint8_t)(r))
#define RTE_DELIVERY(r) (((r) >> 8) & 7)
#define RTE_LOGICAL (1ull << 11)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_DEST(r) ((uint32_t)((r) >> 56))
/* Bits the guest may write: all but delivery status (12) and remote IRR
 * (14), which are the chip's. */
#define RTE_WRITABLE 0xff0000000001afffull

/* Locking (docs/ARCHITECTURE.md, "Locking in device models"): `lock`
 * covers the registers, lines and watches.  It is taken with interrupts
 * off: kernel/passthrough.c raises lines from a host interrupt handler.
 * A pin's message goes to the local APICs with it held (the lock order is
 * I/O APIC, then one local APIC at a time); the EOI watchers, which call
 * back into this device, run after it is dropped. */
struct vioapic {
	struct spinlock lock;
	struct vm *vm;
	uint32_t regsel;
	uint32_t id;
	uint64_t rte[VIOAPIC_PINS];
	bool line[VIOAPIC_PINS];
	struct {
		vioapic_eoi_fn fn;
		void *ctx;
	} eoi_watch[VIOAPIC_PINS];
	unsigned nwatched;
};

/* Everything but the lock, the VM and the EOI watchers (the I/O
 * APIC's callbacks into the hypervisor). */
const struct dev_snap vioapic_snap =
	DEV_SNAP_RANGE(struct vioapic, regsel, eoi_watch, NULL);

static void send(struct vioapic *io, unsigned pin)
{
	uint64_t r = io->rte[pin];
	struct apic_msg m = {
		.dest = RTE_DEST(r), .logical = r & RTE_LOGICAL,
		.mode = (enum apic_delivery)RTE_DELIVERY(r),
		.vector = RTE_VECTOR(r), .level = r & RTE_LEVEL,
	};

	if (r & RTE_LEVEL)
		io->rte[pin] |= RTE_REMOTE_IRR;
	vlapic_send(io->vm, NULL, &m);
}

/* A level-triggered pin sends while asserted and not already waiting for
 * its EOI; an edge-triggered one on each rising edge. */
static void service(struct vioapic *io, unsigned pin, bool rising)
{
	uint64_t r = io->rte[pin];

	if (r & RTE_MASKED || !io->line[pin])
		return;
	if (r & RTE_LEVEL ? !(r & RTE_REMOTE_IRR) : rising)
		send(io, pin);
}

void vioapic_set_line(struct vioapic *io, unsigned pin, bool level)
{
	uint64_t flags;
	bool rising;

	if (pin >= VIOAPIC_PINS)
		return;
	flags = spin_lock_irqsave(&io->lock);
	rising = level && !io->line[pin];
	io->line[pin] = level;
	service(io, pin, rising);
	spin_unlock_irqrestore(&io->lock, flags);
}

/* In two steps, as before locking: first the watchers of the pins that
 * sent `vector` (a forwarded line is lowered there, and must be before
 * the pin is looked at again), called without the lock since they set
 * lines; then, under it, the remote IRRs cleared and the pins served. */
void vioapic_eoi(struct vm *vm, uint8_t vector)
{
	struct vioapic *io = vm->ioapic;
	struct { vioapic_eoi_fn fn; void *ctx; } call[VIOAPIC_PINS];
	unsigned ncalls = 0;
	uint64_t flags;

	if (!io)
		return;
	flags = spin_lock_irqsave(&io->lock);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		if (RTE_VECTOR(io->rte[pin]) == vector &&
		    io->eoi_watch[pin].fn) {
			call[ncalls].fn = io->eoi_watch[pin].fn;
			call[ncalls++].ctx = io->eoi_watch[pin].ctx;
		}
	spin_unlock_irqrestore(&io->lock, flags);
	for (unsigned i = 0; i < ncalls; i++)
		call[i].fn(call[i].ctx);
	flags = spin_lock_irqsave(&io->lock);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t r = io->rte[pin];
		if (RTE_VECTOR(r) != vector)
			continue;
		if ((r & RTE_LEVEL) && (r & RTE_REMOTE_IRR)) {
			io->rte[pin] &= ~RTE_REMOTE_IRR;
			service(io, pin, false);
		}
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

void vioapic_watch_eoi(struct vioapic *io, unsigned pin, vioapic_eoi_fn fn,
		       void *ctx)
{
	uint64_t flags;

	if (pin >= VIOAPIC_PINS)
		return;
	flags = spin_lock_irqsave(&io->lock);
	if (!io->eoi_watch[pin].fn)
		__atomic_add_fetch(&io->nwatched, 1, __ATOMIC_RELAXED);
	io->eoi_watch[pin].fn = fn;
	io->eoi_watch[pin].ctx = ctx;
	spin_unlock_irqrestore(&io->lock, flags);
}

/* Asked by a local APIC at each EOI, with its own lock held: a lock-free
 * read of a counter that only ever grows. */
bool vioapic_watches_eoi(const struct vm *vm)
{
	return vm->ioapic &&
	       __atomic_load_n(&vm->ioapic->nwatched, __ATOMIC_RELAXED);
}

static uint32_t reg_read(const struct vioapic *io, uint32_t reg)
{
	switch (reg) {
	case REG_ID:
	case REG_ARB:
		return io->id << 24;
	case REG_VERSION:
		return VERSION_VALUE;
	}
	if (reg >= REG_REDIR && reg < REG_REDIR + 2 * VIOAPIC_PINS) {
		uint64_t r = io->rte[(reg - REG_REDIR) / 2];
		return (uint32_t)(reg & 1 ? r >> 32 : r);
	}
	return 0;
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t val)
{
	unsigned pin = (reg - REG_REDIR) / 2;
	uint64_t r;

	if (reg == REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (reg < REG_REDIR || reg >= REG_REDIR + 2 * VIOAPIC_PINS)
		return; /* version, arbitration: read-only */
	r = io->rte[pin];
	if (reg & 1)
		r = (r & 0xffffffffull) | ((uint64_t)val << 32);
	else
		r = (r & ~0xffffffffull) | val;
	/* Remote IRR is the chip's, except that a pin switched to edge
	 * drops it (it means nothing for edge, 82093AA 3.2.4): Linux ends
	 * a level interrupt on an I/O APIC without an EOI register (version
	 * 0x11, as here) by switching the pin to edge and back
	 * (io_apic.c, __eoi_ioapic_pin), and the chips clear it then. */
	io->rte[pin] = (r & RTE_WRITABLE) |
		       (r & RTE_LEVEL ? io->rte[pin] & RTE_REMOTE_IRR : 0);
	/* Unmasking a pin whose level is still asserted sends it now. */
	service(io, pin, false);
}

/* IOREGSEL and IOWIN are 32-bit registers (82093AA 3.1). */
static enum io_result mmio_read(void *dev, struct vcpu *v,
				uint64_t gpa, unsigned size, uint64_t *val)
{
	struct vioapic *io = dev;
	uint64_t off = gpa - VIOAPIC_BASE;

	enum io_result res = IO_HANDLED;
	uint64_t flags;

	(void)v;
	if (size != 4)
		return IO_UNHANDLED;
	flags = spin_lock_irqsave(&io->lock);
	if (off == IOREGSEL)
		*val = io->regsel;
	else if (off == IOWIN)
		*val = reg_read(io, io->regsel);
	else
		res = IO_UNHANDLED;
	spin_unlock_irqrestore(&io->lock, flags);
	return res;
}

static enum io_result mmio_write(void *dev, struct vcpu *v,
				 uint64_t gpa, unsigned size, uint64_t val)
{
	struct vioapic *io = dev;
	uint64_t off = gpa - VIOAPIC_BASE;

	enum io_result res = IO_HANDLED;
	uint64_t flags;

	(void)v;
	if (size != 4)
		return IO_UNHANDLED;
	flags = spin_lock_irqsave(&io->lock);
	if (off == IOREGSEL)
		io->regsel = (uint32_t)val & 0xff;
	else if (off == IOWIN)
		reg_write(io, io->regsel, (uint32_t)val);
	else
		res = IO_UNHANDLED;
	spin_unlock_irqrestore(&io->lock, flags);
	return res;
}

static const struct io_ops vioapic_ops = { mmio_read, mmio_write };

/* Every pin starts masked (82093AA 3.2.4); the ID follows the vCPUs'. */
void vioapic_reset(struct vioapic *io)
{
	uint64_t flags = spin_lock_irqsave(&io->lock);

	io->regsel = 0;
	io->id = io->vm->nvcpus;
	for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
		io->rte[i] = RTE_MASKED;
		io->line[i] = false;
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

bool vioapic_attach(struct vm *vm, void **state)
{
	struct vioapic *io = *state = calloc(1, sizeof(*io));

	if (!io)
		return false;
	spin_init(&io->lock, "vioapic");
	io->vm = vm;
	vioapic_reset(io);
	vm->ioapic = io;
	return io_bus_register(&vm->mmio, VIOAPIC_BASE, VIOAPIC_SIZE,
			       &vioapic_ops, io) == 0;
}
