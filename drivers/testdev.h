/* The hypervisor test device: one MMIO page that tests and benchmarks use
 * to exercise the MMIO path (Jailhouse has one too).  Registers, 32-bit:
 *   0x00 ID       reads TESTDEV_ID ("HVTD")
 *   0x04 SCRATCH  reads back what was written (any size 1, 2, 4, 8 at 0x04)
 *   0x08 COUNT    number of accesses so far */
#ifndef DRIVERS_TESTDEV_H
#define DRIVERS_TESTDEV_H

#include <stdbool.h>

#include "../kernel/vm.h"

#define TESTDEV_BASE 0xfeb00000ull
#define TESTDEV_SIZE 0x1000
#define TESTDEV_ID 0x44545648u

bool testdev_attach(struct vm *vm, void **state);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap testdev_snap;

#endif
