/* The boot CPU's run loop, and which halted vCPUs wake and what the CPU
 * does when none can run.  Which vCPU runs next is sched_credit.c's,
 * which CPU a vCPU runs on sched_place.c's; running one (VMX) is
 * vmx/vcpu_run.c's. */
#include "sched.h"

#include "../arch/cpu.h"
#include "../arch/irq.h"
#include "../arch/percpu.h"
#include "../vmx/event.h"
#include "../vmx/vcpu_run.h"
#include "log.h"
#include "passthrough.h"
#include "vm_console.h"
#include "vm_lifecycle.h"

static struct runqueue runqueues[MAX_CPUS];

static struct runqueue *this_runq(void)
{
	struct percpu *cpu = this_cpu();

	if (!cpu->runq)
		cpu->runq = &runqueues[cpu->cpu_id];
	return cpu->runq;
}

void sched_add(struct vcpu *v)
{
	if (!v->sched.weight)
		sched_entity_init(&v->sched, v->vm->cfg ? v->vm->cfg->weight : 0,
				  CFG_CPUS_ANY, false);
	sched_enqueue(this_runq(), v);
}

/* One turn of v: a slice of its guest, or a piece of its VM's reset,
 * charged to its run time either way; then what the slice asked of the
 * VM (a stop, a reset, ...) is carried out, and the time limit checked. */
static void run_turn(struct vcpu *v)
{
	uint64_t start = rdtsc();

	uint64_t used;

	if (v->state == VCPU_RESETTING) {
		vm_reset_step(v->vm);
		used = rdtsc() - start;
		v->tsc_used += used;
		sched_charge(v, used);
		return;
	}
	used = vcpu_run(v, start + SLICE_TSC);
	v->tsc_used += used;
	sched_charge(v, used);
	vm_handle_request(v->vm);
	if (v->vm->time_limit_tsc && v->tsc_used > v->vm->time_limit_tsc &&
	    v->state != VCPU_STOPPED) {
		vm_stop(v->vm, "time limit reached (%lu TSC ticks)",
			v->vm->time_limit_tsc);
		vm_handle_request(v->vm);
	}
}

/* A halted vCPU with an interrupt waiting runs again. */
void sched_wake_halted(struct runqueue *q, uint64_t now)
{
	for (unsigned i = 0; i < q->n; i++)
		if (q->v[i]->state == VCPU_HALTED &&
		    event_pending(q->v[i], now)) {
			q->v[i]->state = VCPU_RUNNABLE;
			q->v[i]->halted_for_good = false;
			sched_credit_wake(q, q->v[i]);
		}
}

uint64_t sched_next_wakeup(const struct runqueue *q)
{
	uint64_t first = 0;

	for (unsigned i = 0; i < q->n; i++) {
		uint64_t d = vcpu_waits_for_irq(q->v[i])
				     ? event_next_deadline(q->v[i]) : 0;
		if (d && (!first || d < first))
			first = d;
	}
	return first;
}

bool sched_waits_for_device(const struct runqueue *q)
{
	for (unsigned i = 0; i < q->n; i++)
		if (vcpu_waits_for_irq(q->v[i]) &&
		    passthrough_has_irq(q->v[i]->vm))
			return true;
	return false;
}

/* Every vCPU is halted: wait for the first timer (busy: the host has no
 * timer interrupt of its own), or with wake 0 for ever.  While device
 * interrupts are forwarded (arch/irq.h) they are taken here, with
 * interrupts on between checks, and the wait ends once one has woken a
 * vCPU. */
static void idle_until(const struct runqueue *q, uint64_t wake)
{
	while (!wake || rdtsc() < wake) {
		vm_console_poll_input();
		if (!irq_any()) {
			cpu_relax();
			continue;
		}
		irq_enable();
		cpu_relax();
		irq_disable();
		for (unsigned i = 0; i < q->n; i++)
			if (vcpu_waits_for_irq(q->v[i]) &&
			    event_pending(q->v[i], rdtsc()))
				return;
	}
}

/* Runs vCPUs until none is runnable, none will be woken by a timer and
 * no device interrupt can wake one. */
void sched_run(void)
{
	struct runqueue *q = this_runq();
	struct vcpu *v;
	uint64_t wake;

	for (;;) {
		vm_console_poll_input();
		sched_wake_halted(q, rdtsc());
		if ((v = sched_pick(q)) != NULL) {
			run_turn(v);
			continue;
		}
		wake = sched_next_wakeup(q);
		if (!wake && !sched_waits_for_device(q))
			break;
		idle_until(q, wake);
	}
	log_info("sched: no runnable vCPU left");
}
