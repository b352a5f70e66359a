#include "irq.h"

#include "../kernel/log.h"
#include "lapic.h"

struct irq_handler {
	irq_handler_fn fn;
	void *ctx;
};

static struct irq_handler handlers[IRQ_VECTORS];
static unsigned nused;

uint8_t irq_alloc(irq_handler_fn fn, void *ctx)
{
	if (nused == IRQ_VECTORS)
		return 0;
	handlers[nused] = (struct irq_handler){ fn, ctx };
	return (uint8_t)(IRQ_VECTOR_FIRST + nused++);
}

void irq_dispatch(uint8_t vector)
{
	unsigned i = (unsigned)vector - IRQ_VECTOR_FIRST;

	if (vector == IRQ_VECTOR_SPURIOUS)
		return; /* no EOI for the spurious vector (SDM Vol. 3A 11.9) */
	if (i < nused)
		handlers[i].fn(handlers[i].ctx);
	else
		log_debug("irq: vector %u has no handler", vector);
	lapic_eoi();
}

bool irq_any(void)
{
	return nused != 0;
}
