/* A clone's RAM (the monitor's `clone TAG NEWNAME`, kernel/snapshot.c):
 * the clone starts with every page shared with the snapshot it came
 * from, read-only, and gets its own copy of a page when it first writes
 * it (or hv writes or reads it on the guest's behalf).  Its own RAM is
 * reserved whole when it is created, so a write never fails for want of
 * memory later: a running clone is never stopped by another VM's use
 * of memory.  See docs/SNAPSHOT.md, "Clones". */
#ifndef KERNEL_CLONE_RAM_H
#define KERNEL_CLONE_RAM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Maps the clone's RAM [0, ram_size) read-only onto the snapshot's copy
 * at shared_hpa, page by page.  False when the EPT's tables do not fit. */
bool clone_ram_map(struct vm *vm, uint64_t shared_hpa);

/* The guest wrote gpa and took an EPT violation: if that page is still
 * shared, it becomes the clone's own; true says the write can be
 * retried. */
bool clone_ram_fault(struct vm *vm, uint64_t gpa);

/* The clone shares no page any more: each still-shared page is copied
 * (copy) or simply remapped to its own, not yet filled, RAM (a reset,
 * which clears RAM next). */
void clone_ram_unshare(struct vm *vm, bool copy);

#endif
