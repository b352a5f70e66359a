/* make bench: round-trip costs of the exits a guest causes most, in TSC
 * ticks (under Bochs with clock sync=none the TSC counts instructions, so
 * the figures repeat run after run). */
#include "guest.h"

#define ROUNDS 200
#define TESTDEV 0xfeb00000u

static uint64_t best_of(void (*op)(void))
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
	(void)total;
	return best;
}

static void op_nothing(void) { }
static void op_cpuid(void) { uint32_t r[4]; cpuid(0, 0, r); }
static void op_pio(void) { (void)inb(0x3ff); }
static void op_vmcall(void) { (void)vmcall(0, 0, 0, 0); }
static void op_mmio(void) { (void)*(volatile uint32_t *)TESTDEV; }

static void row(const char *name, uint64_t ticks, uint64_t base)
{
	puts_serial("BENCH ");
	puts_serial(name);
	puts_serial(" ");
	print_dec(ticks > base ? ticks - base : 0);
	puts_serial("\n");
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint64_t base;

	(void)magic, (void)info;
	base = best_of(op_nothing);
	row("empty", base, 0);
	row("cpuid", best_of(op_cpuid), base);
	row("pio_in", best_of(op_pio), base);
	row("vmcall", best_of(op_vmcall), base);
	row("mmio_read", best_of(op_mmio), base);
	return 0;
}
