/* Creating VMs and carrying out what their vCPUs and devices asked of
 * them (kernel/vm.h's requests): stop, crash, restart, exit, power off.
 * Only the boot code and the scheduler call these. */
#ifndef KERNEL_VM_LIFECYCLE_H
#define KERNEL_VM_LIFECYCLE_H

#include "vm.h"

/* Creates a VM from its config: RAM, EPT, bitmaps, vCPUs, devices, and
 * its image loaded.  On failure logs why and returns NULL; nothing of it
 * remains (pages, device state, console input, host interrupt routes). */
struct vm *vm_create(const struct vm_config *cfg, unsigned id);
/* The same for a clone: no image; its RAM is the snapshot copy at
 * shared_hpa, copy-on-write (kernel/clone_ram.c), and the caller puts
 * the snapshot's vCPU and device state in it. */
struct vm *vm_create_clone(const struct vm_config *cfg, unsigned id,
			   uint64_t shared_hpa);

/* Carries out the VM's pending request, if any. */
void vm_handle_request(struct vm *vm);

/* A stopped (or exited) VM starts afresh from its image; false if it is
 * not stopped. */
bool vm_start_again(struct vm *vm);

#define VM_MAX_RESTARTS 3

/* How much of a reset runs in one turn of the VM's boot vCPU: a fraction
 * of a slice (memset speed is several GiB/s natively; in Bochs 4 MiB
 * costs about as many TSC ticks as a third of a slice). */
#define VM_RESET_CHUNK (4ull << 20)

/* One piece of a reset (the scheduler calls it for a vCPU in
 * VCPU_RESETTING): clears the next chunk of RAM, and after the last one
 * puts the vCPUs in their reset state and reloads the image. */
void vm_reset_step(struct vm *vm);

#endif
