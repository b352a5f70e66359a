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

bool vioapic_attach(struct vm *vm);
/* Back to the power-up state: every pin masked (for a VM restart). */
void vioapic_reset(struct vioapic *io);
/* The line of pin `pin` goes to `level` (an edge is a raise and a drop). */
void vioapic_set_line(struct vioapic *io, unsigned pin, bool level);
/* A local APIC ended a level-triggered `vector`: clear the remote IRR of
 * the pins that sent it, and send again those still asserted. */
void vioapic_eoi(struct vm *vm, uint8_t vector);

#endif
