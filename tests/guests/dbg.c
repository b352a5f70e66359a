/* Debug exceptions and RF around the instructions hv emulates (issue 12,
 * "Exceptions and events"): every check names the SDM rule it holds hv to.
 *
 * The instructions a guest runs and hv emulates (CPUID, IN/OUT, RDMSR/
 * WRMSR, MMIO, and the faults hv injects for the ones it refuses) must
 * look to the guest's debug features as they do on a CPU:
 *   - a fault pushes EFLAGS with RF set (SDM Vol. 3A 17.3.1.1), so the
 *     handler's IRET does not hit an instruction breakpoint again;
 *   - a completed instruction clears RF (17.3.1.1), so an instruction
 *     breakpoint on the next instruction fires;
 *   - with TF set, one single-step #DB after the instruction, RIP past
 *     it, DR6.BS set (SDM Vol. 3B 18.3.1.4);
 *   - an enabled I/O breakpoint (CR4.DE, RWn = 10) on the port an IN or
 *     OUT accessed: a trap after it, DR6.Bn set (SDM Vol. 3B 18.2.4,
 *     18.3.1.2);
 *   - an enabled data breakpoint (RWn = 01 writes, 11 reads or writes)
 *     on a byte an emulated MMIO access touched: the same trap;
 *   - MOV SS and POP SS hold a single-step trap back until after the next
 *     instruction (SDM Vol. 3A 6.8.3): one #DB, after that one;
 * and, run beside them as the CPU's own behaviour (no exit involved), an
 * instruction breakpoint on CPUID (a fault before the exit, 18.3.1.1),
 * ICEBP (INT1: a trap-like #DB, SDM Vol. 2B INT n/INTO/INT3/INT1) and
 * general detect (DR7.GD: MOV DR faults with DR6.BD, GD cleared, 18.2.4,
 * 18.3.1.3).
 *
 * The guest's own #DB and #GP handlers (gates 1 and 13 of the IDT that
 * start.S built) record what the CPU pushed and DR6, stop single-stepping
 * (TF cleared in the pushed EFLAGS) and step over what they are told to. */
#include "guest.h"

#define RFLAGS_TF (1u << 8)
#define RFLAGS_RF (1u << 16)
#define CR4_DE (1u << 3)
#define CR4_VMXE (1u << 13)
#define DR6_RESET 0xffff0ff0u
#define DR6_B(n) (1u << (n))
#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR7_FIXED 0x400u
#define DR7_L(n) (1u << (2 * (n)))
#define DR7_GD (1u << 13)
#define DR7_RW_IO(n) (2u << (16 + 4 * (n)))
#define DR7_RW_W(n) (1u << (16 + 4 * (n)))  /* data writes */
#define DR7_RW_RW(n) (3u << (16 + 4 * (n))) /* data reads or writes */
#define DR7_LEN4(n) (3u << (18 + 4 * (n)))  /* four bytes */
#define DR7_RW(dr7, n) (((dr7) >> (16 + 4 * (n))) & 3)
#define DR7_LEN2(n) (1u << (18 + 4 * (n))) /* two bytes */
#define MSR_MISC_ENABLE 0x1a0
#define MSR_NONE 0x12345 /* no such MSR: hv refuses it (#GP) */
#define MSR_SYSENTER_CS_ 0x174
#define COM1_SCR 0x3ff
#define XAPIC_VERSION_ADDR 0xfee00030u

#define MAX_DB 4
static volatile unsigned db_count, gp_count;
static volatile uint32_t db_eip[MAX_DB], db_dr6[MAX_DB], db_dr7[MAX_DB];
static volatile uint32_t gp_eip, gp_eflags, gp_skip;
static volatile bool gp_retry_valid; /* #GP: retry as a WRMSR that works */
#define STORM 16 /* more exceptions than any check wants: stop, FAIL */

static void storm(const char *what, struct trap_frame *f)
{
	puts_serial(what);
	puts_serial(" storm at ");
	print_hex(f->eip);
	puts_serial(", EFLAGS ");
	print_hex(f->eflags);
	puts_serial("\nRESULT: FAIL\n");
	guest_exit(1);
}

static inline uint32_t get_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline uint32_t get_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline void set_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" ::"r"(v)); }
static inline void set_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" ::"r"(v)); }
static inline void set_dr0(uint32_t v) { __asm__ volatile("mov %0, %%dr0" ::"r"(v)); }
static inline void set_dr1(uint32_t v) { __asm__ volatile("mov %0, %%dr1" ::"r"(v)); }
static inline void set_dr2(uint32_t v) { __asm__ volatile("mov %0, %%dr2" ::"r"(v)); }
static inline void set_dr3(uint32_t v) { __asm__ volatile("mov %0, %%dr3" ::"r"(v)); }
static inline uint32_t get_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void set_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v)); }

void dbg_trap(struct trap_frame *f);
void dbg_trap(struct trap_frame *f)
{
	if (f->vector == 1) {
		unsigned i = db_count++;
		uint32_t dr6 = get_dr6(), dr7 = get_dr7();
		if (i >= STORM)
			storm("#DB", f);
		if (i < MAX_DB) {
			db_eip[i] = f->eip;
			db_dr6[i] = dr6;
			db_dr7[i] = dr7;
		}
		set_dr6(DR6_RESET);
		f->eflags &= ~RFLAGS_TF; /* one step is all a check wants */
		/* An instruction breakpoint is the one fault the CPU pushes
		 * without RF: the handler sets it, or the IRET hits the same
		 * breakpoint again (SDM Vol. 3B 18.3.1.1). */
		for (unsigned n = 0; n < 4; n++)
			if ((dr6 & DR6_B(n)) && DR7_RW(dr7, n) == 0)
				f->eflags |= RFLAGS_RF;
		if (dr6 & DR6_BD)
			f->eip += 3; /* the MOV DR that general detect stopped */
		return;
	}
	if (f->vector == 13) {
		if (gp_count++ >= STORM)
			storm("#GP", f);
		gp_eip = f->eip;
		gp_eflags = f->eflags;
		if (gp_retry_valid) {
			/* Run the WRMSR again, to an MSR that takes the value. */
			gp_retry_valid = false;
			f->ecx = MSR_SYSENTER_CS_;
			f->eax = 0;
			f->edx = 0;
		} else {
			f->eip += gp_skip;
		}
		return;
	}
	unexpected_trap(f);
}

/* Gates 1 and 13 to dbg_trap, through a frame like start.S's. */
__asm__(".text\n"
	".globl dbg_db_stub, dbg_gp_stub\n"
	"dbg_db_stub: pushl $0\n pushl $1\n jmp dbg_common\n"
	"dbg_gp_stub: pushl $13\n jmp dbg_common\n"
	"dbg_common: pushal\n pushl %esp\n call dbg_trap\n addl $4, %esp\n"
	" popal\n addl $8, %esp\n iret\n");
extern const char dbg_db_stub[], dbg_gp_stub[];

static void reset(void)
{
	set_dr7(DR7_FIXED);
	set_dr6(DR6_RESET);
	db_count = gp_count = 0;
	for (unsigned i = 0; i < MAX_DB; i++)
		db_eip[i] = db_dr6[i] = db_dr7[i] = 0;
	gp_eip = gp_eflags = gp_skip = 0;
	gp_retry_valid = false;
}

/* Exactly one #DB, at `after`, with `dr6_bits` in DR6. */
static bool one_db_at(const void *after, uint32_t dr6_bits)
{
	bool ok = db_count == 1 && db_eip[0] == (uint32_t)after &&
		  (db_dr6[0] & dr6_bits) == dr6_bits;
	if (!ok) {
		puts_serial("  #DBs ");
		print_dec(db_count);
		puts_serial(", first at ");
		print_hex(db_eip[0]);
		puts_serial(" (want ");
		print_hex((uint32_t)after);
		puts_serial("), DR6 ");
		print_hex(db_dr6[0]);
		puts_serial("\n");
	}
	return ok;
}

#define NOINLINE __attribute__((noinline, noclone))
#define TF_ON "pushfl\n orl $0x100, (%%esp)\n popfl\n"

/* ---- RF on faults (SDM Vol. 3A 17.3.1.1) ------------------------------ */

static void rf_checks(void)
{
	uint32_t cr4 = get_cr4();

	reset();
	gp_skip = 2;
	__asm__ volatile("wrmsr" ::"c"(MSR_NONE), "a"(0), "d"(0) : "memory");
	check(gp_count == 1 && (gp_eflags & RFLAGS_RF),
	      "17.3.1.1: the #GP hv injects for a refused WRMSR pushes EFLAGS "
	      "with RF set");

	reset();
	gp_skip = 3; /* mov %eax, %cr4 */
	__asm__ volatile("mov %0, %%cr4" ::"a"(cr4 | CR4_VMXE) : "memory");
	check(gp_count == 1 && (gp_eflags & RFLAGS_RF),
	      "17.3.1.1: the #GP hv injects for a refused MOV to CR4 pushes "
	      "EFLAGS with RF set");
	set_cr4(cr4);

	/* The CPU's own #GP, for comparison: selector 0x18 is past the
	 * GDT's limit (SDM Vol. 3A 5.4.1). */
	reset();
	gp_skip = 2; /* mov %ax, %ds */
	__asm__ volatile("push %%ds\n mov %0, %%ds\n pop %%ds" ::"a"(0x18)
			 : "memory");
	check(gp_count == 1 && (gp_eflags & RFLAGS_RF),
	      "17.3.1.1: the #GP the CPU raises itself (MOV DS) pushes EFLAGS "
	      "with RF set (the same as hv's)");
}

/* An instruction breakpoint on a refused WRMSR: the breakpoint's #DB
 * first (a fault, before the exit), then the WRMSR runs and hv injects
 * #GP; its handler has the WRMSR run again (to an MSR that takes it).
 * RF pushed by that #GP lets the retry pass the breakpoint: one #DB. */
NOINLINE static void bp_on_refused_wrmsr(void)
{
	__asm__ volatile(".globl bp_wrmsr\nbp_wrmsr: wrmsr\n"
			 ::"c"(MSR_NONE), "a"(0), "d"(0) : "memory");
}
extern const char bp_wrmsr[];

static void rf_breakpoint_check(void)
{
	reset();
	gp_retry_valid = true;
	set_dr0((uint32_t)bp_wrmsr);
	set_dr7(DR7_FIXED | DR7_L(0));
	bp_on_refused_wrmsr();
	set_dr7(DR7_FIXED);
	check(db_count == 1 && db_eip[0] == (uint32_t)bp_wrmsr &&
		      (db_dr6[0] & DR6_B(0)) && gp_count == 1 &&
		      gp_eip == (uint32_t)bp_wrmsr,
	      "17.3.1.1: after hv's #GP on a WRMSR with an instruction "
	      "breakpoint, the handler's IRET re-executes it without a second "
	      "#DB (RF pushed)");
	if (db_count != 1) {
		puts_serial("  #DBs ");
		print_dec(db_count);
		puts_serial(", #GPs ");
		print_dec(gp_count);
		puts_serial("\n");
	}
}

/* ---- RF cleared after an emulated instruction ------------------------- */

/* DR0 on CPUID, DR1 on the instruction after it: the CPU takes DR0's
 * fault before the exit; the IRET sets RF, which must be clear again once
 * CPUID completed, or DR1 is missed. */
NOINLINE static void bp_cpuid_pair(void)
{
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile(".globl bp_cpuid, bp_cpuid_next\n"
			 "bp_cpuid: cpuid\nbp_cpuid_next: nop\n"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
}
extern const char bp_cpuid[], bp_cpuid_next[];

/* An MMIO read (an EPT violation, which saves RF = 1: SDM Vol. 3C
 * 28.3.3) with DR1 on the next instruction. */
NOINLINE static void bp_after_mmio(void)
{
	uint32_t v;
	__asm__ volatile(".globl bp_mmio_next\n"
			 "movl 0xfee00030, %0\nbp_mmio_next: nop\n"
			 : "=r"(v)::"memory");
}
extern const char bp_mmio_next[];

static void rf_cleared_checks(void)
{
	reset();
	set_dr0((uint32_t)bp_cpuid);
	set_dr1((uint32_t)bp_cpuid_next);
	set_dr7(DR7_FIXED | DR7_L(0) | DR7_L(1));
	bp_cpuid_pair();
	set_dr7(DR7_FIXED);
	check(db_count == 2 && db_eip[0] == (uint32_t)bp_cpuid &&
		      (db_dr6[0] & DR6_B(0)),
	      "18.3.1.1: an instruction breakpoint on CPUID is a fault before "
	      "it runs (DR6.B0, EIP at CPUID)");
	check(db_count == 2 && db_eip[1] == (uint32_t)bp_cpuid_next &&
		      (db_dr6[1] & DR6_B(1)),
	      "17.3.1.1: RF is clear after an emulated CPUID: the breakpoint "
	      "on the next instruction fires");

	reset();
	set_dr1((uint32_t)bp_mmio_next);
	set_dr7(DR7_FIXED | DR7_L(1));
	bp_after_mmio();
	set_dr7(DR7_FIXED);
	check(one_db_at(bp_mmio_next, DR6_B(1)),
	      "17.3.1.1: RF is clear after an emulated MMIO read: the "
	      "breakpoint on the next instruction fires");
}

/* ---- single step over emulated instructions (18.3.1.4) ---------------- */

NOINLINE static void step_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile(TF_ON "cpuid\n.globl step_cpuid_after\n"
			 "step_cpuid_after: nop\n"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory", "cc");
}
NOINLINE static void step_in(void)
{
	uint32_t a;
	__asm__ volatile(TF_ON "inb %%dx, %%al\n.globl step_in_after\n"
			 "step_in_after: nop\n"
			 : "=a"(a) : "d"(0x3fd) : "memory", "cc");
}
NOINLINE static void step_out(void)
{
	__asm__ volatile(TF_ON "outb %%al, %%dx\n.globl step_out_after\n"
			 "step_out_after: nop\n"
			 ::"a"(0x5a), "d"(COM1_SCR) : "memory", "cc");
}
NOINLINE static void step_rdmsr(void)
{
	uint32_t a, d;
	__asm__ volatile(TF_ON "rdmsr\n.globl step_rdmsr_after\n"
			 "step_rdmsr_after: nop\n"
			 : "=a"(a), "=d"(d) : "c"(MSR_MISC_ENABLE) : "memory", "cc");
}
NOINLINE static void step_wrmsr(uint32_t lo, uint32_t hi)
{
	__asm__ volatile(TF_ON "wrmsr\n.globl step_wrmsr_after\n"
			 "step_wrmsr_after: nop\n"
			 ::"c"(MSR_MISC_ENABLE), "a"(lo), "d"(hi) : "memory", "cc");
}
NOINLINE static void step_mmio(void)
{
	uint32_t v;
	__asm__ volatile(TF_ON "movl 0xfee00030, %0\n.globl step_mmio_after\n"
			 "step_mmio_after: nop\n"
			 : "=r"(v)::"memory", "cc");
}
extern const char step_cpuid_after[], step_in_after[], step_out_after[],
	step_rdmsr_after[], step_wrmsr_after[], step_mmio_after[];

static void single_step_checks(void)
{
	uint64_t misc = 0;

	reset();
	step_cpuid();
	check(one_db_at(step_cpuid_after, DR6_BS),
	      "18.3.1.4: TF over an emulated CPUID: one #DB after it, DR6.BS");
	reset();
	step_in();
	check(one_db_at(step_in_after, DR6_BS),
	      "18.3.1.4: TF over an emulated IN: one #DB after it, DR6.BS");
	reset();
	step_out();
	check(one_db_at(step_out_after, DR6_BS),
	      "18.3.1.4: TF over an emulated OUT: one #DB after it, DR6.BS");
	reset();
	step_rdmsr();
	check(one_db_at(step_rdmsr_after, DR6_BS),
	      "18.3.1.4: TF over an emulated RDMSR: one #DB after it, DR6.BS");
	{
		uint32_t lo, hi;
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_MISC_ENABLE));
		misc = ((uint64_t)hi << 32) | lo;
	}
	reset();
	step_wrmsr((uint32_t)misc, (uint32_t)(misc >> 32));
	check(one_db_at(step_wrmsr_after, DR6_BS),
	      "18.3.1.4: TF over an emulated WRMSR: one #DB after it, DR6.BS");
	reset();
	step_mmio();
	check(one_db_at(step_mmio_after, DR6_BS),
	      "18.3.1.4: TF over an emulated MMIO read: one #DB after it, "
	      "DR6.BS");
}

/* ---- I/O breakpoints on emulated IN/OUT (18.2.4, 18.3.1.2) ------------ */

NOINLINE static void io_out_byte(uint16_t port)
{
	__asm__ volatile("outb %%al, %%dx\n.globl io_out_byte_after\n"
			 "io_out_byte_after: nop\n" ::"a"(0x11), "d"(port)
			 : "memory");
}
NOINLINE static void io_in_word(uint16_t port)
{
	uint32_t a;
	__asm__ volatile("inw %%dx, %%ax\n.globl io_in_word_after\n"
			 "io_in_word_after: nop\n" : "=a"(a) : "d"(port)
			 : "memory");
}
extern const char io_out_byte_after[], io_in_word_after[];

static void io_breakpoint_checks(void)
{
	uint32_t cr4 = get_cr4();

	set_cr4(cr4 | CR4_DE);
	reset();
	set_dr2(COM1_SCR);
	set_dr7(DR7_FIXED | DR7_L(2) | DR7_RW_IO(2));
	io_out_byte(COM1_SCR);
	set_dr7(DR7_FIXED);
	check(one_db_at(io_out_byte_after, DR6_B(2)),
	      "18.2.4, 18.3.1.2: an I/O breakpoint on an emulated OUT's port: "
	      "a #DB after it, DR6.B2");

	reset();
	set_dr2(COM1_SCR);
	set_dr7(DR7_FIXED | DR7_L(2) | DR7_RW_IO(2));
	io_in_word(COM1_SCR - 1); /* ports 0x3fe-0x3ff */
	set_dr7(DR7_FIXED);
	check(one_db_at(io_in_word_after, DR6_B(2)),
	      "18.2.5: a word IN whose second byte is the breakpoint's port "
	      "hits it");

	reset();
	set_dr2(COM1_SCR - 2); /* 2-byte breakpoint: ports 0x3fc-0x3fd */
	set_dr7(DR7_FIXED | DR7_L(2) | DR7_RW_IO(2) | DR7_LEN2(2));
	io_out_byte(COM1_SCR);
	set_dr7(DR7_FIXED);
	check(db_count == 0,
	      "18.2.5: an OUT to a port outside the breakpoint's range: no "
	      "#DB");

	reset();
	set_cr4(cr4 & ~CR4_DE);
	set_dr2(COM1_SCR);
	set_dr7(DR7_FIXED | DR7_L(2) | DR7_RW_IO(2));
	io_out_byte(COM1_SCR);
	set_dr7(DR7_FIXED);
	check(db_count == 0,
	      "18.2.4: without CR4.DE, RW = 10 is no I/O breakpoint: no #DB");
	set_cr4(cr4);
}

/* ---- Data breakpoints on emulated MMIO accesses (18.2.4, 18.3.1.2) ---- */

/* The local APIC's TPR (0xfee00080) and version register (0xfee00030):
 * both MMIO that hv emulates (the access exits before it happens, so
 * the CPU never sees it to match a data breakpoint: hv must). */
#define APIC_TPR 0xfee00080u
#define APIC_VER 0xfee00030u

NOINLINE static void mmio_write_tpr(uint32_t v)
{
	__asm__ volatile("movl %0, 0xfee00080\n.globl mmio_wr_after\n"
			 "mmio_wr_after: nop\n" ::"r"(v) : "memory");
}
NOINLINE static uint32_t mmio_read_ver(void)
{
	uint32_t v;
	__asm__ volatile("movl 0xfee00030, %0\n.globl mmio_rd_after\n"
			 "mmio_rd_after: nop\n" : "=r"(v) :: "memory");
	return v;
}
extern const char mmio_wr_after[], mmio_rd_after[];

static void data_breakpoint_checks(void)
{
	reset();
	set_dr3(APIC_TPR);
	set_dr7(DR7_FIXED | DR7_L(3) | DR7_RW_W(3) | DR7_LEN4(3));
	mmio_write_tpr(0);
	set_dr7(DR7_FIXED);
	check(one_db_at(mmio_wr_after, DR6_B(3)),
	      "18.2.4, 18.3.1.2: a write breakpoint on an emulated MMIO write: "
	      "a #DB after it, DR6.B3");

	reset();
	set_dr3(APIC_VER);
	set_dr7(DR7_FIXED | DR7_L(3) | DR7_RW_W(3) | DR7_LEN4(3));
	(void)mmio_read_ver();
	set_dr7(DR7_FIXED);
	check(db_count == 0,
	      "18.2.4: RW = 01 breaks on writes only: an emulated MMIO read "
	      "of its address: no #DB");

	reset();
	set_dr3(APIC_VER + 2); /* 1-byte breakpoint inside the dword read */
	set_dr7(DR7_FIXED | DR7_L(3) | DR7_RW_RW(3));
	(void)mmio_read_ver();
	set_dr7(DR7_FIXED);
	check(one_db_at(mmio_rd_after, DR6_B(3)),
	      "18.2.5: a read/write breakpoint on a byte of an emulated MMIO "
	      "read: a #DB after it, DR6.B3");

	reset();
	set_dr3(APIC_VER + 4);
	set_dr7(DR7_FIXED | DR7_L(3) | DR7_RW_RW(3) | DR7_LEN4(3));
	(void)mmio_read_ver();
	set_dr7(DR7_FIXED);
	check(db_count == 0,
	      "18.2.5: a breakpoint on the bytes after an emulated MMIO read: "
	      "no #DB");
}

/* ---- MOV SS / POP SS hold the single step back (6.8.3) ---------------- */

NOINLINE static void movss_step_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile("mov %%ss, %%si\n" TF_ON "mov %%si, %%ss\ncpuid\n"
			 ".globl movss_after\nmovss_after: nop\n"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"esi", "memory",
			   "cc");
}
NOINLINE static void popss_step_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;
	__asm__ volatile("push %%ss\n" TF_ON "pop %%ss\ncpuid\n"
			 ".globl popss_after\npopss_after: nop\n"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory", "cc");
}
extern const char movss_after[], popss_after[];

static void movss_checks(void)
{
	reset();
	movss_step_cpuid();
	check(one_db_at(movss_after, DR6_BS),
	      "6.8.3: TF over MOV SS then an emulated CPUID: one #DB, after "
	      "the CPUID");
	reset();
	popss_step_cpuid();
	check(one_db_at(popss_after, DR6_BS),
	      "6.8.3: TF over POP SS then an emulated CPUID: one #DB, after "
	      "the CPUID");
}

/* ---- the CPU's own: ICEBP, general detect ------------------------------ */

NOINLINE static void icebp(void)
{
	__asm__ volatile(".byte 0xf1\n.globl icebp_after\nicebp_after: nop\n"
			 ::: "memory");
}
NOINLINE static void general_detect(void)
{
	__asm__ volatile(".globl gd_insn\ngd_insn: mov %%eax, %%dr0\n"
			 ::"a"(0) : "memory");
}
extern const char icebp_after[], gd_insn[];

static void cpu_own_checks(void)
{
	reset();
	icebp();
	check(db_count == 1 && db_eip[0] == (uint32_t)icebp_after,
	      "Vol. 2B INT1: ICEBP raises one #DB, a trap (EIP after it)");

	reset();
	set_dr7(DR7_FIXED | DR7_GD);
	general_detect();
	check(db_count == 1 && db_eip[0] == (uint32_t)gd_insn &&
		      (db_dr6[0] & DR6_BD) && !(db_dr7[0] & DR7_GD),
	      "18.2.4, 18.3.1.3: with DR7.GD a MOV DR faults: DR6.BD, GD "
	      "cleared for the handler");
	set_dr7(DR7_FIXED);
}

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	idt_set_gate(1, dbg_db_stub);
	idt_set_gate(13, dbg_gp_stub);
	rf_checks();
	rf_breakpoint_check();
	rf_cleared_checks();
	single_step_checks();
	io_breakpoint_checks();
	data_breakpoint_checks();
	movss_checks();
	cpu_own_checks();
	reset();
	return verdict();
}
