/* 8259A model (Intel 8259A data sheet): the initialisation sequence ICW1-
 * ICW4, OCW1 (mask), OCW2 (EOI), OCW3 (IRR/ISR read select). */
#include "vpic.h"

#include <stddef.h>
#include <stdlib.h>

#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"

#define ICW1_INIT 0x10
#define ICW1_NEED_ICW4 0x01
#define ICW4_AUTO_EOI 0x02
#define OCW3_SELECT 0x08
#define OCW3_READ_ISR 0x03
#define OCW2_EOI 0x20
#define OCW2_SPECIFIC 0x40
#define CASCADE_IRQ 2

struct i8259 {
	uint8_t irr, isr, imr, elcr;
	uint8_t vector_base;
	uint8_t init_step; /* 0: operating; 1-3: expecting ICW2-ICW4 */
	bool need_icw4, auto_eoi, read_isr;
};

/* Locking (docs/ARCHITECTURE.md, "Locking in device models"): `lock`
 * covers both chips; it is a leaf (nothing is called with it held).
 * vpic_has_pending, asked before every entry of the boot vCPU, reads the
 * master's three registers with atomic loads and no lock; vpic_ack
 * decides again under it. */
struct vpic {
	struct spinlock lock;
	struct i8259 chip[2]; /* master, slave */
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap vpic_snap = DEV_SNAP_FROM(struct vpic, chip, NULL);

/* The highest-priority (lowest-numbered) set bit, or -1. */
static int highest(uint8_t bits)
{
	return bits ? __builtin_ctz(bits) : -1;
}

/* The request a chip would raise: the highest-priority unmasked IRR bit
 * above every bit in service (fixed priority, IRQ 0 highest). */
static int chip_pending(const struct i8259 *c)
{
	int req = highest(c->irr & ~c->imr), svc = highest(c->isr);
	return (req >= 0 && (svc < 0 || req < svc)) ? req : -1;
}

static void update_cascade(struct vpic *p)
{
	if (chip_pending(&p->chip[1]) >= 0)
		p->chip[0].irr |= 1u << CASCADE_IRQ;
	else
		p->chip[0].irr &= (uint8_t)~(1u << CASCADE_IRQ);
}

void vpic_raise_irq(struct vpic *p, unsigned irq)
{
	spin_lock(&p->lock);
	p->chip[irq >> 3].irr |= (uint8_t)(1u << (irq & 7));
	update_cascade(p);
	spin_unlock(&p->lock);
}

/* A snapshot of the master's IRR, IMR and ISR taken while another CPU
 * changes them can be wrong either way for a moment: a false "yes" ends
 * in vpic_ack's spurious IRQ 7 (as on the real chip when a request goes
 * away before INTA), a false "no" in the request being seen at the next
 * entry (the raiser's CPU kicks the vCPU's). */
bool vpic_has_pending(const struct vpic *p)
{
	const struct i8259 *m = &p->chip[0];
	/* The common answer, asked before every entry of a vCPU that takes
	 * the PIC's interrupts: no request at all (the slave's requests
	 * show in the master's IRR as IRQ 2). */
	if (!__atomic_load_n(&m->irr, __ATOMIC_RELAXED))
		return false;
	struct i8259 snap = {
		.irr = __atomic_load_n(&m->irr, __ATOMIC_RELAXED),
		.imr = __atomic_load_n(&m->imr, __ATOMIC_RELAXED),
		.isr = __atomic_load_n(&m->isr, __ATOMIC_RELAXED),
	};

	return chip_pending(&snap) >= 0;
}

static unsigned chip_ack(struct i8259 *c, int irq)
{
	c->irr &= (uint8_t)~(1u << irq);
	if (!c->auto_eoi)
		c->isr |= (uint8_t)(1u << irq);
	return c->vector_base + (unsigned)irq;
}

/* With nothing left to take (another CPU masked it after
 * vpic_has_pending said yes) the chip answers INTA with its lowest-
 * priority vector, IRQ 7, and sets no ISR bit (8259A data sheet,
 * "Interrupt sequence"): a spurious interrupt guests know to ignore. */
#define SPURIOUS_IRQ 7

unsigned vpic_ack(struct vpic *p)
{
	int irq;
	unsigned vec;

	spin_lock(&p->lock);
	irq = chip_pending(&p->chip[0]);
	if (irq < 0) {
		vec = p->chip[0].vector_base + SPURIOUS_IRQ;
	} else if (irq == CASCADE_IRQ) {
		chip_ack(&p->chip[0], irq);
		vec = chip_ack(&p->chip[1], chip_pending(&p->chip[1]));
	} else {
		vec = chip_ack(&p->chip[0], irq);
	}
	update_cascade(p);
	spin_unlock(&p->lock);
	return vec;
}

static void write_command(struct i8259 *c, uint8_t v)
{
	if (v & ICW1_INIT) {
		*c = (struct i8259){ .elcr = c->elcr, .init_step = 1,
				     .need_icw4 = v & ICW1_NEED_ICW4 };
	} else if (v & OCW3_SELECT) {
		if (v & 2)
			c->read_isr = (v & OCW3_READ_ISR) == OCW3_READ_ISR;
	} else if (v & OCW2_EOI) {
		int irq = (v & OCW2_SPECIFIC) ? (v & 7) : highest(c->isr);
		if (irq >= 0)
			c->isr &= (uint8_t)~(1u << irq);
	}
}

static void write_data(struct i8259 *c, uint8_t v)
{
	switch (c->init_step) {
	case 1:
		c->vector_base = v & 0xf8;
		c->init_step = 2;
		break;
	case 2: /* ICW3: cascade wiring, fixed here */
		c->init_step = c->need_icw4 ? 3 : 0;
		break;
	case 3:
		c->auto_eoi = (v & ICW4_AUTO_EOI) != 0;
		c->init_step = 0;
		break;
	default:
		c->imr = v; /* OCW1 */
		break;
	}
}

static enum io_result vpic_read(void *dev, struct vcpu *v,
				uint64_t port, unsigned size, uint64_t *val)
{
	struct vpic *p = dev;
	struct i8259 *c = &p->chip[(port & 0x80) ? 1 : 0];

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&p->lock);
	if (port == 0x4d0 || port == 0x4d1)
		*val = p->chip[port & 1].elcr;
	else if (port & 1)
		*val = c->imr;
	else
		*val = c->read_isr ? c->isr : c->irr;
	spin_unlock(&p->lock);
	return IO_HANDLED;
}

static enum io_result vpic_write(void *dev, struct vcpu *v,
				 uint64_t port, unsigned size, uint64_t val)
{
	struct vpic *p = dev;
	struct i8259 *c = &p->chip[(port & 0x80) ? 1 : 0];

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&p->lock);
	if (port == 0x4d0 || port == 0x4d1)
		p->chip[port & 1].elcr = (uint8_t)val;
	else if (port & 1)
		write_data(c, (uint8_t)val);
	else
		write_command(c, (uint8_t)val);
	update_cascade(p);
	spin_unlock(&p->lock);
	return IO_HANDLED;
}

static const struct io_ops vpic_ops = { vpic_read, vpic_write };

bool vpic_attach(struct vm *vm, void **state)
{
	struct vpic *p = *state = calloc(1, sizeof(*p));

	if (!p)
		return false;
	spin_init(&p->lock, "vpic");
	/* Masked until the guest programs it, as after reset. */
	p->chip[0].imr = p->chip[1].imr = 0xff;
	vm->pic = p;
	return io_bus_register(&vm->pio, 0x20, 2, &vpic_ops, p) == 0 &&
	       io_bus_register(&vm->pio, 0xa0, 2, &vpic_ops, p) == 0 &&
	       io_bus_register(&vm->pio, 0x4d0, 2, &vpic_ops, p) == 0;
}
