/* The guests' 16550 UART (COM1).  Transmit only for now: what the guest
 * writes becomes its console lines on the host log; the receiver is
 * always empty. */
#ifndef DRIVERS_VUART_H
#define DRIVERS_VUART_H

#include <stdbool.h>

#include "../kernel/vm.h"

#define VUART_COM1_BASE 0x3f8

bool vuart_attach(struct vm *vm, uint16_t base);

#endif
