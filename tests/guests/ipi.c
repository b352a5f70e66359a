/* Cross-CPU IPIs (issue 11): fixed IPIs between two vCPUs of one VM that
 * hv runs on two host CPUs (vcpus = 2, cpus = 0-1).  Every IPI must arrive
 * once, at the vCPU it was sent to, and at once: hv kicks the target's
 * host CPU instead of leaving the interrupt for that CPU's next slice.
 *
 * The boot vCPU starts vCPU 1 (ap.c); then four phases of IPI_ROUNDS
 * IPIs each, every sender waiting (interrupts on) until its IPI was taken
 * before sending the next:
 *   1. vCPU 0 -> vCPU 1 (vector VEC_TO1), vCPU 1 spinning in its guest:
 *      it makes no exits of its own, so only a kick of its host CPU
 *      delivers at once;
 *   2. vCPU 1 -> vCPU 0 (VEC_TO0), vCPU 0 spinning on CPUID: quiet
 *      exits, after which hv skips its interrupt check (issue 15), so
 *      again only the kick delivers at once;
 *   3. both at once, crossed;
 *   4. vCPU 0 -> vCPU 1 halted (STI; HLT: its host CPU goes idle).
 *
 * A direction's sender writes the sequence number it is on before each
 * ICR write; the receiver's handler counts that number once more
 * (seen[]), counts the interrupt, and acknowledges it.  A sender that
 * waits LOST_TICKS for an acknowledgement reports the IPI lost and stops
 * (a FAIL, not a hang).  After a settling time the checks: every IPI
 * arrived (as many interrupts as were sent), none twice (no sequence
 * number seen twice, none seen with no IPI outstanding), each at the vCPU
 * it was sent to, and at once: at most MAX_LATE of them acknowledged after
 * LATE_TICKS, a quarter of hv's 2 M-tick slice (kernel/sched.h SLICE_TSC).
 * Without a kick, an IPI to a vCPU spinning in its guest waits for that
 * vCPU's next slice (all of them late); the few allowed are for hosts
 * where the emulator's own CPU threads get descheduled (KVM). */
#include "ap.h"

#define IPI_ROUNDS 1000
#define VEC_TO1 0x41 /* vCPU 0 -> vCPU 1 */
#define VEC_TO0 0x40 /* vCPU 1 -> vCPU 0 */
#define LOST_TICKS 40000000ull /* 20 slices */
#define LATE_TICKS 500000ull
#define MAX_LATE (IPI_ROUNDS / 100)
#define SETTLE_TICKS 4000000ull
/* Phase 4: how long vCPU 0 waits after vCPU 1 said it halts, so that hv
 * has taken its HLT exit and its host CPU sleeps when the IPI comes. */
#define HALT_SETTLE_TICKS 50000ull
#define AP_START_TICKS 100000000ull

enum { D01, D10, X01, X10, H01, NDIRS };

struct direction {
	const char *name;
	uint32_t to; /* the receiving vCPU (its APIC ID) */
	uint8_t vector;
	volatile uint32_t seq;   /* the sequence number the sender is on */
	volatile uint32_t ack;   /* the last one the receiver took */
	volatile uint32_t sent;  /* IPIs sent */
	volatile uint32_t taken; /* interrupts taken */
	volatile uint32_t stray; /* taken with no IPI outstanding */
	volatile uint32_t wrong_cpu; /* taken by the other vCPU */
	volatile uint32_t lost;  /* the sequence number that timed out */
	volatile uint64_t worst; /* longest wait for an acknowledgement */
	volatile uint32_t late;  /* acknowledged after LATE_TICKS */
	volatile uint8_t seen[IPI_ROUNDS + 1]; /* by sequence number */
};

static struct direction dirs[NDIRS] = {
	[D01] = { .name = "vCPU 0 -> vCPU 1", .to = 1, .vector = VEC_TO1 },
	[D10] = { .name = "vCPU 1 -> vCPU 0", .to = 0, .vector = VEC_TO0 },
	[X01] = { .name = "crossed vCPU 0 -> vCPU 1", .to = 1, .vector = VEC_TO1 },
	[X10] = { .name = "crossed vCPU 1 -> vCPU 0", .to = 0, .vector = VEC_TO0 },
	[H01] = { .name = "vCPU 0 -> halted vCPU 1", .to = 1, .vector = VEC_TO1 },
};
/* Which direction each vector counts for in the current phase (switched
 * by vCPU 0 between phases, after SETTLE_TICKS without IPIs). */
static struct direction *volatile to1 = &dirs[D01], *volatile to0 = &dirs[D10];
static volatile uint32_t other_irqs;
static volatile uint32_t phase, ap_done, ap_halting;

static void on_irq(uint32_t vector)
{
	struct direction *d = vector == VEC_TO1 ? to1
			      : vector == VEC_TO0 ? to0 : 0;

	if (!d) {
		other_irqs++;
	} else {
		uint32_t s = d->seq;

		if (ap_self() != d->to)
			d->wrong_cpu++;
		if (s >= 1 && s <= IPI_ROUNDS)
			d->seen[s]++;
		else
			d->stray++;
		d->taken++;
		__atomic_store_n(&d->ack, s, __ATOMIC_SEQ_CST);
	}
	xapic_write(XAPIC_EOI, 0);
}

/* Sends d's IPIs one by one, each once the last was acknowledged. */
static void send_all(struct direction *d, bool wait_halted)
{
	for (uint32_t s = 1; s <= IPI_ROUNDS; s++) {
		uint64_t t0, dt;

		if (wait_halted) {
			t0 = rdtsc();
			while (!ap_halting)
				if (rdtsc() - t0 > LOST_TICKS) {
					d->lost = s;
					return;
				}
			ap_halting = 0;
			t0 = rdtsc();
			while (rdtsc() - t0 < HALT_SETTLE_TICKS)
				;
		}
		__atomic_store_n(&d->seq, s, __ATOMIC_SEQ_CST);
		t0 = rdtsc();
		xapic_send_fixed(d->to, d->vector);
		d->sent++;
		while (__atomic_load_n(&d->ack, __ATOMIC_SEQ_CST) != s) {
			if (rdtsc() - t0 > LOST_TICKS) {
				d->lost = s;
				return;
			}
		}
		dt = rdtsc() - t0;
		if (dt > d->worst)
			d->worst = dt;
		if (dt > LATE_TICKS)
			d->late++;
	}
}

static void settle(void)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < SETTLE_TICKS)
		;
}

static void wait_phase(uint32_t p)
{
	while (phase != p)
		;
}

/* vCPU 1: the receiver of phase 1 while it waits for phase 2. */
static void ap_work(void)
{
	__asm__ volatile("sti");
	wait_phase(2);
	send_all(&dirs[D10], false);
	ap_done = 2;
	wait_phase(3);
	send_all(&dirs[X10], false);
	ap_done = 3;
	wait_phase(4);
	for (;;) {
		ap_halting = 1;
		__asm__ volatile("sti; hlt");
	}
}

/* vCPU 0: the receiver while vCPU 1 sends, exiting on CPUID all along
 * (a quiet exit: no interrupt check after it unless something kicks). */
static void wait_ap_done(uint32_t p)
{
	uint64_t t0 = rdtsc();
	uint32_t r[4];

	while (ap_done != p && rdtsc() - t0 < LOST_TICKS * (IPI_ROUNDS + 1))
		cpuid(0, 0, r);
}

/* check() with the direction's name before `what`. */
static void dir_check(const struct direction *d, bool ok, const char *what)
{
	char line[80];
	unsigned n = 0;

	for (const char *p = d->name; *p && n < sizeof(line) - 1; p++)
		line[n++] = *p;
	for (const char *p = what; *p && n < sizeof(line) - 1; p++)
		line[n++] = *p;
	line[n] = 0;
	check(ok, line);
}

static void report(const struct direction *d)
{
	uint32_t once = 0, twice = 0, never = 0;

	for (uint32_t s = 1; s <= IPI_ROUNDS; s++) {
		if (d->seen[s] == 1)
			once++;
		else if (d->seen[s] == 0)
			never++;
		else
			twice++;
	}
	puts_serial(d->name);
	puts_serial(": sent ");
	print_dec(d->sent);
	puts_serial(", taken ");
	print_dec(d->taken);
	puts_serial(", once ");
	print_dec(once);
	puts_serial(", never ");
	print_dec(never);
	puts_serial(", more than once ");
	print_dec(twice);
	puts_serial(", stray ");
	print_dec(d->stray);
	puts_serial(", wrong vCPU ");
	print_dec(d->wrong_cpu);
	puts_serial(", lost at ");
	print_dec(d->lost);
	puts_serial(", longest wait ");
	print_dec(d->worst);
	puts_serial(" ticks, ");
	print_dec(d->late);
	puts_serial(" over ");
	print_dec(LATE_TICKS);
	puts_serial("\n");

	dir_check(d, d->lost == 0 && d->sent == IPI_ROUNDS && never == 0,
		  ": every IPI arrived");
	dir_check(d, twice == 0 && d->stray == 0 && d->taken == d->sent,
		  ": none arrived twice");
	dir_check(d, d->wrong_cpu == 0, ": each arrived at its target");
	dir_check(d, d->lost == 0 && d->late <= MAX_LATE,
		  ": 99% arrived within a quarter slice");
}

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);
	irq_handler = on_irq;
	__asm__ volatile("sti");
	if (!ap_start(1, ap_work, AP_START_TICKS)) {
		check(false, "vCPU 1 started (INIT, SIPI)");
		return verdict();
	}

	phase = 1;
	send_all(&dirs[D01], false);
	settle();

	phase = 2;
	wait_ap_done(2);
	settle();

	to1 = &dirs[X01];
	to0 = &dirs[X10];
	phase = 3;
	send_all(&dirs[X01], false);
	wait_ap_done(3);
	settle();

	to1 = &dirs[H01];
	phase = 4;
	send_all(&dirs[H01], true);
	settle();

	for (unsigned i = 0; i < NDIRS; i++)
		report(&dirs[i]);
	puts_serial("other interrupts ");
	print_dec(other_irqs);
	putc_serial('\n');
	check(other_irqs == 0, "no interrupt but the IPIs sent");
	return verdict();
}
