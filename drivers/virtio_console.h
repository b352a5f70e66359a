/* A VM's virtio console (`console = virtio`): see virtio_console.c. */
#ifndef DRIVERS_VIRTIO_CONSOLE_H
#define DRIVERS_VIRTIO_CONSOLE_H

#include <stdbool.h>

struct vm;

bool virtio_console_attach(struct vm *vm, void **state);
void virtio_console_detach(struct vm *vm, void *state);

#endif
