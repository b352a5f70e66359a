/* The 8259A pair (drivers/vpic.c) through the VM's port bus, as a guest
 * programs it: initialisation words, masks, priorities, EOIs. */
#include "unit.h"
#include "guest_ports.h"

#include <stdlib.h>

#include "../../drivers/vpic.h"

static void *state;

/* What Linux's init_8259A does: vectors 0x20/0x28, slave on IRQ 2. */
static void setup(uint8_t icw4)
{
	free(state);
	memset(&vm, 0, sizeof(vm));
	io_bus_init(&vm.pio, 0, 0x10000);
	state = NULL;
	if (!vpic_attach(&vm, &state))
		abort();
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, icw4);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, icw4);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static uint8_t read_isr(uint16_t cmd)
{
	uint8_t v;

	outb(cmd, 0x0b); /* OCW3: read ISR */
	v = inb(cmd);
	outb(cmd, 0x0a); /* back to IRR */
	return v;
}

TEST(masked_after_reset_until_programmed)
{
	free(state);
	memset(&vm, 0, sizeof(vm));
	io_bus_init(&vm.pio, 0, 0x10000);
	state = NULL;
	CHECK(vpic_attach(&vm, &state));
	CHECK_EQ_U64(inb(0x21), 0xff);
	CHECK_EQ_U64(inb(0xa1), 0xff);
	vpic_raise_irq(vm.pic, 1);
	CHECK(!vpic_has_pending(vm.pic));
}

TEST(icw2_sets_the_vector_base)
{
	setup(0x01);
	vpic_raise_irq(vm.pic, 1);
	CHECK(vpic_has_pending(vm.pic));
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x21);
	CHECK_EQ_U64(read_isr(0x20), 0x02);
	CHECK(!vpic_has_pending(vm.pic));
}

TEST(irr_reads_back_until_acknowledged)
{
	setup(0x01);
	outb(0x21, 0xff); /* masked requests still show in IRR */
	vpic_raise_irq(vm.pic, 5);
	CHECK_EQ_U64(inb(0x20), 0x20);
	CHECK(!vpic_has_pending(vm.pic));
}

TEST(fixed_priority_and_non_specific_eoi)
{
	setup(0x01);
	vpic_raise_irq(vm.pic, 3);
	vpic_raise_irq(vm.pic, 1);
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x21); /* IRQ 1 outranks 3 */
	CHECK(!vpic_has_pending(vm.pic));      /* 3 waits for 1's EOI */
	vpic_raise_irq(vm.pic, 0);
	CHECK(vpic_has_pending(vm.pic));       /* 0 outranks 1 in service */
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x20);
	CHECK_EQ_U64(read_isr(0x20), 0x03);
	outb(0x20, 0x20); /* non-specific EOI: the highest in service, 0 */
	CHECK_EQ_U64(read_isr(0x20), 0x02);
	CHECK(!vpic_has_pending(vm.pic));
	outb(0x20, 0x20);
	CHECK(vpic_has_pending(vm.pic));
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x23);
}

TEST(specific_eoi_ends_the_named_irq)
{
	setup(0x01);
	vpic_raise_irq(vm.pic, 4);
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x24);
	outb(0x20, 0x60 | 3); /* specific EOI of 3: not in service */
	CHECK_EQ_U64(read_isr(0x20), 0x10);
	outb(0x20, 0x60 | 4);
	CHECK_EQ_U64(read_isr(0x20), 0x00);
}

TEST(auto_eoi_leaves_nothing_in_service)
{
	setup(0x03);
	vpic_raise_irq(vm.pic, 6);
	vpic_raise_irq(vm.pic, 7);
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x26);
	CHECK_EQ_U64(read_isr(0x20), 0x00);
	CHECK(vpic_has_pending(vm.pic)); /* 7 needs no EOI of 6 */
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x27);
}

TEST(mask_holds_a_request_until_unmasked)
{
	setup(0x01);
	outb(0x21, 0x02);
	CHECK_EQ_U64(inb(0x21), 0x02);
	vpic_raise_irq(vm.pic, 1);
	CHECK(!vpic_has_pending(vm.pic));
	outb(0x21, 0x00);
	CHECK(vpic_has_pending(vm.pic));
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x21);
}

TEST(slave_cascades_through_irq2)
{
	setup(0x01);
	vpic_raise_irq(vm.pic, 12);
	CHECK(vpic_has_pending(vm.pic));
	CHECK_EQ_U64(vpic_ack(vm.pic), 0x2c);
	CHECK_EQ_U64(read_isr(0x20), 0x04);
	CHECK_EQ_U64(read_isr(0xa0), 0x10);
	outb(0xa1, 0x10); /* a masked slave line raises no cascade */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	vpic_raise_irq(vm.pic, 12);
	CHECK(!vpic_has_pending(vm.pic));
	CHECK_EQ_U64(inb(0x20) & 0x04, 0);
}

TEST(elcr_reads_back_and_survives_init)
{
	setup(0x01);
	outb(0x4d0, 0x20);
	outb(0x4d1, 0x0e);
	CHECK_EQ_U64(inb(0x4d0), 0x20);
	CHECK_EQ_U64(inb(0x4d1), 0x0e);
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	CHECK_EQ_U64(inb(0x4d0), 0x20);
}

TEST(word_accesses_are_not_decoded)
{
	uint64_t val = 0;

	setup(0x01);
	CHECK(io_bus_read(&vm.pio, NULL, 0x20, 2, &val) == IO_UNHANDLED);
	CHECK(io_bus_write(&vm.pio, NULL, 0x21, 2, 0xff) == IO_UNHANDLED);
	CHECK_EQ_U64(inb(0x21), 0x00);
}

UNIT_MAIN("vpic")
