/* The scheduler's multi-CPU policy (kernel/sched_credit.c,
 * kernel/sched_place.c): weighted fairness over many slices on several
 * CPUs, no banked credit for halted vCPUs, placement and balancing that
 * honour `cpus` and dedicated CPUs.  Pure: no stubs needed. */
#include "unit.h"

#include "../../kernel/sched.h"

#define NCPUS 4
#define NV 8

static struct vm vm;
static struct vcpu vcpus[NV];
static struct runqueue qs[NCPUS];
static uint64_t ran[NV];      /* TSC ticks each vCPU ran in a simulation */
static unsigned moves, violations;

static void setup(void)
{
    memset(qs, 0, sizeof(qs));
    memset(vcpus, 0, sizeof(vcpus));
    memset(ran, 0, sizeof(ran));
    moves = violations = 0;
    for (unsigned i = 0; i < NV; i++) {
        vcpus[i].id = i;
        vcpus[i].vm = &vm;
        vcpus[i].state = VCPU_RUNNABLE;
    }
}

/* vCPU i with weight w allowed on `allowed`, put where sched_place says. */
static int add(unsigned i, unsigned w, uint64_t allowed, bool dedicated,
               unsigned ncpus)
{
    int cpu;

    sched_entity_init(&vcpus[i].sched, w, allowed, dedicated);
    cpu = sched_place(qs, ncpus, &vcpus[i], -1);
    if (cpu >= 0)
        sched_enqueue(&qs[cpu], &vcpus[i]);
    return cpu;
}

/* vCPUs on a CPU outside their set, or shared vCPUs beside a dedicated
 * one. */
static unsigned misplaced(unsigned ncpus)
{
    unsigned bad = 0;

    for (unsigned c = 0; c < ncpus; c++)
        for (unsigned i = 0; i < qs[c].n; i++) {
            const struct vcpu *v = qs[c].v[i];

            if (!(v->sched.allowed >> c & 1))
                bad++;
            if (!v->sched.dedicated && sched_queue_dedicated(&qs[c]))
                bad++;
        }
    return bad;
}

/* A small deterministic generator for slice lengths (xorshift). */
static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * Runs `ncpus` CPUs for `slices` turns each, asynchronously: the CPU whose
 * clock is earliest balances, picks and runs one slice of a random length
 * (a third of SLICE_TSC to all of it: guests exit early), charged as
 * sched_run charges it.  Checks on every step that no vCPU sits where it
 * may not run.  Returns the total CPU time.
 */
static uint64_t simulate(unsigned ncpus, unsigned slices)
{
    uint64_t clock[NCPUS] = { 0 }, total = 0;

    for (unsigned step = 0; step < ncpus * slices; step++) {
        unsigned cpu = 0;
        struct sched_move m;
        struct vcpu *v;
        uint64_t len;

        for (unsigned c = 1; c < ncpus; c++)
            if (clock[c] < clock[cpu])
                cpu = c;
        if (sched_balance(qs, ncpus, cpu, clock[cpu], &m)) {
            if (m.to != cpu || m.from == cpu || m.from >= ncpus ||
                m.v == qs[m.from].curr)
                violations++;
            sched_dequeue(&qs[m.from], m.v);
            sched_enqueue_moved(&qs[m.to], m.v);
            m.v->sched.moved_at = clock[cpu];
            moves++;
        }
        len = SLICE_TSC / 3 + next_rand() % (SLICE_TSC * 2 / 3);
        clock[cpu] += len;
        total += len;
        v = sched_pick(&qs[cpu]);
        if (!v)
            continue;
        ran[v->id] += len;
        sched_charge(v, len);
        violations += misplaced(ncpus);
    }
    return total;
}

/* ran[i] is within 5% of its weighted share w[i] / sum(w) of `total`. */
static void check_shares(const unsigned *w, unsigned n, uint64_t total)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < n; i++)
        sum += w[i];
    for (unsigned i = 0; i < n; i++) {
        double want = (double)total * w[i] / (double)sum;
        double got = (double)ran[i];

        if (got < want * 0.95 || got > want * 1.05)
            UNIT_FAIL("vCPU %u (weight %u) ran %.4f of the time, its share is %.4f",
                      i, w[i], got / (double)total, want / (double)total);
    }
    CHECK_EQ_U64(violations, 0);
}

/* ---- weighted fairness ---- */

TEST(weights_on_one_cpu)
{
    static const unsigned w[] = { 100, 300 };

    setup();
    add(0, w[0], 1, false, 1);
    add(1, w[1], 1, false, 1);
    check_shares(w, 2, simulate(1, 20000));
}

TEST(weights_100_200_300_on_two_cpus)
{
    static const unsigned w[] = { 100, 200, 300 };

    setup();
    for (unsigned i = 0; i < 3; i++)
        CHECK(add(i, w[i], CFG_CPUS_ANY, false, 2) >= 0);
    check_shares(w, 3, simulate(2, 20000));
}

TEST(weights_100_200_300_400_on_two_cpus)
{
    static const unsigned w[] = { 100, 200, 300, 400 };

    setup();
    for (unsigned i = 0; i < 4; i++)
        CHECK(add(i, w[i], CFG_CPUS_ANY, false, 2) >= 0);
    check_shares(w, 4, simulate(2, 20000));
}

/* No split of three equal vCPUs over two CPUs is fair: only moving them
 * around is, two thirds of a CPU each. */
TEST(three_equal_vcpus_on_two_cpus_take_turns)
{
    static const unsigned w[] = { 100, 100, 100 };

    setup();
    for (unsigned i = 0; i < 3; i++)
        CHECK(add(i, w[i], CFG_CPUS_ANY, false, 2) >= 0);
    check_shares(w, 3, simulate(2, 20000));
    CHECK(moves > 0);
    /* ...but not at every slice: each move costs a VMCLEAR/VMPTRLD. */
    CHECK(moves < 20000 / 4);
}

/* ...and fair over a short window too (30 slices per CPU, what the
 * vms.smp_three_on_two boot measures): a moved vCPU keeps the time it
 * was owed, or every move would cost the one moved. */
TEST(three_equal_vcpus_fair_within_30_slices)
{
    static const unsigned w[] = { 100, 100, 100 };

    setup();
    for (unsigned i = 0; i < 3; i++)
        CHECK(add(i, w[i], CFG_CPUS_ANY, false, 2) >= 0);
    check_shares(w, 3, simulate(2, 30));
}

/* ---- halted vCPUs give their time away and bank no credit ---- */

TEST(halted_vcpu_banks_no_credit)
{
    unsigned run_of_b = 0, longest = 0;

    setup();
    add(0, 100, 1, false, 1);
    add(1, 100, 1, false, 1);
    vcpus[1].state = VCPU_HALTED;
    for (int i = 0; i < 1000; i++) {
        struct vcpu *v = sched_pick(&qs[0]);

        CHECK(v == &vcpus[0]); /* A halted vCPU gives its time away. */
        sched_charge(v, SLICE_TSC);
    }
    vcpus[1].state = VCPU_RUNNABLE;
    sched_credit_wake(&qs[0], &vcpus[1]);
    for (int i = 0; i < 100; i++) {
        struct vcpu *v = sched_pick(&qs[0]);

        run_of_b = v == &vcpus[1] ? run_of_b + 1 : 0;
        if (run_of_b > longest)
            longest = run_of_b;
        sched_charge(v, SLICE_TSC);
    }
    /* It woke with one slice of credit: it runs first, for at most two
     * slices in a row, then the two alternate. */
    CHECK(longest >= 1);
    CHECK(longest <= 2);
}

/* A paused VM's vCPUs (the monitor's `pause`) keep their state but are
 * never picked; a vCPU carrying its VM's reset still is (the reset of a
 * paused VM completes, and it stays paused). */
TEST(paused_vm_is_not_picked)
{
    static struct vm other;

    setup();
    add(0, 100, 1, false, 1);
    add(1, 100, 1, false, 1);
    vcpus[1].vm = &other;
    other.paused = true;
    for (int i = 0; i < 100; i++) {
        struct vcpu *v = sched_pick(&qs[0]);

        CHECK(v == &vcpus[0]);
        sched_charge(v, SLICE_TSC);
    }
    vcpus[0].state = VCPU_HALTED;
    CHECK(sched_pick(&qs[0]) == NULL);
    vcpus[1].state = VCPU_RESETTING;
    CHECK(sched_pick(&qs[0]) == &vcpus[1]);
    vcpus[1].state = VCPU_RUNNABLE;
    other.paused = false;
    CHECK(sched_pick(&qs[0]) == &vcpus[1]);
}

/* An application processor that waited long for its start-up IPI gets
 * work without a wake: it must not run for all the time it sat out. */
TEST(late_started_vcpu_banks_no_credit)
{
    unsigned run_of_b = 0, longest = 0;

    setup();
    add(0, 100, 1, false, 1);
    add(1, 100, 1, false, 1);
    vcpus[1].state = VCPU_WAIT_SIPI;
    for (int i = 0; i < 1000; i++)
        sched_charge(sched_pick(&qs[0]), SLICE_TSC);
    vcpus[1].state = VCPU_RUNNABLE;
    for (int i = 0; i < 100; i++) {
        struct vcpu *v = sched_pick(&qs[0]);

        run_of_b = v == &vcpus[1] ? run_of_b + 1 : 0;
        if (run_of_b > longest)
            longest = run_of_b;
        sched_charge(v, SLICE_TSC);
    }
    CHECK(longest >= 1);
    CHECK(longest <= 2);
}

TEST(moved_vcpu_banks_no_credit)
{
    setup();
    add(0, 100, 1, false, 1);
    for (int i = 0; i < 1000; i++)
        sched_charge(sched_pick(&qs[0]), SLICE_TSC);
    sched_entity_init(&vcpus[1].sched, 100, 1, false);
    CHECK(sched_enqueue(&qs[0], &vcpus[1]));
    CHECK(vcpus[1].sched.vtime + SCHED_CREDIT_MAX >= qs[0].vclock);
}

/* ---- placement ---- */

TEST(place_least_loaded_by_weight)
{
    setup();
    CHECK_EQ_U64(add(0, 300, CFG_CPUS_ANY, false, 2), 0);
    CHECK_EQ_U64(add(1, 100, CFG_CPUS_ANY, false, 2), 1);
    CHECK_EQ_U64(add(2, 100, CFG_CPUS_ANY, false, 2), 1);
    CHECK_EQ_U64(add(3, 100, CFG_CPUS_ANY, false, 2), 1);
    CHECK_EQ_U64(add(4, 100, CFG_CPUS_ANY, false, 2), 0);
    /* Halted vCPUs are no load: a waking vCPU goes to the idle CPU. */
    vcpus[0].state = vcpus[4].state = VCPU_HALTED;
    CHECK_EQ_U64(sched_place(qs, 2, &vcpus[1], 1), 0);
    /* Equal load (300 each without it): it stays where it is. */
    vcpus[0].state = vcpus[4].state = VCPU_RUNNABLE;
    CHECK_EQ_U64(sched_place(qs, 2, &vcpus[4], 0), 0);
    CHECK_EQ_U64(sched_place(qs, 2, &vcpus[4], 1), 1);
    /* Equal load, new vCPU: the CPU with fewer vCPUs (halted ones too). */
    vcpus[4].state = VCPU_HALTED;
    CHECK_EQ_U64(add(5, 100, 0x1, false, 2), 0);
    CHECK_EQ_U64(add(7, 100, 0x1, false, 2), 0);
    vcpus[5].state = vcpus[7].state = VCPU_HALTED;
    /* Now CPU 0: 300 and 4 vCPUs; CPU 1: 300 and 3. */
    sched_entity_init(&vcpus[6].sched, 100, 0x3, false);
    CHECK_EQ_U64(sched_place(qs, 2, &vcpus[6], -1), 1);
}

TEST(place_honours_cpus_and_dedicated)
{
    setup();
    /* A dedicated vCPU goes to its own CPU, however loaded. */
    CHECK_EQ_U64(add(0, 100, 0x2, true, 4), 1);
    CHECK_EQ_U64(add(1, 100, 0x4, true, 4), 2);
    /* Shared ones never beside it, never outside their set. */
    for (unsigned i = 2; i < 6; i++)
        CHECK_EQ_U64(add(i, 100, 0x3, false, 4), 0);
    CHECK_EQ_U64(add(6, 100, 0xe, false, 4), 3);
    CHECK_EQ_U64(add(7, 100, 0x6, false, 4), (uint64_t)-1);
    /* A CPU past the host's is never chosen. */
    sched_entity_init(&vcpus[7].sched, 100, 0x30, false);
    CHECK_EQ_U64(sched_place(qs, 4, &vcpus[7], -1), (uint64_t)-1);
    CHECK_EQ_U64(misplaced(4), 0);
}

/* ---- balancing ---- */

TEST(balance_pulls_a_waiting_vcpu_to_an_idle_cpu)
{
    struct sched_move m;

    setup();
    sched_entity_init(&vcpus[0].sched, 100, 0x3, false);
    sched_entity_init(&vcpus[1].sched, 100, 0x3, false);
    sched_enqueue(&qs[0], &vcpus[0]);
    sched_enqueue(&qs[0], &vcpus[1]);
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    CHECK(!sched_balance(qs, 2, 0, 0, &m)); /* nothing to pull from itself */
    CHECK(sched_balance(qs, 2, 1, 0, &m));
    CHECK(m.v == &vcpus[1]);             /* not the one running */
    CHECK_EQ_U64(m.from, 0);
    CHECK_EQ_U64(m.to, 1);
    /* Not if it may not run there. */
    vcpus[1].sched.allowed = 0x1;
    CHECK(!sched_balance(qs, 2, 1, 0, &m));
    /* Never a dedicated one. */
    vcpus[1].sched.allowed = 0x3;
    vcpus[1].sched.dedicated = true;
    CHECK(!sched_balance(qs, 2, 1, 0, &m));
    /* Never onto a dedicated CPU. */
    vcpus[1].sched.dedicated = false;
    sched_entity_init(&vcpus[2].sched, 100, 0x2, true);
    sched_enqueue(&qs[1], &vcpus[2]);
    vcpus[2].state = VCPU_HALTED;
    CHECK(!sched_balance(qs, 2, 1, 0, &m));
}

/* A pulled vCPU is leaving until the CPU it leaves sends it: that CPU
 * no longer picks it, and no other CPU pulls it a second time. */
TEST(leaving_vcpu_is_neither_picked_nor_pulled_again)
{
    struct sched_move m;

    setup();
    sched_entity_init(&vcpus[0].sched, 100, 0x7, false);
    sched_entity_init(&vcpus[1].sched, 100, 0x7, false);
    sched_enqueue(&qs[0], &vcpus[0]);
    sched_enqueue(&qs[0], &vcpus[1]);
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    CHECK(sched_balance(qs, 3, 1, 0, &m));
    CHECK(m.v == &vcpus[1]);
    vcpus[1].sched.leaving = true;
    vcpus[1].sched.move_to = 1;
    CHECK(!sched_balance(qs, 3, 2, 0, &m));
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    /* Sent: it runs where it went. */
    CHECK(sched_dequeue(&qs[0], &vcpus[1]));
    vcpus[1].sched.leaving = false;
    CHECK(sched_enqueue(&qs[1], &vcpus[1]));
    CHECK(sched_pick(&qs[1]) == &vcpus[1]);
}

/* A vCPU moved a moment ago stays put for SCHED_MOVE_RESIST. */
TEST(moved_vcpu_resists_another_move)
{
    struct sched_move m;
    const uint64_t t = 10 * SLICE_TSC;

    setup();
    sched_entity_init(&vcpus[0].sched, 100, 0x3, false);
    sched_entity_init(&vcpus[1].sched, 100, 0x3, false);
    sched_enqueue(&qs[0], &vcpus[0]);
    sched_enqueue(&qs[0], &vcpus[1]);
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    vcpus[1].sched.moved_at = t;
    CHECK(!sched_balance(qs, 2, 1, t + 1, &m));
    CHECK(!sched_balance(qs, 2, 1, t + SCHED_MOVE_RESIST - 1, &m));
    CHECK(sched_balance(qs, 2, 1, t + SCHED_MOVE_RESIST, &m));
    CHECK(m.v == &vcpus[1]);
}

TEST(balance_leaves_level_cpus_alone)
{
    struct sched_move m;

    setup();
    for (unsigned i = 0; i < 4; i++) {
        sched_entity_init(&vcpus[i].sched, 100, 0x3, false);
        sched_enqueue(&qs[i / 2], &vcpus[i]);
    }
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    CHECK(sched_pick(&qs[1]) == &vcpus[2]);
    CHECK(!sched_balance(qs, 2, 1, 0, &m));
    /* One lagging far behind what CPU 1 would run next is pulled. */
    vcpus[3].sched.vtime = 10 * SCHED_BALANCE_LAG;
    vcpus[2].sched.vtime = 10 * SCHED_BALANCE_LAG;
    CHECK(sched_balance(qs, 2, 1, 0, &m));
    CHECK(m.v == &vcpus[1]);
}

/* Many vCPUs with mixed sets and a dedicated CPU, run for long: nothing
 * ever lands outside its set or beside the dedicated vCPU, the balancer
 * does move vCPUs, and the dedicated vCPU has its CPU to itself. */
TEST(balancing_never_violates_cpus_or_dedicated)
{
    static const uint64_t sets[] = { 0x7, 0x3, 0x6, 0x5, 0x7, 0x1, 0x4 };
    uint64_t total;

    setup();
    CHECK_EQ_U64(add(0, 100, 0x8, true, 4), 3);
    for (unsigned i = 1; i < NV; i++)
        CHECK(add(i, 100 * i, sets[i - 1] | 0x8, false, 4) >= 0);
    total = simulate(4, 5000);
    CHECK_EQ_U64(violations, 0);
    CHECK(moves > 0);
    /* It got a quarter of the machine: all of CPU 3 (slices vary). */
    CHECK(ran[0] * 4 > total * 95 / 100);
    CHECK(ran[0] * 4 < total * 105 / 100);
}

TEST(dequeue_keeps_round_robin)
{
    setup();
    for (unsigned i = 0; i < 3; i++) {
        sched_entity_init(&vcpus[i].sched, 100, 1, false);
        sched_enqueue(&qs[0], &vcpus[i]);
    }
    CHECK(sched_pick(&qs[0]) == &vcpus[0]);
    CHECK(sched_dequeue(&qs[0], &vcpus[0]));
    CHECK(qs[0].curr == NULL);
    CHECK(!sched_dequeue(&qs[0], &vcpus[0]));
    CHECK(sched_pick(&qs[0]) == &vcpus[1]);
    CHECK(sched_pick(&qs[0]) == &vcpus[2]);
    CHECK(sched_pick(&qs[0]) == &vcpus[1]);
}

UNIT_MAIN("sched_policy")
