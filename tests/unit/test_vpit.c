/* The 8254 model (drivers/vpit.c) through the VM's port bus, with a TSC
 * that runs at the PIT's own 1.193182 MHz so that one TSC tick is one
 * count: periodic modes, the counter latch, port 0x61's gate and output. */
#include "unit.h"
#include "guest_ports.h"

#include <stdlib.h>

#include "../../arch/tsc.h"
#include "../../drivers/vpit.h"
#include "../../kernel/vm_irq.h"

static uint64_t now;
static unsigned irq0s;

uint64_t tsc_now(void) { return now; }
uint64_t tsc_hz(void) { return 1193182; }
void vm_isa_irq_pulse(struct vm *target, unsigned irq)
{
	(void)target;
	if (irq == 0)
		irq0s++;
}

static void *state;

static void setup(void)
{
	free(state);
	memset(&vm, 0, sizeof(vm));
	io_bus_init(&vm.pio, 0, 0x10000);
	state = NULL;
	if (!vpit_attach(&vm, &state))
		abort();
	now = 10000;
	irq0s = 0;
}

/* Channel n, LSB then MSB, in `mode`, loaded with count at `now`. */
static void load(unsigned n, unsigned mode, uint16_t count)
{
	outb(0x43, (uint8_t)((n << 6) | 0x30 | (mode << 1)));
	outb((uint16_t)(0x40 + n), (uint8_t)count);
	outb((uint16_t)(0x40 + n), (uint8_t)(count >> 8));
}

static uint16_t read_count(unsigned n)
{
	uint16_t lo = inb((uint16_t)(0x40 + n));
	return (uint16_t)(lo | inb((uint16_t)(0x40 + n)) << 8);
}

TEST(mode2_rate_generator_raises_irq0_every_period)
{
	setup();
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 0);
	load(0, 2, 1000);
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 11000);
	vpit_update(vm.pit, 10999);
	CHECK_EQ_U64(irq0s, 0);
	vpit_update(vm.pit, 11000);
	CHECK_EQ_U64(irq0s, 1);
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 12000);
	vpit_update(vm.pit, 15500); /* four periods late: one interrupt */
	CHECK_EQ_U64(irq0s, 2);
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 16000);
}

TEST(mode3_counts_down_and_wraps_at_the_reload)
{
	setup();
	load(0, 3, 500);
	now += 120;
	CHECK_EQ_U64(read_count(0), 380);
	now += 500;
	CHECK_EQ_U64(read_count(0), 380);
}

TEST(mode0_fires_once)
{
	setup();
	load(0, 0, 300);
	vpit_update(vm.pit, 10300);
	CHECK_EQ_U64(irq0s, 1);
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 0);
	vpit_update(vm.pit, 20000);
	CHECK_EQ_U64(irq0s, 1);
}

TEST(zero_count_means_65536)
{
	setup();
	load(0, 2, 0);
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 10000 + 65536);
}

TEST(latch_freezes_the_count_until_read)
{
	setup();
	load(0, 2, 1000);
	now += 250;
	outb(0x43, 0x00); /* latch channel 0 */
	now += 100;
	CHECK_EQ_U64(read_count(0), 750);
	CHECK_EQ_U64(read_count(0), 650); /* latch consumed: live again */
}

TEST(control_word_stops_channel0)
{
	setup();
	load(0, 2, 1000);
	outb(0x43, 0x34); /* reprogram: waits for a new count */
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 0);
}

TEST(port61_gate_and_output_of_channel2)
{
	setup();
	outb(0x61, 0x00);
	load(2, 0, 50);
	now += 100;
	CHECK_EQ_U64(inb(0x61) & 0x20, 0); /* gate low: counting held */
	outb(0x61, 0x01); /* a rising gate restarts the count */
	CHECK_EQ_U64(inb(0x61) & 0x21, 0x01);
	now += 49;
	CHECK_EQ_U64(inb(0x61) & 0x20, 0);
	now += 1;
	CHECK_EQ_U64(inb(0x61) & 0x20, 0x20);
	CHECK(((inb(0x61) ^ inb(0x61)) & 0x10) != 0); /* refresh toggles */
}

TEST(lsb_only_access)
{
	setup();
	outb(0x43, 0x14); /* channel 0, LSB only, mode 2 */
	outb(0x40, 200);
	CHECK_EQ_U64(vpit_next_deadline(vm.pit), 10200);
	now += 50;
	CHECK_EQ_U64(inb(0x40), 150);
	CHECK_EQ_U64(inb(0x40), 150);
}

UNIT_MAIN("vpit")
