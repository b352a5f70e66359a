/* make bench: round-trip costs of the exits a guest causes most, in TSC
 * ticks (under Bochs with clock sync=none the TSC counts instructions, so
 * the figures repeat run after run).
 *
 * Then, with vCPU 1 started on the second host CPU (vcpus = 2,
 * cpus = 0-1; ap.c), the cross-CPU figures of issue 11:
 *   BENCH tsc_skew A B      vCPU 1's TSC minus vCPU 0's lies in [-A, B]
 *                           (each side reads its TSC after seeing the
 *                           other's: the TSCs are in step if neither
 *                           ever saw one older than the other's)
 *   BENCH cpuid_ap M B      CPUID on vCPU 1 (host CPU 1), loop subtracted
 *   BENCH ipi_roundtrip M B vCPU 0 sends a fixed IPI to vCPU 1 (spinning in
 *                           its guest), whose handler answers with one;
 *                           from before vCPU 0's ICR write to the
 *                           TSC its handler reads
 *   BENCH ipi_wakeup M B    vCPU 1 halted (STI; HLT, its host CPU idle):
 *                           from vCPU 0's TSC before its ICR write to
 *                           vCPU 1's TSC in its handler (one-way: needs
 *                           TSCs in step, see tsc_skew)
 * and the interrupt latency of a device, the local APIC timer in
 * TSC-deadline mode (issue 15: fast paths must not delay interrupts):
 *   BENCH timer_spin M B    from the deadline to the TSC its handler reads,
 *                           the vCPU spinning in its guest
 *   BENCH timer_halt M B    the same, the vCPU halted (STI; HLT)
 *   BENCH irq_line M B      a device's interrupt raised by an OUT (the
 *                           UART's THRE, through the I/O APIC) to its
 *                           handler */

#include "ap.h"

/* A power of two: the 32-bit guest has no 64-bit division. */
#define ROUNDS_LOG2 11
#define ROUNDS (1 << ROUNDS_LOG2)
#define TESTDEV 0xfeb00000u

struct cost {
	uint64_t mean, best;
};

/* The mean is what a guest pays (slice ends and interrupts included);
 * the best case is the bare round trip. */
static struct cost measure(void (*op)(void))
{
	uint64_t best = ~0ull, total = 0;

	for (int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = rdtsc();
		op();
		uint64_t dt = rdtsc() - t0;
		total += dt;
		if (dt < best)
			best = dt;
	}
	return (struct cost){ total >> ROUNDS_LOG2, best };
}

/* The samples of a row that is not a tight loop (cross-CPU, interrupt
 * latency): summed, and the least of them. */
struct tally {
	uint64_t total, best;
};
#define TALLY_INIT { 0, ~0ull }

static void tally_add(struct tally *t, uint64_t dt)
{
	t->total += dt;
	if (dt < t->best)
		t->best = dt;
}

static struct cost tally_cost(const struct tally *t, unsigned log2)
{
	return (struct cost){ t->total >> log2, t->best };
}

static void op_nothing(void) { }
static void op_cpuid(void) { uint32_t r[4]; cpuid(0, 0, r); }
static void op_pio(void) { (void)inb(0x3ff); }
/* Port 0x80 (POST codes): no device claims it, the write is dropped and
 * counted (vmx/exit_io.c), an exit with no side effect. */
static void op_pio_out(void) { outb(0x80, 0); }
static void op_vmcall(void) { (void)vmcall(0, 0, 0, 0); }
static void op_mmio(void) { (void)*(volatile uint32_t *)TESTDEV; }

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void row(const char *name, struct cost c, struct cost base)
{
	puts_serial("BENCH ");
	puts_serial(name);
	puts_serial(" ");
	print_dec(minus(c.mean, base.mean));
	puts_serial(" ");
	print_dec(minus(c.best, base.best));
	puts_serial("\n");
}

/* ---- cross-CPU figures: vCPU 1 on host CPU 1 ---- */

/* Fewer rounds: each costs two kicks of a host CPU. */
#define XROUNDS_LOG2 8
#define XROUNDS (1 << XROUNDS_LOG2)
#define VEC_PING 0x41 /* to vCPU 1 */
#define VEC_PONG 0x40 /* to vCPU 0 */
#define SKEW_ROUNDS 256
#define WAIT_TICKS 50000000ull
/* How long vCPU 0 waits after vCPU 1 said it halts: hv has taken the
 * HLT exit and its host CPU sleeps when the IPI comes. */
#define HALT_SETTLE_TICKS 50000ull

enum ap_task { AP_WAIT, AP_SKEW, AP_CPUID, AP_ECHO, AP_HALT };

static volatile enum ap_task ap_task;
static volatile uint32_t ap_finished; /* the task it last finished */
static struct cost ap_cpuid, ap_base;
static volatile uint64_t pong_tsc, ping_tsc;
static volatile uint32_t ap_halting;

/* TSC ping-pong: each side writes its TSC, the other reads its own once
 * it sees it.  With skew = vCPU 1's TSC minus vCPU 0's, skew_min[1] (the
 * least of vCPU 1's readings minus vCPU 0's) >= skew, and skew_min[0]
 * (vCPU 0's minus vCPU 1's) >= -skew. */
static volatile uint64_t skew_tsc[2];
static volatile uint32_t skew_turn;
static int64_t skew_min[2];

static void skew_side(unsigned me)
{
	skew_min[me] = INT64_MAX;
	for (uint32_t i = 0; i < 2 * SKEW_ROUNDS; i++) {
		uint64_t t0 = rdtsc();

		if ((i & 1) != me) { /* the other's turn to write: wait */
			while (skew_turn == i)
				if (rdtsc() - t0 > WAIT_TICKS)
					return;
			continue;
		}
		if (i > 0) {
			int64_t d = (int64_t)(rdtsc() - skew_tsc[!me]);
			if (d < skew_min[me])
				skew_min[me] = d;
		}
		skew_tsc[me] = rdtsc();
		__atomic_store_n(&skew_turn, i + 1, __ATOMIC_SEQ_CST);
		while (skew_turn == i + 1 && i + 1 < 2 * SKEW_ROUNDS)
			if (rdtsc() - t0 > WAIT_TICKS)
				return;
	}
}

static void print_signed(int64_t v)
{
	if (v < 0)
		putc_serial('-');
	print_dec(v < 0 ? (uint64_t)-v : (uint64_t)v);
}

/* ---- interrupt latency: the local APIC timer, TSC-deadline mode ---- */

#define VEC_TIMER 0x42
#define XAPIC_LVT_TIMER 0x320
#define LVT_TSC_DEADLINE (2u << 17) /* SDM Vol. 3A 11.5.1 */
#define MSR_TSC_DEADLINE 0x6e0u
/* Far enough ahead that the WRMSR's own exit is over. */
#define TIMER_AHEAD_TICKS 20000ull

static volatile uint64_t timer_tsc;

static bool timer_latency(bool halt, struct cost *c)
{
	struct tally t = TALLY_INIT;

	xapic_write(XAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
	for (int i = 0; i < XROUNDS; i++) {
		uint64_t deadline = rdtsc() + TIMER_AHEAD_TICKS;

		timer_tsc = 0;
		if (!wrmsr_safe(MSR_TSC_DEADLINE, deadline))
			return false;
		if (halt) {
			/* STI's shadow holds the interrupt until HLT. */
			while (!timer_tsc && rdtsc() < deadline + WAIT_TICKS)
				__asm__ volatile("sti; hlt; cli");
		} else {
			__asm__ volatile("sti");
			while (!timer_tsc && rdtsc() < deadline + WAIT_TICKS)
				;
			__asm__ volatile("cli");
		}
		if (!timer_tsc)
			return false;
		uint64_t dt = timer_tsc - deadline;
		tally_add(&t, dt);
	}
	*c = tally_cost(&t, XROUNDS_LOG2);
	return true;
}

/* A device's interrupt: the UART's transmitter-empty interrupt (16550:
 * enabling ETBEI in IER with the holding register empty interrupts at
 * once), ISA IRQ 4 on I/O APIC pin 4, edge-triggered to vCPU 0.  From
 * before the OUT to IER that raises it to the handler's TSC: the exit,
 * the UART model, the I/O APIC, the local APIC and the injection.  (MCR
 * OUT2 gates the UART's interrupt output on a PC.) */
#define VEC_LINE 0x43
#define UART_IRQ_PIN 4
#define UART_IER 0x3f9
#define UART_IIR 0x3fa
#define UART_MCR 0x3fc
#define IER_ETBEI 0x02
#define MCR_OUT2 0x08
#define IOAPIC_BASE 0xfec00000u

static volatile uint64_t line_tsc;

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

static bool line_latency(struct cost *c)
{
	struct tally t = TALLY_INIT;
	uint8_t mcr = inb(UART_MCR);

	ioapic_write(0x10 + 2 * UART_IRQ_PIN + 1, 0); /* to APIC ID 0 */
	ioapic_write(0x10 + 2 * UART_IRQ_PIN, VEC_LINE); /* fixed, edge */
	outb(UART_MCR, mcr | MCR_OUT2);
	for (int i = 0; i < XROUNDS; i++) {
		line_tsc = 0;
		uint64_t t0 = rdtsc();
		__asm__ volatile("sti");
		outb(UART_IER, IER_ETBEI);
		while (!line_tsc && rdtsc() < t0 + WAIT_TICKS)
			;
		__asm__ volatile("cli");
		outb(UART_IER, 0);
		(void)inb(UART_IIR); /* acknowledges the THRE interrupt */
		if (!line_tsc)
			return false;
		tally_add(&t, line_tsc - t0);
	}
	ioapic_write(0x10 + 2 * UART_IRQ_PIN, 1u << 16); /* masked again */
	outb(UART_MCR, mcr);
	*c = tally_cost(&t, XROUNDS_LOG2);
	return true;
}

static void timer_rows(void)
{
	struct cost c, zero = { 0, 0 };

	if (line_latency(&c))
		row("irq_line", c, zero);
	else
		puts_serial("BENCH: the device's interrupt never came\n");

	if (timer_latency(false, &c))
		row("timer_spin", c, zero);
	else
		puts_serial("BENCH: the timer never fired (spinning)\n");
	if (timer_latency(true, &c))
		row("timer_halt", c, zero);
	else
		puts_serial("BENCH: the timer never fired (halted)\n");
}

static void on_irq(uint32_t vector)
{
	if (vector == VEC_TIMER) {
		timer_tsc = rdtsc();
	} else if (vector == VEC_LINE) {
		line_tsc = rdtsc();
	} else if (vector == VEC_PONG) { /* vCPU 0 */
		pong_tsc = rdtsc();
	} else if (vector == VEC_PING) { /* vCPU 1 */
		if (ap_task == AP_ECHO)
			xapic_send_fixed(0, VEC_PONG);
		else
			ping_tsc = rdtsc();
	}
	xapic_write(XAPIC_EOI, 0);
}

static void ap_work(void)
{
	__asm__ volatile("sti");
	for (;;) {
		enum ap_task t = ap_task;

		if (t == AP_WAIT || ap_finished == t)
			continue;
		if (t == AP_SKEW) {
			skew_side(1);
		} else if (t == AP_CPUID) {
			ap_base = measure(op_nothing);
			ap_cpuid = measure(op_cpuid);
		} else if (t == AP_ECHO) {
			while (ap_task == AP_ECHO)
				; /* in its guest: the handler answers */
		} else if (t == AP_HALT) {
			for (;;) {
				ap_halting = 1;
				__asm__ volatile("sti; hlt");
			}
		}
		ap_finished = t;
		xapic_send_fixed(0, VEC_PONG);
	}
}

/* vCPU 0 halts meanwhile (its host CPU idle, as vCPU 1's was while
 * vCPU 0 measured): vCPU 1 wakes it with VEC_PONG when done. */
static void ap_run(enum ap_task t)
{
	ap_task = t;
	while (ap_finished != t)
		__asm__ volatile("sti; hlt; cli");
}

/* Mean and best of XROUNDS samples; false if one never came. */
static bool ipi_roundtrip(struct cost *c)
{
	struct tally t = TALLY_INIT;

	for (int i = 0; i < XROUNDS; i++) {
		pong_tsc = 0;
		uint64_t t0 = rdtsc();
		xapic_send_fixed(1, VEC_PING);
		while (!pong_tsc)
			if (rdtsc() - t0 > WAIT_TICKS)
				return false;
		uint64_t dt = pong_tsc - t0;
		tally_add(&t, dt);
	}
	*c = tally_cost(&t, XROUNDS_LOG2);
	return true;
}

static bool ipi_wakeup(struct cost *c)
{
	struct tally t = TALLY_INIT;

	for (int i = 0; i < XROUNDS; i++) {
		uint64_t t0 = rdtsc();

		while (!ap_halting)
			if (rdtsc() - t0 > WAIT_TICKS)
				return false;
		ap_halting = 0;
		while (rdtsc() - t0 < HALT_SETTLE_TICKS)
			;
		ping_tsc = 0;
		t0 = rdtsc();
		xapic_send_fixed(1, VEC_PING);
		while (!ping_tsc)
			if (rdtsc() - t0 > WAIT_TICKS)
				return false;
		uint64_t dt = ping_tsc - t0;
		tally_add(&t, dt);
	}
	*c = tally_cost(&t, XROUNDS_LOG2);
	return true;
}

static void cross_cpu_rows(void)
{
	struct cost c, zero = { 0, 0 };

	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);
	irq_handler = on_irq;
	if (!ap_start(1, ap_work, WAIT_TICKS * 2)) {
		puts_serial("BENCH: vCPU 1 did not start\n");
		return;
	}
	ap_task = AP_SKEW;
	skew_side(0);
	ap_run(AP_SKEW);
	if (skew_min[0] == INT64_MAX || skew_min[1] == INT64_MAX) {
		puts_serial("BENCH: TSC ping-pong timed out\n");
		return;
	}
	puts_serial("BENCH tsc_skew ");
	print_signed(skew_min[0]);
	puts_serial(" ");
	print_signed(skew_min[1]);
	puts_serial("\n");

	ap_run(AP_CPUID);
	row("cpuid_ap", ap_cpuid, ap_base);

	__asm__ volatile("sti");
	ap_task = AP_ECHO;
	if (ipi_roundtrip(&c))
		row("ipi_roundtrip", c, zero);
	else
		puts_serial("BENCH: an IPI round trip never came back\n");
	ap_task = AP_HALT;
	if (ipi_wakeup(&c))
		row("ipi_wakeup", c, zero);
	else
		puts_serial("BENCH: the halted vCPU 1 never took an IPI\n");
	__asm__ volatile("cli");
}

/* ---- the end of a slice with nothing else runnable ---- */

/* Command line "slice": the vCPU is alone on its host CPU but not
 * dedicated, so every slice (kernel/sched.h SLICE_TSC) its preemption
 * timer ends it, the scheduler finds nobody else and enters it again.
 * Seen from the guest, whose TSC runs on in root, that is a gap in a
 * loop that only reads the TSC (a few ticks a turn otherwise).  Any
 * other exit in that time (a host interrupt) would count too. */
#define SLICE_ROUNDS_LOG2 6
#define SLICE_GAP_TICKS 100

static void slice_row(void)
{
	struct tally gaps = TALLY_INIT;
	uint64_t last = rdtsc();
	unsigned n = 0;

	while (n < (1u << SLICE_ROUNDS_LOG2)) {
		uint64_t t = rdtsc(), dt = t - last;

		last = t;
		if (dt > SLICE_GAP_TICKS) {
			tally_add(&gaps, dt);
			n++;
		}
	}
	row("slice_end", tally_cost(&gaps, SLICE_ROUNDS_LOG2),
	    (struct cost){ 0, 0 });
}

static bool is_slice_run(uint32_t info)
{
	const char *cmd = cmdline(info), *w = "slice";

	while (*w && *cmd == *w)
		cmd++, w++;
	return !*w;
}

/* Command line "solo": the single-vCPU rows only, no cross_cpu_rows()
 * (tests/kvm/kvm_vmm.c runs this guest under KVM with one vCPU and no
 * local APIC, issue 15). */
static bool is_solo_run(uint32_t info)
{
	return first_word_is(cmdline(info), "solo");
}

/* Command line "trace" (tests/exit_trace.py): each operation between
 * two of Bochs's magic breakpoints (XCHG BX, BX), after two rounds to
 * warm it up, for the debugger to trace instruction by instruction; then
 * one timer interrupt each way, from the WRMSR that arms it to the
 * handler's return. */
static void magic_break(void) { __asm__ volatile("xchgw %bx, %bx"); }

static void trace_timer(bool halt)
{
	uint64_t deadline = rdtsc() + 3000;

	timer_tsc = 0;
	magic_break();
	(void)wrmsr_safe(MSR_TSC_DEADLINE, deadline);
	__asm__ volatile("sti");
	while (!timer_tsc)
		if (halt)
			__asm__ volatile("hlt");
	__asm__ volatile("cli");
	magic_break();
}

static void trace_run(void)
{
	static void (*const ops[])(void) = { op_cpuid, op_pio, op_pio_out,
					     op_vmcall, op_mmio };

	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		ops[i]();
		ops[i]();
		magic_break();
		ops[i]();
		magic_break();
	}
	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);
	irq_handler = on_irq;
	xapic_write(XAPIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
	trace_timer(false);
	trace_timer(true);
}

int guest_main(uint32_t magic, uint32_t info)
{
	struct cost base, zero = { 0, 0 };

	(void)magic;
	if (is_slice_run(info)) {
		slice_row();
		return 0;
	}
	if (first_word_is(cmdline(info), "trace")) {
		trace_run();
		return 0;
	}
	base = measure(op_nothing);
	row("empty", base, zero);
	row("cpuid", measure(op_cpuid), base);
	row("pio_in", measure(op_pio), base);
	row("pio_out", measure(op_pio_out), base);
	row("vmcall", measure(op_vmcall), base);
	row("mmio_read", measure(op_mmio), base);
	if (!is_solo_run(info)) {
		cross_cpu_rows();
		timer_rows();
	}
	return 0;
}
