/* Which vCPU runs next on a CPU, and on which CPU each vCPU runs.
 *
 * Shared vCPUs are time-sliced by weight, credit-like (Xen's credit2):
 * each vCPU's run time, in TSC ticks, is charged to its `vtime` scaled by
 * SCHED_WEIGHT_UNIT / weight, and a CPU runs the runnable vCPU of its run
 * queue whose vtime is lowest, so over time each gets CPU time in
 * proportion to its weight.  A vCPU's credit is how far its vtime trails
 * its queue's clock (the lowest vtime run there so far); a vCPU that
 * halts gives its time away and, when it wakes or moves, keeps at most
 * SCHED_CREDIT_MAX of credit, so idling never banks a long burst.
 * Dedicated vCPUs own one CPU each (hv.cfg sched = dedicated, see
 * config_place()): nothing else is placed there and they never move.
 *
 * A fixed time slice is enforced by vmx/vcpu_run.c with the VMX
 * preemption timer and the wall clock; HLT gives the CPU away; halted
 * vCPUs wake when an interrupt is pending for them; with nothing to run
 * the CPU waits for the earliest timer or a forwarded device interrupt.
 *
 * The policy functions below are pure: they take run queues and `now`,
 * change only the queues and the vCPUs' struct sched_entity, and return
 * decisions; carrying a move out (VMCLEAR on the old CPU, VMPTRLD on the
 * new) is the caller's.  Host unit-tested: tests/unit/test_sched*.c. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "spinlock.h"
#include "vm.h"

#define SCHED_MAX_VCPUS (CFG_MAX_VMS * VM_MAX_VCPUS)
/* A time slice in TSC ticks.  Under Bochs with clock sync=none the TSC
 * counts instructions, so this is about 2 million guest instructions. */
#define SLICE_TSC 2000000ull
/* vtime added per TSC tick at weight 1; at weight w, UNIT / w. */
#define SCHED_WEIGHT_UNIT CFG_WEIGHT_MAX
/* Credit a halted or moved vCPU keeps, in vtime: one slice at the
 * default weight (ten at weight 1000, a tenth at weight 10). */
#define SCHED_CREDIT_MAX (SLICE_TSC * SCHED_WEIGHT_UNIT / CFG_WEIGHT_DEFAULT)
/* How far (vtime) a waiting vCPU must trail what a CPU would run next
 * before the balancer moves it there: one default slice.  A move costs
 * about 700 TSC ticks (make bench), a slice 2 M; with two slices three
 * equal vCPUs on two CPUs drifted 10% from their share over 30 slices. */
#define SCHED_BALANCE_LAG SCHED_CREDIT_MAX
/* Credit a vCPU moved by the balancer keeps: it was pulled because it
 * trailed by more than SCHED_BALANCE_LAG, and that time is owed to it
 * (capping it at SCHED_CREDIT_MAX made every move cost the one moved,
 * and three equal vCPUs on two CPUs got 60/60/80% of a CPU, not 67). */
#define SCHED_MOVED_CREDIT_MAX (SCHED_BALANCE_LAG + SCHED_CREDIT_MAX)
/* A vCPU moved less than this long ago (TSC ticks) stays where it is:
 * half a slice, so however a guest makes CPUs go idle and busy, no
 * vCPU moves (and no CPU it leaves is kicked for it) more than twice a
 * slice (Xen's credit2 resists migration for 500 us likewise). */
#define SCHED_MOVE_RESIST (SLICE_TSC / 2)

/* The vCPUs one CPU runs (reached through its struct percpu). */
struct runqueue {
	struct spinlock lock; /* its owner, and vcpu_notify's senders */
	struct vcpu *v[SCHED_MAX_VCPUS];
	unsigned n;
	unsigned cursor; /* ties in vtime go round robin from here */
	uint64_t vclock; /* lowest vtime picked here so far (monotonic) */
	struct vcpu *curr; /* picked last: running, or just ran */
};

/* Whether v has something to do on a CPU: run its guest, or carry a
 * piece of its VM's reset. */
static inline bool sched_has_work(const struct vcpu *v)
{
	return (v->state == VCPU_RUNNABLE &&
		!__atomic_load_n(&v->vm->paused, __ATOMIC_RELAXED)) ||
	       v->state == VCPU_RESETTING;
}

/* The run queues of CPUs 0 .. ncpus-1 (the CPUs in VMX operation). */
void sched_init(unsigned ncpus);
/* Puts v on the run queue of the CPU sched_place() chooses among
 * `allowed` (config_place()'s answer for its VM), with its VM's weight;
 * a dedicated vCPU's `allowed` is its one CPU.  A shared vCPU goes on CPU
 * `near` instead where it may run there (a clone's vCPU beside its
 * original's); -1: no such wish. */
void sched_add(struct vcpu *v, uint64_t allowed, bool dedicated, int near);
/* Runs this CPU's vCPUs until no vCPU on any CPU can run any more; every
 * CPU in sched_init's range calls it. */
void sched_run(void);
/* Whether the vCPU running on this CPU is the only one in its run queue
 * (nobody else to run or wake here): its timer exits need no scheduler
 * pass before the slice ends.  A racy read: a vCPU added meanwhile waits
 * at most until that end, SLICE_TSC away (dedicated queues, whose slices
 * may have no end, receive none; a CPU that pulls a vCPU waits idle for
 * it). */
bool sched_runs_alone(void);

/* ---- accounting and the pick (kernel/sched_credit.c) ---- */

/* Sets v's weight (0: the default), where it may run, and whether it owns
 * its CPU; its vtime starts at 0. */
void sched_entity_init(struct sched_entity *se, unsigned weight,
		       uint64_t allowed, bool dedicated);
/* Adds v to q with at most SCHED_CREDIT_MAX of credit over q's clock
 * (new).  False when q is full. */
bool sched_enqueue(struct runqueue *q, struct vcpu *v);
/* Adds v, which the balancer moved from another CPU, to q: it keeps up
 * to SCHED_MOVED_CREDIT_MAX of credit until q first picks it. */
bool sched_enqueue_moved(struct runqueue *q, struct vcpu *v);
/* Takes v off q (it is no longer q's curr).  False if v was not on q. */
bool sched_dequeue(struct runqueue *q, struct vcpu *v);
/* The vCPU with work (runnable, or carrying its VM's reset) whose vtime is
 * lowest, ties round robin after the last one picked; or NULL.  It becomes
 * q->curr and advances q's clock.  Every vCPU with work is first held to
 * SCHED_CREDIT_MAX of credit, so one that got work without a wake (a
 * start-up IPI, a reset) cannot run for all the time it sat out. */
struct vcpu *sched_pick(struct runqueue *q);
/* Charges `ticks` TSC ticks of run time to v's vtime, by its weight. */
void sched_charge(struct vcpu *v, uint64_t ticks);
/* v, on q, has just woken: it keeps at most SCHED_CREDIT_MAX of credit. */
void sched_credit_wake(const struct runqueue *q, struct vcpu *v);
/* q holds a dedicated vCPU, so no other vCPU may be placed there. */
bool sched_queue_dedicated(const struct runqueue *q);

/* ---- placement and balancing (kernel/sched_place.c) ---- */

/* Which CPU (index into qs[0..nq-1]) a new or waking vCPU v should be on:
 * a dedicated vCPU's own CPU; for a shared one, of the CPUs it is allowed
 * that hold no dedicated vCPU, the least loaded (sum of weights of the
 * vCPUs with work there, v not counted), ties going to the CPU v is on
 * (`from`, or -1 for a new vCPU), then fewer vCPUs, then the lowest
 * number.  -1 when it may run nowhere. */
int sched_place(const struct runqueue *qs, unsigned nq,
		const struct vcpu *v, int from);

/* Whether CPU `cpu` may pull v, waiting on q, at `now`: v has work, is
 * not q's curr, is shared and allowed on `cpu`, is not already leaving,
 * has run since its last move and moved at least SCHED_MOVE_RESIST ago. */
bool sched_pullable(const struct runqueue *q, const struct vcpu *v,
		    unsigned cpu, uint64_t now);

/* A move the balancer chose: v from qs[from] to qs[to]. */
struct sched_move {
	struct vcpu *v;
	unsigned from, to;
};
/* Whether CPU `cpu` should pull a vCPU before its next pick: the
 * waiting one (runnable, not its queue's curr, shared, allowed on `cpu`)
 * with the lowest vtime on another CPU, when `cpu` holds no dedicated
 * vCPU and has nothing to run or would run a vCPU more than
 * SCHED_BALANCE_LAG ahead of it.  Never one already on its way
 * (`leaving`) or moved and not yet run where it went (`moved_in`): a
 * vCPU bounced between two CPUs before either ran it would never run;
 * nor one moved less than SCHED_MOVE_RESIST before `now`.
 * Fills *m; the caller carries it out (sched_dequeue,
 * sched_enqueue_moved). */
bool sched_balance(const struct runqueue *qs, unsigned nq, unsigned cpu,
		   uint64_t now, struct sched_move *m);

/* ---- waking and idling (kernel/sched.c) ---- */

/* Halted vCPUs with an interrupt pending at `now` become runnable. */
void sched_wake_halted(struct runqueue *q, uint64_t now);
/* The earliest timer deadline of a vCPU halted with interrupts on, or 0
 * when no timer will wake any. */
uint64_t sched_next_wakeup(const struct runqueue *q);
/* Whether a halted vCPU may still be woken by a forwarded device
 * interrupt. */
bool sched_waits_for_device(const struct runqueue *q);

#endif
