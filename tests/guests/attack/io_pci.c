/* The hostile guest: Port I/O attacks: PCI configuration space and the host's legacy ports. */
#include "attack.h"

/* ==== host ports ==== */

static uint32_t pci_read(uint32_t bdf, uint32_t reg)
{
	outl(0xcf8, 0x80000000u | (bdf << 8) | reg);
	return inl(0xcfc);
}

/* Config space: the VM sees its own bus (the emulated host bridge at
 * 00:00.0, nothing else here); writes to the host bridge's PAM and SMRAM
 * registers (which on the host would open SMRAM or shadow the BIOS) do
 * not stick. */
void a_pci_config(void)
{
	unsigned found = 0;
	bool bad = false;

	start();
	for (uint32_t bus = 0; bus < 256; bus++)
		for (uint32_t dev = 0; dev < 32; dev++) {
			if (bus && dev)
				break; /* buses 1-255: device 0 only, to keep it short */
			for (uint32_t fn = 0; fn < 8; fn++) {
				uint32_t id = pci_read((bus << 8) | (dev << 3) | fn, 0);
				if ((id & 0xffff) != 0xffff) {
					found++;
					name_line("sees");
					putc_serial(' ');
					print_hex((bus << 8) | (dev << 3) | fn);
					putc_serial(' ');
					print_hex(id);
					putc_serial('\n');
					bad |= bus || dev || fn;
				}
			}
		}
	uint32_t pam = pci_read(0, 0x58), smram = pci_read(0, 0x70);
	outl(0xcf8, 0x80000058u);
	outl(0xcfc, 0x33333333u); /* PAM: BIOS shadow read/write */
	outl(0xcf8, 0x80000070u);
	outb(0xcfe, 0x4a); /* i440FX SMRAM: D_OPEN | G_SMRAME */
	outw(0xcf8, 0x1234); /* not a dword: not the address register */
	outb(0xcfb, 0x80);
	bad |= pci_read(0, 0x58) != pam || pci_read(0, 0x70) != smram;
	outl(0xcf8, 0); /* and disabled */
	bad |= inl(0xcfc) != 0xffffffffu;
	if (bad)
		escaped("config space beyond the VM's own bus, or a host bridge write stuck");
	else
		contained("only its own host bridge; PAM/SMRAM writes dropped");
}

/* The legacy ports of the host's chipset: each is emulated for this VM
 * or dropped.  Had any reached the host: 0x92 bit 0 and 0x8900
 * "Shutdown" end the machine, the PIC/PIT/RTC writes remap or stop the
 * host's interrupts and clock, and the debug ports print ATTACK-LEAK on
 * the emulator's console (the harness rejects that). */
void a_host_ports(void)
{
	static const char leak[] = "ATTACK-LEAK\n";
	static const char shutdown[] = "Shutdown";

	start();
	/* 8259 PICs: re-initialise with vectors 0x08/0x10 (the host's
	 * exception vectors, were it the host's PIC), all masked. */
	outb(0x20, 0x11); outb(0x21, 0x08); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x10); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
	outb(0x4d0, 0xff); outb(0x4d1, 0xff); /* ELCR */
	/* PIT: channel 0 stopped in mode 0, channel 2 and the speaker on. */
	outb(0x43, 0x30); outb(0x40, 0); outb(0x40, 0);
	outb(0x43, 0xb6); outb(0x42, 1); outb(0x42, 0); outb(0x61, 3);
	/* RTC: the NMI-mask bit, the rate, the shutdown-status byte. */
	outb(0x70, 0x8a); outb(0x71, 0x2f);
	outb(0x70, 0x0b); outb(0x71, 0xff);
	outb(0x70, 0x0f); outb(0x71, 0x0a);
	/* Keyboard controller: write output port (bit 0 clear = reset on a
	 * real 8042), disable keyboard, A20 through 0x92 and reset. */
	outb(0x64, 0xd1); outb(0x60, 0x00);
	outb(0x64, 0xad);
	/* ISA DMA: channel 2 aimed at host memory 0x00000, started. */
	outb(0x0c, 0); outb(0x04, 0); outb(0x04, 0); outb(0x81, 0);
	outb(0x05, 0xff); outb(0x05, 0xff); outb(0x0b, 0x46); outb(0x0a, 0x02);
	/* SMI command port, POST code, ACPI PM of Bochs/QEMU (PIIX4: 0xb000),
	 * QEMU's ICH9 (0x600 is this VM's own: not touched). */
	outb(0xb2, 0x00);
	outb(0x80, 0xaa);
	outw(0xb004, 0x2000 | (5u << 10));
	outw(0x404, 0x2000 | (5u << 10));
	/* Debug consoles: Bochs/QEMU 0xe9, 0x402, 0x500 (and 0x8900). */
	for (const char *c = leak; *c; c++) {
		outb(0xe9, (uint8_t)*c);
		outb(0x402, (uint8_t)*c);
		outb(0x500, (uint8_t)*c);
	}
	for (const char *c = shutdown; *c; c++)
		outb(0x8900, (uint8_t)*c);
	/* Fast reset / A20 last: had it reached the host, nothing follows. */
	outb(0x92, 0x03);
	/* Its own UART (the hypervisor's console is a host device):
	 * loopback and a new divisor, then back. */
	uint8_t lcr = inb(0x3fb), mcr = inb(0x3fc);
	outb(0x3fb, 0x80); outb(0x3f8, 0x01); outb(0x3f9, 0x00);
	outb(0x3fb, lcr); outb(0x3fc, 0x10);
	outb(0x3fc, mcr);
	cmos_write(0x0b, 0x02); /* its own RTC back to its defaults */
	contained("the VM runs on; the host and its console unaffected");
}
