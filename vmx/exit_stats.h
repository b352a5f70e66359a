/* Exit telemetry: per vCPU and exit reason, how many exits and what they
 * cost in root mode (TSC ticks from the exit to the next entry: handler,
 * event delivery, the run loop), with a log2 histogram of that cost.  Kept
 * by the CPU that runs the vCPU, without locks or atomics: a few
 * instructions per exit.  The monitor's `stat` reads and sums them
 * (kernel/monitor.c); its `stat reset` bumps the VM's generation and each
 * vCPU clears its own counters at its next turn. */
#ifndef VMX_EXIT_STATS_H
#define VMX_EXIT_STATS_H

#include <stdint.h>

#include "exit_reason.h"

/* The monitor's `stat off` turns the counting off for every vCPU (for
 * `make bench`'s figure of what it costs), `stat on` back on (default). */
extern bool exit_stats_on;

/* Bucket b counts costs in [2^b, 2^(b+1)), b < 32: a mask, not a
 * compare, keeps the index in bounds (an exit of 2^32 ticks or more, over
 * a second in root, would land in a low bucket). */
#define EXIT_STAT_BUCKETS 32

struct exit_stat {
	uint64_t count;
	uint64_t ticks;
	uint32_t hist[EXIT_STAT_BUCKETS];
};

struct exit_stats {
	uint32_t gen; /* the VM's stats_gen these counters started at */
	struct exit_stat reason[EXIT_REASON_MAX];
};

/* ticks | 1: a BSR with no zero test (0 and 1 both land in bucket 0). */
static inline unsigned exit_stat_bucket(uint64_t ticks)
{
	return (63u - (unsigned)__builtin_clzll(ticks | 1)) &
	       (EXIT_STAT_BUCKETS - 1);
}

/* reason < EXIT_REASON_MAX (vmx/vcpu_run.c keeps v->exit_reason so):
 * about ten instructions on every exit, which `make bench` measures. */
static inline void exit_stat_add(struct exit_stats *s, unsigned reason,
				 uint64_t ticks)
{
	struct exit_stat *st = &s->reason[reason];

	st->count++;
	st->ticks += ticks;
	st->hist[exit_stat_bucket(ticks)]++;
}

#endif
