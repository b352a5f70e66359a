/* Host devices handed to one VM.  hv.cfg `passthrough_io`: host I/O
 * ports; the VM's I/O bitmap lets its accesses reach the hardware with no
 * VM exit, as Jailhouse's pio_bitmap does.  `passthrough_pci`: a host PCI
 * function; its memory BARs are mapped 1:1 into the VM's EPT (uncached),
 * its I/O BARs opened in the bitmap, and drivers/vpci.c shows it on the
 * VM's bus.  The config parser already refused a port or function given
 * to two VMs; here ports the hypervisor itself drives, ports of the VM's
 * own emulated devices and BARs over its RAM are refused too. */
#ifndef KERNEL_PASSTHROUGH_H
#define KERNEL_PASSTHROUGH_H

#include <stdbool.h>
#include <stdint.h>

#include "../drivers/pci_bar.h"
#include "vm.h"

/* Reads which host ports besides the legacy ones stay the host's: the
 * ACPI register blocks of the FADT at acpi_rsdp (0: none), else those of
 * a PIIX4 power-management function.  Before any VM is attached. */
void passthrough_init(uint64_t acpi_rsdp);
/* Opens the VM's configured ranges; false with *why set if one of them
 * may not be given. */
bool passthrough_attach(struct vm *vm, const char **why);
/* A VM reset: its PCI functions get the command register firmware left
 * (decoding as at boot, bus mastering off). */
void passthrough_reset(struct vm *vm);
/* A VM ended: its PCI functions stop decoding and raising INTx. */
void passthrough_quiesce(struct vm *vm);
/* A VM failed to start: as quiesce, and its host interrupt vectors and
 * routes are given back.  Safe after a partial passthrough_attach. */
void passthrough_detach(struct vm *vm);
/* The memory BARs of the VM's functions that its EPT maps 1:1 (the
 * page-aligned ones), at most max of them; returns how many. */
unsigned passthrough_mapped_bars(const struct vm *vm, struct pci_bar *out,
				 unsigned max);
/* Whether a host device's interrupt line is forwarded to the VM. */
bool passthrough_has_irq(const struct vm *vm);

#endif
