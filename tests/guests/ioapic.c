/* The I/O APIC and the 8259 PIC as the data sheets define them, driven
 * through QEMU's pc-testdev (drivers/pc_testdev.h, `testdev = qemu`): a
 * byte written to port 0x2000+N sets interrupt line N to that level, so
 * the guest makes exactly the edges and levels it wants and counts what
 * the I/O APIC delivers.  The rules come from the Intel 82093AA I/O APIC
 * data sheet (3.2.4, the redirection table) and the SDM Vol. 3A 10.8.4
 * (fixed interrupts: IRR and ISR hold at most two per vector) and 10.8.5
 * (EOI: the I/O APIC is told of level-triggered vectors only), and the
 * Intel 8259A data sheet (edge-triggered mode).
 *
 * With the argument "absent" the VM has no pc-testdev (no `testdev`
 * key): its ports and memory are not decoded, as on a PC without the
 * card, and a write to a line port moves no line. */
#include "guest.h"

#define APIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define IOMEM 0xff000000u
enum { TPR = 0x80, EOI = 0xb0, SVR = 0xf0, TMR = 0x180, IRR = 0x200 };

#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

/* Lines (pc-testdev numbers = I/O APIC pins here) and their vectors. */
#define EDGE_LINE 14
#define EDGE_VEC 0x60
#define LEVEL_LINE 15
#define LEVEL_VEC 0x70
#define HIGH_LINE 20 /* a pin above the ISA IRQs: no PIC input */
#define HIGH_VEC 0x64
#define IRQ0_PIN 2   /* ISA IRQ 0 is on pin 2 (the MADT's override) */
#define IRQ0_VEC 0x62
#define PIC_BASE 0x20 /* master 0x20-0x27, slave 0x28-0x2f */

static uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(APIC + off); }
static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(APIC + off) = v; }

static uint32_t io_rd(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

static void io_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

/* Pin `pin` to APIC 0, fixed delivery, with `lo` as the low dword. */
static void rte_set(unsigned pin, uint32_t lo)
{
	io_wr(0x10 + 2 * pin + 1, 0);
	io_wr(0x10 + 2 * pin, lo);
}

static uint32_t rte(unsigned pin) { return io_rd(0x10 + 2 * pin); }

static void line(unsigned n, uint8_t level) { outb(0x2000 + n, level); }
static void pulse(unsigned n) { line(n, 1); line(n, 0); }

static bool apic_bit(uint32_t base, unsigned v)
{
	return rd(base + (v / 32) * 0x10) & (1u << (v % 32));
}

static volatile uint32_t count[256];
/* Runs in the handler before its EOI, for the vector under test. */
static void (*volatile hook)(uint32_t vector);

static void on_irq(uint32_t vector)
{
	count[vector]++;
	if (vector >= PIC_BASE && vector < PIC_BASE + 16) {
		if (vector >= PIC_BASE + 8)
			outb(0xa0, 0x20); /* non-specific EOI, slave */
		outb(0x20, 0x20);
		return;
	}
	if (hook)
		hook(vector);
	wr(EOI, 0);
}

/* Interrupts open for a while: whatever is pending arrives (each line
 * write exits, so a delivery is due by the next entry; the window is
 * generous). */
static void settle(void)
{
	uint64_t end = rdtsc() + 200000;

	while (rdtsc() < end)
		__asm__ volatile("sti; nop; cli");
}

static void reset_counts(void)
{
	for (unsigned i = 0; i < 256; i++)
		count[i] = 0;
}

/* ---- hooks ---- */

/* Two more edges while the first is in service: one waits in the IRR,
 * the other has nowhere to go (SDM 10.8.4). */
static void edge_twice_more(uint32_t vector)
{
	if (vector == EDGE_VEC && count[EDGE_VEC] == 1) {
		pulse(EDGE_LINE);
		pulse(EDGE_LINE);
	}
}

static volatile uint32_t remote_irr_in_handler;

/* As a driver does: note the remote IRR, quiet the device, then EOI. */
static void level_lower(uint32_t vector)
{
	if (vector != LEVEL_VEC)
		return;
	remote_irr_in_handler = rte(LEVEL_LINE) & RTE_REMOTE_IRR;
	line(LEVEL_LINE, 0);
}

/* A device that stays asserted for three EOIs. */
static void level_lower_third(uint32_t vector)
{
	if (vector == LEVEL_VEC && count[LEVEL_VEC] == 3)
		line(LEVEL_LINE, 0);
}

/* ---- the device itself ---- */

static void check_ports(void)
{
	volatile uint8_t *m8 = (volatile uint8_t *)IOMEM;
	volatile uint16_t *m16 = (volatile uint16_t *)IOMEM;
	volatile uint32_t *m32 = (volatile uint32_t *)IOMEM;

	outl(0xe0, 0x12345678);
	check(inl(0xe0) == 0x12345678, "pc-testdev: 0xe0 holds a dword");
	check(inb(0xe1) == 0x56 && inw(0xe2) == 0x1234,
	      "pc-testdev: byte and word reads at their own lanes");
	outb(0xe3, 0xab);
	outw(0xe0, 0xcdef);
	check(inl(0xe0) == 0xab34cdef, "pc-testdev: narrow writes merge");
	check(inl(0xe8) == 0xab34cdef && inb(0xea) == 0x34,
	      "pc-testdev: 0xe8 is the same register");
	outb(0xe9, 0x11);
	check(inl(0xe0) == 0xab3411ef, "pc-testdev: a write at 0xe9 lands in 0xe0");
	outl(0xe4, IOMEM);
	check(inl(0xe0) == 0xab3411ef, "pc-testdev: flush-page write changes nothing");
	check(inb(0x2000) == 0xff, "pc-testdev: line ports are write-only");

	check(m32[0] == 0 && m32[0x3fff] == 0, "pc-testdev: iomem starts zeroed");
	m32[1] = 0xdeadbeef;
	m8[0xffff] = 0x5a;
	check(m32[1] == 0xdeadbeef && m8[5] == 0xbe && m16[3] == 0xdead,
	      "pc-testdev: iomem reads back what was written, any width");
	check(m8[0xffff] == 0x5a, "pc-testdev: iomem's last byte");
}

/* ---- I/O APIC ---- */

static void check_edge(void)
{
	reset_counts();
	rte_set(EDGE_LINE, EDGE_VEC);
	pulse(EDGE_LINE);
	settle();
	check(count[EDGE_VEC] == 1, "82093AA 3.2.4: edge: one interrupt per rising edge");
	line(EDGE_LINE, 1);
	settle();
	settle();
	check(count[EDGE_VEC] == 2, "82093AA 3.2.4: edge: a line held high sends once");
	line(EDGE_LINE, 0);
	settle();
	check(count[EDGE_VEC] == 2, "82093AA 3.2.4: edge: the falling edge sends nothing");
	check(!(rte(EDGE_LINE) & RTE_REMOTE_IRR),
	      "82093AA 3.2.4: edge: remote IRR stays clear");

	/* Masked: "Edge-sensitive interrupts signaled on a masked interrupt
	 * pin are ignored (i.e., not delivered or held pending)." */
	rte_set(EDGE_LINE, RTE_MASKED | EDGE_VEC);
	pulse(EDGE_LINE);
	settle();
	rte_set(EDGE_LINE, EDGE_VEC);
	settle();
	check(count[EDGE_VEC] == 2, "82093AA 3.2.4: edge while masked is discarded, not held");
	rte_set(EDGE_LINE, RTE_MASKED | EDGE_VEC);
	line(EDGE_LINE, 1);
	rte_set(EDGE_LINE, EDGE_VEC);
	settle();
	check(count[EDGE_VEC] == 2, "82093AA 3.2.4: unmasking an edge pin held high sends nothing");
	line(EDGE_LINE, 0);

	/* Coalescing: with interrupts off, three edges leave one request
	 * in the IRR; it is delivered once. */
	__asm__ volatile("cli");
	pulse(EDGE_LINE);
	pulse(EDGE_LINE);
	pulse(EDGE_LINE);
	check(apic_bit(IRR, EDGE_VEC) && !apic_bit(TMR, EDGE_VEC),
	      "SDM 10.8.4: edges wait in the IRR, TMR clear (edge)");
	settle();
	check(count[EDGE_VEC] == 3, "SDM 10.8.4: three edges before acceptance: one interrupt");
	/* In service plus one in the IRR: three edges, two interrupts. */
	reset_counts();
	hook = edge_twice_more;
	pulse(EDGE_LINE);
	settle();
	hook = 0;
	check(count[EDGE_VEC] == 2, "SDM 10.8.4: ISR and IRR queue two per vector, no more");
	rte_set(EDGE_LINE, RTE_MASKED | EDGE_VEC);
}

static void check_level(void)
{
	uint32_t r;

	reset_counts();
	rte_set(LEVEL_LINE, RTE_LEVEL | LEVEL_VEC);
	check(!(rte(LEVEL_LINE) & RTE_REMOTE_IRR), "82093AA 3.2.4: level: remote IRR clear when idle");

	/* Delivered once; remote IRR set until the EOI. */
	hook = level_lower;
	remote_irr_in_handler = 0;
	__asm__ volatile("cli");
	line(LEVEL_LINE, 1);
	check(apic_bit(IRR, LEVEL_VEC) && apic_bit(TMR, LEVEL_VEC),
	      "SDM 10.8.4: a level vector is accepted with its TMR bit set");
	settle();
	check(count[LEVEL_VEC] == 1, "82093AA 3.2.4: level: one interrupt");
	check(remote_irr_in_handler, "82093AA 3.2.4: remote IRR set once the local APIC has it");
	check(!(rte(LEVEL_LINE) & RTE_REMOTE_IRR),
	      "SDM 10.8.5: the local APIC's EOI clears remote IRR");

	/* Still asserted at the EOI: sent again, each time. */
	reset_counts();
	hook = level_lower_third;
	line(LEVEL_LINE, 1);
	settle();
	check(count[LEVEL_VEC] == 3, "82093AA 3.2.4: level still high after EOI is sent again");

	/* While remote IRR is set the pin sends nothing more, whatever the
	 * line does. */
	reset_counts();
	hook = level_lower;
	__asm__ volatile("cli");
	line(LEVEL_LINE, 1);
	line(LEVEL_LINE, 0);
	line(LEVEL_LINE, 1);
	line(LEVEL_LINE, 0);
	line(LEVEL_LINE, 1);
	check(rte(LEVEL_LINE) & RTE_REMOTE_IRR, "82093AA 3.2.4: remote IRR set before the EOI");
	settle();
	check(count[LEVEL_VEC] == 1, "82093AA 3.2.4: level: nothing more while remote IRR is set");

	/* Remote IRR and delivery status are the chip's (read-only). */
	__asm__ volatile("cli");
	line(LEVEL_LINE, 1);
	r = rte(LEVEL_LINE);
	io_wr(0x10 + 2 * LEVEL_LINE, r & ~RTE_REMOTE_IRR);
	check(rte(LEVEL_LINE) & RTE_REMOTE_IRR, "82093AA 3.2.4: writing remote IRR 0 leaves it set");
	settle();
	check(count[LEVEL_VEC] == 2, "82093AA 3.2.4: the pending level arrives");
	io_wr(0x10 + 2 * LEVEL_LINE, RTE_LEVEL | RTE_REMOTE_IRR | (1u << 12) | LEVEL_VEC);
	check((rte(LEVEL_LINE) & (RTE_REMOTE_IRR | (1u << 12))) == 0,
	      "82093AA 3.2.4: writing remote IRR or delivery status 1 leaves them clear");

	/* Linux ends a level interrupt on an I/O APIC without an EOI
	 * register by switching the pin to edge and back: the switch to
	 * edge clears remote IRR, as the chips do (Linux io_apic.c). */
	reset_counts();
	__asm__ volatile("cli");
	line(LEVEL_LINE, 1);
	line(LEVEL_LINE, 0);
	check(rte(LEVEL_LINE) & RTE_REMOTE_IRR, "remote IRR set before the mode switch");
	rte_set(LEVEL_LINE, RTE_MASKED | LEVEL_VEC);
	check(!(rte(LEVEL_LINE) & RTE_REMOTE_IRR), "switching a pin to edge clears remote IRR");
	rte_set(LEVEL_LINE, RTE_LEVEL | LEVEL_VEC);
	settle();
	line(LEVEL_LINE, 1);
	settle();
	check(count[LEVEL_VEC] == 2, "the pin sends again after the switch back to level");

	/* Masked level pins: a level still high at the unmask is sent then;
	 * one that went away before it is not. */
	reset_counts();
	rte_set(LEVEL_LINE, RTE_MASKED | RTE_LEVEL | LEVEL_VEC);
	line(LEVEL_LINE, 1);
	settle();
	check(count[LEVEL_VEC] == 0 && !(rte(LEVEL_LINE) & RTE_REMOTE_IRR),
	      "82093AA 3.2.4: a masked level pin sends nothing");
	rte_set(LEVEL_LINE, RTE_LEVEL | LEVEL_VEC);
	settle();
	check(count[LEVEL_VEC] == 1, "82093AA 3.2.4: unmasked while high: sent");
	rte_set(LEVEL_LINE, RTE_MASKED | RTE_LEVEL | LEVEL_VEC);
	line(LEVEL_LINE, 1);
	line(LEVEL_LINE, 0);
	rte_set(LEVEL_LINE, RTE_LEVEL | LEVEL_VEC);
	settle();
	check(count[LEVEL_VEC] == 1, "82093AA 3.2.4: a level gone before the unmask is not sent");
	hook = 0;
	rte_set(LEVEL_LINE, RTE_MASKED | RTE_LEVEL | LEVEL_VEC);
}

static void check_wiring(void)
{
	reset_counts();
	rte_set(HIGH_LINE, HIGH_VEC);
	pulse(HIGH_LINE);
	settle();
	check(count[HIGH_VEC] == 1, "line 20 drives I/O APIC pin 20");
	rte_set(HIGH_LINE, RTE_MASKED | HIGH_VEC);
	rte_set(IRQ0_PIN, IRQ0_VEC);
	pulse(0);
	settle();
	check(count[IRQ0_VEC] == 1, "ISA IRQ 0 is I/O APIC pin 2 (MADT override)");
	rte_set(IRQ0_PIN, RTE_MASKED | IRQ0_VEC);
}

/* ---- 8259 PIC (lines 0-15 reach it too) ---- */

static void check_pic(void)
{
	/* ICW1-4: master at vector 0x20, slave at 0x28 on IRQ 2, 8086 mode. */
	outb(0x20, 0x11);
	outb(0x21, PIC_BASE);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0xa0, 0x11);
	outb(0xa1, PIC_BASE + 8);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0x21, (uint8_t)~((1u << 5) | (1u << 2)));
	outb(0xa1, (uint8_t)~(1u << 2));

	reset_counts();
	line(5, 1);
	settle();
	check(count[PIC_BASE + 5] == 1, "8259A: a rising edge on IRQ 5 interrupts");
	settle();
	check(count[PIC_BASE + 5] == 1, "8259A: edge-triggered: a level held high interrupts once");
	line(5, 0);
	line(5, 1);
	settle();
	line(5, 0);
	check(count[PIC_BASE + 5] == 2, "8259A: the next rising edge interrupts again");
	line(10, 1);
	settle();
	line(10, 0);
	check(count[PIC_BASE + 10] == 1, "8259A: IRQ 10 through the slave");
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static void check_absent(void)
{
	volatile uint32_t *m32 = (volatile uint32_t *)IOMEM;

	check(inl(0xe0) == 0xffffffff, "no pc-testdev: 0xe0 reads all ones");
	outl(0xe0, 0x12345678);
	check(inl(0xe0) == 0xffffffff && inb(0xe8) == 0xff,
	      "no pc-testdev: writes to 0xe0 are dropped");
	check(inb(0x2000 + EDGE_LINE) == 0xff, "no pc-testdev: 0x2000 reads all ones");
	m32[0] = 0x12345678;
	check(m32[0] == 0xffffffff, "no pc-testdev: nothing at 0xff000000");
	reset_counts();
	rte_set(EDGE_LINE, EDGE_VEC);
	pulse(EDGE_LINE);
	settle();
	check(count[EDGE_VEC] == 0, "no pc-testdev: a line port moves no line");
	rte_set(EDGE_LINE, RTE_MASKED | EDGE_VEC);
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *arg = cmdline(info);

	(void)magic;
	irq_handler = on_irq;
	outb(0x21, 0xff); /* PIC masked until its own checks */
	outb(0xa1, 0xff);
	wr(SVR, 0x1ff);
	wr(TPR, 0);
	if (arg[0] == 'a') {
		check_absent();
	} else {
		check_ports();
		check_edge();
		check_level();
		check_wiring();
		check_pic();
	}
	return verdict();
}
