/* The 16550 model (drivers/vuart.c) through the VM's port bus: receive
 * FIFO, line status, interrupt identification and the interrupts that
 * reach IRQ 4. */
#include "unit.h"
#include "guest_ports.h"

#include <stdlib.h>

#include "../../drivers/vuart.h"
#include "../../kernel/vm_console.h"
#include "../../kernel/vm_irq.h"

/* ---- stubs: the console and the interrupt wiring ---- */
static console_input_fn input_fn;
static void *input_dev;
static char sent[256];
static size_t nsent;
static unsigned pulses;

void vm_console_register_input(struct vm *target, console_input_fn fn, void *dev)
{
	(void)target;
	input_fn = fn;
	input_dev = dev;
}

void vm_console_unregister_input(struct vm *target)
{
	(void)target;
	input_fn = NULL;
}

void vm_console_write(struct vm *target, const char *buf, size_t len)
{
	(void)target;
	for (size_t i = 0; i < len && nsent < sizeof(sent); i++)
		sent[nsent++] = buf[i];
}

void vm_isa_irq_pulse(struct vm *target, unsigned irq)
{
	(void)target;
	if (irq == 4)
		pulses++;
}

enum { THR = 0x3f8, IER = 0x3f9, IIR = 0x3fa, LCR = 0x3fb, MCR = 0x3fc,
       LSR = 0x3fd, SCR = 0x3ff };

static void *state;

static void setup(void)
{
	if (state)
		vuart_detach(&vm, state);
	memset(&vm, 0, sizeof(vm));
	vm.pic = (struct vpic *)(uintptr_t)1; /* IRQs are wired */
	io_bus_init(&vm.pio, 0, 0x10000);
	state = NULL;
	nsent = 0;
	pulses = 0;
	if (!vuart_attach(&vm, &state) || !input_fn)
		abort();
}

static void type(uint8_t c)
{
	input_fn(input_dev, c);
}

/* An access that raises IRQ 4 says IO_HANDLED, so the exit that made it
 * runs the event check; any other says IO_HANDLED_QUIET and skips it
 * (kernel/io_bus.h).  A quiet answer for a raising access would leave
 * the interrupt undelivered until some later exit. */
TEST(only_an_access_that_raises_the_line_is_eventful)
{
	setup();
	CHECK(io_bus_write(&vm.pio, NULL, MCR, 1, 0x08) == IO_HANDLED_QUIET);
	CHECK(io_bus_write(&vm.pio, NULL, THR, 1, 'a') == IO_HANDLED_QUIET);
	CHECK_EQ_U64(pulses, 0);
	/* Enabling the transmitter interrupt with THR empty raises it. */
	CHECK(io_bus_write(&vm.pio, NULL, IER, 1, 0x02) == IO_HANDLED);
	CHECK_EQ_U64(pulses, 1);
	uint64_t val;
	/* Reading IIR acknowledges it: the line goes down, quietly. */
	CHECK(io_bus_read(&vm.pio, NULL, IIR, 1, &val) == IO_HANDLED_QUIET);
	CHECK_EQ_U64(val & 0x0f, 0x02);
	CHECK(io_bus_read(&vm.pio, NULL, LSR, 1, &val) == IO_HANDLED_QUIET);
	/* A byte sent re-arms THRE: raised again. */
	CHECK(io_bus_write(&vm.pio, NULL, THR, 1, 'b') == IO_HANDLED);
	CHECK_EQ_U64(pulses, 2);
}

TEST(transmit_goes_to_the_console)
{
	setup();
	outb(THR, 'h');
	outb(THR, 'i');
	CHECK_EQ_U64(nsent, 2);
	CHECK(sent[0] == 'h' && sent[1] == 'i');
	CHECK_EQ_U64(inb(LSR) & 0x60, 0x60); /* THRE and TEMT: always */
}

TEST(divisor_latch_is_not_data)
{
	setup();
	outb(LCR, 0x83);
	outb(THR, 0x01);
	outb(IER, 0x00);
	CHECK_EQ_U64(inb(THR), 0x01);
	CHECK_EQ_U64(nsent, 0);
	outb(LCR, 0x03);
	CHECK_EQ_U64(inb(LCR), 0x03);
	outb(SCR, 0x5a);
	CHECK_EQ_U64(inb(SCR), 0x5a);
}

TEST(receive_fifo_keeps_order_and_depth)
{
	setup();
	CHECK_EQ_U64(inb(LSR) & 1, 0);
	for (unsigned i = 0; i < 70; i++)
		type((uint8_t)i);
	CHECK_EQ_U64(inb(LSR) & 1, 1);
	for (unsigned i = 0; i < 64; i++)
		CHECK_EQ_U64(inb(THR), i); /* the 6 beyond 64 were dropped */
	CHECK_EQ_U64(inb(LSR) & 1, 0);
	CHECK_EQ_U64(inb(THR), 0);
	type('x'); /* the ring wraps */
	CHECK_EQ_U64(inb(THR), 'x');
}

TEST(iir_reports_received_data_then_nothing)
{
	setup();
	CHECK_EQ_U64(inb(IIR), 0x01);
	outb(IIR, 0x01); /* FCR: FIFOs on */
	outb(IER, 0x01);
	CHECK_EQ_U64(inb(IIR), 0xc1);
	type('a');
	CHECK_EQ_U64(inb(IIR), 0xc4);
	CHECK_EQ_U64(inb(THR), 'a');
	CHECK_EQ_U64(inb(IIR), 0xc1);
}

TEST(rx_interrupt_needs_out2_and_is_one_edge)
{
	setup();
	outb(IER, 0x01);
	type('a');
	CHECK_EQ_U64(pulses, 0); /* OUT2 off: the line does not reach the PIC */
	outb(MCR, 0x08);
	CHECK_EQ_U64(pulses, 1);
	type('b');
	CHECK_EQ_U64(pulses, 1); /* still high: no new edge */
	inb(THR);
	inb(THR);
	type('c');
	CHECK_EQ_U64(pulses, 2);
}

TEST(thre_interrupt_on_enable_and_after_each_byte)
{
	setup();
	outb(MCR, 0x08);
	outb(IER, 0x02);
	CHECK_EQ_U64(pulses, 1);
	CHECK_EQ_U64(inb(IIR), 0x02); /* reading IIR acknowledges it */
	CHECK_EQ_U64(inb(IIR), 0x01);
	outb(THR, 'x');
	CHECK_EQ_U64(pulses, 2);
	CHECK_EQ_U64(inb(IIR), 0x02);
	outb(IER, 0x02); /* already enabled: no new interrupt */
	CHECK_EQ_U64(pulses, 2);
}

TEST(rx_data_outranks_thre)
{
	setup();
	outb(MCR, 0x08);
	outb(IER, 0x03);
	type('z');
	CHECK_EQ_U64(inb(IIR), 0x04);
	CHECK_EQ_U64(inb(THR), 'z');
	CHECK_EQ_U64(inb(IIR), 0x02);
}

TEST(detach_takes_the_input_away)
{
	setup();
	vuart_detach(&vm, state);
	state = NULL;
	CHECK(input_fn == NULL);
	setup();
	CHECK(input_fn != NULL);
}

UNIT_MAIN("vuart")
