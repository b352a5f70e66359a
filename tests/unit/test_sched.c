/* The scheduler's policy (kernel/sched.c): which vCPU runs next, which
 * halted ones wake, when the CPU may sleep until.  Everything outside the
 * policy (entering a guest, interrupt state, devices) is stubbed here. */
#include "unit.h"

#include <stdlib.h>

#include "../../kernel/sched.h"

/* ---- stubs for what sched.c calls outside its policy ---- */
static bool pending[8];
static uint64_t deadline[8];
static bool has_irq;

bool event_pending(struct vcpu *v, uint64_t now) { (void)now; return pending[v->id]; }
uint64_t event_next_deadline(const struct vcpu *v) { return deadline[v->id]; }
uint64_t vcpu_run(struct vcpu *v, uint64_t end) { (void)v; (void)end; return 0; }
void vcpu_unload(struct vcpu *v) { (void)v; }
void vm_reset_step(struct vm *vm) { (void)vm; }
void vm_handle_request(struct vm *vm) { (void)vm; }
void vm_stop(struct vm *vm, const char *fmt, ...) { (void)vm; (void)fmt; }
void vm_console_poll_input(void) { }
bool monitor_holds_run(void) { return false; }
void snapshot_serve(struct runqueue *q) { (void)q; }
bool irq_any(void) { return false; }
bool passthrough_has_irq(const struct vm *vm) { (void)vm; return has_irq; }
void log_msg(enum cfg_log_level level, const char *fmt, ...) { (void)level; (void)fmt; }
/* The SMP side of the loop: one CPU, no timer, no kicks. */
static struct percpu cpu0;
struct percpu *percpu_of(unsigned cpu) { (void)cpu; return &cpu0; }
void panic(const char *fmt, ...) { (void)fmt; abort(); }
void smp_kick(unsigned cpu) { (void)cpu; }
bool lapic_timer_init(void) { return false; }
void lapic_timer_arm(uint64_t tsc) { (void)tsc; }
uint64_t tsc_from_ms(uint64_t ms) { return ms; }

static struct vm vm;
static struct vcpu vcpus[8];
static struct runqueue q;

static void setup(unsigned n)
{
    memset(&q, 0, sizeof(q));
    memset(vcpus, 0, sizeof(vcpus));
    memset(pending, 0, sizeof(pending));
    memset(deadline, 0, sizeof(deadline));
    has_irq = false;
    for (unsigned i = 0; i < n; i++) {
        vcpus[i].id = i;
        vcpus[i].vm = &vm;
        vcpus[i].state = VCPU_RUNNABLE;
        q.v[q.n++] = &vcpus[i];
    }
}

TEST(round_robin)
{
    setup(3);
    CHECK(sched_pick(&q) == &vcpus[0]);
    CHECK(sched_pick(&q) == &vcpus[1]);
    CHECK(sched_pick(&q) == &vcpus[2]);
    CHECK(sched_pick(&q) == &vcpus[0]);
}

TEST(skips_what_cannot_run)
{
    setup(4);
    vcpus[0].state = VCPU_HALTED;
    vcpus[1].state = VCPU_WAIT_SIPI;
    vcpus[2].state = VCPU_STOPPED;
    CHECK(sched_pick(&q) == &vcpus[3]);
    CHECK(sched_pick(&q) == &vcpus[3]);
    vcpus[3].state = VCPU_HALTED;
    CHECK(sched_pick(&q) == NULL);
}

TEST(a_reset_in_progress_gets_turns)
{
    setup(2);
    vcpus[0].state = VCPU_RESETTING;
    vcpus[1].state = VCPU_RUNNABLE;
    CHECK(sched_pick(&q) == &vcpus[0]);
    CHECK(sched_pick(&q) == &vcpus[1]);
    CHECK(sched_pick(&q) == &vcpus[0]);
}

TEST(pending_interrupt_wakes_halted)
{
    setup(3);
    vcpus[0].state = VCPU_HALTED;
    vcpus[1].state = VCPU_HALTED;
    vcpus[1].halted_for_good = true; /* HLT with IF=0: an NMI came */
    vcpus[2].state = VCPU_HALTED;
    pending[0] = pending[1] = true;
    sched_wake_halted(&q, 100);
    CHECK_EQ_U64(vcpus[0].state, VCPU_RUNNABLE);
    CHECK_EQ_U64(vcpus[1].state, VCPU_RUNNABLE);
    CHECK(!vcpus[1].halted_for_good);
    CHECK_EQ_U64(vcpus[2].state, VCPU_HALTED);
}

TEST(next_wakeup_is_the_earliest_timer)
{
    setup(4);
    for (int i = 0; i < 4; i++)
        vcpus[i].state = VCPU_HALTED;
    deadline[0] = 500;
    deadline[1] = 300;
    deadline[2] = 0;   /* no timer */
    deadline[3] = 100;
    vcpus[3].halted_for_good = true; /* interrupts off: a timer won't wake it */
    CHECK_EQ_U64(sched_next_wakeup(&q), 300);
}

TEST(no_wakeup_when_nothing_waits)
{
    setup(2);
    deadline[0] = deadline[1] = 50;  /* runnable ones do not count */
    CHECK_EQ_U64(sched_next_wakeup(&q), 0);
    vcpus[0].state = VCPU_STOPPED;
    vcpus[1].state = VCPU_WAIT_SIPI;
    CHECK_EQ_U64(sched_next_wakeup(&q), 0);
}

TEST(device_interrupts_keep_halted_vcpus_waiting)
{
    setup(2);
    vcpus[0].state = VCPU_HALTED;
    vcpus[1].state = VCPU_STOPPED;
    CHECK(!sched_waits_for_device(&q));
    has_irq = true;
    CHECK(sched_waits_for_device(&q));
    vcpus[0].halted_for_good = true;
    CHECK(!sched_waits_for_device(&q));
}

UNIT_MAIN("sched")
