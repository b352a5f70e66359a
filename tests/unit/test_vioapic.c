/* The I/O APIC model (drivers/vioapic.c) through its MMIO window:
 * redirection entries, edge and level pins, remote IRR and EOI, and the
 * EOI watchers passthrough uses.  The local APICs are a stub that
 * records the messages sent. */
#include "unit.h"

#include <stdlib.h>

#include "../../drivers/vioapic.h"
#include "../../drivers/vlapic.h"

static struct apic_msg sent[16];
static unsigned nsent;

void vlapic_send(struct vm *vm, struct vcpu *from, const struct apic_msg *m)
{
	(void)vm, (void)from;
	if (nsent < 16)
		sent[nsent] = *m;
	nsent++;
}

#define RTE_LOGICAL (1u << 11)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

static struct vm vm;
static void *state;
static unsigned watched_eois;

static void setup(void)
{
	free(state);
	memset(&vm, 0, sizeof(vm));
	vm.nvcpus = 2;
	io_bus_init(&vm.mmio, 0x100000, ~0ull);
	state = NULL;
	if (!vioapic_attach(&vm, &state))
		abort();
	nsent = 0;
	watched_eois = 0;
}

static void wr(uint32_t reg, uint32_t val)
{
	io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE, 4, reg);
	io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE + 0x10, 4, val);
}

static uint32_t rd(uint32_t reg)
{
	uint64_t val = 0xdeadbeef;

	io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE, 4, reg);
	io_bus_read(&vm.mmio, NULL, VIOAPIC_BASE + 0x10, 4, &val);
	return (uint32_t)val;
}

static void route(unsigned pin, uint32_t lo, uint8_t dest)
{
	wr(0x11 + 2 * pin, (uint32_t)dest << 24);
	wr(0x10 + 2 * pin, lo);
}

TEST(identity_version_and_masked_pins)
{
	setup();
	CHECK_EQ_U64(rd(0x01), 0x170011); /* 24 pins, version 0x11 */
	CHECK_EQ_U64(rd(0x00), 2u << 24);  /* the ID after the vCPUs' */
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		CHECK(rd(0x10 + 2 * pin) & RTE_MASKED);
	vioapic_set_line(vm.ioapic, 4, true);
	CHECK_EQ_U64(nsent, 0);
}

TEST(redirection_entry_reads_back_without_chip_bits)
{
	setup();
	route(3, 0x41 | RTE_LOGICAL | RTE_REMOTE_IRR | (1u << 12), 0x0f);
	CHECK_EQ_U64(rd(0x16), 0x41 | RTE_LOGICAL);
	CHECK_EQ_U64(rd(0x17), 0x0f000000);
	wr(0x01, 0x12345678); /* version: read-only */
	CHECK_EQ_U64(rd(0x01), 0x170011);
}

TEST(edge_pin_sends_on_each_rising_edge)
{
	setup();
	route(4, 0x34, 1);
	vioapic_set_line(vm.ioapic, 4, true);
	CHECK_EQ_U64(nsent, 1);
	CHECK_EQ_U64(sent[0].vector, 0x34);
	CHECK_EQ_U64(sent[0].dest, 1);
	CHECK(!sent[0].level && !sent[0].logical);
	vioapic_set_line(vm.ioapic, 4, true); /* no edge */
	CHECK_EQ_U64(nsent, 1);
	vioapic_set_line(vm.ioapic, 4, false);
	vioapic_set_line(vm.ioapic, 4, true);
	CHECK_EQ_U64(nsent, 2);
	CHECK_EQ_U64(rd(0x18) & RTE_REMOTE_IRR, 0);
}

TEST(level_pin_waits_for_eoi_and_resends_while_asserted)
{
	setup();
	route(9, 0x59 | RTE_LEVEL, 0);
	vioapic_set_line(vm.ioapic, 9, true);
	CHECK_EQ_U64(nsent, 1);
	CHECK(sent[0].level);
	CHECK(rd(0x22) & RTE_REMOTE_IRR);
	vioapic_set_line(vm.ioapic, 9, true);
	CHECK_EQ_U64(nsent, 1); /* remote IRR holds it */
	vioapic_eoi(&vm, 0x58); /* another vector: nothing */
	CHECK(rd(0x22) & RTE_REMOTE_IRR);
	vioapic_eoi(&vm, 0x59); /* still asserted: sent again */
	CHECK_EQ_U64(nsent, 2);
	CHECK(rd(0x22) & RTE_REMOTE_IRR);
	vioapic_set_line(vm.ioapic, 9, false);
	vioapic_eoi(&vm, 0x59);
	CHECK_EQ_U64(nsent, 2);
	CHECK_EQ_U64(rd(0x22) & RTE_REMOTE_IRR, 0);
}

TEST(unmasking_an_asserted_level_pin_sends_it)
{
	setup();
	route(10, 0x5a | RTE_LEVEL | RTE_MASKED, 0);
	vioapic_set_line(vm.ioapic, 10, true);
	CHECK_EQ_U64(nsent, 0);
	wr(0x24, 0x5a | RTE_LEVEL);
	CHECK_EQ_U64(nsent, 1);
}

static void count_eoi(void *ctx)
{
	(void)ctx;
	watched_eois++;
}

TEST(eoi_watchers_see_edge_and_level_eois)
{
	setup();
	CHECK(!vioapic_watches_eoi(&vm));
	vioapic_watch_eoi(vm.ioapic, 11, count_eoi, NULL);
	CHECK(vioapic_watches_eoi(&vm));
	route(11, 0x5b, 0);
	vioapic_eoi(&vm, 0x5b);
	CHECK_EQ_U64(watched_eois, 1);
	vioapic_reset(vm.ioapic); /* the watch survives a reset */
	route(11, 0x5b, 0);
	vioapic_eoi(&vm, 0x5b);
	CHECK_EQ_U64(watched_eois, 2);
	CHECK(rd(0x10) & RTE_MASKED);
}

TEST(only_dword_accesses_to_the_two_registers)
{
	uint64_t val;

	setup();
	CHECK(io_bus_read(&vm.mmio, NULL, VIOAPIC_BASE + 0x10, 1, &val) ==
	      IO_UNHANDLED);
	CHECK(io_bus_read(&vm.mmio, NULL, VIOAPIC_BASE + 0x20, 4, &val) ==
	      IO_UNHANDLED);
	CHECK(io_bus_read(&vm.mmio, NULL, VIOAPIC_BASE + 0x00, 4, &val) ==
	      IO_HANDLED);
}

UNIT_MAIN("vioapic")
