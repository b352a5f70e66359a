/* The guests' PCI configuration mechanism #1 (ports 0xcf8/0xcfc) with
 * one device, an i440FX-style host bridge at 00:00.0, so a PCI probe
 * finds a sane, empty bus; and the PIIX reset control register at 0xcf9.
 * Port 0x64 command 0xfe (the keyboard controller's reset line) is here
 * too: both restart only this VM. */
#ifndef DRIVERS_VPCI_H
#define DRIVERS_VPCI_H

#include <stdbool.h>

#include "../kernel/vm.h"

bool vpci_attach(struct vm *vm);

#endif
