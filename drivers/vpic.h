/* The guests' 8259A PIC pair (master at 0x20, slave at 0xa0, cascaded on
 * IRQ 2), with the ELCR at 0x4d0.  Edge-triggered, fixed priority,
 * normal and automatic EOI: what Linux and simple kernels program. */
#ifndef DRIVERS_VPIC_H
#define DRIVERS_VPIC_H

#include <stdbool.h>

#include "../kernel/vm.h"

bool vpic_attach(struct vm *vm, void **state);
/* A rising edge on an ISA IRQ line (0-15). */
void vpic_raise_irq(struct vpic *pic, unsigned irq);
/* Whether an unmasked request is waiting that outranks what is in
 * service; then vpic_ack() takes it and returns its vector. */
bool vpic_has_pending(const struct vpic *pic);
unsigned vpic_ack(struct vpic *pic);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vpic_snap;

#endif
