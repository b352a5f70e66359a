/* Hostile guests for issue 9 (items 1-7 and 12): each attack tries to
 * crash the hypervisor, read or change another VM's registers, keep state
 * across its own reset, or keep the others off the CPU.  They run beside
 * tests/guests/honest.c, which holds known register patterns and checks
 * them; each attack prints
 *   ATTACK NAME: start
 *   ATTACK NAME: contained (why)      the hypervisor held
 *   ATTACK NAME: ESCAPED (what)       another VM's state was read/written
 *   ATTACK NAME: WRONG (what)         contained, but not what a CPU does
 * and a host panic shows as the missing "contained" line (and PANIC in
 * the hypervisor's log).
 *
 * Command line: attack=NAME[@PHASE][,NAME[@PHASE]...] run in this order,
 * and for the phased ones (the starvation attacks) phase=TICKS (decimal),
 * the length of a phase counted from this VM's first start (kept in CMOS
 * across its resets); an attack at phase K acts in the middle half of
 * [K*TICKS, (K+1)*TICKS), so that honest.c (phases of the same length
 * from its own start, which differs by a few slices) can tell which one
 * kept it waiting. */
#include "guest.h"


#define MSR_SPEC_CTRL 0x48
#define MSR_PRED_CMD 0x49
#define MSR_ARCH_CAPABILITIES 0x10a
#define MSR_FLUSH_CMD 0x10b

#define HC_CONSOLE_WRITE 1
#define MXCSR_RESET 0x1f80u
#define FCW_RESET 0x037fu
#define HONEST_TAG 0x484fu /* the top half of every word honest.c loads */
#define ATTACK_TAG 0x41540000u /* "AT": the words the attacks load */

/* CMOS RAM (this VM's own, kept across its resets, zeroed at its start) */
#define CMOS_STAGE 0x50
#define CMOS_T0 0x51 /* 8 bytes */
#define CMOS_COUNT 0x59 /* 2 bytes */

/* ---- small helpers ---- */

static const char *cmd;
static const char *cur; /* the attack running */

static void say3(const char *a, const char *b, const char *c)
{
	puts_serial(a);
	puts_serial(b);
	puts_serial(c);
}

static void start(const char *name)
{
	cur = name;
	say3("ATTACK ", name, ": start\n");
}

static void outcome(const char *verdict, const char *why, uint64_t val)
{
	say3("ATTACK ", cur, ": ");
	say3(verdict, " (", why);
	if (val != ~0ull) {
		puts_serial(" ");
		print_hex(val);
	}
	puts_serial(")\n");
}

static void contained(const char *why) { outcome("contained", why, ~0ull); }
static void escaped(const char *why, uint64_t v) { outcome("ESCAPED", why, v); }
static void wrong(const char *why, uint64_t v) { outcome("WRONG", why, v); }

static void pause_n(unsigned n)
{
	while (n--)
		__asm__ volatile("pause");
}

static uint8_t cmos_read(uint8_t r) { outb(0x70, r); return inb(0x71); }
static void cmos_write(uint8_t r, uint8_t v) { outb(0x70, r); outb(0x71, v); }

static uint64_t cmos_read64(uint8_t r)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | cmos_read((uint8_t)(r + i));
	return v;
}

static void cmos_write64(uint8_t r, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		cmos_write((uint8_t)(r + i), (uint8_t)(v >> (8 * i)));
}

static uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v)); }
static void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v)); }

/* XSETBV is 0f 01 d1: three bytes to skip on #GP. */
static void xsetbv(uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t xgetbv(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static bool has_xsave(void) { uint32_t r[4]; cpuid(1, 0, r); return r[2] & (1u << 26); }
static bool has_avx(void) { uint32_t r[4]; cpuid(1, 0, r); return (r[2] & (1u << 26)) && (r[2] & (1u << 28)); }

/* SSE usable (CR0.EM clear, CR0.MP, CR4.OSFXSR), and XSAVE on or off. */
static void sse_on(bool osxsave)
{
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	uint32_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	write_cr4(osxsave ? cr4 | CR4_OSXSAVE : cr4 & ~CR4_OSXSAVE);
}

/* ---- vector registers ---- */

static uint32_t vbuf[8][4] __attribute__((aligned(16)));
#define EACH_XMM(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define LOAD_XMM(i) __asm__ volatile("movups %0, %%xmm" #i ::"m"(vbuf[i]));
#define SAVE_XMM(i) __asm__ volatile("movups %%xmm" #i ", %0" : "=m"(vbuf[i]));
#define LOAD_YMM(i) __asm__ volatile("vinsertf128 $1, %0, %%ymm" #i ", %%ymm" #i ::"m"(vbuf[i]));
#define SAVE_YMM(i) __asm__ volatile("vextractf128 $1, %%ymm" #i ", %0" : "=m"(vbuf[i]));

static void fill(uint32_t salt)
{
	for (uint32_t i = 0; i < 8; i++)
		for (uint32_t k = 0; k < 4; k++)
			vbuf[i][k] = ATTACK_TAG | (salt << 8) | (i * 4 + k);
}

static void load_xmm(uint32_t salt) { fill(salt); EACH_XMM(LOAD_XMM) }
static void load_ymm_upper(uint32_t salt) { fill(salt | 0x80); EACH_XMM(LOAD_YMM) }

static uint32_t get_mxcsr(void) { uint32_t v; __asm__ volatile("stmxcsr %0" : "=m"(v)); return v; }
static void set_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" ::"m"(v)); }

/* Every word of vbuf zero (a register at its reset value)?  Else the
 * first word that is not, and whether it is the honest VM's. */
static bool vbuf_clean(uint32_t *word, bool *honest)
{
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 4; k++)
			if (vbuf[i][k]) {
				*word = vbuf[i][k];
				*honest = (vbuf[i][k] >> 16) == HONEST_TAG;
				return false;
			}
	return true;
}

static void report_leak(const char *what, uint32_t word, bool honest)
{
	static char why[96];
	unsigned n = 0;
	for (const char *s = what; *s; s++)
		why[n++] = *s;
	for (const char *s = honest ? " held the honest VM's word"
				    : " held a word this VM never wrote";
	     *s; s++)
		why[n++] = *s;
	why[n] = 0;
	escaped(why, word);
}

/* 1. XCR0 lowered while the AVX state it enabled is live. */
static void xcr0_lowering(void)
{
	start("xcr0_lowering");
	if (!has_avx()) {
		wrong("no AVX on this CPU: nothing tried", ~0ull);
		return;
	}
	sse_on(true);
	for (uint32_t i = 0; i < 20; i++) {
		xsetbv(7);
		load_xmm(i);
		load_ymm_upper(i);
		pause_n(3);
		xsetbv(3);
		load_xmm(i + 1);
		pause_n(3);
	}
	contained("20 rounds of XCR0 7 -> 3 with AVX state live, switched out between; host alive");
}

/* 2. A reset with XCR0 = 3 and SSE in use, through 0x64 and then 0xcf9. */
static void reset_sse(void)
{
	uint8_t stage = cmos_read(CMOS_STAGE);

	start("reset_sse");
	if (!has_xsave()) {
		wrong("no XSAVE on this CPU: nothing tried", ~0ull);
		return;
	}
	pause_n(10); /* other vCPUs run: the CPU's XSAVE state changes hands */
	if (stage >= 2) {
		contained("booted again after the 0x64 and the 0xcf9 reset with XCR0 = 3 and SSE live");
		return;
	}
	puts_serial(stage == 0 ? "reset_sse: XCR0 = 3, XMM loaded, reset through 0x64\n"
			       : "reset_sse: booted again; XCR0 = 3, XMM loaded, reset through 0xcf9\n");
	sse_on(true);
	xsetbv(3);
	load_xmm(0x20 + stage);
	pause_n(3);
	load_xmm(0x30 + stage);
	cmos_write(CMOS_STAGE, (uint8_t)(stage + 1));
	if (stage == 0)
		outb(0x64, 0xfe);
	else
		outb(0xcf9, 0x06);
	wrong("the reset did not restart the VM", ~0ull);
}

/* 3. XSETBV values the CPU refuses: each must be #GP in the guest. */
static const struct { uint64_t val; const char *what; } refused[] = {
	{ 0x2, "x87 clear" },
	{ 0x5, "AVX without SSE" },
	{ 0x103, "bit 8 (PT, an XSS-only component)" },
	{ 0x8000000000000003ull, "reserved bit 63" },
	{ 0xb, "BNDREGS without BNDCSR" },
	{ 0x13, "BNDCSR without BNDREGS" },
	{ 0x20003, "XTILECFG without XTILEDATA" },
	{ 0x40003, "XTILEDATA without XTILECFG" },
	{ 0x27, "opmask without ZMM_Hi256 and Hi16_ZMM" },
	{ 0x47, "ZMM_Hi256 alone" },
	{ 0x87, "Hi16_ZMM alone" },
	{ 0x67, "opmask and ZMM_Hi256 without Hi16_ZMM" },
	{ 0xc7, "ZMM_Hi256 and Hi16_ZMM without opmask" },
	{ 0xe3, "AVX-512 without AVX" },
};

static void xsetbv_refused(void)
{
	uint32_t r[4];
	uint64_t supported;
	unsigned bad = 0, n = sizeof(refused) / sizeof(refused[0]);

	start("xsetbv_refused");
	if (!has_xsave()) {
		wrong("no XSAVE on this CPU: nothing tried", ~0ull);
		return;
	}
	sse_on(true);
	cpuid(0xd, 0, r);
	supported = ((uint64_t)r[3] << 32) | r[0];
	puts_serial("xsetbv_refused: CPUID.(0xd,0) XCR0 components ");
	print_hex(supported);
	puts_serial("\n");
	for (unsigned i = 0; i < n; i++) {
		puts_serial("xsetbv_refused: XSETBV ");
		print_hex(refused[i].val);
		say3(" (", refused[i].what, ")\n");
		expect_fault(13, 3);
		xsetbv(refused[i].val);
		bool gp = fault_seen(13);
		puts_serial("CHECK XSETBV ");
		print_hex(refused[i].val);
		say3(" (", refused[i].what, gp ? "): #GP: ok\n" : "): #GP: FAIL\n");
		if (!gp) {
			bad++;
			xsetbv(3); /* back to something every CPU takes */
		}
	}
	/* The valid ones still work (the #GPs are not a blanket refusal). */
	xsetbv(3);
	check(xgetbv() == 3, "XSETBV 0x3 accepted");
	if ((supported & 0xe7) == 0xe7) {
		xsetbv(0xe7);
		check(xgetbv() == 0xe7, "XSETBV 0xe7 (AVX-512) accepted");
		xsetbv(3);
	}
	if (bad)
		wrong("XSETBV values the CPU refuses were accepted", bad);
	else
		contained("every refused value gave #GP in the guest");
}

/* 4. Reading the vector registers another VM left behind.  `osxsave`:
 * CR4.OSXSAVE with XCR0 = 1 (x87 only), else the FXSAVE era. */
static void leak_xmm(const char *name, bool osxsave)
{
	uint32_t word;
	bool honest;

	start(name);
	sse_on(osxsave);
	if (osxsave)
		xsetbv(1);
	for (int round = 0; round < 200; round++) {
		pause_n(2);
		EACH_XMM(SAVE_XMM)
		if (!vbuf_clean(&word, &honest)) {
			report_leak("XMM0-7 read with plain SSE", word, honest);
			return;
		}
		if (get_mxcsr() != MXCSR_RESET) {
			escaped("MXCSR held another VM's value", get_mxcsr());
			return;
		}
	}
	contained("XMM0-7 and MXCSR at their reset values over 200 rounds");
}

/* 4. Writing garbage to vector registers whose state this VM's XCR0 does
 * not cover: the honest VMs' checks tell whether it landed in theirs. */
static void clobber_xmm(void)
{
	start("clobber_xmm");
	sse_on(true);
	xsetbv(1);
	for (uint32_t round = 0; round < 200; round++) {
		load_xmm(0x40 | (round & 0x3f));
		set_mxcsr(0x3f80); /* round down */
		pause_n(2);
	}
	contained("200 rounds of garbage XMM0-7/MXCSR with XCR0 = 1; the honest VMs' checks judge it");
}

/* 4. XCR0 3 -> 7 exposes the YMM upper halves the CPU still holds. */
static void leak_ymm(void)
{
	uint32_t word;
	bool honest;

	start("leak_ymm");
	if (!has_avx()) {
		wrong("no AVX on this CPU: nothing tried", ~0ull);
		return;
	}
	sse_on(true);
	for (int round = 0; round < 10; round++) {
		xsetbv(3);
		pause_n(20);
		xsetbv(7);
		EACH_XMM(SAVE_YMM)
		if (!vbuf_clean(&word, &honest)) {
			report_leak("YMM upper halves after XCR0 3 -> 7", word, honest);
			return;
		}
	}
	contained("YMM upper halves zero after XCR0 3 -> 7, 10 rounds");
}

/* ---- 5. debug registers ---- */

#define DR_GET(n, v) __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v))
#define DR_SET(n, v) __asm__ volatile("mov %0, %%dr" #n ::"r"(v))

static void read_drs(uint32_t d[4])
{
	DR_GET(0, d[0]); DR_GET(1, d[1]); DR_GET(2, d[2]); DR_GET(3, d[3]);
}

static void dr_read(void)
{
	uint32_t d[4], dr6;

	start("dr_read");
	for (int round = 0; round < 200; round++) {
		pause_n(2);
		read_drs(d);
		DR_GET(6, dr6);
		if (dr6 & 0xf) {
			escaped("DR6 held breakpoint hits B0-B3 of another VM", dr6);
			return;
		}
		for (int n = 0; n < 4; n++)
			if (d[n]) {
				escaped((d[n] >> 16) == HONEST_TAG
						? "DR0-3 held the honest VM's breakpoint address"
						: "DR0-3 held an address this VM never wrote",
					d[n]);
				return;
			}
	}
	contained("DR0-3 stayed 0 and DR6 showed no hits over 200 rounds");
}

static void dr_clobber(void)
{
	uint32_t d[4];

	start("dr_clobber");
	for (uint32_t round = 0; round < 200; round++) {
		DR_SET(0, 0xbad00000u | round); DR_SET(1, 0xbad10000u | round);
		DR_SET(2, 0xbad20000u | round); DR_SET(3, 0xbad30000u | round);
		DR_SET(6, 0xffff0ff5u); /* B0 and B2 */
		pause_n(2);
		read_drs(d);
		if (d[0] != (0xbad00000u | round)) {
			wrong("this VM's own DR0 changed while it was switched out", d[0]);
			return;
		}
	}
	contained("200 rounds of garbage DR0-3/DR6; the honest VM's checks judge it");
}

static void dr7_exit(void)
{
	uint32_t r[4], dr7;

	start("dr7_exit");
	DR_SET(0, 0xbadc0de0u); /* never executed */
	DR_SET(7, 0x401u);      /* L0: an execute breakpoint on DR0 */
	cpuid(0, 0, r);
	DR_GET(7, dr7);
	if ((dr7 & 0xffff) != 0x401) {
		wrong("DR7 0x401 read back after a CPUID exit as", dr7);
		return;
	}
	pause_n(5);
	DR_GET(7, dr7);
	if ((dr7 & 0xffff) != 0x401) {
		wrong("DR7 0x401 read back after PAUSE exits as", dr7);
		return;
	}
	DR_SET(7, 0x400u);
	contained("DR7 kept across CPUID and PAUSE exits");
}

/* ---- 6. state across a reset ---- */

static const uint32_t reset_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE,
	MSR_TSC_AUX, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
};
static const char *const reset_msr_names[] = {
	"STAR", "LSTAR", "CSTAR", "SFMASK", "KERNEL_GS_BASE", "TSC_AUX",
	"SYSENTER_CS", "SYSENTER_ESP", "SYSENTER_EIP",
};
#define NRESET_MSRS (sizeof(reset_msrs) / sizeof(reset_msrs[0]))
static const uint64_t x87_value = 0x40934a0000000000ull; /* 1234.5 */

static void reset_state(void)
{
	uint8_t stage = cmos_read(CMOS_STAGE);
	uint32_t d[4], dr6, dr7, mxcsr, word;
	uint16_t fcw, fsw;
	unsigned bad = 0;
	bool honest;
	uint64_t v;

	start("reset_state");
	if (stage == 0) {
		uint16_t f = 0x027f;
		sse_on(false);
		load_xmm(0x50);
		set_mxcsr(0x3f80);
		__asm__ volatile("fninit; fldcw %0; fldl %1" ::"m"(f), "m"(x87_value));
		for (unsigned i = 0; i < NRESET_MSRS; i++)
			if (!wrmsr_safe(reset_msrs[i], reset_msrs[i] == MSR_SYSENTER_CS
								? 0x10 : 0x1000u + i * 0x10))
				say3("reset_state: cannot write ", reset_msr_names[i], "\n");
		DR_SET(0, 0xbad00000u); DR_SET(1, 0xbad10000u);
		DR_SET(2, 0xbad20000u); DR_SET(3, 0xbad30000u);
		DR_SET(6, 0xffff0fffu);
		DR_SET(7, 0x455u);
		pause_n(3);
		puts_serial("reset_state: MSRs, XMM, MXCSR, x87, DR0-3/DR6/DR7 loaded; reset through 0x64\n");
		cmos_write(CMOS_STAGE, 1);
		outb(0x64, 0xfe);
		wrong("the reset did not restart the VM", ~0ull);
		return;
	}
	/* Read before anything here could touch them (sse_on() only makes
	 * the instructions usable). */
	sse_on(false);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0; fnstsw %1" : "=m"(fcw), "=m"(fsw));
	EACH_XMM(SAVE_XMM)
	check(vbuf_clean(&word, &honest), "after reset: XMM0-7 zero");
	check(mxcsr == MXCSR_RESET, "after reset: MXCSR 0x1f80");
	check(fcw == FCW_RESET, "after reset: FCW 0x37f");
	check((fsw & 0x3800) == 0, "after reset: x87 stack top 0 (nothing left pushed)");
	bad += !vbuf_clean(&word, &honest) + (mxcsr != MXCSR_RESET) +
	       (fcw != FCW_RESET) + ((fsw & 0x3800) != 0);
	for (unsigned i = 0; i < NRESET_MSRS; i++) {
		bool ok = rdmsr_safe(reset_msrs[i], &v) && v == 0;
		say3("CHECK after reset: ", reset_msr_names[i], ok ? " 0: ok\n" : " 0: FAIL (");
		if (!ok) {
			print_hex(v);
			puts_serial(")\n");
			bad++;
		}
	}
	read_drs(d);
	DR_GET(6, dr6);
	DR_GET(7, dr7);
	check(!d[0] && !d[1] && !d[2] && !d[3], "after reset: DR0-3 zero");
	check(!(dr6 & 0xf), "after reset: DR6 B0-B3 clear");
	bad += (dr6 & 0xf) != 0;
	check((dr7 & 0xffff) == 0x400, "after reset: DR7 0x400");
	bad += (d[0] || d[1] || d[2] || d[3]) + ((dr7 & 0xffff) != 0x400);
	if (bad)
		wrong("state survived the reset; items failing", bad);
	else
		contained("every register back at its power-on value after the reset");
}

/* ---- 7. starving the others ---- */

static uint64_t phase_len, t0;

/* The middle half of phase k: [start, end). */
static uint64_t phase_start(unsigned k) { return t0 + k * phase_len + phase_len / 4; }
static uint64_t phase_end(unsigned k) { return t0 + (k + 1) * phase_len - phase_len / 4; }

static void wait_until(uint64_t t)
{
	while (rdtsc() < t)
		__asm__ volatile("pause");
}

static void spin_phase(unsigned k)
{
	uint64_t end = phase_end(k);

	start("spin_phase");
	wait_until(phase_start(k));
	while (rdtsc() < end)
		; /* no exits: only the preemption timer ends the slice */
	contained("spun through the baseline phase, preempted at each slice end");
}

static void reset_loop(unsigned k)
{
	uint16_t n = (uint16_t)(cmos_read(CMOS_COUNT) | cmos_read(CMOS_COUNT + 1) << 8);

	if (n == 0)
		start("reset_loop");
	else
		cur = "reset_loop";
	wait_until(phase_start(k));
	if (rdtsc() < phase_end(k)) {
		n++;
		cmos_write(CMOS_COUNT, (uint8_t)n);
		cmos_write(CMOS_COUNT + 1, (uint8_t)(n >> 8));
		outb(0xcf9, 0x06);
		wrong("the reset did not restart the VM", ~0ull);
		return;
	}
	puts_serial("reset_loop: ");
	print_dec(n);
	puts_serial(" resets\n");
	contained("the VM reset in a loop through its phase; the honest VM's gap judges the cost");
}

static char flood[4096];

static void console_flood(unsigned k)
{
	unsigned calls = 0;
	int32_t ret = 0;

	start("console_flood");
	for (unsigned i = 0; i < sizeof(flood); i++)
		flood[i] = (i % 64 == 63) ? '\n' : "flood"[i % 5];
	wait_until(phase_start(k));
	while (rdtsc() < phase_end(k) && calls < 1024) {
		ret = vmcall(HC_CONSOLE_WRITE, (uint32_t)flood, sizeof(flood), 0);
		calls++;
	}
	puts_serial("console_flood: ");
	print_dec(calls);
	puts_serial(" calls of 4096 bytes, last returned ");
	print_hex((uint32_t)ret);
	puts_serial("\n");
	contained("4 KiB console hypercalls through the phase; the honest VM's gap judges the cost");
}

static void wbinvd_loop(unsigned k)
{
	unsigned n = 0;
	uint64_t end = phase_end(k);

	start("wbinvd_loop");
	wait_until(phase_start(k));
	while (rdtsc() < end) {
		__asm__ volatile("wbinvd" ::: "memory");
		n++;
	}
	puts_serial("wbinvd_loop: ");
	print_dec(n);
	puts_serial(" WBINVDs\n");
	contained("WBINVD in a loop through the phase; the honest VM's gap judges the cost");
}

/* ---- 12. speculation controls ---- */

static void spec_ctrl(void)
{
	uint32_t r[4];
	uint64_t v;
	unsigned bad = 0;

	start("spec_ctrl");
	cpuid(0, 0, r);
	if (r[0] < 7) {
		r[3] = 0;
	} else {
		cpuid(7, 0, r);
	}
	bool ibrs = r[3] & (1u << 26), stibp = r[3] & (1u << 27);
	bool l1d = r[3] & (1u << 28), arch = r[3] & (1u << 29);
	bool ssbd = r[3] & (1u << 31);
	puts_serial("spec_ctrl: CPUID.(7,0).EDX = ");
	print_hex(r[3]);
	puts_serial(ibrs ? " IBRS/IBPB" : " no-IBRS/IBPB");
	puts_serial(stibp ? " STIBP" : " no-STIBP");
	puts_serial(l1d ? " L1D_FLUSH" : " no-L1D_FLUSH");
	puts_serial(arch ? " ARCH_CAPABILITIES" : " no-ARCH_CAPABILITIES");
	puts_serial(ssbd ? " SSBD\n" : " no-SSBD\n");
	if (ibrs || stibp || ssbd) {
		uint64_t want = (ibrs ? 1 : 0) | (stibp ? 2 : 0) | (ssbd ? 4 : 0);
		bool ok = rdmsr_safe(MSR_SPEC_CTRL, &v);
		check(ok, "SPEC_CTRL readable when advertised");
		ok = wrmsr_safe(MSR_SPEC_CTRL, want) && rdmsr_safe(MSR_SPEC_CTRL, &v) && v == want;
		check(ok, "SPEC_CTRL takes the advertised bits and reads them back");
		bad += !ok;
		pause_n(5); /* switched out and back: still this VM's value */
		ok = rdmsr_safe(MSR_SPEC_CTRL, &v) && v == want;
		check(ok, "SPEC_CTRL value kept across a switch to other VMs");
		bad += !ok;
		ok = wrmsr_safe(MSR_SPEC_CTRL, 0) && rdmsr_safe(MSR_SPEC_CTRL, &v) && v == 0;
		check(ok, "SPEC_CTRL back to 0");
		bad += !ok;
		ok = !wrmsr_safe(MSR_SPEC_CTRL, 1ull << 63);
		check(ok, "SPEC_CTRL reserved bit 63: #GP");
		bad += !ok;
	} else {
		bool ok = !rdmsr_safe(MSR_SPEC_CTRL, &v) && !wrmsr_safe(MSR_SPEC_CTRL, 0);
		check(ok, "SPEC_CTRL not advertised: RDMSR and WRMSR #GP");
		bad += !ok;
	}
	if (ibrs) {
		bool ok = wrmsr_safe(MSR_PRED_CMD, 1);
		check(ok, "PRED_CMD IBPB (write 1) when advertised");
		bad += !ok;
		ok = !wrmsr_safe(MSR_PRED_CMD, 1ull << 40);
		check(ok, "PRED_CMD reserved bit 40: #GP");
		bad += !ok;
	} else {
		bool ok = !wrmsr_safe(MSR_PRED_CMD, 1);
		check(ok, "PRED_CMD not advertised: WRMSR #GP");
		bad += !ok;
	}
	if (l1d) {
		bool ok = wrmsr_safe(MSR_FLUSH_CMD, 1);
		check(ok, "FLUSH_CMD L1D flush (write 1) when advertised");
		bad += !ok;
	} else {
		bool ok = !wrmsr_safe(MSR_FLUSH_CMD, 1);
		check(ok, "FLUSH_CMD not advertised: WRMSR #GP");
		bad += !ok;
	}
	if (arch) {
		bool ok = rdmsr_safe(MSR_ARCH_CAPABILITIES, &v);
		puts_serial("spec_ctrl: ARCH_CAPABILITIES = ");
		print_hex(v);
		puts_serial("\n");
		check(ok, "ARCH_CAPABILITIES readable when advertised");
		bad += !ok;
		/* Read-only (SDM Vol. 4 Table 2-2): a guest cannot grant itself
		 * "not affected" bits (ITS_NO, 62; MDS_NO, 5; RDCL_NO, 0). */
		uint64_t again = 0;
		ok = !wrmsr_safe(MSR_ARCH_CAPABILITIES, v | (1ull << 62) | 0x21) &&
		     rdmsr_safe(MSR_ARCH_CAPABILITIES, &again) && again == v;
		check(ok, "ARCH_CAPABILITIES read-only: WRMSR #GP, value unchanged");
		bad += !ok;
	} else {
		bool ok = !rdmsr_safe(MSR_ARCH_CAPABILITIES, &v);
		check(ok, "ARCH_CAPABILITIES not advertised: RDMSR #GP");
		bad += !ok;
	}
	if (bad)
		wrong("speculation controls inconsistent with CPUID; checks failing", bad);
	else if (!(ibrs || stibp || ssbd))
		contained("none advertised to this VM, and each MSR gives #GP (the consistent case)");
	else
		contained("advertised controls work: this VM's own SPEC_CTRL, IBPB");
}

/* ---- the command line ---- */

static const char *value(const char *key)
{
	for (const char *p = cmd; *p; p++) {
		if (p != cmd && p[-1] != ' ')
			continue;
		const char *k = key, *q = p;
		while (*k && *q == *k)
			k++, q++;
		if (!*k && *q == '=')
			return q + 1;
	}
	return "";
}

static uint64_t decimal(const char *p)
{
	uint64_t v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

static bool same(const char *a, unsigned n, const char *b)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return b[n] == 0;
}

static void run(const char *name, unsigned n, unsigned phase)
{
	if (same(name, n, "xcr0_lowering")) xcr0_lowering();
	else if (same(name, n, "reset_sse")) reset_sse();
	else if (same(name, n, "xsetbv_refused")) xsetbv_refused();
	else if (same(name, n, "leak_xcr0_1")) leak_xmm("leak_xcr0_1", true);
	else if (same(name, n, "leak_fxsave")) leak_xmm("leak_fxsave", false);
	else if (same(name, n, "clobber_xmm")) clobber_xmm();
	else if (same(name, n, "leak_ymm")) leak_ymm();
	else if (same(name, n, "dr_read")) dr_read();
	else if (same(name, n, "dr_clobber")) dr_clobber();
	else if (same(name, n, "dr7_exit")) dr7_exit();
	else if (same(name, n, "reset_state")) reset_state();
	else if (same(name, n, "spin_phase")) spin_phase(phase);
	else if (same(name, n, "reset_loop")) reset_loop(phase);
	else if (same(name, n, "console_flood")) console_flood(phase);
	else if (same(name, n, "wbinvd_loop")) wbinvd_loop(phase);
	else if (same(name, n, "spec_ctrl")) spec_ctrl();
	else {
		puts_serial("xattack: unknown attack '");
		for (unsigned i = 0; i < n; i++)
			putc_serial(name[i]);
		puts_serial("'\n");
		check(false, "known attack named");
	}
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *p;

	(void)magic;
	cmd = cmdline(info);
	phase_len = decimal(value("phase"));
	/* The phases count from this VM's first start, kept across resets. */
	t0 = cmos_read64(CMOS_T0);
	if (!t0) {
		t0 = rdtsc();
		cmos_write64(CMOS_T0, t0);
	}
	for (p = value("attack"); *p && *p != ' ';) {
		const char *name = p;
		unsigned n = 0, phase = 0;
		while (p[n] && p[n] != ' ' && p[n] != ',' && p[n] != '@')
			n++;
		p += n;
		if (*p == '@') {
			phase = (unsigned)decimal(++p);
			while (*p >= '0' && *p <= '9')
				p++;
		}
		run(name, n, phase);
		if (*p == ',')
			p++;
	}
	return verdict();
}
