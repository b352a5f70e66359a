/* virtio-blk disks of a VM (`disk =` lines): see virtio_blk.c. */
#ifndef DRIVERS_VIRTIO_BLK_H
#define DRIVERS_VIRTIO_BLK_H

#include <stdbool.h>

struct vm;

/* kernel/vm_devices.c's table: a virtio-blk function per `disk` line. */
bool virtio_blk_attach(struct vm *vm, void **state);
void virtio_blk_detach(struct vm *vm, void *state);
/* A VM reset: every disk forgets the VM's writes (back to its image). */
void virtio_blk_vm_reset(struct vm *vm, void *state);

#endif
