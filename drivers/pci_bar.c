#include "pci_bar.h"

unsigned pci_bar_decode(const uint32_t val[PCI_NUM_BARS],
			const uint32_t probe[PCI_NUM_BARS], unsigned i,
			struct pci_bar *bar)
{
	*bar = (struct pci_bar){ 0 };
	if (val[i] & PCI_BAR_IO) {
		/* Only the bits that read back as ones after the probe decode
		 * the address; ports fit 16 bits on x86 even when the device
		 * implements more. */
		uint32_t mask = probe[i] & ~PCI_BAR_IO_FLAGS & 0xffff;
		bar->io = true;
		if (mask) {
			bar->base = val[i] & mask;
			bar->size = (uint64_t)(~mask & 0xffff) + 1;
		}
		return 1;
	}
	bar->prefetch = (val[i] & PCI_BAR_MEM_PREFETCH) != 0;
	uint64_t mask = probe[i] & ~PCI_BAR_MEM_FLAGS;
	uint64_t base = val[i] & ~PCI_BAR_MEM_FLAGS;
	if ((val[i] & 0x6) == PCI_BAR_MEM_TYPE_64) {
		if (i + 1 >= PCI_NUM_BARS)
			return 0;
		bar->mem64 = true;
		mask |= (uint64_t)probe[i + 1] << 32;
		base |= (uint64_t)val[i + 1] << 32;
	} else {
		mask |= 0xffffffff00000000ull; /* a 32-bit BAR: below 4 GiB */
	}
	/* Implemented when some address bit sticks (a 64-bit BAR of 4 GiB
	 * or more has them all in its upper half). */
	if (bar->mem64 ? mask != 0 : (mask & 0xffffffffull) != 0) {
		bar->base = base & mask;
		bar->size = ~mask + 1;
	}
	return bar->mem64 ? 2 : 1;
}

uint32_t pci_bar_flags(const struct pci_bar *bar)
{
	if (bar->io)
		return PCI_BAR_IO;
	return (bar->mem64 ? PCI_BAR_MEM_TYPE_64 : 0) |
	       (bar->prefetch ? PCI_BAR_MEM_PREFETCH : 0);
}

bool pci_bar_contains(const struct pci_bar *bar, uint64_t addr, unsigned len)
{
	/* Subtractions only, so a BAR that ends at the top of the address
	 * space or an address far past it cannot wrap. */
	return len && len <= bar->size && addr >= bar->base &&
	       addr - bar->base <= bar->size - len;
}
