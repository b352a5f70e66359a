/* A model of the PC16550D's registers as a driver sees them: DLAB-switched
 * divisor latch, scratch register, line status always "transmitter empty",
 * no interrupts (IIR reads "none pending"). */
#include "vuart.h"

#include <stdlib.h>

#include "../kernel/vm_console.h"

enum { THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB 0x80
#define LSR_THRE_TEMT 0x60
#define IIR_NONE 0x01
#define IIR_FIFO_ON 0xc0
#define MSR_CTS_DSR_DCD 0xb0

struct vuart {
	struct vm *vm;
	uint16_t base;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
};

static enum io_result vuart_read(void *dev, uint16_t port, unsigned size,
				 uint32_t *val)
{
	struct vuart *u = dev;
	bool dlab = u->lcr & LCR_DLAB;

	if (size != 1)
		return IO_UNHANDLED;
	switch (port - u->base) {
	case THR: *val = dlab ? u->dll : 0; break; /* RBR: nothing received */
	case IER: *val = dlab ? u->dlm : u->ier; break;
	case IIR: *val = IIR_NONE | ((u->fcr & 1) ? IIR_FIFO_ON : 0); break;
	case LCR: *val = u->lcr; break;
	case MCR: *val = u->mcr; break;
	case LSR: *val = LSR_THRE_TEMT; break;
	case MSR: *val = MSR_CTS_DSR_DCD; break;
	default: *val = u->scr; break;
	}
	return IO_HANDLED;
}

static enum io_result vuart_write(void *dev, uint16_t port, unsigned size,
				  uint32_t val)
{
	struct vuart *u = dev;
	bool dlab = u->lcr & LCR_DLAB;
	char c = (char)val;

	if (size != 1)
		return IO_UNHANDLED;
	switch (port - u->base) {
	case THR:
		if (dlab)
			u->dll = (uint8_t)val;
		else
			vm_console_write(u->vm, &c, 1);
		break;
	case IER:
		if (dlab)
			u->dlm = (uint8_t)val;
		else
			u->ier = (uint8_t)val & 0x0f;
		break;
	case IIR: u->fcr = (uint8_t)val; break; /* FCR on write */
	case LCR: u->lcr = (uint8_t)val; break;
	case MCR: u->mcr = (uint8_t)val & 0x1f; break;
	case SCR: u->scr = (uint8_t)val; break;
	default: break; /* LSR, MSR: read-only */
	}
	return IO_HANDLED;
}

static const struct pio_ops vuart_ops = { vuart_read, vuart_write };

bool vuart_attach(struct vm *vm, uint16_t base)
{
	struct vuart *u = calloc(1, sizeof(*u));

	if (!u)
		return false;
	u->vm = vm;
	u->base = base;
	return pio_register(vm, base, 8, &vuart_ops, u) == 0;
}
