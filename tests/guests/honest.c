/* The honest VM of the isolation tests (issue 9): it loads known patterns
 * into every piece of register state a VM owns -- GPRs, XMM0-7 and MXCSR,
 * the YMM upper halves where AVX exists, the x87 control word and a value
 * on its stack, DR0-DR3, DR6 and DR7, the SYSENTER, SYSCALL and TSC_AUX MSRs --
 * then yields the CPU round after round (PAUSE exits and lets the other
 * vCPUs run: the attackers) and checks after each round that every value
 * is still its own.  It also measures the largest gap in TSC between two
 * rounds: how long the others kept it off the CPU.
 *
 * Command line (words, any order):
 *   rounds=N   rounds to run (decimal; default 2000)
 *   ticks=N    and at least this many TSC ticks (decimal; default 0)
 *   sse        legacy SSE only: CR4.OSXSAVE stays clear (an OS of the
 *              FXSAVE era), so no XCR0 and no YMM
 *   seed=N     second byte of every pattern (two honest VMs differ)
 *   vary       new patterns every round (the seed byte counts up from
 *              seed): state saved once and restored stale forever after
 *              (a move between host CPUs that forgot to save it) shows
 *   phase=N    the gaps are also kept per phase of N ticks from the start
 *              (a gap counts in the phase it began in)
 *   phases=a,b,...  the phases' names (at most 8)
 *   base=K     phase K is the baseline (default 0); earlier phases are
 *              only reported, each later one is checked against it:
 *   bound=N    a later phase's largest gap must be below N times the
 *              baseline's (default 5)
 *
 * Patterns: every 32-bit word this VM loads is 0x484fSSII ("HO", the seed,
 * an index): an attacker that sees a word starting 0x484f has read this
 * VM's registers. */
#include "guest.h"

#define XCR0_X87_SSE_AVX 7u


#define MXCSR_HONEST 0x7f80u /* round toward zero, all exceptions masked */
#define FCW_HONEST 0x027fu   /* 53-bit precision (power-on: 0x037f) */
/* DR7: L0-L3 (bits 0, 2, 4, 6) and bit 10 (always 1); execute breakpoints
 * on addresses this VM never runs */
#define DR7_HONEST 0x455u
/* DR6: B1 and B3 set, as if breakpoints 1 and 3 had hit (the other bits
 * read as their fixed values; SDM Vol. 3B 17.2.3) */
#define DR6_HONEST_B 0xau
#define MAX_PHASES 8

static uint32_t seed;
static uint32_t pat(uint32_t index) { return 0x484f0000u | (seed << 8) | (index & 0xff); }

/* ---- the command line ---- */

static const char *cmd;

static const char *word(const char *key)
{
	unsigned n = 0;
	while (key[n])
		n++;
	for (const char *p = cmd; *p; p++) {
		if (p != cmd && p[-1] != ' ')
			continue;
		unsigned i = 0;
		while (i < n && p[i] == key[i])
			i++;
		if (i == n && (p[n] == ' ' || p[n] == '=' || p[n] == 0))
			return p[n] == '=' ? p + n + 1 : p + n;
	}
	return 0;
}

static uint64_t number(const char *key, uint64_t dflt)
{
	const char *p = word(key);
	uint64_t v = 0;

	if (!p || *p < '0' || *p > '9')
		return dflt;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

/* ---- the state it loads and checks ---- */

static uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v)); }
static void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v)); }

static uint32_t xmm_pat[8][4] __attribute__((aligned(16)));
static uint32_t ymm_pat[8][4] __attribute__((aligned(16)));
static uint32_t xmm_now[8][4] __attribute__((aligned(16)));
static uint32_t ymm_now[8][4] __attribute__((aligned(16)));
static bool avx;

#define EACH_XMM(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define LOAD_XMM(i) __asm__ volatile("movups %0, %%xmm" #i ::"m"(xmm_pat[i]));
#define SAVE_XMM(i) __asm__ volatile("movups %%xmm" #i ", %0" : "=m"(xmm_now[i]));
/* A VEX.256 write keeps the low half from the source register, puts the
 * memory operand in the upper half; legacy SSE writes (above) leave the
 * upper halves alone (SDM Vol. 1 14.1.2). */
#define LOAD_YMM(i) __asm__ volatile("vinsertf128 $1, %0, %%ymm" #i ", %%ymm" #i ::"m"(ymm_pat[i]));
#define SAVE_YMM(i) __asm__ volatile("vextractf128 $1, %%ymm" #i ", %0" : "=m"(ymm_now[i]));

/* 1234.5 as a double: loaded with FLD, read back with FST (no pop) */
static const uint64_t x87_value = 0x40934a0000000000ull;

static void load_vector_state(void)
{
	uint32_t mxcsr = MXCSR_HONEST;
	uint16_t fcw = FCW_HONEST;

	for (uint32_t i = 0; i < 8; i++)
		for (uint32_t k = 0; k < 4; k++) {
			xmm_pat[i][k] = pat(i * 4 + k);
			ymm_pat[i][k] = pat(0x80 | (i * 4 + k));
		}
	__asm__ volatile("fninit; fldcw %0; fldl %1" ::"m"(fcw), "m"(x87_value));
	__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
	EACH_XMM(LOAD_XMM)
	if (avx) {
		EACH_XMM(LOAD_YMM)
	}
}

static uint32_t check_vector_state(void)
{
	uint32_t bad = 0, mxcsr;
	uint16_t fcw;
	uint64_t st0;

	EACH_XMM(SAVE_XMM)
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 4; k++)
			if (xmm_now[i][k] != xmm_pat[i][k])
				bad |= 1;
	if (avx) {
		EACH_XMM(SAVE_YMM)
		for (int i = 0; i < 8; i++)
			for (int k = 0; k < 4; k++)
				if (ymm_now[i][k] != ymm_pat[i][k])
					bad |= 2;
	}
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	if (mxcsr != MXCSR_HONEST)
		bad |= 4;
	__asm__ volatile("fnstcw %0; fstl %1" : "=m"(fcw), "=m"(st0));
	if (fcw != FCW_HONEST || st0 != x87_value)
		bad |= 8;
	return bad;
}

#define DR_SET(n) __asm__ volatile("mov %0, %%dr" #n ::"r"(dr_pat(n)));
#define DR_GET(n, v) __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v))

/* Addresses in the top of the 4 GiB space, which this VM never executes. */
static uint32_t dr_pat(int n) { return pat(0x40 + (uint32_t)n) & ~3u; }

static void load_debug_state(void)
{
	DR_SET(0) DR_SET(1) DR_SET(2) DR_SET(3)
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0u | DR6_HONEST_B));
	__asm__ volatile("mov %0, %%dr7" ::"r"(DR7_HONEST));
}

static uint32_t check_debug_state(void)
{
	uint32_t d[4], dr6, dr7, bad = 0;

	DR_GET(0, d[0]); DR_GET(1, d[1]); DR_GET(2, d[2]); DR_GET(3, d[3]);
	DR_GET(6, dr6);
	DR_GET(7, dr7);
	for (int n = 0; n < 4; n++)
		if (d[n] != dr_pat(n))
			bad |= 1;
	if ((dr7 & 0xffff) != DR7_HONEST)
		bad |= 2;
	if ((dr6 & 0xf) != DR6_HONEST_B)
		bad |= 4;
	return bad;
}

static const uint32_t msrs[] = {
	MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_STAR,
	MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};
#define NMSRS (sizeof(msrs) / sizeof(msrs[0]))
static bool msr_held[NMSRS];

/* Canonical (below 2^47) and distinct: LSTAR, CSTAR and KERNEL_GS_BASE
 * take addresses; TSC_AUX and SFMASK keep only 32 bits; SYSENTER_CS 16. */
static uint64_t msr_pat(unsigned i)
{
	uint64_t v = ((uint64_t)(0x10 + i) << 32) | pat(0x50 + i);

	if (msrs[i] == MSR_TSC_AUX || msrs[i] == MSR_SFMASK)
		return pat(0x50 + i); /* 32 bits (SFMASK's upper half reads 0) */
	if (msrs[i] == MSR_SYSENTER_CS)
		return 0x10 + i;
	return v;
}

static void load_msrs(void)
{
	for (unsigned i = 0; i < NMSRS; i++) {
		msr_held[i] = wrmsr_safe(msrs[i], msr_pat(i));
		if (!msr_held[i]) {
			puts_serial("MSR ");
			print_hex(msrs[i]);
			puts_serial(" not writable here: not checked\n");
		}
	}
}

static uint32_t check_msrs(void)
{
	uint32_t bad = 0;
	uint64_t v;

	for (unsigned i = 0; i < NMSRS; i++)
		if (msr_held[i] && (!rdmsr_safe(msrs[i], &v) || v != msr_pat(i)))
			bad |= 1u << i;
	return bad;
}

/* One round with the GPR patterns in EBX, ESI, EDI, EBP across `spins`
 * PAUSEs (each an exit that gives the CPU to the next vCPU); returns the
 * OR of the differences found afterwards.  Written in assembly: C cannot
 * keep these four registers pinned. */
uint32_t gpr_round(uint32_t spins, const uint32_t *p);
__asm__(
	".text\n"
	".globl gpr_round\n"
	"gpr_round:\n"
	"	push %ebp; push %ebx; push %esi; push %edi\n"
	"	mov 20(%esp), %ecx\n"
	"	mov 24(%esp), %eax\n"
	"	mov 0(%eax), %ebx; mov 4(%eax), %esi\n"
	"	mov 8(%eax), %edi; mov 12(%eax), %ebp\n"
	"	push %eax\n"
	"1:	pause\n"
	"	dec %ecx\n"
	"	jnz 1b\n"
	"	pop %eax\n"
	"	xor 0(%eax), %ebx; xor 4(%eax), %esi\n"
	"	xor 8(%eax), %edi; xor 12(%eax), %ebp\n"
	"	or %esi, %ebx; or %edi, %ebx; or %ebp, %ebx\n"
	"	mov %ebx, %eax\n"
	"	pop %edi; pop %esi; pop %ebx; pop %ebp\n"
	"	ret\n");

/* ---- gaps ---- */

static uint64_t phase_len, phase_max[MAX_PHASES], gap_max;
static unsigned nphases;
static char phase_name[MAX_PHASES][16];

static void parse_phases(void)
{
	const char *p = word("phases");

	phase_len = number("phase", 0);
	if (!p || !phase_len)
		return;
	while (*p && *p != ' ' && nphases < MAX_PHASES) {
		unsigned n = 0;
		while (*p && *p != ' ' && *p != ',') {
			if (n < sizeof(phase_name[0]) - 1)
				phase_name[nphases][n++] = *p;
			p++;
		}
		phase_name[nphases++][n] = 0;
		if (*p == ',')
			p++;
	}
}

static void report_error(const char *what, uint32_t round, uint32_t bits)
{
	puts_serial("round ");
	print_dec(round);
	puts_serial(": ");
	puts_serial(what);
	puts_serial(" changed (mask ");
	print_hex(bits);
	puts_serial(")\n");
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint32_t r[4], gpr_pat[4];
	uint32_t bad_gpr = 0, bad_vec = 0, bad_dr = 0, bad_msr = 0, round;
	uint64_t rounds, min_ticks, start, prev, now, bound, base;
	uint32_t seed0;
	bool sse_only, vary;

	(void)magic;
	cmd = cmdline(info);
	rounds = number("rounds", 2000);
	min_ticks = number("ticks", 0);
	seed = seed0 = (uint32_t)number("seed", 0) & 0xff;
	vary = word("vary") != 0;
	bound = number("bound", 5);
	base = number("base", 0);
	sse_only = word("sse") != 0;
	parse_phases();
	for (int i = 0; i < 4; i++)
		gpr_pat[i] = pat(0x60 + (uint32_t)i);

	cpuid(1, 0, r);
	avx = !sse_only && (r[2] & (1u << 26)) && (r[2] & (1u << 28));
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT |
		  (avx ? CR4_OSXSAVE : 0));
	if (avx)
		__asm__ volatile("xsetbv" ::"c"(0), "a"(XCR0_X87_SSE_AVX), "d"(0));
	puts_serial(avx ? "state: GPRs, x87, SSE, AVX (XCR0 = 7), DR0-3/DR7, MSRs\n"
			: "state: GPRs, x87, SSE (no XSAVE), DR0-3/DR7, MSRs\n");
	load_vector_state();
	load_debug_state();
	load_msrs();

	start = prev = rdtsc();
	for (round = 0; round < rounds || rdtsc() - start < min_ticks; round++) {
		uint32_t b;

		if (vary && round) {
			seed = (seed0 + round) & 0xff;
			for (int i = 0; i < 4; i++)
				gpr_pat[i] = pat(0x60 + (uint32_t)i);
			load_vector_state();
			load_debug_state();
			for (unsigned i = 0; i < NMSRS; i++)
				if (msr_held[i])
					wrmsr_safe(msrs[i], msr_pat(i));
		}
		if ((b = gpr_round(1, gpr_pat)) && !bad_gpr)
			report_error("GPRs", round, b);
		bad_gpr |= b;
		if ((b = check_vector_state()) && !bad_vec)
			report_error("vector/x87 state", round, b);
		bad_vec |= b;
		if ((b = check_debug_state()) && !bad_dr)
			report_error("debug registers", round, b);
		bad_dr |= b;
		if ((b = check_msrs()) && !bad_msr)
			report_error("MSRs", round, b);
		bad_msr |= b;

		now = rdtsc();
		if (now - prev > gap_max)
			gap_max = now - prev;
		if (phase_len) {
			/* A gap belongs to the phase it began in: whoever
			 * was active then took the CPU. */
			unsigned ph = 0;
			while (ph < nphases && prev - start >= (ph + 1) * phase_len)
				ph++;
			if (ph < nphases && now - prev > phase_max[ph])
				phase_max[ph] = now - prev;
		}
		prev = now;
	}

	puts_serial("rounds ");
	print_dec(round);
	puts_serial(" over ");
	print_dec(rdtsc() - start);
	puts_serial(" ticks\n");
	check(!bad_gpr, "GPRs intact");
	check(!(bad_vec & 1), "XMM0-7 intact");
	if (avx)
		check(!(bad_vec & 2), "YMM upper halves intact");
	check(!(bad_vec & 4), "MXCSR intact");
	check(!(bad_vec & 8), "x87 control word and stack intact");
	check(!(bad_dr & 1), "DR0-DR3 intact");
	check(!(bad_dr & 2), "DR7 intact");
	check(!(bad_dr & 4), "DR6 intact");
	check(!bad_msr, "MSRs intact");
	puts_serial("GAP max=");
	print_dec(gap_max);
	puts_serial(" ticks\n");
	for (unsigned i = 0; i < nphases; i++) {
		puts_serial("GAP ");
		puts_serial(phase_name[i]);
		puts_serial(" max=");
		print_dec(phase_max[i]);
		puts_serial(" ticks\n");
	}
	if (base < nphases) {
		puts_serial("GAP bound=");
		print_dec(bound * phase_max[base]);
		puts_serial(" ticks (");
		print_dec(bound);
		puts_serial(" x the largest gap of the baseline phase)\n");
	}
	for (unsigned i = (unsigned)base + 1; i < nphases; i++) {
		static char what[64];
		unsigned n = 0;
		for (const char *s = "largest gap in phase "; *s; s++)
			what[n++] = *s;
		for (const char *s = phase_name[i]; *s; s++)
			what[n++] = *s;
		for (const char *s = " below bound x baseline"; *s; s++)
			what[n++] = *s;
		what[n] = 0;
		check(phase_max[base] && phase_max[i] < bound * phase_max[base], what);
	}
	return verdict();
}
