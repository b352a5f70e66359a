/* Host interrupts.  The hypervisor itself needs none (it polls its UART
 * and counts time with the TSC); the ones it takes are devices' lines
 * that it forwards to the guests owning the devices.  They arrive two
 * ways: as an "external interrupt" VM exit, which acknowledged them
 * already (exit control "acknowledge interrupt on exit", SDM Vol. 3C
 * 25.7.1), or through the IDT while the CPU idles with interrupts on.
 * Both end in irq_dispatch. */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vectors.h"

typedef void (*irq_handler_fn)(void *ctx);

/* A free vector in [IRQ_VECTOR_FIRST, +IRQ_VECTORS) now calling fn(ctx),
 * or 0 when all are taken. */
uint8_t irq_alloc(irq_handler_fn fn, void *ctx);
/* The vector's handler goes; the vector may be handed out again.  Its
 * source must be masked first. */
void irq_free(uint8_t vector);
/* Runs the vector's handler, then ends it at the local APIC. */
void irq_dispatch(uint8_t vector);
/* Whether any vector is in use (the idle loop must then take them). */
bool irq_any(void);

#endif
