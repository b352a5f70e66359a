/* 8254 model (Intel 8254 data sheet): modes 0 (interrupt on terminal
 * count), 2 (rate generator) and 3 (square wave) on every channel; binary
 * counting; LSB, MSB or LSB-then-MSB access; counter latch.  Channel 0
 * drives IRQ 0; channel 2's gate and output are bits 0 and 5 of port
 * 0x61, which Linux uses to calibrate the TSC. */
#include "vpit.h"

#include <stddef.h>
#include <stdlib.h>

#include "../arch/tsc.h"
#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"
#include "../kernel/vm_irq.h"

#define PIT_HZ 1193182ull
#define PORT_B 0x61
#define PORTB_GATE2 0x01
#define PORTB_SPEAKER 0x02
#define PORTB_REFRESH 0x10
#define PORTB_OUT2 0x20

enum access { ACC_LATCH = 0, ACC_LSB = 1, ACC_MSB = 2, ACC_WORD = 3 };

struct pit_channel {
	uint8_t mode, access;
	uint32_t reload;       /* 1..65536 */
	uint64_t start;        /* TSC when counting began */
	bool armed;            /* a count was written */
	bool gate;
	bool write_msb_next, read_msb_next;
	bool latched;
	uint16_t latch;
	uint8_t write_lsb;
};

/* Locking (docs/ARCHITECTURE.md, "Locking in device models"): `lock`
 * covers the channels and port B.  IRQ 0 is raised after it is dropped
 * (the PIC and I/O APIC have locks of their own); next_irq is read
 * without it on the entry path, as a hint that vpit_update checks again
 * under it. */
struct vpit {
	struct spinlock lock;
	struct vm *vm;
	struct pit_channel ch[3];
	uint64_t next_irq;     /* TSC of the next IRQ 0, 0 = none */
	uint8_t port_b;
	bool refresh;
};

static void vpit_shift_time(void *state, uint64_t delta);
/* Everything after the lock and the VM; counts go on from the
 * snapshot's time (vpit_shift_time). */
const struct dev_snap vpit_snap =
	DEV_SNAP_FROM(struct vpit, ch, vpit_shift_time);

static uint64_t ticks_since(const struct pit_channel *c, uint64_t now)
{
	uint64_t hz = tsc_hz();
	return hz ? (now - c->start) * PIT_HZ / hz : 0;
}

static uint64_t tsc_for_ticks(uint64_t ticks)
{
	return ticks * tsc_hz() / PIT_HZ;
}

static uint16_t counter_value(const struct pit_channel *c, uint64_t now)
{
	uint64_t t;

	if (!c->armed || !c->gate)
		return (uint16_t)c->reload;
	t = ticks_since(c, now);
	if (c->mode == 2 || c->mode == 3)
		return (uint16_t)(c->reload - t % c->reload);
	return (uint16_t)(c->reload - t); /* mode 0 wraps past zero */
}

static bool output_high(const struct pit_channel *c, uint64_t now)
{
	if (!c->armed)
		return c->mode != 0;
	if (c->mode == 0)
		return c->gate && ticks_since(c, now) >= c->reload;
	return true; /* modes 2/3: high but for a glitch we do not model */
}

static void arm(struct vpit *p, unsigned n, uint32_t count)
{
	struct pit_channel *c = &p->ch[n];

	c->reload = count ? count : 65536;
	c->start = tsc_now();
	c->armed = true;
	if (n == 0)
		p->next_irq = c->start + tsc_for_ticks(c->reload);
}

/* Only one of two CPUs that find the same expiry at once raises IRQ 0
 * for it. */
static __attribute__((noinline)) void update_locked(struct vpit *p,
						    uint64_t now)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t next;

	spin_lock(&p->lock);
	next = p->next_irq;
	if (!next || now < next) {
		spin_unlock(&p->lock);
		return;
	}
	if (c->mode == 2 || c->mode == 3) {
		uint64_t period = tsc_for_ticks(c->reload);
		uint64_t missed = (now - p->next_irq) / period;
		p->next_irq += (missed + 1) * period;
	} else {
		p->next_irq = 0; /* one-shot */
	}
	spin_unlock(&p->lock);
	vm_isa_irq_pulse(p->vm, 0);
}

/* Every vCPU's entry path calls this: a leaf check, the rest a tail
 * call. */
void vpit_update(struct vpit *p, uint64_t now)
{
	uint64_t next = __atomic_load_n(&p->next_irq, __ATOMIC_RELAXED);

	if (next && now >= next)
		update_locked(p, now);
}

uint64_t vpit_next_deadline(const struct vpit *p)
{
	return __atomic_load_n(&p->next_irq, __ATOMIC_RELAXED);
}

static void write_control(struct vpit *p, uint8_t v)
{
	unsigned n = v >> 6;
	struct pit_channel *c;

	if (n == 3)
		return; /* read-back command: not modelled */
	c = &p->ch[n];
	if (((v >> 4) & 3) == ACC_LATCH) {
		c->latch = counter_value(c, tsc_now());
		c->latched = true;
		return;
	}
	c->access = (v >> 4) & 3;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6 and 7 alias 2 and 3 */
	c->armed = false;
	c->write_msb_next = c->read_msb_next = false;
	if (n == 0)
		p->next_irq = 0;
}

static void write_counter(struct vpit *p, unsigned n, uint8_t v)
{
	struct pit_channel *c = &p->ch[n];

	switch (c->access) {
	case ACC_LSB:
		arm(p, n, v);
		break;
	case ACC_MSB:
		arm(p, n, (uint32_t)v << 8);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
		} else {
			c->write_msb_next = false;
			arm(p, n, c->write_lsb | ((uint32_t)v << 8));
		}
		break;
	}
}

static uint8_t read_counter(struct pit_channel *c)
{
	uint16_t v = c->latched ? c->latch : counter_value(c, tsc_now());
	uint8_t byte;

	switch (c->access) {
	case ACC_LSB:
		byte = (uint8_t)v;
		c->latched = false;
		break;
	case ACC_MSB:
		byte = (uint8_t)(v >> 8);
		c->latched = false;
		break;
	default:
		byte = c->read_msb_next ? (uint8_t)(v >> 8) : (uint8_t)v;
		if (c->read_msb_next)
			c->latched = false;
		c->read_msb_next = !c->read_msb_next;
		break;
	}
	return byte;
}

static enum io_result vpit_read(void *dev, struct vcpu *v,
				uint64_t port, unsigned size, uint64_t *val)
{
	struct vpit *p = dev;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&p->lock);
	if (port == PORT_B) {
		p->refresh = !p->refresh; /* toggles every ~15 us on a PC */
		*val = (p->port_b & (PORTB_GATE2 | PORTB_SPEAKER)) |
		       (p->refresh ? PORTB_REFRESH : 0) |
		       (output_high(&p->ch[2], tsc_now()) ? PORTB_OUT2 : 0);
	} else if (port <= 0x42) {
		*val = read_counter(&p->ch[port - 0x40]);
	} else {
		*val = 0xff; /* the control word register is write-only */
	}
	spin_unlock(&p->lock);
	return IO_HANDLED;
}

static enum io_result vpit_write(void *dev, struct vcpu *v,
				 uint64_t port, unsigned size, uint64_t val)
{
	struct vpit *p = dev;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&p->lock);
	if (port == PORT_B) {
		bool gate = val & PORTB_GATE2;
		/* A rising gate restarts a mode-0 count (8254, "GATE"). */
		if (gate && !p->ch[2].gate)
			p->ch[2].start = tsc_now();
		p->ch[2].gate = gate;
		p->port_b = (uint8_t)val;
	} else if (port == 0x43) {
		write_control(p, (uint8_t)val);
	} else {
		write_counter(p, port - 0x40, (uint8_t)val);
	}
	spin_unlock(&p->lock);
	return IO_HANDLED;
}

static const struct io_ops vpit_ops = { vpit_read, vpit_write };

bool vpit_attach(struct vm *vm, void **state)
{
	struct vpit *p = *state = calloc(1, sizeof(*p));

	if (!p)
		return false;
	spin_init(&p->lock, "vpit");
	p->vm = vm;
	p->ch[0].gate = p->ch[1].gate = true; /* tied high on a PC */
	vm->pit = p;
	return io_bus_register(&vm->pio, 0x40, 4, &vpit_ops, p) == 0 &&
	       io_bus_register(&vm->pio, PORT_B, 1, &vpit_ops, p) == 0;
}

/* A restore comes delta host TSC ticks after the snapshot: each counting
 * channel started that much later, and IRQ 0 is due that much later. */
static void vpit_shift_time(void *state, uint64_t delta)
{
	struct vpit *p = state;

	for (unsigned i = 0; i < 3; i++)
		if (p->ch[i].start)
			p->ch[i].start += delta;
	if (p->next_irq)
		p->next_irq += delta;
}
