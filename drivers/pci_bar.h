/* PCI base address registers (PCI Local Bus 3.0, 6.2.5.1): what a BAR's
 * value and its size probe (the value read back after writing all ones)
 * say about the range it decodes.  Pure, so host unit tests cover it. */
#ifndef DRIVERS_PCI_BAR_H
#define DRIVERS_PCI_BAR_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_NUM_BARS 6
#define PCI_BAR_IO 0x1u          /* bit 0: I/O space */
#define PCI_BAR_MEM_TYPE_64 0x4u /* bits 2:1 = 10b: 64-bit memory BAR */
#define PCI_BAR_MEM_PREFETCH 0x8u
#define PCI_BAR_IO_FLAGS 0x3u
#define PCI_BAR_MEM_FLAGS 0xfu

struct pci_bar {
	uint64_t base, size; /* size 0: the BAR is not implemented */
	bool io;             /* I/O ports, else memory */
	bool mem64;          /* takes this BAR and the next */
	bool prefetch;
};

/* Decodes BAR i from the six BAR values and their size probes.  Returns
 * the number of BAR registers it takes (2 for a 64-bit memory BAR, else
 * 1), or 0 when it is malformed (a 64-bit BAR in the last slot). */
unsigned pci_bar_decode(const uint32_t val[PCI_NUM_BARS],
			const uint32_t probe[PCI_NUM_BARS], unsigned i,
			struct pci_bar *bar);

/* Whether the whole access [addr, addr + len) falls inside the BAR (an
 * access that reaches past its end is not this BAR's to decode). */
bool pci_bar_contains(const struct pci_bar *bar, uint64_t addr,
		      unsigned len);

/* The flag bits of the BAR's low register (type, prefetchable). */
uint32_t pci_bar_flags(const struct pci_bar *bar);

#endif
