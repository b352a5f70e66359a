/* What the scheduler's policy keeps per vCPU (kernel/sched_credit.c,
 * kernel/sched_place.c); struct vcpu holds one as `sched`. */
#ifndef KERNEL_SCHED_ENTITY_H
#define KERNEL_SCHED_ENTITY_H

#include <stdbool.h>
#include <stdint.h>

struct sched_entity {
	/* Run time weighted by the VM's weight: every TSC tick run adds
	 * SCHED_WEIGHT_UNIT / weight (sched_charge), so vCPUs that stay
	 * level in vtime got CPU time in proportion to their weights. */
	uint64_t vtime;
	unsigned weight;   /* 1..1000 (hv.cfg `weight`); 0 = default, 100 */
	uint64_t allowed;  /* host CPUs it may run on (config_place) */
	bool dedicated;    /* owns its one allowed CPU: never moved */
	/* A balancer's pull not yet carried out: it is leaving for CPU
	 * move_to.  Set by the pulling CPU, cleared by the CPU it leaves
	 * (both under that CPU's run-queue lock). */
	bool leaving;
	unsigned move_to;
	bool arrived;        /* moved, not run since (vcpu_run times it) */
	/* Moved while it waited to run: it keeps what it is owed, up to
	 * SCHED_MOVED_CREDIT_MAX, until its new CPU first picks it. */
	bool moved_in;
	uint64_t moved_at;   /* TSC of its last move (0: never moved) */
	uint64_t moves;      /* moves carried out */
	uint64_t move_ticks; /* TSC ticks they cost, both CPUs' halves */
};


#endif
