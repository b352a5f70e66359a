/* The devices every VM has, in one table (kernel/vm_devices.c): attached
 * in order when the VM is created, detached together when a creation
 * fails. */
#ifndef KERNEL_VM_DEVICES_H
#define KERNEL_VM_DEVICES_H

#include <stdbool.h>

struct vm;

/* Attaches every device; false (with *why naming the device) if one could
 * not be, after detaching those that were. */
bool vm_devices_attach(struct vm *vm, const char **why);
/* Frees every device's state and what it registered outside the VM. */
void vm_devices_detach(struct vm *vm);
/* A VM reset: emulated PCI functions at power-on, disks back to their
 * images. */
void vm_devices_reset(struct vm *vm);
/* The name of device i of the table if the VM has it, else NULL (also
 * past the table's end). */
const char *vm_device_name(const struct vm *vm, unsigned i);

/* For snapshots (kernel/snapshot.c): the table's length, and what a
 * snapshot keeps of device i's state (NULL: it has none to keep). */
struct dev_snap;
unsigned vm_device_count(void);
const struct dev_snap *vm_device_snap(unsigned i);

#endif
