/* PCI device passthrough (hv.cfg passthrough_pci).  The machine has an
 * e1000 (Intel 82540EM) at 00:03.0.  With command line "own" this VM was
 * given it: its bus shows the host bridge and that function and nothing
 * else of the host's; the BARs read as the host assigned them, size like
 * hardware and do not move; bus mastering and capabilities are hidden;
 * the memory BAR reaches the device's registers with no VM exit and the
 * I/O BAR's ports reach it too (and the port after them does not), and
 * the device's INTx arrives through the VM's I/O APIC, level-triggered,
 * once per cause and again after every EOI while the cause stays.  SERR#
 * Enable and Parity Error Response read back as written but stay off on
 * the device (the hypervisor's log says so).  An MMIO access that starts
 * in an emulated range and runs past its end reaches no device.  With
 * "none" the function is not on its bus at all. */
#include "guest.h"

#define NIC_BDF ((0u << 8) | (3u << 3) | 0u)
#define E1000_ID 0x100e8086u
#define HOST_BRIDGE_ID 0x12378086u

/* e1000 registers (82540EM manual, 13.4) and its I/O BAR window. */
#define E1000_ICR 0x00c0  /* interrupt cause, cleared by reading */
#define E1000_ICS 0x00c8  /* interrupt cause set */
#define E1000_IMS 0x00d0  /* interrupt mask set */
#define E1000_IMC 0x00d8  /* interrupt mask clear */
#define E1000_RDBAL 0x2800 /* receive descriptor base, plain read/write */
#define E1000_ICR_LSC (1u << 2)
#define E1000_ICR_INT_ASSERTED (1u << 31)
#define IOADDR 0

#define APIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define APIC_SVR 0xf0
#define APIC_EOI 0xb0
#define NIC_VECTOR 0x51
#define REDIR_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)

/* The hypervisor's test device (drivers/testdev.h): one page whose COUNT
 * register counts every access that reached it. */
#define TESTDEV 0xfeb00000u
#define TESTDEV_COUNT 0x08
#define TESTDEV_END (TESTDEV + 0x1000)

static uint32_t cfg_read(uint32_t bdf, uint32_t reg)
{
	outl(0xcf8, 0x80000000u | bdf << 8 | reg);
	return inl(0xcfc);
}

static void cfg_write(uint32_t bdf, uint32_t reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | bdf << 8 | reg);
	outl(0xcfc, v);
}

static volatile uint32_t *regs;
static uint16_t io_base;

static uint32_t mmio_rd(uint32_t off) { return regs[off / 4]; }
static void mmio_wr(uint32_t off, uint32_t v) { regs[off / 4] = v; }

static void ioapic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void apic_wr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC + off) = v;
}

static volatile uint32_t irqs, causes;
static volatile uint64_t irq_tsc; /* when the first interrupt came */
static bool clear_cause = true;

/* A level-triggered handler: read ICR (which lowers the line) unless told
 * to leave the cause, then EOI. */
static void on_irq(uint32_t vector)
{
	if (vector != NIC_VECTOR)
		return;
	if (!irqs++)
		irq_tsc = rdtsc();
	if (clear_cause)
		causes |= mmio_rd(E1000_ICR);
	else if (irqs >= 3)
		mmio_wr(E1000_IMC, E1000_ICR_LSC); /* enough: mask it at the NIC */
	apic_wr(APIC_EOI, 0);
}

static bool wait_irqs(uint32_t n)
{
	uint64_t end = rdtsc() + 20000000;
	while (irqs < n && rdtsc() < end)
		__asm__ volatile("sti; nop; nop; cli");
	return irqs >= n;
}

/* Which functions of bus 0 answer: bit d for device d (function 0). */
static uint32_t scan_bus(void)
{
	uint32_t seen = 0;
	for (uint32_t dev = 0; dev < 32; dev++)
		if ((cfg_read(dev << 3, 0) & 0xffff) != 0xffff)
			seen |= 1u << dev;
	return seen;
}

static void test_config_space(void)
{
	uint32_t bar0 = cfg_read(NIC_BDF, 0x10), bar1 = cfg_read(NIC_BDF, 0x14);

	check((bar0 & 1) == 0 && (bar0 & ~0xfu) >= 0x04000000u,
	      "BAR0 is memory above the VM's RAM");
	check((bar1 & 1) == 1 && (bar1 & ~3u) != 0, "BAR1 is I/O ports");
	cfg_write(NIC_BDF, 0x10, 0xffffffffu);
	check(cfg_read(NIC_BDF, 0x10) == 0xfffe0000u, "BAR0 sizes as 128 KiB");
	cfg_write(NIC_BDF, 0x10, bar0);
	check(cfg_read(NIC_BDF, 0x10) == bar0, "BAR0 reads its address again after sizing");
	cfg_write(NIC_BDF, 0x14, 0xffffffffu);
	check((cfg_read(NIC_BDF, 0x14) & 0xffff) == 0xffc1, "BAR1 sizes as 64 ports");
	cfg_write(NIC_BDF, 0x14, bar1);
	cfg_write(NIC_BDF, 0x10, bar0 + 0x100000);
	check(cfg_read(NIC_BDF, 0x10) == bar0, "BAR0 does not move");
	check(cfg_read(NIC_BDF, 0x30) == 0, "no option ROM shown");
	check(cfg_read(NIC_BDF, 0x34) == 0 &&
	      !(cfg_read(NIC_BDF, 0x04) & (1u << 20)), "capability list hidden");
	/* What an OS driver does first: decoding and bus mastering on. */
	cfg_write(NIC_BDF, 0x04, (cfg_read(NIC_BDF, 0x04) & 0xffff) | 7);
	uint32_t cmd = cfg_read(NIC_BDF, 0x04);
	check((cmd & 3) == 3, "memory and I/O decoding turned on");
	check(!(cmd & 4), "bus mastering stays off (no IOMMU)");
	regs = (volatile uint32_t *)(bar0 & ~0xfu);
	io_base = (uint16_t)(bar1 & ~3u);
}

/* A guest driver turns on parity and system error reporting; the device
 * must not get them (a SERR# would be a host NMI), but the guest reads
 * back what it wrote. */
static void test_error_enables(void)
{
	uint32_t cmd = cfg_read(NIC_BDF, 0x04) & 0xffff;

	cfg_write(NIC_BDF, 0x04, cmd | (1u << 6) | (1u << 8));
	uint32_t now = cfg_read(NIC_BDF, 0x04) & 0xffff;
	check((now & 0x140) == 0x140,
	      "SERR# Enable and Parity Error Response read back as written");
	check((now & 3) == (cmd & 3), "decoding unchanged by that write");
}

/* Accesses that start in the test device's range and run past its end:
 * none of them may reach the device (its COUNT shows how many did), and
 * reads give all ones.  The access that ends exactly at the end does. */
static void test_mmio_straddle(void)
{
	volatile uint32_t *count = (volatile uint32_t *)(TESTDEV + TESTDEV_COUNT);
	uint32_t c0 = *count;
	uint32_t last = *(volatile uint32_t *)(TESTDEV_END - 4);
	*(volatile uint32_t *)(TESTDEV_END - 2) = 0x12345678u;
	uint16_t half = *(volatile uint16_t *)(TESTDEV_END - 1);
	uint32_t word = *(volatile uint32_t *)(TESTDEV_END - 3);
	uint32_t c1 = *count;

	(void)last;
	puts_serial("[pcidev] test device accesses counted: ");
	print_dec(c1 - c0);
	puts_serial(" (expected 2)\n");
	check(c1 - c0 == 2, "only the accesses inside the range reached the device");
	check(half == 0xffffu && word == 0xffffffffu,
	      "reads past the range's end give all ones");
}

static void test_registers(void)
{
	mmio_wr(E1000_RDBAL, 0x12345670u);
	check(mmio_rd(E1000_RDBAL) == 0x12345670u,
	      "a register written through BAR0 reads back");
	/* The I/O BAR's ports reach the device (Bochs' e1000 answers 0 there:
	 * it has no IOADDR/IODATA window; QEMU's has), the port after it
	 * is nobody's and reads all ones. */
	check(inl(io_base + IOADDR) != 0xffffffffu,
	      "BAR1's first port reaches the device");
	check(inl(io_base + 0x3c) != 0xffffffffu,
	      "BAR1's last port reaches the device");
	check(inl(io_base + 0x40) == 0xffffffffu,
	      "the port after BAR1 is not passed through");
	/* The memory BAR is mapped: reading it costs no VM exit, so many
	 * reads take about as long as plain memory reads. */
	uint64_t t0 = rdtsc();
	for (int i = 0; i < 1000; i++)
		(void)mmio_rd(E1000_RDBAL);
	uint64_t t = rdtsc() - t0;
	puts_serial("[pcidev] 1000 BAR0 reads: ");
	print_dec(t);
	puts_serial(" TSC ticks\n");
	check(t < 200000, "BAR0 reads do not exit (under 200 ticks each)");
}

static void test_interrupts(void)
{
	uint32_t line = cfg_read(NIC_BDF, 0x3c) & 0xff;

	check(line > 0 && line < 24, "Interrupt Line names an I/O APIC pin");
	irq_handler = on_irq;
	apic_wr(APIC_SVR, 0x1ff);
	ioapic_wr(0x10 + 2 * line + 1, 0);
	ioapic_wr(0x10 + 2 * line, NIC_VECTOR | REDIR_LEVEL);
	(void)mmio_rd(E1000_ICR);
	mmio_wr(E1000_IMS, E1000_ICR_LSC);
	uint64_t t0 = rdtsc();
	for (uint32_t n = 1; n <= 3; n++) {
		mmio_wr(E1000_ICS, E1000_ICR_LSC);
		if (!wait_irqs(n))
			break;
	}
	if (irqs) {
		/* From the cause being set to the guest's handler: host
		 * interrupt, exit, forward, injection. */
		puts_serial("[pcidev] device interrupt to guest handler: ");
		print_dec(irq_tsc - t0);
		puts_serial(" TSC ticks\n");
	}
	check(irqs == 3, "three causes set, three interrupts");
	/* Bit 31 (INT_ASSERTED) comes with any cause on this model. */
	check((causes & ~E1000_ICR_INT_ASSERTED) == E1000_ICR_LSC,
	      "the handler read the cause it set");
	/* A cause left standing keeps the level line up: each EOI brings the
	 * interrupt again, until the NIC masks it. */
	irqs = 0;
	clear_cause = false;
	mmio_wr(E1000_ICS, E1000_ICR_LSC);
	wait_irqs(3);
	check(irqs == 3, "an uncleared cause interrupts again after EOI");
	(void)mmio_rd(E1000_ICR);
	irqs = 0;
	wait_irqs(1);
	check(irqs == 0, "quiet once the cause is cleared and masked");
	ioapic_wr(0x10 + 2 * line, REDIR_MASKED);
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = cmdline(info);
	bool own = cmd[0] == 'o' && cmd[1] == 'w' && cmd[2] == 'n';
	uint32_t seen = scan_bus();

	(void)magic;
	check(cfg_read(0, 0) == HOST_BRIDGE_ID, "00:00.0 is the host bridge");
	if (!own) {
		check(seen == 1u, "only the host bridge on the bus");
		check(cfg_read(NIC_BDF, 0) == 0xffffffffu,
		      "00:03.0 is not this VM's: reads all ones");
		return verdict();
	}
	check(seen == (1u | 1u << 3), "the bus shows the host bridge and 00:03.0 only");
	check(cfg_read(NIC_BDF, 0) == E1000_ID, "00:03.0 is the host's e1000");
	test_config_space();
	test_error_enables();
	test_mmio_straddle();
	test_registers();
	test_interrupts();
	return verdict();
}
