/* The guest instruction fuzzer.  Each iteration writes one to three
 * random "items" (an item is one privileged or exiting instruction with
 * random operands, plus the few instructions it needs around it) into an
 * executable buffer, ends the buffer with RET, loads random values into
 * the general registers and calls it.  Any exception or interrupt while
 * the buffer runs lands in this file's own IDT; an exception resumes at
 * fz_landing, which puts back everything the guest itself needs (DR7,
 * GDT, CS and data segments, stack, IDT, LDTR, CR0, CR3, CR4, EFLAGS) and
 * returns to the C loop.  So whatever the random instruction did, the
 * guest goes on, and the hypervisor sees a long stream of odd exits.
 *
 * Command line: seed=HEX iters=N [on=CLASS,...] [trace=ITER] [step=N]
 *   seed   the PRNG seed (xorshift32; 0 is replaced by 1)
 *   iters  iterations (decimal, or hex with 0x)
 *   on     classes that are off by default (see fz_switches below)
 *   trace  print each buffer (class names and bytes) from this iteration
 *          on: a failing seed's last iterations, for reproduction
 *   step   print progress every this many iterations (default iters/16)
 * The instruction stream depends on the seed alone (generation never reads
 * a result), so a seed repeats; only interrupt timing may differ.
 *
 * What is constrained, and why (random but survivable):
 *   - memory operands of instructions that write memory (SGDT, SIDT,
 *     VMPTRST, INS, far pointers...) point into a scratch area, and carry
 *     an SS override (SS is always flat): a random DS must not turn them
 *     into writes over the guest's own code;
 *   - LGDT/LIDT take random limits (and LGDT random bases) but are put
 *     back by the next instruction, with interrupts off: an exception with
 *     a broken GDT or IDT would triple-fault;
 *   - descriptors (GDT slots 3-15, the LDT) are random each iteration, but
 *     their bases and code offsets are computed so that any far transfer
 *     lands on the INT3 sled at 0x4000-0x4fff (reachable from 16-bit code
 *     too); call gates point at selector 0x08; TSS and task gates are off
 *     unless on=task (hv does not handle task-switch exits);
 *   - SS is loaded only with 0x10, 0 or a code selector (those fault);
 *   - CR0.PG is set only together with CR3 = an identity map and CR4.PAE
 *     clear; CR0.PE is cleared only for one instruction with interrupts
 *     off; CR8 is out of reach of 32-bit code (MOV to CR8 needs REX), the
 *     TPR is fuzzed through the APIC page and x2APIC MSR 0x808 instead;
 *   - EFLAGS from POPF/IRET: NT and VM masked (a task return or virtual-8086
 *     mode would need a TSS this guest does not have), unless on=task;
 *   - I/O ports: never the debug exit 0xf4-0xf7; no writes to the UART
 *     0x3f8-0x3ff (our output), to the resets 0x64 and 0xcf9, or to ACPI
 *     PM 0x600-0x60b (sleep): they end the run;
 *   - VMCALL never HC_EXIT, console writes only of a whole line;
 *   - APIC ICR/LVT and I/O APIC redirection writes: delivery mode fixed,
 *     lowest priority or NMI (INIT/SIPI/SMI/ExtINT park or reset this only
 *     vCPU) unless on=init;
 *   - MMIO through the instructions hv's decoder knows (MOV r/m, MOV
 *     imm, MOV moffs, MOVZX), unless on=mmioalu (ALU ops, XCHG, TEST);
 *   - HLT only with interrupts enabled and the APIC timer armed;
 *   - MSRs EFER and APIC base are put back after each MSR item, the APIC
 *     timer, TPR and SVR after MSR and MMIO items, the PIT and RTC
 *     interrupts after OUTs near their ports (a storm lasts one iteration).
 * Off by default, known to stop the VM or panic hv today (issue 9):
 *   xsetbv (XSETBV with random values), rdpmc (RDPMC is an exit with no
 *   handler), strio (INS/OUTS stop the VM), task, init, mmioalu, lme
 *   (EFER.LME then CR0.PG without PAE). */
#include "fuzz.h"

/* ---- command line ---- */
static const struct { const char *name; uint32_t bit; } fz_switches[] = {
	{ "xsetbv", SW_XSETBV }, { "rdpmc", SW_RDPMC }, { "strio", SW_STRIO },
	{ "task", SW_TASK }, { "init", SW_INIT }, { "mmioalu", SW_MMIOALU },
	{ "lme", SW_LME },
};

static const char *find(const char *s, const char *key)
{
	for (; *s; s++) {
		const char *a = s, *b = key;
		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			return a;
	}
	return 0;
}

static uint32_t parse_num(const char *s)
{
	uint32_t v = 0;
	if (s[0] == '0' && s[1] == 'x')
		return parse_hex(s);
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint32_t)(*s++ - '0');
	return v;
}

static bool word_is(const char *s, const char *w)
{
	while (*w && *s == *w)
		s++, w++;
	return !*w && (*s == ',' || *s == ' ' || !*s);
}

static void parse_switches(const char *s)
{
	while (*s && *s != ' ') {
		for (unsigned i = 0; i < sizeof(fz_switches) / sizeof(fz_switches[0]); i++)
			if (word_is(s, fz_switches[i].name))
				switches |= fz_switches[i].bit;
		while (*s && *s != ',' && *s != ' ')
			s++;
		if (*s == ',')
			s++;
	}
}

static void print_buffer(uint32_t iter)
{
	puts_serial("FUZZ trace iter=");
	print_dec(iter);
	for (unsigned i = 0; i < nitems; i++) {
		putc_serial(' ');
		puts_serial(item_names[i]);
	}
	puts_serial(" :");
	for (unsigned i = 0; i < pos; i++) {
		putc_serial(' ');
		putc_serial("0123456789abcdef"[code[i] >> 4]);
		putc_serial("0123456789abcdef"[code[i] & 15]);
	}
	putc_serial('\n');
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cl = cmdline(info), *p;
	uint32_t iters = 1000, trace = 0xffffffffu, faults = 0, restore_faults = 0;
	uint32_t step;

	(void)magic;
	cur_seed = (p = find(cl, "seed=")) ? parse_hex(p) : 1;
	if ((p = find(cl, "iters=")))
		iters = parse_num(p);
	if ((p = find(cl, "trace=")))
		trace = parse_num(p);
	if ((p = find(cl, "on=")))
		parse_switches(p);
	rng = cur_seed ? cur_seed : 1;
	setup();
	puts_serial("FUZZ seed=");
	print_hex(cur_seed);
	puts_serial(" iters=");
	print_dec(iters);
	puts_serial(" on=");
	for (unsigned i = 0; i < sizeof(fz_switches) / sizeof(fz_switches[0]); i++)
		if (switches & fz_switches[i].bit) {
			puts_serial(fz_switches[i].name);
			putc_serial(',');
		}
	putc_serial('\n');
	step = (p = find(cl, "step=")) ? parse_num(p) : iters / 16;
	if (!step)
		step = 1;
	for (cur_iter = 0; cur_iter < iters; cur_iter++) {
		if (cur_iter % step == 0) {
			puts_serial("FUZZ seed=");
			print_hex(cur_seed);
			puts_serial(" iter=");
			print_dec(cur_iter);
			puts_serial(" faults=");
			print_dec(faults);
			puts_serial(" irqs=");
			print_dec(fz_irqs);
			putc_serial('\n');
		}
		dirty_msr = dirty_apic = dirty_timers = false;
		generate();
		if (cur_iter >= trace)
			print_buffer(cur_iter);
		fz_entry = (uint32_t)code;
		if (fuzz_call() != 0xffffffffu)
			faults++;
		if (dirty_msr && restore_msrs() != 0xffffffffu)
			restore_faults++;
		if (dirty_apic)
			restore_apic();
		if (dirty_timers)
			restore_timers();
	}
	puts_serial("FUZZ done seed=");
	print_hex(cur_seed);
	puts_serial(" iters=");
	print_dec(iters);
	puts_serial(" faults=");
	print_dec(faults);
	puts_serial(" irqs=");
	print_dec(fz_irqs);
	puts_serial(" nmis_outside=");
	print_dec(fz_nmis_idle);
	putc_serial('\n');
	check(restore_faults == 0, "MSR state put back after every item");
	return verdict();
}
