/* The local and I/O APIC models (drivers/vlapic.c, drivers/vioapic.c)
 * driven from several host threads at once, as the vCPUs of one VM on
 * several host CPUs drive them: each thread is a CPU (kernel/spinlock.c
 * numbers it by unit_cpu_id) playing a vCPU that takes its interrupts
 * (vlapic_pending_vector, vlapic_accept, EOI) while it and others send it
 * IPIs and an I/O APIC pin fires at it.  A vector is sent again only
 * after its previous one was taken, so every send must arrive exactly
 * once: a lost IRR bit (another CPU's clear undoing a set in the same
 * word) stalls the run, a duplicate is caught when it is taken. */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../../arch/tsc.h"
#include "../../drivers/vioapic.h"
#include "../../drivers/vlapic.h"
#include "../../kernel/log.h"

extern _Thread_local int unit_cpu_id;

uint64_t tsc_now(void) { return 0; }
void vcpu_notify(struct vcpu *v) { (void)v; }
uint64_t tsc_hz(void) { return 1000000; }
bool vpic_has_pending(const struct vpic *p)
{
	(void)p;
	return false;
}

void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	(void)level, (void)fmt;
}

enum { EOI = 0xb0, SVR = 0xf0, ICR_LO = 0x300, ICR_HI = 0x310 };
#define NVCPUS 2
/* 32 vectors in one IRR word (0x40-0x5f), so senders and the taker
 * always work on the same 32-bit word. */
#define IPI_FIRST 0x40
#define IPI_COUNT 32
/* I/O APIC pins 0-15 send vectors 0x60-0x6f, edge, to vCPU 1. */
#define PIN_FIRST_VECTOR 0x60
#define PINS 16
#define ROUNDS 20000
#define STALL_NS 3000000000ll /* 3 s without progress: something was lost */

static struct vm vm;
static struct vcpu vcpus[NVCPUS];
static void *lapic_state, *ioapic_state;

/* outstanding[cpu][vector]: sent and not yet taken. */
static atomic_int outstanding[NVCPUS][256];
static atomic_long taken[NVCPUS], duplicates, sent_total;
static atomic_int failed;

static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	io_bus_init(&vm.mmio, 0x100000, ~0ull);
	vm.nvcpus = NVCPUS;
	for (unsigned i = 0; i < NVCPUS; i++) {
		vcpus[i].id = i;
		vcpus[i].vm = &vm;
		vcpus[i].state = VCPU_RUNNABLE;
		vm.vcpus[i] = &vcpus[i];
		if (!vlapic_create(&vcpus[i]))
			abort();
	}
	if (!vlapic_attach(&vm, &lapic_state) ||
	    !vioapic_attach(&vm, &ioapic_state))
		abort();
	for (unsigned i = 0; i < NVCPUS; i++)
		io_bus_write(&vm.mmio, &vcpus[i], VLAPIC_MMIO_BASE + SVR, 4,
			     0x1ff);
	memset(outstanding, 0, sizeof(outstanding));
	for (unsigned i = 0; i < NVCPUS; i++)
		atomic_store(&taken[i], 0);
	atomic_store(&duplicates, 0);
	atomic_store(&sent_total, 0);
	atomic_store(&failed, 0);
}

static void teardown(void)
{
	for (unsigned i = 0; i < NVCPUS; i++)
		vlapic_destroy(&vcpus[i]);
	free(ioapic_state);
	ioapic_state = NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* What event delivery does for vCPU `me` before an entry, then the
 * guest's EOI. */
static bool take_one(unsigned me)
{
	struct vcpu *v = &vcpus[me];
	int vec = vlapic_pending_vector(v);

	if (vec < 0)
		return false;
	vlapic_accept(v, vec);
	if (atomic_exchange(&outstanding[me][vec], 0) != 1)
		atomic_fetch_add(&duplicates, 1);
	atomic_fetch_add(&taken[me], 1);
	io_bus_write(&vm.mmio, v, VLAPIC_MMIO_BASE + EOI, 4, 0);
	return true;
}

/* vCPU `me` sends a fixed IPI through its ICR, as a guest does; a CPU
 * with no vCPU of its own writes vCPU 0's. */
static bool send_ipi(unsigned me, unsigned to, unsigned vec)
{
	int idle = 0;

	if (me >= NVCPUS)
		me = 0;

	if (!atomic_compare_exchange_strong(&outstanding[to][vec], &idle, 1))
		return false;
	io_bus_write(&vm.mmio, &vcpus[me], VLAPIC_MMIO_BASE + ICR_HI, 4,
		     to << 24);
	io_bus_write(&vm.mmio, &vcpus[me], VLAPIC_MMIO_BASE + ICR_LO, 4,
		     vec);
	atomic_fetch_add(&sent_total, 1);
	return true;
}

struct role {
	unsigned cpu;      /* this thread's CPU number and vCPU */
	unsigned to;       /* whom it sends IPIs to */
	long sends;        /* how many it sends */
	bool ioapic;       /* it also fires the I/O APIC's pins at vCPU 1 */
};

static long expected_total;

static void *vcpu_thread(void *arg)
{
	const struct role *r = arg;
	long sent = 0, pin_sent = 0;
	unsigned vec = 0, pin = 0;
	int64_t last = now_ns();
	long seen = -1;

	unit_cpu_id = (int)r->cpu;
	for (;;) {
		long total = atomic_load(&taken[0]) + atomic_load(&taken[1]);
		if (total == expected_total)
			break;
		if (total != seen) {
			seen = total;
			last = now_ns();
		} else if (now_ns() - last > STALL_NS) {
			atomic_store(&failed, 1);
			break;
		}
		if (atomic_load(&failed))
			break;
		if (r->cpu < NVCPUS)
			take_one(r->cpu);
		if (sent < r->sends &&
		    send_ipi(r->cpu, r->to, IPI_FIRST + vec))
			sent++;
		vec = (vec + 1) % IPI_COUNT;
		if (r->ioapic && pin_sent < r->sends) {
			int idle = 0;
			if (atomic_compare_exchange_strong(
				    &outstanding[1][PIN_FIRST_VECTOR + pin],
				    &idle, 1)) {
				vioapic_set_line(vm.ioapic, pin, true);
				vioapic_set_line(vm.ioapic, pin, false);
				atomic_fetch_add(&sent_total, 1);
				pin_sent++;
			}
			pin = (pin + 1) % PINS;
		}
	}
	return NULL;
}

static void run(struct role *roles, unsigned n)
{
	pthread_t t[4];

	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, vcpu_thread, &roles[i]))
			abort();
	for (unsigned i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Both vCPUs send each other IPIs while taking the other's. */
TEST(crossed_ipis_all_arrive_once)
{
	struct role roles[] = {
		{ .cpu = 0, .to = 1, .sends = ROUNDS },
		{ .cpu = 1, .to = 0, .sends = ROUNDS },
	};

	setup();
	expected_total = 2 * ROUNDS;
	run(roles, 2);
	teardown();
	CHECK_EQ_U64(atomic_load(&failed), 0);
	CHECK_EQ_U64(atomic_load(&duplicates), 0);
	CHECK_EQ_U64(atomic_load(&taken[0]), ROUNDS);
	CHECK_EQ_U64(atomic_load(&taken[1]), ROUNDS);
	CHECK_EQ_U64(atomic_load(&sent_total), 2 * ROUNDS);
}

/* vCPU 1 takes interrupts from vCPU 0's IPIs and from I/O APIC pins a
 * third CPU (a device, or another vCPU's port write) fires, each pin
 * routed as an edge to vCPU 1 in physical mode. */
TEST(ioapic_pins_and_ipis_to_one_vcpu_all_arrive_once)
{
	struct role roles[] = {
		{ .cpu = 1, .to = 0, .sends = 0 },
		{ .cpu = 0, .to = 1, .sends = ROUNDS },
		{ .cpu = 2, .to = 1, .sends = ROUNDS, .ioapic = true },
	};

	setup();
	for (unsigned pin = 0; pin < PINS; pin++) {
		/* Redirection entry: vector, fixed, physical, edge,
		 * unmasked, destination APIC ID 1. */
		io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE, 4, 0x10 + 2 * pin);
		io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE + 0x10, 4,
			     PIN_FIRST_VECTOR + pin);
		io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE, 4,
			     0x11 + 2 * pin);
		io_bus_write(&vm.mmio, NULL, VIOAPIC_BASE + 0x10, 4,
			     1u << 24);
	}
	expected_total = 3 * ROUNDS;
	run(roles, 3);
	teardown();
	CHECK_EQ_U64(atomic_load(&failed), 0);
	CHECK_EQ_U64(atomic_load(&duplicates), 0);
	CHECK_EQ_U64(atomic_load(&taken[0]), 0);
	CHECK_EQ_U64(atomic_load(&taken[1]), 3 * ROUNDS);
	CHECK_EQ_U64(atomic_load(&sent_total), 3 * ROUNDS);
}

int main(void) { return unit_run("vlapic_smp"); }
