/* Delivering interrupts to guests through VM entry (SDM Vol. 3C 27.6):
 * an external interrupt is injected when the guest can take it, else the
 * interrupt-window exit asks for the moment it can. */
#ifndef VMX_EVENT_H
#define VMX_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"

/* Before entering v: advance its VM's timer to `now`, inject a pending
 * interrupt or request an interrupt window.  v's VMCS is current. */
void event_deliver(struct vcpu *v, uint64_t now);

/* Whether v has an interrupt waiting (wakes a vCPU halted with IF=1). */
bool event_pending(struct vcpu *v, uint64_t now);

/* TSC at which v next needs to be entered for a timer, or 0. */
uint64_t event_next_deadline(const struct vcpu *v);

/* After an exit: an event whose delivery the exit interrupted is
 * re-injected on the next entry (SDM Vol. 3C 28.2.4, 27.6). */
void event_requeue_vectoring(void);

#endif
