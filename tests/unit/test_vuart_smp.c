/* The 16550 model (drivers/vuart.c) from several host threads at once:
 * the host console feeds the receive FIFO on one CPU while a vCPU on
 * another drains it through RBR/LSR and a third writes THR.  The feeder
 * keeps at most a FIFO's worth in flight, so no byte may be dropped:
 * the reader must see 0, 1, 2, ... in order, each once, and every byte
 * written must reach the console.  Without the UART's lock the FIFO's
 * count and head race and bytes are lost, repeated or reordered. */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../../drivers/vuart.h"
#include "../../kernel/vm_console.h"
#include "../../kernel/vm_irq.h"

extern _Thread_local int unit_cpu_id;

/* ---- stubs: the console and the interrupt wiring ---- */
static console_input_fn input_fn;
static void *input_dev;
static atomic_long written, pulses;

void vm_console_register_input(struct vm *vm, console_input_fn fn, void *dev)
{
	(void)vm;
	input_fn = fn;
	input_dev = dev;
}

void vm_console_unregister_input(struct vm *vm)
{
	(void)vm;
	input_fn = NULL;
}

void vm_console_write(struct vm *vm, const char *buf, size_t len)
{
	(void)vm, (void)buf;
	atomic_fetch_add(&written, (long)len);
}

void vm_isa_irq_pulse(struct vm *vm, unsigned irq)
{
	(void)vm, (void)irq;
	atomic_fetch_add(&pulses, 1);
}

enum { RBR = 0x3f8, IER = 0x3f9, MCR = 0x3fc, LSR = 0x3fd };
#define FIFO 64
#define BYTES 200000
#define WRITES 200000
#define STALL_NS 3000000000ll

static struct vm vm;
static void *state;
static atomic_long fed, received, mismatches;
static atomic_int failed;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void *feeder(void *arg)
{
	int64_t last = now_ns();

	(void)arg;
	unit_cpu_id = 0;
	for (long i = 0; i < BYTES && !atomic_load(&failed);) {
		if (i - atomic_load(&received) >= FIFO) {
			if (now_ns() - last > STALL_NS)
				atomic_store(&failed, 1);
			continue;
		}
		input_fn(input_dev, (uint8_t)i);
		atomic_store(&fed, ++i);
		last = now_ns();
	}
	return NULL;
}

static void *reader(void *arg)
{
	int64_t last = now_ns();
	long next = 0;

	(void)arg;
	unit_cpu_id = 1;
	while (next < BYTES && !atomic_load(&failed)) {
		uint64_t lsr = 0, c = 0;
		io_bus_read(&vm.pio, NULL, LSR, 1, &lsr);
		if (!(lsr & 1)) {
			/* Nothing in the FIFO although some was fed and not
			 * read: a lost byte shows as a stall. */
			if (now_ns() - last > STALL_NS)
				atomic_store(&failed, 1);
			continue;
		}
		io_bus_read(&vm.pio, NULL, RBR, 1, &c);
		if (c != (uint8_t)next)
			atomic_fetch_add(&mismatches, 1);
		atomic_store(&received, ++next);
		last = now_ns();
	}
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	unit_cpu_id = 2;
	for (long i = 0; i < WRITES; i++) {
		io_bus_write(&vm.pio, NULL, RBR, 1, 'x');
		if (!(i & 1023)) /* and the interrupt enables, now and then */
			io_bus_write(&vm.pio, NULL, IER, 1, i & 2048 ? 3 : 1);
	}
	return NULL;
}

TEST(fifo_fed_and_drained_on_two_cpus_keeps_every_byte_in_order)
{
	pthread_t t[3];

	memset(&vm, 0, sizeof(vm));
	vm.pic = (struct vpic *)&vm; /* only tested for non-NULL */
	io_bus_init(&vm.pio, 0, 0xffff);
	if (!vuart_attach(&vm, &state))
		abort();
	io_bus_write(&vm.pio, NULL, MCR, 1, 0x08);
	io_bus_write(&vm.pio, NULL, IER, 1, 1);
	pthread_create(&t[0], NULL, feeder, NULL);
	pthread_create(&t[1], NULL, reader, NULL);
	pthread_create(&t[2], NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	vuart_detach(&vm, state);
	CHECK_EQ_U64(atomic_load(&failed), 0);
	CHECK_EQ_U64(atomic_load(&mismatches), 0);
	CHECK_EQ_U64(atomic_load(&received), BYTES);
	CHECK_EQ_U64(atomic_load(&written), WRITES);
}

int main(void) { return unit_run("vuart_smp"); }
