#include "pc_testdev.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"
#include "../kernel/vm_irq.h"

#define PORT_SCRATCH 0x0
#define PORT_FLUSH 0x4
#define PORT_SCRATCH_BYTES 0x8

/* Locking: `lock` covers the scratch register, the line levels and the
 * scratch memory.  A line is moved with it held, so that the PIC and the
 * I/O APIC see the writes to one line in the order they were made (lock
 * order: this device, then the PIC or the I/O APIC). */
struct pc_testdev {
	struct spinlock lock;
	struct vm *vm;
	uint32_t scratch;
	bool line[VM_IRQ_LINES];
	uint8_t iomem[PC_TESTDEV_IOMEM_SIZE];
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap pc_testdev_snap =
	DEV_SNAP_FROM(struct pc_testdev, scratch, NULL);

/* Ports 0xe0-0xeb: the access must lie inside one 4-port register. */
static enum io_result port_read(void *dev, struct vcpu *v, uint64_t port,
				unsigned size, uint64_t *val)
{
	struct pc_testdev *t = dev;
	unsigned off = (unsigned)(port - PC_TESTDEV_PORT);
	unsigned lane = off & 3;

	(void)v;
	if (lane + size > 4 || (off & ~3u) == PORT_FLUSH)
		return IO_UNHANDLED;
	spin_lock(&t->lock);
	*val = (t->scratch >> (8 * lane)) &
	       (uint32_t)((1ull << (8 * size)) - 1);
	spin_unlock(&t->lock);
	return IO_HANDLED_QUIET; /* storage only: no event */
}

static enum io_result port_write(void *dev, struct vcpu *v, uint64_t port,
				 unsigned size, uint64_t val)
{
	struct pc_testdev *t = dev;
	unsigned off = (unsigned)(port - PC_TESTDEV_PORT);
	unsigned lane = off & 3;
	uint32_t mask = (uint32_t)((1ull << (8 * size)) - 1) << (8 * lane);

	(void)v;
	if (lane + size > 4)
		return IO_UNHANDLED;
	if ((off & ~3u) == PORT_FLUSH)
		/* QEMU drops its host mapping of the page; guest memory is
		 * unchanged, and EPT has nothing to redo: a no-op here.
		 * QEMU takes only 32-bit writes. */
		return size == 4 ? IO_HANDLED : IO_UNHANDLED;
	spin_lock(&t->lock);
	t->scratch = (t->scratch & ~mask) |
		     ((uint32_t)(val << (8 * lane)) & mask);
	spin_unlock(&t->lock);
	return IO_HANDLED_QUIET;
}

static const struct io_ops port_ops = { port_read, port_write };

/* One byte per line, write only (QEMU takes only 1-byte writes). */
static enum io_result line_write(void *dev, struct vcpu *v, uint64_t port,
				 unsigned size, uint64_t val)
{
	struct pc_testdev *t = dev;
	unsigned line = (unsigned)(port - PC_TESTDEV_IRQ_PORT);
	bool level = (val & 0xff) != 0;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&t->lock);
	if (t->line[line] != level) {
		t->line[line] = level;
		vm_irq_line_set(t->vm, line, level);
	}
	spin_unlock(&t->lock);
	return IO_HANDLED;
}

static const struct io_ops line_ops = { .write = line_write };

static enum io_result iomem_read(void *dev, struct vcpu *v, uint64_t gpa,
				 unsigned size, uint64_t *val)
{
	struct pc_testdev *t = dev;
	uint64_t x = 0;

	(void)v;
	spin_lock(&t->lock);
	memcpy(&x, &t->iomem[gpa - PC_TESTDEV_IOMEM_BASE], size);
	spin_unlock(&t->lock);
	*val = x;
	return IO_HANDLED_QUIET;
}

static enum io_result iomem_write(void *dev, struct vcpu *v, uint64_t gpa,
				  unsigned size, uint64_t val)
{
	struct pc_testdev *t = dev;

	(void)v;
	spin_lock(&t->lock);
	memcpy(&t->iomem[gpa - PC_TESTDEV_IOMEM_BASE], &val, size);
	spin_unlock(&t->lock);
	return IO_HANDLED_QUIET;
}

static const struct io_ops iomem_ops = { iomem_read, iomem_write };

bool pc_testdev_attach(struct vm *vm, void **state)
{
	struct pc_testdev *t;

	if (vm->cfg->testdev != CFG_TESTDEV_QEMU)
		return true;
	t = *state = calloc(1, sizeof(*t));
	if (!t)
		return false;
	spin_init(&t->lock, "pc-testdev");
	t->vm = vm;
	return io_bus_register(&vm->pio, PC_TESTDEV_PORT, PC_TESTDEV_PORTS,
			       &port_ops, t) == 0 &&
	       io_bus_register(&vm->pio, PC_TESTDEV_IRQ_PORT, VM_IRQ_LINES,
			       &line_ops, t) == 0 &&
	       io_bus_register(&vm->mmio, PC_TESTDEV_IOMEM_BASE,
			       PC_TESTDEV_IOMEM_SIZE, &iomem_ops, t) == 0;
}
