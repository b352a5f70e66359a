/* Message-signalled interrupts (SDM Vol. 3A 11.11): the address/data pair
 * a PCI function writes (MSI or MSI-X), turned into a message on the VM's
 * APIC bus.  One decoder for every source: the emulated virtio functions
 * (issue 14) and, later, passed-through devices behind interrupt
 * remapping. */
#ifndef DRIVERS_MSI_H
#define DRIVERS_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include "vlapic.h"

#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_MASK 0xfff00000u

/* Decodes the pair into *m; false (with *why) for a message the SDM
 * does not define: an address outside 0xfeexxxxx, a reserved delivery
 * mode (011), or a start-up message (110: not valid in MSI data). */
bool msi_decode(uint64_t addr, uint32_t data, struct apic_msg *m,
		const char **why);

/* Decodes and sends it to the VM's local APICs; an undefined message is
 * dropped and logged once per VM. */
void msi_deliver(struct vm *vm, uint64_t addr, uint32_t data);

#endif
