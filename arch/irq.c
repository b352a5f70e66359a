#include "irq.h"

#include "../kernel/log.h"
#include "lapic.h"
#include "smp.h"

struct irq_handler {
	irq_handler_fn fn;
	void *ctx;
};

static struct irq_handler handlers[IRQ_VECTORS];
static unsigned nused;

/* nused: the vectors handed out so far, freed ones among them (fn NULL)
 * until they are handed out again. */
uint8_t irq_alloc(irq_handler_fn fn, void *ctx)
{
	unsigned i = 0;

	while (i < nused && handlers[i].fn)
		i++;
	if (i == IRQ_VECTORS)
		return 0;
	handlers[i] = (struct irq_handler){ fn, ctx };
	if (i == nused)
		nused++;
	return (uint8_t)(IRQ_VECTOR_FIRST + i);
}

void irq_free(uint8_t vector)
{
	unsigned i = (unsigned)vector - IRQ_VECTOR_FIRST;

	if (i < nused)
		handlers[i] = (struct irq_handler){ NULL, NULL };
}

void irq_dispatch(uint8_t vector)
{
	unsigned i = (unsigned)vector - IRQ_VECTOR_FIRST;

	if (vector == IRQ_VECTOR_SPURIOUS)
		return; /* no EOI for the spurious vector (SDM Vol. 3A 11.9) */
	if (vector == VECTOR_KICK) {
		smp_kick_received();
		lapic_eoi();
		return;
	}
	if (i < nused && handlers[i].fn)
		handlers[i].fn(handlers[i].ctx);
	else
		log_debug("irq: vector %u has no handler", vector);
	lapic_eoi();
}

bool irq_any(void)
{
	for (unsigned i = 0; i < nused; i++)
		if (handlers[i].fn)
			return true;
	return false;
}
