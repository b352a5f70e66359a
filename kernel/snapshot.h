/* VM snapshots in hypervisor memory, for the operator's monitor (issue
 * 13): `snapshot VM TAG` captures a VM whole (vCPUs, emulated devices,
 * RAM) into one contiguous buffer in the format of docs/SNAPSHOT.md,
 * `restore VM TAG` puts the VM back as it was.  The buffers come from the
 * page allocator within the budget `snapshot_memory` of [hypervisor].
 * Everything here runs on the CPU that serves the monitor; the CPU-local
 * half (a vCPU's VMCS and lazily kept registers) is done by the CPU that
 * holds them, asked through snapshot_serve. */
#ifndef KERNEL_SNAPSHOT_H
#define KERNEL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct runqueue;

/* What a snapshot keeps of an emulated device's state block (the struct
 * a driver keeps in vm->device_state[]): its bytes [from, to).  What lies
 * outside (its lock, pointers back to the VM, callbacks) belongs to the
 * running hypervisor and stays.  shift_time, if any, moves the block's
 * host-TSC timestamps by delta ticks: a restore's host TSC is later than
 * the snapshot's, and the device's timers go on from where they were. */
struct dev_snap {
	size_t from, to;
	void (*shift_time)(void *state, uint64_t delta);
};

#define DEV_SNAP_FROM(type, first, shift)                                   \
	{ offsetof(type, first), sizeof(type), shift }
#define DEV_SNAP_RANGE(type, first, end, shift)                             \
	{ offsetof(type, first), offsetof(type, end), shift }

#define SNAPSHOT_TAG_MAX 24
#define SNAPSHOT_MAX 16

/* The budget in bytes (0: snapshots refused). */
void snapshot_init(uint64_t budget);

/* Each returns NULL when done, or why it refused (nothing changed). */
const char *snapshot_take(struct vm *vm, const char *tag);
const char *snapshot_restore(struct vm *vm, const char *tag);
const char *snapshot_drop(const char *tag);
/* A new VM named name (number id) from snapshot tag: the snapshot's
 * vCPUs and devices, and its RAM shared copy-on-write (kernel/clone_ram.c),
 * running at once on the CPUs its original may use.  The caller checked
 * that no VM has that name.  *out gets the VM. */
#define SNAPSHOT_CLONES_MAX 16
const char *snapshot_clone(const char *tag, const char *name, unsigned id,
			   struct vm **out);

struct snapshot_info {
	char tag[SNAPSHOT_TAG_MAX];
	const char *vm;
	uint64_t bytes;
	uint64_t taken_tsc;   /* host TSC when it was taken */
	uint64_t pause_ticks; /* how long the VM was held for it */
	uint64_t restore_ticks; /* the last restore's, 0: never restored */
	uint64_t cow_copies;  /* write faults that copied RAM into it */
	uint64_t cow_ticks;   /* what they cost, in all */
	bool cow_pending;     /* it still shares RAM with its VM */
};

/* The i-th snapshot (0-based), or false past the last. */
bool snapshot_get(unsigned i, struct snapshot_info *out);
/* The snapshot with that tag, or false. */
bool snapshot_get_tag(const char *tag, struct snapshot_info *out);
uint64_t snapshot_budget(void);
uint64_t snapshot_used(void);

/* Copy-on-write RAM (the EPT write-protected at the snapshot).  The
 * guest wrote RAM at gpa and took an EPT violation: if a snapshot of vm
 * shares that RAM, the leaf's chunks are copied into it, the leaf is made
 * writable, and true says the write can be retried. */
bool snapshot_cow_fault(struct vm *vm, uint64_t gpa);
/* The hypervisor is about to write guest RAM [gpa, gpa+len) itself (not
 * through the EPT): the same copy first. */
void snapshot_host_write(struct vm *vm, uint64_t gpa, uint64_t len);

/* On a CPU that runs vCPUs, in its scheduler loop: carries out the
 * CPU-local half that the monitor asked for its vCPUs (vcpu->unload_asked). */
void snapshot_serve(struct runqueue *q);

#endif
