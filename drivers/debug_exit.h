/* QEMU's isa-debug-exit at port 0xf4: a write of V ends the VM with exit
 * status (V << 1) | 1, so test kernels written for QEMU run unchanged. */
#ifndef DRIVERS_DEBUG_EXIT_H
#define DRIVERS_DEBUG_EXIT_H

#include <stdbool.h>

#include "../kernel/vm.h"

#define DEBUG_EXIT_PORT 0xf4

bool debug_exit_attach(struct vm *vm, void **state);

#endif
