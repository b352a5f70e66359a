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
#include "guest.h"

#define GDT_SLOTS 16
#define LDT_SLOTS 16
#define SLED 0x4000u          /* far transfers aim here: INT3, below 64 KiB */
#define SLED_SIZE 0x1000u
#define LAPIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define TESTDEV 0xfeb00000u

/* ---- state shared with the assembly below ---- */
uint32_t fz_landing_esp, fz_armed, fz_fault_vector, fz_in_landing;
uint32_t fz_irqs, fz_nmis_idle; /* interrupts taken; NMIs dropped outside a buffer */
uint32_t fz_entry;
uint32_t fz_regs[7]; /* eax ebx ecx edx esi edi ebp */
uint32_t fz_cr0, fz_cr4;
struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));
struct dtr fz_gdt_desc, fz_idt_desc;
uint64_t fz_gdt[GDT_SLOTS] __attribute__((aligned(8)));
static uint64_t fz_idt[256] __attribute__((aligned(8)));
static uint64_t fz_ldt[LDT_SLOTS] __attribute__((aligned(8)));
static uint8_t fz_tss[128] __attribute__((aligned(16)));
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));
static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint8_t code[1024] __attribute__((aligned(64)));
static uint8_t fixup_code[256] __attribute__((aligned(64)));
static uint32_t idmap_pd[1024] __attribute__((aligned(4096)));
static uint32_t idmap_pt_low[1024] __attribute__((aligned(4096)));
static uint32_t idmap_pt_mmio[1024] __attribute__((aligned(4096)));
static const char console_text[] = "fuzz: console write by VMCALL\n";
extern const uint32_t fz_stubs[256];
uint32_t fuzz_call(void);
void fz_landing(void);

/* The trap stubs: every vector pushes its number; exceptions (0-31) while
 * armed go to the landing (the stack is thrown away there, so error codes
 * do not matter); interrupts and software INTs >= 32 are acknowledged at
 * the APIC and return; an NMI while not armed is dropped. */
__asm__(
	".text\n"
	".altmacro\n"
	".macro fzstub v\n"
	"fz_stub_\\v: pushl $\\v; jmp fz_trap\n"
	".endm\n"
	".set i, 0\n"
	".rept 256\n"
	"fzstub %i\n"
	".set i, i+1\n"
	".endr\n"
	"fz_trap:\n"
	"	pushl %eax\n"
	"	pushl %ds\n"
	"	movl $0x10, %eax\n"
	"	movl %eax, %ds\n"
	"	movl 8(%esp), %eax\n"
	"	cmpl $32, %eax\n"
	"	jae 2f\n"
	"	cmpl $0, fz_in_landing\n"
	"	jne 3f\n"
	"	cmpl $0, fz_armed\n"
	"	je 4f\n"
	"	movl %eax, fz_fault_vector\n"
	"	jmp fz_landing\n"
	"2:	incl fz_irqs\n"
	"	movl $0, 0xfee000b0\n"
	"	popl %ds\n"
	"	popl %eax\n"
	"	addl $4, %esp\n"
	"	iret\n"
	"4:	cmpl $2, %eax\n"
	"	jne 3f\n"
	"	incl fz_nmis_idle\n"
	"	popl %ds\n"
	"	popl %eax\n"
	"	addl $4, %esp\n"
	"	iret\n"
	"3:	movl $0x10, %edx\n"
	"	movl %edx, %ss\n"
	"	movl fz_landing_esp, %esp\n"
	"	pushl %eax\n"
	"	call fz_fatal\n"
	".section .rodata\n"
	".macro fzaddr v\n"
	".long fz_stub_\\v\n"
	".endm\n"
	"fz_stubs:\n"
	".set i, 0\n"
	".rept 256\n"
	"fzaddr %i\n"
	".set i, i+1\n"
	".endr\n"
	".text\n"
	/* fuzz_call: runs the buffer at fz_entry with fz_regs loaded;
	 * returns fz_fault_vector (0xffffffff: no exception). */
	".global fuzz_call\n"
	"fuzz_call:\n"
	"	pushl %ebp\n"
	"	pushl %ebx\n"
	"	pushl %esi\n"
	"	pushl %edi\n"
	"	movl %esp, fz_landing_esp\n"
	"	movl $0xffffffff, fz_fault_vector\n"
	"	movl $1, fz_armed\n"
	"	movl fz_regs+0, %eax\n"
	"	movl fz_regs+4, %ebx\n"
	"	movl fz_regs+8, %ecx\n"
	"	movl fz_regs+12, %edx\n"
	"	movl fz_regs+16, %esi\n"
	"	movl fz_regs+20, %edi\n"
	"	movl fz_regs+24, %ebp\n"
	"	call *fz_entry\n"
	".global fz_landing\n"
	"fz_landing:\n"
	"	cli\n"
	"	xorl %eax, %eax\n"
	"	movl %eax, %dr7\n"
	"	movl $1, %ss:fz_in_landing\n"
	"	lgdt %ss:fz_gdt_desc\n"
	"	ljmp $0x08, $1f\n"
	"1:	movl $0x10, %eax\n"
	"	movl %eax, %ds\n"
	"	movl %eax, %es\n"
	"	movl %eax, %fs\n"
	"	movl %eax, %gs\n"
	"	movl %eax, %ss\n"
	"	movl fz_landing_esp, %esp\n"
	"	lidt fz_idt_desc\n"
	"	xorl %eax, %eax\n"
	"	lldt %ax\n"
	"	movl fz_cr0, %eax\n"
	"	movl %eax, %cr0\n"
	"	movl fz_cr4, %eax\n"
	"	movl %eax, %cr4\n"
	"	xorl %eax, %eax\n"
	"	movl %eax, %cr3\n"
	"	pushl $2\n"
	"	popfl\n"
	"	movl $0, fz_armed\n"
	"	movl $0, fz_in_landing\n"
	"	movl fz_fault_vector, %eax\n"
	"	popl %edi\n"
	"	popl %esi\n"
	"	popl %ebx\n"
	"	popl %ebp\n"
	"	ret\n");

/* ---- the PRNG: xorshift32, the only source of randomness ---- */
static uint32_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}
static uint32_t below(uint32_t n) { return rnd() % n; }
static bool chance(uint32_t one_in) { return below(one_in) == 0; }

/* ---- switches ---- */
enum {
	SW_XSETBV = 1u << 0, SW_RDPMC = 1u << 1, SW_STRIO = 1u << 2,
	SW_TASK = 1u << 3, SW_INIT = 1u << 4, SW_MMIOALU = 1u << 5,
	SW_LME = 1u << 6,
};
static const struct { const char *name; uint32_t bit; } fz_switches[] = {
	{ "xsetbv", SW_XSETBV }, { "rdpmc", SW_RDPMC }, { "strio", SW_STRIO },
	{ "task", SW_TASK }, { "init", SW_INIT }, { "mmioalu", SW_MMIOALU },
	{ "lme", SW_LME },
};
static uint32_t switches;

/* ---- the emitter ---- */
static unsigned pos;
static bool dirty_msr, dirty_apic, dirty_timers;
static uint32_t cur_seed, cur_iter;

static void e1(uint32_t b) { code[pos++] = (uint8_t)b; }
static void e2(uint32_t a, uint32_t b) { e1(a); e1(b); }
static void e3(uint32_t a, uint32_t b, uint32_t c) { e1(a); e1(b); e1(c); }
static void e16(uint32_t v) { e1(v); e1(v >> 8); }
static void e32(uint32_t v) { e16(v); e16(v >> 16); }
static uint32_t here(void) { return (uint32_t)&code[pos]; }
/* A general register other than ESP. */
static unsigned rreg(void) { unsigned r = below(7); return r >= 4 ? r + 1 : r; }
static void mov_imm(unsigned r, uint32_t v) { e1(0xb8 + r); e32(v); }
/* An address in the scratch page for a memory operand of n bytes. */
static uint32_t scratch_addr(unsigned n) { return (uint32_t)scratch + below(4096 - n); }
/* ModRM for [disp32] with /digit, preceded by an SS override. */
static void mem_abs(uint32_t op_digit, uint32_t addr) { e1(((op_digit & 7) << 3) | 5); e32(addr); }
static uint32_t sled(void) { return SLED + below(SLED_SIZE); }
/* Operands written at generation time (far pointers, descriptor-table
 * pseudo-descriptors, BOUND pairs, VMX pointers) each get their own 16
 * bytes: in the shared scratch page a later item's could overwrite an
 * earlier one's (seed 0x5eed5 at iteration 74881: a far pointer).  The
 * callers still draw a scratch address first so that every seed's stream
 * stays what it was. */
static uint8_t gendata[8 * 16] __attribute__((aligned(16)));
static unsigned genpos;
static uint32_t gen_slot(void)
{
	uint32_t a = (uint32_t)&gendata[genpos];
	genpos = (genpos + 16) % sizeof(gendata);
	return a;
}

static uint32_t rnd_value(void)
{
	switch (below(6)) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return 1u << below(32);
	case 3: return below(0x100);
	default: return rnd();
	}
}

/* ---- descriptors ---- */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)(access & 0xff) << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate_desc(uint32_t sel, uint32_t off, uint32_t access)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(access & 0xff) << 40) |
	       ((uint64_t)(off >> 16) << 48);
}

static uint32_t desc_base(uint64_t d)
{
	return (uint32_t)((d >> 16) & 0xffffff) | (uint32_t)((d >> 56) << 24);
}

/* A random descriptor for GDT slot or LDT entry: code or data with random
 * type, DPL, size and limit (base random, far transfers aim through it at
 * the sled); or a system one (LDT, call gate; TSS and task gates only with
 * on=task). */
static uint64_t rnd_desc(bool in_ldt)
{
	uint32_t access = 0x10 | (below(16)) | (below(4) << 5) | (chance(8) ? 0 : 0x80);
	uint32_t flags = below(16) & 0xd; /* G, D/B, AVL; L clear */
	uint32_t base = chance(2) ? 0 : rnd();
	uint32_t sys;

	if (!chance(4))
		return seg_desc(base, rnd(), access, flags);
	sys = below(4);
	if (sys == 0 && !in_ldt)
		return seg_desc((uint32_t)fz_ldt, sizeof(fz_ldt) - 1 - below(8) * 8, 0x82, 0);
	if (sys == 1 && (switches & SW_TASK)) {
		if (in_ldt || chance(2))
			return gate_desc(3 << 3, 0, 0x85 | (below(4) << 5));
		return seg_desc((uint32_t)fz_tss, 0x67, 0x89 | (below(4) << 5), 0);
	}
	/* A call gate to 0x08 (flat), so its offset reaches the sled. */
	return gate_desc(0x08, sled(), 0x8c | (below(4) << 5) | (chance(8) ? 0 : 0x80));
}

static void randomize_tables(void)
{
	for (unsigned i = 3; i < GDT_SLOTS; i++)
		fz_gdt[i] = rnd_desc(false);
	/* Slot 3: an available 32-bit TSS (LTR marks it busy); slot 4: the
	 * LDT. */
	fz_gdt[3] = seg_desc((uint32_t)fz_tss, 0x67, 0x89, 0);
	fz_gdt[4] = seg_desc((uint32_t)fz_ldt, sizeof(fz_ldt) - 1, 0x82, 0);
	for (unsigned i = 0; i < LDT_SLOTS; i++)
		fz_ldt[i] = rnd_desc(true);
}

/* The base of the descriptor a selector names (0 for none). */
static uint32_t sel_base(uint16_t sel)
{
	if (sel & 4)
		return desc_base(fz_ldt[(sel >> 3) & (LDT_SLOTS - 1)]);
	return (sel >> 3) < GDT_SLOTS ? desc_base(fz_gdt[sel >> 3]) : 0;
}

/* A selector for a far transfer or segment load, and the offset that, with
 * its descriptor's base, reaches the sled. */
static uint16_t rnd_selector(uint32_t *offset)
{
	uint16_t sel;

	switch (below(8)) {
	case 0: sel = (uint16_t)rnd(); break;
	case 1: sel = 0x10; break;
	case 2: sel = 0; break;
	case 3: sel = (uint16_t)((below(LDT_SLOTS) << 3) | 4 | below(4)); break;
	default:
		sel = (uint16_t)(((5 + below(GDT_SLOTS - 5)) << 3) | (chance(4) ? below(4) : 0));
		break;
	}
	if (!(switches & SW_TASK) && (sel >> 3) < 5 && !(sel & 4) && (sel >> 3) >= 3)
		sel = 0x10;
	/* Whatever descriptor the selector names (a random one may name a
	 * slot too): base + offset is the sled. */
	*offset = sled() - sel_base(sel);
	return sel;
}

/* ---- item generators ---- */
/* Every buffer ends with a jump to the landing, which also resets the
 * stack: an item may leave it unbalanced (a far CALL that went on). */
static void end_buffer(void)
{
	e1(0x68); /* push $fz_landing; ret: absolute, so fixup_code can copy it */
	e32((uint32_t)fz_landing);
	e1(0xc3);
}

static const char *item_names[32];
static unsigned nitems;

static void cr_item(void)
{
	unsigned r = rreg();
	uint32_t v;

	switch (below(9)) {
	case 0: /* MOV to CR0: random bits, PE kept, PG off */
		v = (rnd() | 1) & ~0x80000000u;
		mov_imm(r, v);
		e3(0x0f, 0x22, 0xc0 | r);
		break;
	case 1: /* CR0.PE cleared for one instruction */
		e1(0xfa);
		mov_imm(r, (fz_cr0 & ~1u) ^ (chance(2) ? 0x60000000u : 0));
		e3(0x0f, 0x22, 0xc0 | r);
		mov_imm(r, fz_cr0);
		e3(0x0f, 0x22, 0xc0 | r);
		break;
	case 2: /* paging on, through the identity map */
		mov_imm(r, rnd() & ~((1u << 5) | (1u << 13) | (1u << 17) | (1u << 12)));
		e3(0x0f, 0x22, 0xe0 | r); /* CR4 without PAE, VMXE, PCIDE, LA57 */
		mov_imm(r, (uint32_t)idmap_pd);
		e3(0x0f, 0x22, 0xd8 | r);
		if ((switches & SW_LME) && chance(2)) {
			mov_imm(1, 0xc0000080u);
			mov_imm(0, 1u << 8);
			mov_imm(2, 0);
			e2(0x0f, 0x30);
		}
		mov_imm(r, rnd() | 0x80000001u);
		e3(0x0f, 0x22, 0xc0 | r);
		e1(0x90);
		break;
	case 3: /* MOV to CR4: random */
		v = rnd_value() | (chance(2) ? rnd() : 0);
		if (!chance(8))
			v &= ~(1u << 13);
		mov_imm(r, v);
		e3(0x0f, 0x22, 0xe0 | r);
		break;
	case 4: /* MOV to CR3 / CR2 */
		mov_imm(r, rnd());
		e3(0x0f, 0x22, (chance(2) ? 0xd8 : 0xd0) | r);
		break;
	case 5: /* MOV from CR0/2/3/4, and the undefined CR1, CR5-7 (#UD) */
		e3(0x0f, 0x20, 0xc0 | (below(8) << 3) | r);
		break;
	case 6: /* MOV to CR1/5/6/7, and LOCK MOV CR0 (AMD's CR8): #UD */
		if (chance(2)) {
			e1(0xf0);
			e3(0x0f, 0x22, 0xc0 | r);
		} else {
			static const uint8_t bad[] = { 1, 5, 6, 7 };
			e3(0x0f, 0x22, 0xc0 | (bad[below(4)] << 3) | r);
		}
		break;
	case 7: /* CLTS, LMSW, SMSW */
		if (chance(3)) {
			e2(0x0f, 0x06);
		} else if (chance(2)) {
			mov_imm(r, rnd());
			e3(0x0f, 0x01, 0xf0 | r);
		} else {
			e3(0x0f, 0x01, 0xe0 | r);
		}
		break;
	default: /* MOV to CR0 touching only the bits hv owns (CD, NW, NE) */
		v = (fz_cr0 & ~0x60000020u) | (below(4) << 29) | (chance(2) ? 0x20 : 0);
		mov_imm(r, v);
		e3(0x0f, 0x22, 0xc0 | r);
		break;
	}
}

static void dr_item(void)
{
	unsigned r = rreg(), n = below(8);

	if (chance(2)) {
		uint32_t v = rnd_value();
		if (n == 7 && chance(2))
			v = (uint32_t)scratch | (rnd() & 0xffff0000u); /* enable some */
		if (n < 4 && chance(2))
			v = scratch_addr(4);
		mov_imm(r, v);
		e3(0x0f, 0x23, 0xc0 | (n << 3) | r);
	} else {
		e3(0x0f, 0x21, 0xc0 | (n << 3) | r);
	}
}

static uint32_t rnd_msr(void)
{
	static const uint32_t interesting[] = {
		0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x8b, 0x9b, 0xfe, 0x10a, 0x10b,
		0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x277, 0x2ff,
		0x6e0, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x4b564d00,
		0x4b564d01, 0x40000000, 0x40000001, 0x40000070, 0x808, 0x80b,
		0x830, 0x838, 0x83f, 0x802, 0x803,
	};
	switch (below(8)) {
	case 0: return below(0x2000);
	case 1: return 0xc0000000u + below(0x2000);
	case 2: return 0x40000000u + below(0x200);
	case 3: return 0x800 + below(0x100);
	case 4: return 0x480 + below(0x12);
	case 5: return rnd();
	default: return interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
	}
}

static void msr_item(void)
{
	uint32_t msr = rnd_msr();

	mov_imm(1, msr);
	if (chance(2)) {
		e2(0x0f, 0x32);
		return;
	}
	uint32_t lo = rnd_value(), hi = chance(2) ? 0 : rnd_value();
	if (msr == 0x1b) /* APIC base: mostly legal values */
		lo = 0xfee00000u | (chance(2) ? 0x900 : chance(2) ? 0xd00 : rnd() & 0xf00);
	if (msr == 0x830 && !(switches & SW_INIT)) /* x2APIC ICR */
		lo &= ~0x300u;
	if (msr >= 0x832 && msr <= 0x837 && !(switches & SW_INIT))
		lo &= ~0x300u; /* LVT: fixed or NMI (and the reserved 3) */
	mov_imm(0, lo);
	mov_imm(2, hi);
	e2(0x0f, 0x30);
	dirty_msr = true;
	dirty_apic = true;
}

static void xcr_item(void)
{
	/* XGETBV needs CR4.OSXSAVE (else #UD): set it first most times. */
	if (!chance(4)) {
		e3(0x0f, 0x20, 0xe0);         /* mov cr4, eax */
		e1(0x0d); e32(1u << 18);      /* or $OSXSAVE, eax */
		e3(0x0f, 0x22, 0xe0);
	}
	mov_imm(1, chance(4) ? rnd_value() : chance(2));
	if ((switches & SW_XSETBV) && chance(2)) {
		/* Mostly values a CPU may accept: x87|SSE|AVX and the
		 * AVX-512, MPX and AMX groups, whole or split. */
		static const uint32_t xcr0s[] = {
			1, 3, 7, 7, 3, 5, 0x1f, 0x27, 0xe7, 0x207, 0x60007,
			0x1b, 0x67,
		};
		mov_imm(0, chance(4) ? rnd_value() : xcr0s[below(sizeof(xcr0s) / 4)]);
		mov_imm(2, chance(8) ? rnd_value() : 0);
		e3(0x0f, 0x01, 0xd1);
		/* Then use the state XCR0 may have turned on (CR4.OSFXSR for
		 * SSE): registers in use across a vCPU switch are what hv's
		 * XSAVE/XRSTOR must get right.  #UD when not enabled. */
		e3(0x0f, 0x20, 0xe0);
		e1(0x0d); e32(1u << 9);
		e3(0x0f, 0x22, 0xe0);
		switch (below(4)) {
		case 0: e3(0x0f, 0x57, 0xc0); break;             /* xorps */
		case 1: e2(0xc5, 0xf5); e2(0x74, 0xc9); break;   /* vpcmpeqb ymm1 */
		case 2: e3(0x36, 0xc5, 0xfe); e2(0x6f, 0x15);    /* vmovdqu m, ymm2 */
			e32(scratch_addr(32)); break;
		default: e2(0xc5, 0xf8); e2(0x93, 0xc1); break;  /* kmovw k1, eax */
		}
		e2(0xf3, 0x90); /* PAUSE: let another vCPU run */
	} else {
		e3(0x0f, 0x01, 0xd0);
	}
}

/* A port for IN; for OUT the ones that end the VM (debug exit, resets,
 * ACPI sleep) and our own UART are avoided. */
static uint16_t rnd_port(bool out)
{
	static const uint16_t interesting[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71,
		0x4d0, 0x4d1, 0xcf8, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff,
		0x510, 0x511, 0x80, 0x92, 0x3fd, 0x608, 0x600, 0x8900, 0xe9, 0x60,
	};
	for (;;) {
		uint16_t p = chance(2) ? interesting[below(sizeof(interesting) / 2)]
				       : (uint16_t)rnd();
		if (p >= 0xf4 && p <= 0xf7)
			continue;
		if (out && ((p >= 0x3f8 && p <= 0x3ff) || p == 0x64 || p == 0xcf9 ||
			    (p >= 0x600 && p <= 0x60b) || p == 0x8900))
			continue;
		/* a dword at 0xcf8-0xcfb touches 0xcf9's byte too */
		if (out && p >= 0xcf6 && p <= 0xcf9)
			continue;
		if (out && p >= 0x3f5 && p <= 0x3f7)
			continue;
		if (out && (p >= 0x5fd && p < 0x600))
			continue;
		if (out && p >= 0x61 && p <= 0x64)
			continue;
		if (out && p >= 0xf1 && p <= 0xf3)
			continue;
		return p;
	}
}

static void put_apic_restore(void)
{
	mov_imm(1, 0x1b);
	e2(0x31, 0xd2);
	mov_imm(0, 0xfee00100u);
	e2(0x0f, 0x30);
	mov_imm(0, 0xfee00900u);
	e2(0x0f, 0x30);
}

/* mov $v, %ss:LAPIC+reg */
static void mmio_w32(uint32_t reg, uint32_t v)
{
	e2(0x36, 0xc7);
	mem_abs(0, LAPIC + reg);
	e32(v);
}

static void io_item(void)
{
	bool out = chance(2);
	uint16_t port = rnd_port(out);
	unsigned size = below(3); /* 0: byte, 1: word, 2: dword */

	if ((switches & SW_STRIO) && chance(4)) {
		mov_imm(2, port);
		mov_imm(1, below(4));
		mov_imm(out ? 6 : 7, scratch_addr(64));
		e2(0x16, 0x07); /* push ss; pop es: flat ES for INS */
		if (chance(2))
			e1(0xf3);
		if (size == 1)
			e1(0x66);
		if (out)
			e1(0x36); /* OUTS reads DS:ESI: make it SS */
		e1((out ? 0x6e : 0x6c) + (size != 0));
		return;
	}
	if (out) {
		mov_imm(0, rnd_value());
		/* PIT or RTC reprogrammed: put back after the buffer, so a
		 * timer storm lasts one iteration, not the rest of the run. */
		dirty_timers |= (port >= 0x3d && port <= 0x43) ||
				(port >= 0x6d && port <= 0x71);
	}
	if (port < 0x100 && chance(2)) {
		if (size == 1)
			e1(0x66);
		e2((out ? 0xe6 : 0xe4) + (size != 0), port);
	} else {
		mov_imm(2, port);
		if (size == 1)
			e1(0x66);
		e1((out ? 0xee : 0xec) + (size != 0));
	}
}

static void dt_item(void)
{
	uint32_t a = scratch_addr(8), off;
	unsigned r = rreg();
	uint16_t sel;

	switch (below(8)) {
	case 0: /* LGDT/LIDT random, read back, put back */
	case 1: {
		bool idt = chance(2);
		struct dtr *d;
		a = gen_slot();
		d = (struct dtr *)a;
		d->limit = (uint16_t)rnd();
		d->base = idt || chance(2) ? (idt ? fz_idt_desc.base : fz_gdt_desc.base) : rnd();
		e1(0xfa);
		e2(0x36, 0x0f); e1(0x01); mem_abs(idt ? 3 : 2, a);
		e2(0x36, 0x0f); e1(0x01); mem_abs(idt ? 1 : 0, scratch_addr(8));
		e2(0x36, 0x0f); e1(0x01); mem_abs(idt ? 3 : 2, (uint32_t)(idt ? &fz_idt_desc : &fz_gdt_desc));
		break;
	}
	case 2: /* SGDT/SIDT/SLDT/STR/SMSW to memory */
		e2(0x36, 0x0f);
		if (chance(2)) {
			e1(0x01); mem_abs(below(2), a);
		} else {
			e1(0x00); mem_abs(below(2), a);
		}
		break;
	case 3: /* LLDT / LTR */
		sel = rnd_selector(&off);
		if (chance(2))
			sel = chance(2) ? (4 << 3) : (3 << 3);
		mov_imm(r, sel);
		e3(0x0f, 0x00, 0xc0 | ((chance(2) ? 2 : 3) << 3) | r);
		break;
	case 4: /* LAR, LSL, VERR, VERW */
		sel = rnd_selector(&off);
		mov_imm(r, sel);
		if (chance(2))
			e3(0x0f, 0x02 + below(2), 0xc0 | (rreg() << 3) | r);
		else
			e3(0x0f, 0x00, 0xc0 | ((4 + below(2)) << 3) | r);
		break;
	case 5: /* segment loads: FS, GS, DS, ES random; SS only 0x10/0/0x08 */
		sel = rnd_selector(&off);
		mov_imm(r, sel);
		{
			static const uint8_t sregs[] = { 0, 3, 4, 5 };
			unsigned s = sregs[below(4)];
			if (chance(8)) {
				static const uint16_t ss_ok[] = { 0x10, 0, 0x08, 0x13 };
				mov_imm(r, ss_ok[below(4)]);
				s = 2;
			}
			e2(0x8e, 0xc0 | (s << 3) | r);
		}
		break;
	default: /* SS-relative ARPL-free stuff: PUSH/POP of segment registers */
		switch (below(4)) {
		case 0: e2(0x0f, 0xa0); e2(0x0f, 0xa1); break; /* push fs; pop fs */
		case 1: e2(0x0f, 0xa8); e2(0x0f, 0xa9); break;
		case 2: e1(0x1e); e1(0x1f); break;
		default: e1(0x06); e1(0x07); break;
		}
		break;
	}
}

static void int_item(void)
{
	switch (below(6)) {
	case 0: e2(0xcd, below(256)); break;
	case 1: e1(0xcc); break;
	case 2: /* INTO with OF set or not */
		mov_imm(0, chance(2) ? 0x7fffffff : 0);
		e3(0x83, 0xc0, 0x01); /* add $1, eax */
		e1(0xce);
		break;
	case 3: e1(0xf1); break;
	case 4: e2(0x0f, 0x0b); break;
	default: /* BOUND (#BR when out of bounds) */
		{
			uint32_t a = scratch_addr(8);
			a = gen_slot();
			*(uint32_t *)a = rnd_value();
			*(uint32_t *)(a + 4) = rnd_value();
			mov_imm(0, rnd_value());
			e2(0x36, 0x62); mem_abs(0, a);
		}
		break;
	}
}

static uint32_t rnd_eflags(void)
{
	uint32_t f = rnd() & 0x3f7fd5u;
	if (!(switches & SW_TASK))
		f &= ~((1u << 14) | (1u << 17)); /* NT, VM */
	return f | 2;
}

static void iret_item(void)
{
	uint32_t off, cont;
	uint16_t sel;

	switch (below(4)) {
	case 0: /* POPF random */
		e1(0x68); e32(rnd_eflags());
		e1(0x9d);
		e1(0x90);
		break;
	case 1: /* IRET to the next instruction with random EFLAGS */
		e1(0x68); e32(rnd_eflags());
		e1(0x68); e32(0x08);
		cont = here() + 5 + 1;
		e1(0x68); e32(cont);
		e1(0xcf);
		break;
	case 2: /* IRET to a random selector, aimed at the sled */
		sel = rnd_selector(&off);
		e1(0x68); e32(rnd_eflags());
		e1(0x68); e32(sel);
		e1(0x68); e32(off);
		e1(0xcf);
		break;
	default: /* 16-bit IRET into the sled (IP is 16 bits: base 0) */
		sel = rnd_selector(&off);
		if (sel_base(sel))
			sel = 0x08;
		e2(0x66, 0x6a); e1(rnd_eflags() & 0x7f);  /* push word */
		e2(0x66, 0x68); e16(sel);
		e2(0x66, 0x68); e16(sled());
		e2(0x66, 0xcf);
		break;
	}
}

static void far_item(void)
{
	uint32_t off, a;
	uint16_t sel = rnd_selector(&off);

	bool next = chance(4); /* to the next instruction through 0x08 */

	if (next)
		sel = 0x08;
	switch (below(5)) {
	case 0: e1(0xea); e32(next ? here() + 6 : off); e16(sel); break;
	case 1: e1(0x9a); e32(next ? here() + 6 : off); e16(sel); break;
	case 2: /* through memory */
		a = scratch_addr(6);
		a = gen_slot();
		*(uint32_t *)a = next ? here() + 7 : off;
		*(uint16_t *)(a + 4) = sel;
		e2(0x36, 0xff); mem_abs(chance(2) ? 5 : 3, a);
		break;
	case 3: /* RETF with a crafted frame */
		e1(0x68); e32(sel);
		e1(0x68); e32(next ? here() + 5 : off);
		e1(0xcb);
		break;
	default: /* 16-bit far jump into the sled (IP is 16 bits: base 0) */
		if (sel_base(sel))
			sel = 0x08;
		e2(0x66, 0xea); e16(sled()); e16(sel);
		break;
	}
}

static void vmx_item(void)
{
	uint32_t a = scratch_addr(16);
	unsigned r = rreg();

	a = gen_slot();
	*(uint32_t *)a = rnd_value();
	*(uint32_t *)(a + 4) = rnd_value();
	switch (below(14)) {
	case 0: e3(0x36, 0xf3, 0x0f); e1(0xc7); mem_abs(6, a); break; /* VMXON */
	case 1: e3(0x36, 0x66, 0x0f); e1(0xc7); mem_abs(6, a); break; /* VMCLEAR */
	case 2: e2(0x36, 0x0f); e1(0xc7); mem_abs(6, a); break;       /* VMPTRLD */
	case 3: e2(0x36, 0x0f); e1(0xc7); mem_abs(7, a); break;       /* VMPTRST */
	case 4: mov_imm(r, rnd()); e3(0x0f, 0x78, 0xc0 | (r << 3) | rreg()); break;
	case 5: mov_imm(r, rnd()); e3(0x0f, 0x79, 0xc0 | (rreg() << 3) | r); break;
	case 6: e3(0x0f, 0x01, 0xc2 + below(3)); break; /* VMLAUNCH/RESUME/VMXOFF */
	case 7: /* INVEPT, INVVPID */
		mov_imm(r, below(4));
		e3(0x36, 0x66, 0x0f); e2(0x38, 0x80 + below(2)); mem_abs(r, a);
		break;
	case 8: mov_imm(0, below(4)); e3(0x0f, 0x01, 0xd4); break; /* VMFUNC */
	case 9: e2(0x0f, 0x37); break; /* GETSEC */
	default: { /* VMCALL: random numbers and arguments, never HC_EXIT */
		static const uint32_t nrs[] = { 0, 1, 3, 0xffffffffu, 0x80000000u };
		uint32_t nr = chance(4) ? rnd() : nrs[below(5)];
		if (nr == 2)
			nr = 0;
		mov_imm(0, nr);
		if (nr == 1) {
			switch (below(4)) {
			case 0: /* a whole line */
				mov_imm(3, (uint32_t)console_text);
				mov_imm(1, sizeof(console_text) - 1);
				break;
			case 1: /* outside RAM, or across its end */
				mov_imm(3, chance(2) ? 0x400000u - 0x10 + below(0x20) : rnd() | 0x80000000u);
				mov_imm(1, below(64));
				break;
			case 2: /* too long */
				mov_imm(3, (uint32_t)console_text);
				mov_imm(1, 4097 + below(0x10000) + (chance(2) ? rnd() : 0));
				break;
			default: /* length 0 anywhere */
				mov_imm(3, rnd());
				mov_imm(1, 0);
				break;
			}
		} else {
			mov_imm(3, rnd()); mov_imm(1, rnd()); mov_imm(2, rnd());
		}
		e3(0x0f, 0x01, 0xc1);
		break;
	}
	}
}

static void hlt_item(void)
{
	/* Whatever the items before did to the APIC, the timer must wake HLT:
	 * back to xAPIC mode, enabled, TPR 0, a one-shot timer armed. */
	put_apic_restore();
	mmio_w32(0xf0, 0x1ff);
	mmio_w32(0x80, 0);
	mmio_w32(0x3e0, 0xb);
	mmio_w32(0x320, 0x40);
	mmio_w32(0x380, 200 + below(2000));
	if (chance(3)) {
		e1(0xfb); e1(0x90); e1(0x90); e1(0xfa); /* an interrupt window */
	} else {
		e1(0xfb); e1(0xf4); e1(0xfa);
	}
}

static void misc_item(void)
{
	unsigned r = rreg();

	switch (below(16)) {
	case 0: case 1: case 2: /* CPUID */
		switch (below(5)) {
		case 0: mov_imm(0, below(0x20)); break;
		case 1: mov_imm(0, 0x80000000u + below(0x20)); break;
		case 2: mov_imm(0, 0x40000000u + below(0x10)); break;
		case 3: mov_imm(0, 0xd); break;
		default: mov_imm(0, rnd()); break;
		}
		mov_imm(1, chance(2) ? below(4) : rnd());
		e2(0x0f, 0xa2);
		break;
	case 3: e2(0x0f, 0x31); break;               /* RDTSC */
	case 4: e3(0x0f, 0x01, 0xf9); break;         /* RDTSCP */
	case 5: /* RDPMC (an exit hv does not handle: on=rdpmc) */
		if (switches & SW_RDPMC) {
			mov_imm(1, chance(2) ? below(8) : rnd());
			e2(0x0f, 0x33);
		} else {
			e3(0x0f, 0xc7, 0xf0 | r); /* RDRAND */
		}
		break;
	case 6: e3(0x0f, 0xc7, (chance(2) ? 0xf0 : 0xf8) | r); break; /* RDRAND/RDSEED */
	case 7: e2(0x0f, chance(2) ? 0x09 : 0x08); break; /* WBINVD/INVD */
	case 8: case 9: e2(0xf3, 0x90); break; /* PAUSE */
	case 10: e2(0x36, 0x0f); e1(0x01); mem_abs(7, scratch_addr(1)); break; /* INVLPG */
	case 11: /* INVPCID */
		mov_imm(r, below(5));
		e3(0x36, 0x66, 0x0f); e2(0x38, 0x82); mem_abs(r, scratch_addr(16));
		break;
	case 12: /* MONITOR / MWAIT */
		mov_imm(0, scratch_addr(1));
		mov_imm(1, 0); mov_imm(2, 0);
		e3(0x0f, 0x01, chance(2) ? 0xc8 : 0xc9);
		break;
	case 13: e2(0x0f, 0xaa); break; /* RSM: #UD outside SMM */
	case 14: e2(0x0f, chance(2) ? 0x05 : 0x07); break; /* SYSCALL/SYSRET: #UD */
	default: /* XGETBV (the draw is kept: it is part of every seed's stream) */
		(void)below(2);
		e3(0x0f, 0x01, 0xd0);
		break;
	}
}

/* An MMIO access to the local APIC, I/O APIC or test device page, at a
 * random offset (page ends included) with a random size. */
static void mmio_item(void)
{
	static const uint32_t pages[] = { LAPIC, LAPIC, IOAPIC, TESTDEV };
	uint32_t page = pages[below(4)];
	uint32_t off = chance(2) ? below(0x100) * 0x10 : below(0x1000);
	uint32_t addr = page + off, v = rnd_value();
	unsigned r = rreg(), size = below(3);
	bool write = chance(2);

	dirty_apic = true;
	if (!(switches & SW_INIT)) {
		/* ICR, LVTs and I/O APIC redirections: delivery mode fixed,
		 * lowest priority or NMI.  Applied to every write to these
		 * pages: the register a write lands on can be any. */
		if (page != TESTDEV)
			v &= ~0x300u;
	}
	if (off > 0xff0)
		size = 2; /* across the page end */
	if (write && page == LAPIC && (off & ~0xfu) == 0x300 && !(switches & SW_INIT))
		v &= ~0x700u;
	if ((switches & SW_MMIOALU) && chance(4)) {
		static const uint8_t alu[] = { 0x01, 0x09, 0x21, 0x31, 0x87, 0x85, 0x29, 0x39 };
		mov_imm(r, v);
		e2(0x36, alu[below(8)]);
		mem_abs(r, addr);
		return;
	}
	if (chance(6)) { /* MOV AL/AX/EAX <-> moffs32 (A0-A3) */
		if (write)
			mov_imm(0, v);
		if (size == 1)
			e1(0x66);
		e2(0x36, (write ? 0xa2 : 0xa0) + (size != 0));
		e32(addr);
		return;
	}
	if (write) {
		if (chance(2)) {
			if (size == 1)
				e1(0x66);
			e2(0x36, size == 0 ? 0xc6 : 0xc7);
			mem_abs(0, addr);
			if (size == 0) e1(v);
			else if (size == 1) e16(v);
			else e32(v);
		} else {
			mov_imm(r, v);
			if (size == 1)
				e1(0x66);
			e2(0x36, size == 0 ? 0x88 : 0x89);
			mem_abs(size == 0 ? (r & 3) : r, addr);
		}
	} else if (chance(3) && size < 2) {
		e3(0x36, 0x0f, size == 0 ? 0xb6 : 0xb7);
		mem_abs(r, addr);
	} else {
		if (size == 1)
			e1(0x66);
		e2(0x36, size == 0 ? 0x8a : 0x8b);
		mem_abs(r, addr);
	}
}

static const struct {
	const char *name;
	void (*gen)(void);
	unsigned weight;
} classes[] = {
	{ "cr", cr_item, 10 }, { "dr", dr_item, 5 }, { "msr", msr_item, 12 },
	{ "xcr", xcr_item, 3 }, { "io", io_item, 14 }, { "dt", dt_item, 8 },
	{ "int", int_item, 5 }, { "iret", iret_item, 5 }, { "far", far_item, 5 },
	{ "vmx", vmx_item, 8 }, { "hlt", hlt_item, 3 }, { "misc", misc_item, 14 },
	{ "mmio", mmio_item, 12 },
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

static void generate(void)
{
	unsigned total = 0, n = 1 + below(3);

	for (unsigned i = 0; i < NCLASSES; i++)
		total += classes[i].weight;
	pos = 0;
	genpos = 0;
	nitems = 0;
	randomize_tables();
	for (unsigned k = 0; k < n; k++) {
		unsigned w = below(total), c = 0;
		while (w >= classes[c].weight)
			w -= classes[c++].weight;
		item_names[nitems++] = classes[c].name;
		classes[c].gen();
	}
	end_buffer();
	for (unsigned i = 0; i < 7; i++)
		fz_regs[i] = rnd_value();
}


/* MOV r32 to [r32]: a form hv's MMIO decoder knows, whatever the
 * compiler would pick. */
static void lapic_w(uint32_t reg, uint32_t v)
{
	__asm__ volatile("movl %1, (%0)" ::"r"(LAPIC + reg), "r"(v) : "memory");
}

/* Run a buffer prepared elsewhere (the fixups): same landing, same
 * registers cleared. */
static uint32_t run_code(uint8_t *buf)
{
	fz_entry = (uint32_t)buf;
	return fuzz_call();
}

/* EFER = 0; APIC base: disabled (which also leaves x2APIC mode), then
 * enabled in xAPIC mode at 0xfee00000. */
static void put_msr_restore(void)
{
	mov_imm(1, 0xc0000080u);
	e2(0x31, 0xc0); e2(0x31, 0xd2); /* eax = edx = 0 */
	e2(0x0f, 0x30);
	put_apic_restore();
}

static uint32_t restore_msrs(void)
{
	return run_code(fixup_code);
}

/* PIT channel 0 one-shot (mode 0) with the longest count: at most one
 * more tick; RTC: no periodic, alarm or update interrupts. */
static void restore_timers(void)
{
	outb(0x43, 0x30);
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	outb(0x70, 0x0b);
	outb(0x71, 0x02);
	outb(0x70, 0x0c);
	(void)inb(0x71);
}

static void restore_apic(void)
{
	lapic_w(0xf0, 0x1ff);       /* software-enabled, spurious 0xff */
	lapic_w(0x80, 0);           /* TPR */
	lapic_w(0x320, 0x10040);    /* timer masked */
	lapic_w(0x380, 0);
	lapic_w(0xb0, 0);           /* EOI */
}


/* ---- set-up ---- */
static void setup(void)
{
	struct dtr old;

	fz_gdt[0] = 0;
	fz_gdt[1] = 0x00cf9a000000ffffull;
	fz_gdt[2] = 0x00cf92000000ffffull;
	fz_gdt_desc.limit = sizeof(fz_gdt) - 1;
	fz_gdt_desc.base = (uint32_t)fz_gdt;
	randomize_tables();
	for (int i = 0; i < 256; i++) {
		uint32_t h = fz_stubs[i];
		fz_idt[i] = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			    ((uint64_t)(h >> 16) << 48);
	}
	fz_idt_desc.limit = sizeof(fz_idt) - 1;
	fz_idt_desc.base = (uint32_t)fz_idt;
	__asm__ volatile("sidt %0" : "=m"(old));
	__asm__ volatile("lgdt %0; ljmp $0x08, $1f; 1:" ::"m"(fz_gdt_desc));
	__asm__ volatile("lidt %0" ::"m"(fz_idt_desc));
	/* INT3 over 0x1000-0x7fff (below the Multiboot information at
	 * 0x8000): the sled, and a net for any stray jump low. */
	for (uint32_t a = 0x1000; a < 0x8000; a++)
		*(volatile uint8_t *)a = 0xcc;
	/* The TSS: a fault at CPL 3 (after an IRET or RETF to a random ring-3
	 * selector) switches to ring0_stack. */
	*(uint32_t *)(fz_tss + 4) = (uint32_t)ring0_stack + sizeof(ring0_stack);
	*(uint32_t *)(fz_tss + 8) = 0x10;
	*(uint16_t *)(fz_tss + 0x66) = 0x68;
	__asm__ volatile("ltr %w0" ::"r"(3 << 3));
	pos = 0;
	put_msr_restore();
	end_buffer();
	for (unsigned i = 0; i < pos; i++)
		fixup_code[i] = code[i];
	/* Identity map for CR0.PG: RAM's first 4 MiB and 0xfec00000-0xff000000
	 * (I/O APIC, test device at 0xfeb00000 is outside: 4 KiB pages
	 * 0xfe800000-0xfebfffff would need another table). */
	for (uint32_t i = 0; i < 1024; i++) {
		idmap_pt_low[i] = (i << 12) | 3;
		idmap_pt_mmio[i] = (0xfec00000u + (i << 12)) | 0x1b;
	}
	idmap_pd[0] = (uint32_t)idmap_pt_low | 3;
	idmap_pd[0xfec00000u >> 22] = (uint32_t)idmap_pt_mmio | 3;
	__asm__ volatile("mov %%cr0, %0" : "=r"(fz_cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(fz_cr4));
}

void fz_fatal(uint32_t vector);
void fz_fatal(uint32_t vector)
{
	puts_serial("FUZZ fatal: vector ");
	print_dec(vector);
	puts_serial(fz_in_landing ? " while restoring" : " outside the buffer");
	puts_serial(" seed=");
	print_hex(cur_seed);
	puts_serial(" iter=");
	print_dec(cur_iter);
	puts_serial("\nRESULT: FAIL\n");
	guest_exit(1);
}

/* ---- command line ---- */
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
