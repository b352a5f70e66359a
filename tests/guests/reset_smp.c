/* A reset and two crashes of a 2-vCPU VM while both vCPUs run, each on a
 * host CPU of its own (hv.cfg: vcpus = 2, cpus = 1-2, sched = dedicated;
 * issue 11).  Every
 * boot first checks that it finds a clean machine, then starts vCPU 1
 * (a start-up IPI alone: after a reset it waits for one) counting in a
 * busy loop, sees the count grow while it runs itself, and ends the boot
 * one of four ways while vCPU 1 counts:
 *   boot 1: vCPU 0 resets the VM (port 0xcf9)
 *   boot 2: vCPU 0 triple-faults (on_crash = restart: the VM restarts)
 *   boot 3: vCPU 1 triple-faults, in real mode, while vCPU 0 spins (with
 *           interrupts off, as vCPU 1 counts: only hv's kick stops it)
 *   boot 4: the verdict.
 * The boot number lives in CMOS NVRAM, which a reset keeps (RAM is zeroed
 * by it).  A clean machine: RAM zeroed (a mark boot 1 left is gone), the
 * STAR MSR and DR0 of both vCPUs back at their reset values 0 (each boot
 * leaves a mark in them; INIT leaves MSRs unchanged (SDM Vol. 3A 10.1), so
 * only the VM's reset can clear vCPU 1's), and vCPU 1 waiting for SIPI:
 * it runs nothing until it gets one, and one alone starts it. */
#include "ap.h"
#include "guest.h"

#define CMOS_STAGE 0x50
#define CMOS_LATE 0x51 /* boot 3's vCPU 0 outlived vCPU 1's crash */

/* vCPU 1's start code and what it reports, at fixed low addresses. */
#define COUNT_VECTOR 0x22 /* count: reports its state, then counts */
#define CRASH_VECTOR 0x23 /* crash: triple-faults at once */
#define REPORT 0x7100u
struct ap_report {
	uint32_t count;       /* the busy loop's count */
	uint32_t star_lo, star_hi, dr0; /* what it found when it started */
};
#define AP ((volatile struct ap_report *)REPORT)

#define MSR_STAR_MARK_LO 0x5a5a0001u
#define MSR_STAR_MARK_HI 0x5a5a0002u
#define DR0_MARK 0x5a5a0003u
#define RAM_MARK ((volatile uint32_t *)0x300000)

/* Real mode, CS = vector << 8, DS = 0.  The count code reads STAR and DR0
 * into the report, leaves the marks in them, and counts with interrupts
 * off (no exit: only the host's preemption timer or a kick stops it).
 * The crash code loads an empty IDT and executes INT3: the #GP for the
 * vector beyond the limit cannot be delivered either, nor the #DF, so the
 * vCPU shuts down (a triple fault; SDM Vol. 3A 6.15, interrupt 8). */
#define S(x) #x
#define STR(x) S(x)
__asm__(
	".section .rodata.ap16, \"a\"\n"
	".code16\n"
	".global ap_count, ap_count_end, ap_crash, ap_crash_end\n"
	"ap_count:\n"
	"	cli\n"
	"	movl $0xc0000081, %ecx\n" /* IA32_STAR */
	"	rdmsr\n"
	"	movl %eax, " STR(REPORT) " + 4\n"
	"	movl %edx, " STR(REPORT) " + 8\n"
	"	movl %dr0, %eax\n"
	"	movl %eax, " STR(REPORT) " + 12\n"
	"	movl $" STR(MSR_STAR_MARK_LO) ", %eax\n"
	"	movl $" STR(MSR_STAR_MARK_HI) ", %edx\n"
	"	wrmsr\n"
	"	movl $" STR(DR0_MARK) ", %eax\n"
	"	movl %eax, %dr0\n"
	"1:	incl " STR(REPORT) "\n"
	"	jmp 1b\n"
	"ap_count_end:\n"
	"ap_crash:\n"
	"	cli\n"
	"	lidtl %cs:(ap_crash_idt - ap_crash)\n"
	"	int3\n"
	"	hlt\n"
	"	.balign 2\n"
	"ap_crash_idt:\n"
	"	.word 0\n"
	"	.long 0\n"
	"ap_crash_end:\n"
	".code32\n"
	".text\n");

extern const uint8_t ap_count[], ap_count_end[], ap_crash[], ap_crash_end[];

/* Longer than several of the host's slices (2 M TSC ticks each): vCPU 1
 * had its chances to run, whichever host CPU it is on. */
#define WAIT_TICKS 10000000ull
/* How long vCPU 0 may go on after vCPU 1's crash: far longer than a
 * kick takes (a few thousand ticks). */
#define STOP_TICKS 100000000ull

static uint8_t cmos_read(uint8_t i)
{
	outb(0x70, i);
	return inb(0x71);
}

static void cmos_write(uint8_t i, uint8_t v)
{
	outb(0x70, i);
	outb(0x71, v);
}

static void spin_ticks(uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;

	while (rdtsc() < end)
		;
}

static uint32_t dr0_read(void)
{
	uint32_t v;

	__asm__ volatile("mov %%dr0, %0" : "=r"(v));
	return v;
}

static void dr0_write(uint32_t v)
{
	__asm__ volatile("mov %0, %%dr0" ::"r"(v));
}

/* Spins without exits (RDTSC does not exit here) until vCPU 1's count
 * reaches n or the ticks are over; false if they ran out. */
static bool count_reaches(uint32_t n, uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;

	while (AP->count < n)
		if (rdtsc() >= end)
			return false;
	return true;
}

static void say_boot(unsigned n, const char *what)
{
	puts_serial("boot ");
	print_dec(n);
	puts_serial(": ");
	puts_serial(what);
	putc_serial('\n');
}

/* What every boot checks before it ends the way its number says. */
static void clean_machine_and_vcpu1_runs(void)
{
	uint64_t star = ~0ull;

	check(*RAM_MARK == 0, "RAM zeroed (no mark of an earlier boot)");
	check(rdmsr_safe(MSR_STAR, &star) && star == 0,
	      "vCPU 0: STAR at its reset value 0");
	check(dr0_read() == 0, "vCPU 0: DR0 at its reset value 0");
	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);
	ap_code_put(COUNT_VECTOR, ap_count, ap_count_end);
	ap_code_put(CRASH_VECTOR, ap_crash, ap_crash_end);
	/* Anything vCPU 1 ran now (a vCPU left running across the reset)
	 * would count: the code is in place. */
	count_reaches(1, WAIT_TICKS);
	check(AP->count == 0, "vCPU 1 runs nothing before a SIPI");
	send_ipi(1, ICR_STARTUP | COUNT_VECTOR);
	check(count_reaches(1, 5 * WAIT_TICKS),
	      "vCPU 1 waited for SIPI: a SIPI alone started it");
	check(AP->star_lo == 0 && AP->star_hi == 0,
	      "vCPU 1: STAR at its reset value 0");
	check(AP->dr0 == 0, "vCPU 1: DR0 at its reset value 0");
	uint32_t before = AP->count;
	check(count_reaches(before + 1000, 5 * WAIT_TICKS),
	      "vCPU 1 counts while vCPU 0 runs");
	/* Marks for the next boot to find, if the reset failed to clear. */
	*RAM_MARK = 0x5a5a0004u;
	wrmsr_safe(MSR_STAR, ((uint64_t)MSR_STAR_MARK_HI << 32) | MSR_STAR_MARK_LO);
	dr0_write(DR0_MARK);
}

int guest_main(uint32_t magic, uint32_t info)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = { 0, 0 };
	uint8_t stage = cmos_read(CMOS_STAGE);

	(void)magic, (void)info;
	say_boot(stage + 1u, "checking for a clean machine");
	clean_machine_and_vcpu1_runs();
	cmos_write(CMOS_STAGE, (uint8_t)(stage + 1));
	switch (stage) {
	case 0:
		say_boot(1, "vCPU 0 resets the VM (port 0xcf9) while vCPU 1 counts");
		outb(0xcf9, 0x06);
		break;
	case 1:
		say_boot(2, "vCPU 0 triple-faults while vCPU 1 counts");
		__asm__ volatile("lidt %0; int3" ::"m"(empty));
		break;
	case 2:
		say_boot(3, "vCPU 1 triple-faults while vCPU 0 spins");
		send_ipi(1, ICR_INIT_ASSERT);
		send_ipi(1, ICR_STARTUP | CRASH_VECTOR);
		/* Interrupts off as vCPU 1's: hv must kick this CPU for the
		 * VM's request (a dedicated vCPU has no slice end).  With them
		 * on, Bochs took no host interrupt in this loop (hv's kick
		 * included) until it ended. */
		__asm__ volatile("cli");
		spin_ticks(STOP_TICKS);
		cmos_write(CMOS_LATE, 1); /* still here: say so, ending it */
		break;
	default:
		check(cmos_read(CMOS_LATE) == 0,
		      "vCPU 1's crash stopped vCPU 0 at once");
		check(stage == 3, "boot 4, after a reset and two crashes");
		return verdict();
	}
	check(false, "the VM restarted");
	return verdict();
}
