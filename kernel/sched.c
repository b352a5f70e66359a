/* The boot CPU's run loop, and which halted vCPUs wake and what the CPU
 * does when none can run.  Which vCPU runs next is sched_credit.c's,
 * which CPU a vCPU runs on sched_place.c's; running one (VMX) is
 * vmx/vcpu_run.c's. */
#include "sched.h"

#include "../arch/cpu.h"
#include "../arch/irq.h"
#include "../arch/lapic.h"
#include "../arch/percpu.h"
#include "../arch/smp.h"
#include "../arch/tsc.h"
#include "../vmx/event.h"
#include "../vmx/vcpu_run.h"
#include "log.h"
#include "monitor.h"
#include "panic.h"
#include "passthrough.h"
#include "snapshot.h"
#include "vm_console.h"
#include "vm_lifecycle.h"

static struct runqueue runqueues[MAX_CPUS];
static unsigned nqueues = 1; /* CPUs that run vCPUs: 0 .. nqueues-1 */

/* Ending: the run is over when every CPU is quiescent at once, i.e. has
 * nothing to run, no timer that will wake a vCPU and no forwarded device
 * that may.  A CPU going quiescent sets its flag and counts itself out
 * of `busy`; whoever clears the flag (the CPU itself on waking, or
 * vcpu_notify on its behalf before kicking it) counts it back in, so the
 * count cannot reach 0 while an event is on its way to a sleeping CPU.
 * The CPU that takes it to 0 ends the run for everyone. */
static unsigned busy;
static bool quiescent[MAX_CPUS];
static bool done;
/* Set from before a CPU looks at its run queue until it has picked a
 * vCPU: while set, the CPU may be asleep in idle_wait (vcpu_notify). */
static bool idling[MAX_CPUS];

/* Moves: a CPU that pulls a vCPU (sched_balance) only marks it; the CPU
 * it leaves sends it (send_moves), because only that CPU may VMCLEAR its
 * VMCS and it holds the vCPU's lazily switched state.  A CPU waits for
 * the vCPU it pulled before it pulls another. */
static unsigned incoming[MAX_CPUS];
static uint64_t last_balance[MAX_CPUS];
/* A CPU with vCPUs to run looks for a much poorer one elsewhere once per
 * slice at most; an idle one every time it finds nothing to run. */
#define BALANCE_INTERVAL SLICE_TSC

/* The host timer (TSC-deadline mode) wakes an idle CPU at a vCPU's next
 * timer deadline; without one, an idle CPU waits for it spinning. */
static bool has_timer[MAX_CPUS];

/* A dedicated vCPU owns its CPU: no slice ends its turn (it leaves at
 * HLT, PAUSE, a kick or its VM's request).  Except on the boot CPU,
 * whose pass also reads the console: there its slices end as anyone's,
 * so that a lone vCPU's timer exits need not (sched_runs_alone). */
#define DEDICATED_SLICE_END (~0ull >> 1)

/* How often the boot CPU looks at the host console for input while idle
 * with vCPUs that wait for timers (Ctrl-A switching, a guest's input). */
#define CONSOLE_POLL_MS 1

static struct runqueue *this_runq(void)
{
	return &runqueues[this_cpu_id()];
}

void sched_init(unsigned ncpus)
{
	nqueues = ncpus ? ncpus : 1;
	busy = nqueues;
	for (unsigned i = 0; i < nqueues; i++) {
		spin_init(&runqueues[i].lock, "runqueue");
		percpu_of(i)->runq = &runqueues[i];
	}
}

void sched_add(struct vcpu *v, uint64_t allowed, bool dedicated, int near)
{
	int cpu;

	sched_entity_init(&v->sched, v->vm->cfg ? v->vm->cfg->weight : 0,
			  allowed, dedicated);
	if (near >= 0 && (unsigned)near < nqueues && !dedicated &&
	    ((allowed >> near) & 1) && !sched_queue_dedicated(&runqueues[near]))
		cpu = near;
	else
		cpu = sched_place(runqueues, nqueues, v, -1);
	if (cpu < 0) /* config_place() guarantees a CPU: our bug */
		panic("vm %s: vCPU %u has no CPU to run on", v->vm->name,
		      v->id);
	spin_lock(&runqueues[cpu].lock);
	sched_enqueue(&runqueues[cpu], v);
	v->cpu = (unsigned)cpu;
	spin_unlock(&runqueues[cpu].lock);
	log_info("vm %s: vCPU %u on CPU %d (%s)", v->vm->name, v->id, cpu,
		 dedicated ? "dedicated" : "shared");
}

static void count_in(unsigned cpu)
{
	bool yes = true;

	if (__atomic_load_n(&quiescent[cpu], __ATOMIC_SEQ_CST) &&
	    __atomic_compare_exchange_n(&quiescent[cpu], &yes, false, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&busy, 1, __ATOMIC_SEQ_CST);
}

/* A kick only where it changes something: v in its guest (it leaves and
 * takes the event at once) or v's CPU idle (it wakes).  A CPU busy with
 * another vCPU looks at v at its next pick anyway; kicking it would only
 * cost that vCPU an exit, so a guest flooding IPIs at its own vCPUs
 * cannot make another VM's vCPU that shares their CPU exit in step.
 * The fence orders the event's stores (the IRR, under a lock whose
 * release is a plain store) before the loads of `running` and `idling`;
 * the CPU sets those (sequentially consistent) before it looks for
 * events, so one side always sees the other. */
void vcpu_notify(struct vcpu *v)
{
	unsigned cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	count_in(cpu);
	if (cpu != this_cpu_id() &&
	    (__atomic_load_n(&v->running, __ATOMIC_SEQ_CST) ||
	     __atomic_load_n(&idling[cpu], __ATOMIC_SEQ_CST)))
		smp_kick(cpu);
}

/* Sends the vCPUs other CPUs pulled from this one: their state goes to
 * memory and their VMCS is cleared here (vcpu_unload), then they join
 * the new CPU's queue and that CPU is woken if it sleeps.  The run
 * queues are locked one at a time, so any order of senders is safe. */
static void send_moves(struct runqueue *q)
{
	for (;;) {
		struct vcpu *v = NULL;
		unsigned to;
		uint64_t t0 = rdtsc();

		spin_lock(&q->lock);
		for (unsigned i = 0; i < q->n && !v; i++)
			if (q->v[i]->sched.leaving)
				v = q->v[i];
		if (v)
			sched_dequeue(q, v);
		spin_unlock(&q->lock);
		if (!v)
			return;
		to = v->sched.move_to;
		vcpu_unload(v);
		v->sched.leaving = false;
		v->sched.moves++;
		v->sched.arrived = true;
		v->sched.moved_at = rdtsc();
		v->sched.move_ticks += v->sched.moved_at - t0;
		spin_lock(&runqueues[to].lock);
		sched_enqueue_moved(&runqueues[to], v);
		__atomic_store_n(&v->cpu, to, __ATOMIC_RELEASE);
		spin_unlock(&runqueues[to].lock);
		__atomic_sub_fetch(&incoming[to], 1, __ATOMIC_SEQ_CST);
		vcpu_notify(v); /* it may have work: wake `to` if it sleeps */
	}
}

static bool has_leaving(const struct runqueue *q)
{
	for (unsigned i = 0; i < q->n; i++)
		if (q->v[i]->sched.leaving)
			return true;
	return false;
}

/* Every run queue, in CPU order (the only place two are held at once). */
static void lock_all(void)
{
	for (unsigned i = 0; i < nqueues; i++)
		spin_lock(&runqueues[i].lock);
}

static void unlock_all(void)
{
	for (unsigned i = nqueues; i-- > 0;)
		spin_unlock(&runqueues[i].lock);
}

/* This CPU pulls a waiting vCPU from another CPU when it has nothing to
 * run (`idle`) or, at most once per BALANCE_INTERVAL, when what it runs
 * is far ahead of that vCPU (sched_balance decides, seeing every queue
 * under its lock).  Dedicated CPUs neither pull nor give. */
static void balance(unsigned me, bool idle)
{
	struct sched_move m;
	uint64_t now = rdtsc();
	bool pull;

	if (nqueues < 2 || __atomic_load_n(&incoming[me], __ATOMIC_SEQ_CST))
		return;
	if (!idle && now - last_balance[me] < BALANCE_INTERVAL)
		return;
	last_balance[me] = now;
	lock_all();
	pull = sched_balance(runqueues, nqueues, me, now, &m);
	if (pull) {
		__atomic_add_fetch(&incoming[me], 1, __ATOMIC_SEQ_CST);
		m.v->sched.move_to = me;
		m.v->sched.leaving = true;
	}
	unlock_all();
	if (!pull)
		return;
	/* The CPU it leaves may be in another vCPU's slice: the kick makes
	 * that guest exit and its turn end, so the move waits no slice. */
	__atomic_store_n(&percpu_of(m.from)->resched, true, __ATOMIC_SEQ_CST);
	smp_kick(m.from);
}

/* A vCPU waits on q behind the one just picked while a CPU that may pull
 * it (sched_pullable, the balancer's own rule) sleeps: kick that CPU,
 * which pulls it (balance, idle).  Under q's lock. */
static void offer_waiting(const struct runqueue *q, unsigned me)
{
	uint64_t now = rdtsc();

	for (unsigned i = 0; i < q->n; i++)
		for (unsigned c = 0; c < nqueues; c++)
			if (c != me && sched_pullable(q, q->v[i], c, now) &&
			    __atomic_load_n(&idling[c], __ATOMIC_SEQ_CST) &&
			    !__atomic_load_n(&incoming[c], __ATOMIC_SEQ_CST)) {
				smp_kick(c);
				return;
			}
}

/* One turn of v: a slice of its guest, or a piece of its VM's reset,
 * charged to its run time either way.  v->running is set before the VM's
 * request is looked at, and the requester sets the request before it
 * looks at the vCPUs' running flags (both sequentially consistent), so
 * one of them always sees the other: no vCPU enters a guest while its
 * VM's request is being carried out. */
static void run_turn(struct vcpu *v)
{
	uint64_t start = rdtsc(), used, never = 0;

	/* The VM's life, for its share of CPU time, starts at its first turn. */
	__atomic_compare_exchange_n(&v->vm->start_tsc, &never, start, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	__atomic_store_n(&v->running, true, __ATOMIC_SEQ_CST);
	/* v's state is read again after the request: a request carried out
	 * whole between the pick and `running` (a restart on another CPU)
	 * may have put v in wait-for-SIPI, and it must not enter its guest
	 * then (it did: vms.smp_reset's vCPU 1 ran across its VM's restart). */
	if (!vm_has_request(v->vm)) {
		enum vcpu_state state = __atomic_load_n(&v->state,
							 __ATOMIC_SEQ_CST);
		if (state == VCPU_RESETTING)
			vm_reset_step(v->vm);
		else if (state == VCPU_RUNNABLE)
			vcpu_run(v, v->sched.dedicated && this_cpu_id() != 0
					    ? DEDICATED_SLICE_END
					    : start + SLICE_TSC);
	}
	__atomic_store_n(&v->running, false, __ATOMIC_SEQ_CST);
	used = rdtsc() - start;
	v->tsc_used += used;
	spin_lock(&this_runq()->lock);
	sched_charge(v, used);
	spin_unlock(&this_runq()->lock);
	if (v->vm->time_limit_tsc && v->tsc_used > v->vm->time_limit_tsc &&
	    v->state != VCPU_STOPPED)
		vm_stop(v->vm, "time limit reached (%lu TSC ticks)",
			v->vm->time_limit_tsc);
	if (vm_has_request(v->vm))
		vm_handle_request(v->vm);
}

bool sched_runs_alone(void)
{
	/* The boot CPU too: its pass, which also reads the console
	 * (vm_console_poll_input), still comes at every slice end, as even
	 * a dedicated vCPU's slice ends there (run_turn). */
	return __atomic_load_n(&this_runq()->n, __ATOMIC_RELAXED) == 1;
}

/* A halted vCPU with an interrupt waiting runs again. */
void sched_wake_halted(struct runqueue *q, uint64_t now)
{
	for (unsigned i = 0; i < q->n; i++) {
		struct vcpu *v = q->v[i];
		enum vcpu_state halted = VCPU_HALTED;

		/* A compare-and-swap: an INIT from another CPU may put it in
		 * wait-for-SIPI meanwhile, and must not be undone. */
		if (v->state == VCPU_HALTED && event_pending(v, now) &&
		    __atomic_compare_exchange_n(&v->state, &halted,
						VCPU_RUNNABLE, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			v->halted_for_good = false;
			sched_credit_wake(q, v);
		}
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

/* Nothing to run here: sleep until a kick (an event for one of this
 * CPU's vCPUs, the end of the run), a forwarded device interrupt, or the
 * host timer at `wake` (0: none).  HLT with interrupts on; an interrupt
 * that came after the run queue was looked at is pending in the local
 * APIC and ends the HLT at once (STI's shadow covers the gap). */
static void idle_wait(struct percpu *cpu, uint64_t wake)
{
	uint64_t kicks = __atomic_load_n(&cpu->kicks, __ATOMIC_RELAXED);

	if (cpu->cpu_id == 0) {
		/* Whether or not it has vCPUs of its own: the VM that has
		 * the console's input may run on another CPU. */
		uint64_t poll = rdtsc() + tsc_from_ms(CONSOLE_POLL_MS);
		if (!__atomic_load_n(&done, __ATOMIC_SEQ_CST))
			wake = wake && wake < poll ? wake : poll;
	}
	if (!has_timer[cpu->cpu_id] && wake) {
		/* No host timer: wait for the deadline spinning, with
		 * interrupts on between checks for kicks and devices. */
		while (rdtsc() < wake &&
		       __atomic_load_n(&cpu->kicks, __ATOMIC_RELAXED) == kicks) {
			irq_enable();
			cpu_relax();
			irq_disable();
		}
		return;
	}
	if (wake)
		lapic_timer_arm(wake);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	if (wake)
		lapic_timer_arm(0);
}

/* This CPU has nothing to run and nothing of its own will change that:
 * it counts itself out; the last one out ends the run. */
static void go_quiescent(unsigned me)
{
	__atomic_store_n(&quiescent[me], true, __ATOMIC_SEQ_CST);
	if (__atomic_sub_fetch(&busy, 1, __ATOMIC_SEQ_CST) == 0) {
		__atomic_store_n(&done, true, __ATOMIC_SEQ_CST);
		for (unsigned i = 0; i < nqueues; i++)
			if (i != me)
				smp_kick(i);
	}
}

/* How often each vCPU moved between CPUs, and what a move cost: the
 * sending CPU's half (saving its state, VMCLEAR, requeueing) and the
 * receiving CPU's (VMPTRLD, host state, VPID flush) together. */
static void log_moves(void)
{
	for (unsigned c = 0; c < nqueues; c++)
		for (unsigned i = 0; i < runqueues[c].n; i++) {
			const struct vcpu *v = runqueues[c].v[i];

			if (!v->sched.moves)
				continue;
			log_info("sched: vm %s: vCPU %u moved %lu times, %lu "
				 "TSC ticks per move (mean)", v->vm->name,
				 v->id, v->sched.moves,
				 v->sched.move_ticks / v->sched.moves);
		}
}

/* Runs this CPU's vCPUs until every CPU is quiescent at once (see
 * `busy`).  Called on every CPU that runs vCPUs, the boot CPU included. */
void sched_run(void)
{
	struct percpu *cpu = this_cpu();
	struct runqueue *q = this_runq();
	unsigned me = cpu->cpu_id;
	struct vcpu *v;
	uint64_t wake;

	has_timer[me] = lapic_timer_init();
	if (me == 0)
		log_info("sched: %u CPU(s) run vCPUs; idle CPUs %s", nqueues,
			 has_timer[me] ? "sleep until a kick or their TSC-deadline "
					 "timer" : "spin until a timer is due");
	for (;;) {
		count_in(me);
		if (__atomic_load_n(&done, __ATOMIC_SEQ_CST))
			break;
		if (me == 0)
			vm_console_poll_input();
		__atomic_store_n(&cpu->resched, false, __ATOMIC_SEQ_CST);
		send_moves(q);
		__atomic_store_n(&idling[me], true, __ATOMIC_SEQ_CST);
		/* After `idling`: the monitor sets unload_asked, then kicks
		 * this CPU if it idles; one side sees the other. */
		snapshot_serve(q);
		balance(me, false);
		if (__atomic_load_n(&incoming[me], __ATOMIC_SEQ_CST)) {
			/* It pulled a vCPU to run next: wait for it (its
			 * CPU was kicked; the arrival kicks this one). */
			idle_wait(cpu, 0);
			continue;
		}
		spin_lock(&q->lock);
		sched_wake_halted(q, rdtsc());
		v = sched_pick(q);
		if (v)
			offer_waiting(q, me);
		wake = v ? 0 : sched_next_wakeup(q);
		bool device = !v && sched_waits_for_device(q);
		/* A vCPU pulled from here since send_moves looked is not
		 * picked; it is sent before this CPU may count itself out. */
		bool leaving = !v && has_leaving(q);
		spin_unlock(&q->lock);
		if (leaving)
			continue;
		if (v) {
			__atomic_store_n(&idling[me], false, __ATOMIC_SEQ_CST);
			run_turn(v);
			continue;
		}
		balance(me, true);
		if (__atomic_load_n(&incoming[me], __ATOMIC_SEQ_CST)) {
			idle_wait(cpu, 0);
			continue;
		}
		/* The boot CPU serves the monitor while an operator may still
		 * act: a VM paused or waiting for `start`. */
		if (!wake && !device && !(me == 0 && monitor_holds_run()))
			go_quiescent(me);
		if (!__atomic_load_n(&done, __ATOMIC_SEQ_CST))
			idle_wait(cpu, wake);
	}
	if (me == 0) {
		log_info("sched: no runnable vCPU left");
		log_moves();
	}
}
