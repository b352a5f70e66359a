/* The guests' CMOS RTC (MC146818, ports 0x70/0x71): the time and date
 * come from the host's RTC, read-only; the rest of CMOS is the VM's own. */
#ifndef DRIVERS_VRTC_H
#define DRIVERS_VRTC_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"

bool vrtc_attach(struct vm *vm, void **state);

/* Reads host CMOS register r (0-0x7f), serialized with every other host
 * CMOS access, with the chipset's NMI sources kept masked. */
uint8_t vrtc_host_read(uint8_t r);
/* The byte written to host port 0x70 to select register r: bit 7 (NMI
 * mask) always set. */
uint8_t vrtc_host_index(uint8_t r);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vrtc_snap;

#endif
