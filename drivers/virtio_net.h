/* virtio-net NICs of a VM (`net =` lines): see virtio_net.c. */
#ifndef DRIVERS_VIRTIO_NET_H
#define DRIVERS_VIRTIO_NET_H

#include <stdbool.h>

struct vm;

bool virtio_net_attach(struct vm *vm, void **state);
void virtio_net_detach(struct vm *vm, void *state);

#endif
