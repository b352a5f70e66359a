/* The host's PCI configuration space, through configuration mechanism #1
 * (ports 0xcf8/0xcfc; PCI Local Bus 3.0, 3.2.2.3.2), which reaches every
 * function of buses 0-255 at registers 0-0xff.  The hypervisor keeps the
 * mechanism to itself (kernel/passthrough.c never gives its ports away),
 * so these are the only accesses to it. */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_bar.h"

/* Bus/device/function as one 16-bit number, as in a config address. */
#define PCI_BDF(bus, dev, fn) \
	((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCI_BDF_BUS(bdf) ((bdf) >> 8)
#define PCI_BDF_DEV(bdf) (((bdf) >> 3) & 0x1f)
#define PCI_BDF_FN(bdf) ((bdf) & 7)

/* Type 0 header registers, dword offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_CFG_ID 0x00          /* device ID << 16 | vendor ID */
#define PCI_CFG_COMMAND 0x04     /* status << 16 | command */
#define PCI_CFG_CLASS 0x08       /* class code << 8 | revision */
#define PCI_CFG_HEADER 0x0c      /* BIST, header type, latency, cache line */
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_BAR5 0x24
#define PCI_CFG_ROM 0x30
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INTERRUPT 0x3c   /* ... pin << 8 | line */
#define PCI_CFG_SPACE_SIZE 0x100

#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_COMMAND_PARITY (1u << 6)
#define PCI_COMMAND_SERR (1u << 8)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_COMMAND_ERROR_ENABLES (PCI_COMMAND_PARITY | PCI_COMMAND_SERR)
#define PCI_STATUS_CAP_LIST (1u << 4)
/* Status bits that software clears by writing one: the error flags. */
#define PCI_STATUS_ERRORS 0xf900u

#define PCI_HEADER_TYPE(hdr) (((hdr) >> 16) & 0x7f)
#define PCI_HEADER_MULTI_FUNCTION (1u << 23)
#define PCI_CLASS_BRIDGE 0x06
#define PCI_NO_DEVICE 0xffffu     /* vendor ID read from an empty slot */

uint32_t pci_read(uint16_t bdf, unsigned reg);   /* reg: dword-aligned */
void pci_write(uint16_t bdf, unsigned reg, uint32_t val);
bool pci_present(uint16_t bdf);

/* Reads the device's BARs and sizes them (all ones written and read back
 * with decoding off, then everything put back). */
void pci_probe_bars(uint16_t bdf, struct pci_bar bar[PCI_NUM_BARS]);

/* Logs every function on the buses it finds (info level), so the user
 * knows what hv.cfg's passthrough_pci can name. */
void pci_log_devices(void);

#endif
