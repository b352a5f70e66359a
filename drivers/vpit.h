/* The guests' 8254 PIT (ports 0x40-0x43) and port 0x61's channel-2 gate
 * and output.  Its clock is the host TSC, scaled to 1.193182 MHz. */
#ifndef DRIVERS_VPIT_H
#define DRIVERS_VPIT_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"

bool vpit_attach(struct vm *vm, void **state);
/* Raises ISA IRQ 0 for every channel-0 period that ended
 * before `now` (TSC); several missed ones coalesce into one. */
void vpit_update(struct vpit *pit, uint64_t now);
/* TSC of the next channel-0 interrupt, or 0 if none is due. */
uint64_t vpit_next_deadline(const struct vpit *pit);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vpit_snap;

#endif
