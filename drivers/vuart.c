/* A model of the PC16550D's registers as a driver sees them: DLAB-switched
 * divisor latch, scratch register, a transmitter that is always ready
 * (bytes leave at once), a receive FIFO fed from the host console when
 * this VM has the focus, and the received-data and transmitter-empty
 * interrupts on IRQ 4, which interrupt-driven drivers such as Linux's 8250
 * depend on. */
#include "vuart.h"

#include <stddef.h>
#include <stdlib.h>

#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"
#include "../kernel/vm_console.h"
#include "../kernel/vm_irq.h"

enum { THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB 0x80
#define LSR_THRE_TEMT 0x60
#define IIR_NONE 0x01
#define IIR_THRE 0x02
#define IIR_RX_DATA 0x04
#define IER_ERBFI 0x01
#define LSR_DR 0x01
#define RX_FIFO_SIZE 64
#define IIR_FIFO_ON 0xc0
#define IER_ETBEI 0x02
#define MCR_OUT2 0x08
#define MODEM_CTS_DSR_DCD 0xb0
#define VUART_IRQ 4

/* Locking (docs/ARCHITECTURE.md, "Locking in device models"): `lock`
 * covers the registers and the receive FIFO, which the guest's vCPUs
 * (any of them, on any CPU) and the host console's input (the CPU that
 * polls it) both reach.  IRQ 4 is pulsed after it is dropped. */
struct vuart {
	struct spinlock lock;
	struct vm *vm;
	uint16_t base;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* transmitter-empty interrupt not yet seen */
	uint8_t rx[RX_FIFO_SIZE];
	unsigned rx_head, rx_count;
	bool irq_line;     /* level of the UART's interrupt output */
	bool pulse;        /* a rising edge to send after unlocking */
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap vuart_snap = DEV_SNAP_FROM(struct vuart, ier, NULL);

/* The interrupt output reaches the PIC only through OUT2 on a PC; the
 * PIC is edge-triggered, so a rising level is one interrupt: set in
 * u->pulse, and sent by unlock_and_pulse once the lock is dropped. */
static void update_irq(struct vuart *u)
{
	bool level = (u->mcr & MCR_OUT2) &&
		     (((u->ier & IER_ETBEI) && u->thre_pending) ||
		      ((u->ier & IER_ERBFI) && u->rx_count));

	if (level && !u->irq_line && u->vm->pic)
		u->pulse = true;
	u->irq_line = level;
}

/* IO_HANDLED when the access raised the line (an interrupt for the
 * event check to deliver), else IO_HANDLED_QUIET: a byte sent with
 * interrupts off, a status read, costs no event check (issue 15). */
static enum io_result unlock_and_pulse(struct vuart *u)
{
	bool pulse = u->pulse;

	u->pulse = false;
	spin_unlock(&u->lock);
	if (pulse)
		vm_isa_irq_pulse(u->vm, VUART_IRQ);
	return pulse ? IO_HANDLED : IO_HANDLED_QUIET;
}

/* Reading IIR acknowledges a transmitter-empty interrupt (PC16550D,
 * Table IV). */
static uint8_t read_iir(struct vuart *u)
{
	uint8_t fifo = (u->fcr & 1) ? IIR_FIFO_ON : 0;

	if ((u->ier & IER_ERBFI) && u->rx_count)
		return IIR_RX_DATA | fifo; /* cleared by reading the data */
	if ((u->ier & IER_ETBEI) && u->thre_pending) {
		u->thre_pending = false;
		update_irq(u);
		return IIR_THRE | fifo;
	}
	return IIR_NONE | fifo;
}

static uint8_t rx_pop(struct vuart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % RX_FIFO_SIZE;
	u->rx_count--;
	return c;
}

/* A byte typed on the host console for this VM; dropped when the FIFO is
 * full, as an overrun would drop it. */
static void vuart_receive(void *dev, uint8_t c)
{
	struct vuart *u = dev;

	spin_lock(&u->lock);
	if (u->rx_count < RX_FIFO_SIZE) {
		u->rx[(u->rx_head + u->rx_count) % RX_FIFO_SIZE] = c;
		u->rx_count++;
		update_irq(u);
	}
	(void)unlock_and_pulse(u);
}

static enum io_result vuart_read(void *dev, struct vcpu *v,
				 uint64_t port, unsigned size, uint64_t *val)
{
	struct vuart *u = dev;
	bool dlab;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&u->lock);
	dlab = u->lcr & LCR_DLAB;
	switch (port - u->base) {
	case THR: *val = dlab ? u->dll : rx_pop(u); break; /* RBR */
	case IER: *val = dlab ? u->dlm : u->ier; break;
	case IIR: *val = read_iir(u); break;
	case LCR: *val = u->lcr; break;
	case MCR: *val = u->mcr; break;
	case LSR: *val = LSR_THRE_TEMT | (u->rx_count ? LSR_DR : 0); break;
	case MSR: *val = MODEM_CTS_DSR_DCD; break;
	default: *val = u->scr; break;
	}
	update_irq(u); /* reading data or IIR may lower the line */
	return unlock_and_pulse(u);
}

static enum io_result vuart_write(void *dev, struct vcpu *v,
				  uint64_t port, unsigned size, uint64_t val)
{
	struct vuart *u = dev;
	char c = (char)val;
	bool dlab;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&u->lock);
	dlab = u->lcr & LCR_DLAB;
	switch (port - u->base) {
	case THR:
		if (dlab) {
			u->dll = (uint8_t)val;
		} else {
			vm_console_write(u->vm, &c, 1);
			u->thre_pending = true; /* sent at once: empty again */
		}
		break;
	case IER:
		if (dlab) {
			u->dlm = (uint8_t)val;
		} else {
			/* Enabling ETBEI with the holding register empty
			 * interrupts at once. */
			if ((val & IER_ETBEI) && !(u->ier & IER_ETBEI))
				u->thre_pending = true;
			u->ier = (uint8_t)val & 0x0f;
		}
		break;
	case IIR: u->fcr = (uint8_t)val; break; /* FCR on write */
	case LCR: u->lcr = (uint8_t)val; break;
	case MCR: u->mcr = (uint8_t)val & 0x1f; break;
	case SCR: u->scr = (uint8_t)val; break;
	default: break; /* LSR, MSR: read-only */
	}
	update_irq(u);
	return unlock_and_pulse(u);
}

static const struct io_ops vuart_ops = { vuart_read, vuart_write };

bool vuart_attach(struct vm *vm, void **state)
{
	struct vuart *u = *state = calloc(1, sizeof(*u));

	if (!u)
		return false;
	spin_init(&u->lock, "vuart");
	u->vm = vm;
	u->base = VUART_COM1_BASE;
	vm_console_register_input(vm, vuart_receive, u);
	return io_bus_register(&vm->pio, u->base, 8, &vuart_ops, u) == 0;
}

void vuart_detach(struct vm *vm, void *state)
{
	vm_console_unregister_input(vm);
	free(state);
}
