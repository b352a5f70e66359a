/* The guests' I/O APIC (Intel 82093AA data sheet): 24 pins at
 * 0xfec00000, each with a redirection entry that turns its signal into
 * an APIC message (drivers/vlapic.c). */
#ifndef DRIVERS_VIOAPIC_H
#define DRIVERS_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"

#define VIOAPIC_BASE 0xfec00000ull
#define VIOAPIC_SIZE 0x1000ull
#define VIOAPIC_PINS 24

bool vioapic_attach(struct vm *vm, void **state);
/* Back to the power-up state: every pin masked (for a VM restart). */
void vioapic_reset(struct vioapic *io);
/* The line of pin `pin` goes to `level` (an edge is a raise and a drop). */
void vioapic_set_line(struct vioapic *io, unsigned pin, bool level);
/* A local APIC ended `vector`: tell the pins' EOI watchers, clear the
 * remote IRR of the level-triggered pins that sent it, and send again
 * those still asserted. */
void vioapic_eoi(struct vm *vm, uint8_t vector);

/* fn(ctx) runs whenever the guest ends the vector of `pin`, edge or
 * level, before the pin may send again: a line forwarded from a host
 * device (kernel/passthrough.c) is unmasked at the host then, as KVM's
 * ack notifiers do.  The watch survives vioapic_reset. */
typedef void (*vioapic_eoi_fn)(void *ctx);
void vioapic_watch_eoi(struct vioapic *io, unsigned pin, vioapic_eoi_fn fn,
		       void *ctx);
/* Whether any pin is watched: the local APIC then reports edge EOIs too. */
bool vioapic_watches_eoi(const struct vm *vm);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vioapic_snap;

#endif
