/* Two vCPUs hand a token back and forth through RAM pages (vms.snapshot's
 * clone of an SMP guest, issue 13).  In a clone every page starts shared
 * with the snapshot, read-only; the first write to one gives the clone its
 * own copy at another host address (kernel/clone_ram.c).  A vCPU that
 * kept a translation of the old page would go on reading the snapshot's
 * copy after the other vCPU wrote its own: this guest makes that visible.
 *
 * Epochs of NPAGES rounds; in round r the writer (vCPU r % 2) waits for
 * its turn, writes the epoch's token into page r, and passes the turn;
 * the reader has been reading page r all along while it waited (its
 * translation is warm) and must then see the token.  From round 1 on
 * the turn's page is the clone's own, so the reader sees the turn pass
 * at once, and reads page r through whatever translation it holds.  A stale read, or a
 * turn that never comes (the turn's own page read stale), prints FAIL.
 * An epoch prints "epoch E ok" when PRINT_TICKS have passed since the
 * last such line; it runs until the VM is stopped (a clone goes on with
 * its snapshot's epoch numbers and print times). */
#include "ap.h"

#define NPAGES 64
#define WAIT_TICKS 400000000ull /* 200 slices: only a stale page waits so */
#define AP_START_TICKS 100000000ull
#define PRINT_TICKS 32000000ull /* a line per 8 of snapcount's counts */

static volatile uint32_t pages[NPAGES][1024] __attribute__((aligned(4096)));
static volatile uint32_t turn __attribute__((aligned(4096)));
static volatile uint32_t failed;

static uint32_t token(uint32_t epoch, uint32_t r)
{
	return epoch * 1000u + r + 1;
}

static void fail(uint32_t self, uint32_t epoch, uint32_t r, const char *what,
		 uint32_t seen)
{
	if (__atomic_exchange_n(&failed, 1, __ATOMIC_SEQ_CST))
		return;
	puts_serial("FAIL vcpu ");
	print_dec(self);
	puts_serial(" epoch ");
	print_dec(epoch);
	puts_serial(" round ");
	print_dec(r);
	puts_serial(": ");
	puts_serial(what);
	puts_serial(" ");
	print_dec(seen);
	putc_serial('\n');
}

/* Waits until turn is t, reading page `watch` meanwhile; false after
 * WAIT_TICKS. */
static bool wait_turn(uint32_t t, uint32_t watch, uint32_t *last)
{
	uint64_t until = rdtsc() + WAIT_TICKS;

	while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != t) {
		*last = pages[watch][0];
		/* No PAUSE: it exits, and every VM entry after an exit
		 * flushes a changed EPT anyway; a spin without exits keeps
		 * the reader's translations for as long as hv lets it. */
		if (failed || rdtsc() > until)
			return false;
	}
	return true;
}

static void play(uint32_t self)
{
	uint64_t next_print = 0;

	for (uint32_t epoch = 1; !failed; epoch++) {
		for (uint32_t r = 0; r < NPAGES && !failed; r++) {
			uint32_t t = (epoch - 1) * 2 * NPAGES + 2 * r, last = 0;

			if ((r & 1) == self) { /* the writer */
				if (!wait_turn(t, r, &last)) {
					fail(self, epoch, r, "turn never came; turn",
					     turn);
					return;
				}
				pages[r][0] = token(epoch, r);
				__atomic_store_n(&turn, t + 1, __ATOMIC_RELEASE);
			} else { /* the reader */
				if (!wait_turn(t + 1, r, &last)) {
					fail(self, epoch, r, "turn never came; turn",
					     turn);
					return;
				}
				if (pages[r][0] != token(epoch, r)) {
					fail(self, epoch, r, "stale page: read",
					     pages[r][0]);
					return;
				}
				__atomic_store_n(&turn, t + 2, __ATOMIC_RELEASE);
			}
		}
		if (self == 0 && !failed && rdtsc() >= next_print) {
			next_print = rdtsc() + PRINT_TICKS;
			puts_serial("epoch ");
			print_dec(epoch);
			puts_serial(" ok\n");
		}
	}
}

static void ap_work(void)
{
	__asm__ volatile("sti");
	play(1);
	for (;;)
		__asm__ volatile("hlt");
}

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	__asm__ volatile("sti");
	if (!ap_start(1, ap_work, AP_START_TICKS)) {
		puts_serial("FAIL vCPU 1 did not start\n");
		return 1;
	}
	puts_serial("cowsmp: playing\n");
	play(0);
	return 1;
}
