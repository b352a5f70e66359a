/* A vCPU that comes and goes: it spins for `hop` TSC ticks, then sleeps
 * (STI; HLT) until its local APIC timer, in TSC-deadline mode, fires
 * `hop` ticks later, `rounds` times over.  While it sleeps its host CPU
 * has nothing of its own to run, so a waiting vCPU of another CPU moves
 * there; the migration test pins one hopper to each host CPU, out of
 * phase (`late` sleeps first), so a third vCPU keeps moving to whichever
 * CPU is free.  It checks that every sleep ended by its timer, no sooner
 * than the deadline.
 * Command line: hop=TICKS rounds=N [late] (decimal). */
#include "guest.h"

#define APIC 0xfee00000u
#define MSR_TSC_DEADLINE 0x6e0
enum { EOI = 0xb0, SVR = 0xf0, LVT_TIMER = 0x320 };
#define TSC_DEADLINE_MODE (2u << 17)
#define TIMER_VECTOR 0x40

static void apic_wr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC + off) = v;
}

static volatile uint32_t fired;

static void on_irq(uint32_t vector)
{
	if (vector == TIMER_VECTOR)
		fired++;
	apic_wr(EOI, 0);
}

static uint64_t arg(const char *cmd, const char *key, uint64_t dflt)
{
	for (const char *p = cmd; *p; p++) {
		unsigned n = 0;

		if (p != cmd && p[-1] != ' ')
			continue;
		while (key[n] && p[n] == key[n])
			n++;
		if (key[n] || p[n] != '=')
			continue;
		uint64_t v = 0;
		for (p += n + 1; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (uint64_t)(*p - '0');
		return v;
	}
	return dflt;
}

static bool has_word(const char *cmd, const char *w)
{
	for (const char *p = cmd; *p; p++) {
		unsigned n = 0;

		if (p != cmd && p[-1] != ' ')
			continue;
		while (w[n] && p[n] == w[n])
			n++;
		if (!w[n] && (p[n] == ' ' || !p[n]))
			return true;
	}
	return false;
}

static void spin(uint64_t ticks)
{
	uint64_t t0 = rdtsc();

	while (rdtsc() - t0 < ticks)
		;
}

/* Sleeps until the timer fires; true if it did, not before `until`. */
static bool sleep_until(uint64_t until)
{
	uint32_t before = fired;

	wrmsr_safe(MSR_TSC_DEADLINE, until);
	while (fired == before)
		__asm__ volatile("sti; hlt; cli");
	return rdtsc() >= until;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = cmdline(info);
	uint64_t hop = arg(cmd, "hop", 2000000), rounds = arg(cmd, "rounds", 20);
	uint32_t early = 0;

	(void)magic;
	irq_handler = on_irq;
	apic_wr(SVR, 0x1ff);
	apic_wr(LVT_TIMER, TSC_DEADLINE_MODE | TIMER_VECTOR);
	if (has_word(cmd, "late") && !sleep_until(rdtsc() + hop))
		early++;
	for (uint64_t r = 0; r < rounds; r++) {
		spin(hop);
		if (!sleep_until(rdtsc() + hop))
			early++;
	}
	check(fired == rounds + (has_word(cmd, "late") ? 1 : 0),
	      "every sleep ended by its timer");
	check(early == 0, "no sleep ended before its deadline");
	return verdict();
}
