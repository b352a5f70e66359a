/* make bench: round-trip costs of the exits a guest causes most, in TSC
 * ticks (under Bochs with clock sync=none the TSC counts instructions, so
 * the figures repeat run after run). */
#include "guest.h"

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

static void op_nothing(void) { }
static void op_cpuid(void) { uint32_t r[4]; cpuid(0, 0, r); }
static void op_pio(void) { (void)inb(0x3ff); }
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

int guest_main(uint32_t magic, uint32_t info)
{
	struct cost base, zero = { 0, 0 };

	(void)magic, (void)info;
	base = measure(op_nothing);
	row("empty", base, zero);
	row("cpuid", measure(op_cpuid), base);
	row("pio_in", measure(op_pio), base);
	row("vmcall", measure(op_vmcall), base);
	row("mmio_read", measure(op_mmio), base);
	return 0;
}
