/* The guests' PCI configuration mechanism #1 (ports 0xcf8/0xcfc) with
 * an i440FX-style host bridge at 00:00.0, so a PCI probe finds a sane
 * bus, and the host functions the VM was given (hv.cfg passthrough_pci)
 * at their host addresses; and the PIIX reset control register at 0xcf9.
 * Port 0x64 command 0xfe (the keyboard controller's reset line) is here
 * too: both restart only this VM. */
#ifndef DRIVERS_VPCI_H
#define DRIVERS_VPCI_H

#include <stdbool.h>

#include "../kernel/vm.h"
#include "pci_bar.h"

#define VPCI_MAX_HOST_DEVS 4 /* = CFG_PCI_MAX */

bool vpci_attach(struct vm *vm, void **state);
/* Shows host function bdf, with the BARs the host gave it, on this VM's
 * bus (kernel/passthrough.c has mapped them). */
bool vpci_add_host_device(struct vm *vm, uint16_t bdf,
			  const struct pci_bar bar[PCI_NUM_BARS]);
/* A VM reset: its functions' virtual state as at power-on (no BAR being
 * sized, SERR#/parity enables clear, Interrupt Line as firmware set it). */
void vpci_reset_host_devices(struct vm *vm);

struct vpci_func;
/* Puts emulated function f (drivers/vpci_func.h) on the VM's bus; the
 * first one claims hv's PCI window on the VM's MMIO bus.  False if the
 * bus is full. */
bool vpci_add_func(struct vm *vm, struct vpci_func *f);
/* A VM reset: every emulated function and its device at power-on. */
void vpci_reset_functions(struct vm *vm);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vpci_snap;

#endif
