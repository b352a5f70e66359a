#include "pci.h"

#include "../arch/io.h"
#include "../kernel/log.h"
#include "../kernel/spinlock.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define CONFIG_ENABLE (1u << 31)

/* Address and data are two accesses: one CPU at a time. */
static struct spinlock pci_lock = SPINLOCK_INIT("pci");

static uint32_t config_address(uint16_t bdf, unsigned reg)
{
	return CONFIG_ENABLE | (uint32_t)bdf << 8 | (reg & 0xfc);
}

uint32_t pci_read(uint16_t bdf, unsigned reg)
{
	spin_lock(&pci_lock);
	outl(CONFIG_ADDRESS, config_address(bdf, reg));
	uint32_t v = inl(CONFIG_DATA);
	spin_unlock(&pci_lock);
	return v;
}

void pci_write(uint16_t bdf, unsigned reg, uint32_t val)
{
	spin_lock(&pci_lock);
	outl(CONFIG_ADDRESS, config_address(bdf, reg));
	outl(CONFIG_DATA, val);
	spin_unlock(&pci_lock);
}

bool pci_present(uint16_t bdf)
{
	return (pci_read(bdf, PCI_CFG_ID) & 0xffff) != PCI_NO_DEVICE;
}

void pci_probe_bars(uint16_t bdf, struct pci_bar bar[PCI_NUM_BARS])
{
	uint32_t val[PCI_NUM_BARS], probe[PCI_NUM_BARS];
	uint32_t cmd = pci_read(bdf, PCI_CFG_COMMAND);

	/* With decoding on, a BAR full of ones would claim addresses that
	 * belong to others while it is probed. */
	pci_write(bdf, PCI_CFG_COMMAND,
		  cmd & 0xffff & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		unsigned reg = PCI_CFG_BAR0 + 4 * i;
		val[i] = pci_read(bdf, reg);
		pci_write(bdf, reg, 0xffffffffu);
		probe[i] = pci_read(bdf, reg);
		pci_write(bdf, reg, val[i]);
	}
	pci_write(bdf, PCI_CFG_COMMAND, cmd & 0xffff);
	for (unsigned i = 0; i < PCI_NUM_BARS;) {
		unsigned n = pci_bar_decode(val, probe, i, &bar[i]);
		if (n == 2)
			bar[i + 1] = (struct pci_bar){ 0 };
		i += n ? n : 1;
	}
}

static void log_function(uint16_t bdf)
{
	uint32_t id = pci_read(bdf, PCI_CFG_ID);
	uint32_t class = pci_read(bdf, PCI_CFG_CLASS) >> 8;
	uint8_t line = pci_read(bdf, PCI_CFG_INTERRUPT) & 0xff;

	log_info("pci %02x:%02x.%x %04x:%04x class %06x irq %u",
		 PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf),
		 id & 0xffff, id >> 16, class, line);
}

/* Bus 0 and what its functions say is there; buses behind bridges are
 * not walked (no machine we run on has one yet). */
void pci_log_devices(void)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		if (!pci_present(PCI_BDF(0, dev, 0)))
			continue;
		bool multi = pci_read(PCI_BDF(0, dev, 0), PCI_CFG_HEADER) &
			     PCI_HEADER_MULTI_FUNCTION;
		for (unsigned fn = 0; fn < (multi ? 8u : 1u); fn++)
			if (pci_present(PCI_BDF(0, dev, fn)))
				log_function(PCI_BDF(0, dev, fn));
	}
}
