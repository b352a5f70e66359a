/* The guests' 16550 UART (COM1): what the guest writes becomes its console
 * lines on the host log; what is typed on the host console while the VM
 * has the focus fills its receive FIFO. */
#ifndef DRIVERS_VUART_H
#define DRIVERS_VUART_H

#include <stdbool.h>

#include "../kernel/vm.h"

#define VUART_COM1_BASE 0x3f8

/* COM1's state in *state; detach also takes the VM off the console's
 * input. */
bool vuart_attach(struct vm *vm, void **state);
void vuart_detach(struct vm *vm, void *state);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap vuart_snap;

#endif
