/* Credit accounting and the pick: which vCPU a CPU runs next, by weight.
 * See kernel/sched.h for the model; pure (no hardware, no globals). */
#include "sched.h"

/* No more than SCHED_CREDIT_MAX (a moved vCPU: SCHED_MOVED_CREDIT_MAX)
 * behind the queue's clock. */
static void cap_credit(const struct runqueue *q, struct vcpu *v)
{
	uint64_t max = v->sched.moved_in ? SCHED_MOVED_CREDIT_MAX
					 : SCHED_CREDIT_MAX;

	if (q->vclock > max && v->sched.vtime < q->vclock - max)
		v->sched.vtime = q->vclock - max;
}

void sched_entity_init(struct sched_entity *se, unsigned weight,
		       uint64_t allowed, bool dedicated)
{
	se->vtime = 0;
	se->weight = weight ? weight : CFG_WEIGHT_DEFAULT;
	se->allowed = allowed;
	se->dedicated = dedicated;
	se->leaving = false;
	se->move_to = 0;
	se->moves = se->move_ticks = 0;
	se->arrived = se->moved_in = false;
}

bool sched_enqueue(struct runqueue *q, struct vcpu *v)
{
	if (q->n >= SCHED_MAX_VCPUS)
		return false;
	cap_credit(q, v);
	q->v[q->n++] = v;
	return true;
}

bool sched_enqueue_moved(struct runqueue *q, struct vcpu *v)
{
	v->sched.moved_in = true;
	return sched_enqueue(q, v);
}

bool sched_dequeue(struct runqueue *q, struct vcpu *v)
{
	for (unsigned i = 0; i < q->n; i++) {
		if (q->v[i] != v)
			continue;
		/* Keep the order, so round robin goes on where it was. */
		for (unsigned j = i + 1; j < q->n; j++)
			q->v[j - 1] = q->v[j];
		q->n--;
		if (q->cursor > i)
			q->cursor--;
		if (q->cursor >= q->n)
			q->cursor = 0;
		if (q->curr == v)
			q->curr = NULL;
		return true;
	}
	return false;
}

struct vcpu *sched_pick(struct runqueue *q)
{
	struct vcpu *best = NULL;
	unsigned best_at = 0;

	for (unsigned n = 0; n < q->n; n++) {
		unsigned at = (q->cursor + n) % q->n;
		struct vcpu *v = q->v[at];

		/* One that is leaving runs at its new CPU. */
		if (!sched_has_work(v) || v->sched.leaving)
			continue;
		/* However it came to have work (a wake, a start-up IPI, a
		 * reset), no credit beyond the cap. */
		cap_credit(q, v);
		if (!best || v->sched.vtime < best->sched.vtime) {
			best = v;
			best_at = at;
		}
	}
	if (!best)
		return NULL;
	q->cursor = (best_at + 1) % q->n;
	q->curr = best;
	best->sched.moved_in = false;
	if (best->sched.vtime > q->vclock)
		q->vclock = best->sched.vtime;
	return best;
}

void sched_charge(struct vcpu *v, uint64_t ticks)
{
	unsigned w = v->sched.weight ? v->sched.weight : CFG_WEIGHT_DEFAULT;

	v->sched.vtime += ticks * SCHED_WEIGHT_UNIT / w;
}

void sched_credit_wake(const struct runqueue *q, struct vcpu *v)
{
	cap_credit(q, v);
}

bool sched_queue_dedicated(const struct runqueue *q)
{
	for (unsigned i = 0; i < q->n; i++)
		if (q->v[i]->sched.dedicated)
			return true;
	return false;
}
