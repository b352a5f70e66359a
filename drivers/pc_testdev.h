/* QEMU's pc-testdev (hw/misc/pc-testdev.c), the device test kernels written
 * for QEMU (kvm-unit-tests) drive; a VM has it with `testdev = qemu`:
 *   ports 0xe0-0xe3   a 32-bit scratch register, any access size, each
 *                     byte at its own port (0xe1 is bits 8-15)
 *   ports 0xe4-0xe7   "flush page": a 32-bit write names a guest page that
 *                     QEMU unmaps and maps again at the host; the guest
 *                     sees nothing change, and neither does it here
 *   ports 0xe8-0xeb   the same scratch register again (QEMU's byte-wise
 *                     view of it: same contents, any size)
 *   ports 0x2000-0x2017  interrupt lines: a byte write of V to 0x2000+N
 *                     sets line N to V != 0 (level; an edge is 1 then 0).
 *                     Lines 0-15 are the ISA IRQs, to the PIC and the I/O
 *                     APIC (IRQ 0 on pin 2, as QEMU and our MADT wire it);
 *                     16-23 go to I/O APIC pins 16-23 (QEMU refuses those).
 *   MMIO 0xff000000-0xff00ffff  64 KiB of scratch memory, any size.
 * Reads of the flush and line ports, and accesses of a size a register
 * does not take, are not decoded (all ones; writes dropped). */
#ifndef DRIVERS_PC_TESTDEV_H
#define DRIVERS_PC_TESTDEV_H

#include <stdbool.h>

#include "../kernel/vm.h"

#define PC_TESTDEV_PORT 0xe0
#define PC_TESTDEV_PORTS 12
#define PC_TESTDEV_IRQ_PORT 0x2000
#define PC_TESTDEV_IOMEM_BASE 0xff000000ull
#define PC_TESTDEV_IOMEM_SIZE 0x10000

/* Attaches nothing unless the VM's config says `testdev = qemu`. */
bool pc_testdev_attach(struct vm *vm, void **state);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap pc_testdev_snap;

#endif
