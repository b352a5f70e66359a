/* Which vCPU runs next on this CPU: round robin over its run queue, a
 * fixed time slice (enforced by vmx/vcpu_run.c with the VMX preemption
 * timer and the wall clock), HLT gives the CPU away, halted vCPUs wake
 * when an interrupt is pending for them, and with nothing to run the CPU
 * waits for the earliest timer or a forwarded device interrupt. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

#define SCHED_MAX_VCPUS (CFG_MAX_VMS * VM_MAX_VCPUS)
/* A time slice in TSC ticks.  Under Bochs with clock sync=none the TSC
 * counts instructions, so this is about 2 million guest instructions. */
#define SLICE_TSC 2000000ull

/* The vCPUs one CPU runs (reached through its struct percpu). */
struct runqueue {
	struct vcpu *v[SCHED_MAX_VCPUS];
	unsigned n;
	unsigned cursor; /* where the round-robin search starts */
};

/* Puts v on this CPU's run queue. */
void sched_add(struct vcpu *v);
/* Runs until no vCPU can run any more. */
void sched_run(void);

/* The policy, one decision each (host unit-tested): */
/* The next vCPU with work (runnable, or carrying its VM's reset) after the
 * last one picked, or NULL. */
struct vcpu *sched_pick(struct runqueue *q);
/* Halted vCPUs with an interrupt pending at `now` become runnable. */
void sched_wake_halted(struct runqueue *q, uint64_t now);
/* The earliest timer deadline of a vCPU halted with interrupts on, or 0
 * when no timer will wake any. */
uint64_t sched_next_wakeup(const struct runqueue *q);
/* Whether a halted vCPU may still be woken by a forwarded device
 * interrupt. */
bool sched_waits_for_device(const struct runqueue *q);

#endif
