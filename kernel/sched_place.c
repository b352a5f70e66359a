/* On which CPU each vCPU runs: placing a new or waking vCPU, and the
 * balancer's pulls between CPUs.  See kernel/sched.h; pure (no hardware,
 * no globals).  Neither ever puts a vCPU on a CPU outside its allowed
 * set, moves a dedicated vCPU or puts a vCPU beside one. */
#include "sched.h"

static bool allowed_on(const struct vcpu *v, unsigned cpu)
{
	return cpu < 64 && (v->sched.allowed >> cpu & 1);
}

/* Sum of the weights of the vCPUs with work on q, v not counted. */
static uint64_t load(const struct runqueue *q, const struct vcpu *v)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < q->n; i++)
		if (q->v[i] != v && sched_has_work(q->v[i]))
			sum += q->v[i]->sched.weight;
	return sum;
}

int sched_place(const struct runqueue *qs, unsigned nq,
		const struct vcpu *v, int from)
{
	int best = -1;
	uint64_t best_load = 0;

	for (unsigned c = 0; c < nq; c++) {
		uint64_t l;

		if (!allowed_on(v, c))
			continue;
		if (v->sched.dedicated)
			return (int)c; /* its one CPU (config_place) */
		if (sched_queue_dedicated(&qs[c]))
			continue;
		l = load(&qs[c], v);
		if (best < 0 || l < best_load ||
		    (l == best_load && (int)c == from) ||
		    (l == best_load && best != from &&
		     qs[c].n < qs[best].n)) {
			best = (int)c;
			best_load = l;
		}
	}
	return best;
}

/* The lowest vtime of the vCPUs with work on q, or UINT64_MAX. */
static uint64_t next_vtime(const struct runqueue *q)
{
	uint64_t low = UINT64_MAX;

	for (unsigned i = 0; i < q->n; i++)
		if (sched_has_work(q->v[i]) && q->v[i]->sched.vtime < low)
			low = q->v[i]->sched.vtime;
	return low;
}

bool sched_pullable(const struct runqueue *q, const struct vcpu *v,
		    unsigned cpu, uint64_t now)
{
	return sched_has_work(v) && v != q->curr && !v->sched.dedicated &&
	       allowed_on(v, cpu) && !v->sched.leaving && !v->sched.moved_in &&
	       !(v->sched.moved_at &&
		 now - v->sched.moved_at < SCHED_MOVE_RESIST);
}

bool sched_balance(const struct runqueue *qs, unsigned nq, unsigned cpu,
		   uint64_t now, struct sched_move *m)
{
	uint64_t here;
	struct vcpu *pick = NULL;
	unsigned from = 0;

	if (cpu >= nq || sched_queue_dedicated(&qs[cpu]))
		return false;
	for (unsigned c = 0; c < nq; c++) {
		if (c == cpu)
			continue;
		for (unsigned i = 0; i < qs[c].n; i++) {
			struct vcpu *v = qs[c].v[i];

			if (!sched_pullable(&qs[c], v, cpu, now))
				continue;
			if (!pick || v->sched.vtime < pick->sched.vtime) {
				pick = v;
				from = c;
			}
		}
	}
	if (!pick)
		return false;
	here = next_vtime(&qs[cpu]);
	if (here != UINT64_MAX &&
	    pick->sched.vtime + SCHED_BALANCE_LAG >= here)
		return false;
	m->v = pick;
	m->from = from;
	m->to = cpu;
	return true;
}
