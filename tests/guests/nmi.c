/* NMIs as the CPU takes them (issue 12, "Exceptions and events"); every
 * check names its rule.
 *
 * SDM Vol. 3A 6.7.1: while an NMI handler runs, the processor blocks
 * further NMIs until the next IRET; one NMI that comes meanwhile is held
 * and delivered when that IRET ends the blocking, before the instruction
 * the IRET returns to.  hv holds the NMI and asks for the NMI-window exit
 * (SDM Vol. 3C 26.2, 27.7.6) to inject it at exactly that point.
 *
 *   1. a self-NMI (ICR: NMI delivery mode, own APIC ID; SDM Vol. 3A
 *      11.6.1) arrives;
 *   2. a self-NMI sent from inside the NMI handler does not arrive before
 *      the handler's IRET, and arrives right after it: before the
 *      instruction the first NMI interrupted, with that same return
 *      address; neither lost nor doubled;
 *   3. the same with NMI IPIs from vCPU 1: one taken, a second one sent
 *      while vCPU 0 sits in its handler waits for the IRET, then comes at
 *      once;
 *   4. a HLT in the NMI handler is not ended by a second NMI, which the
 *      blocking holds (SDM Vol. 2A HLT: an *enabled* interrupt, NMI
 *      included, resumes execution), but by the APIC timer's interrupt
 *      (IF = 1); the timer handler's IRET ends the NMI blocking (any
 *      IRET does, Vol. 3A 6.7.1), so the held NMI comes right after it,
 *      at the instruction after the HLT, inside the first handler.
 * Needs vcpus = 2. */
#include "ap.h"

#define ICR_NMI_ASSERT 0x4400u /* delivery mode NMI (100b), assert */
#define MAX_NMIS 8
#define SPIN_LOOPS 200000u
#define WAIT_TICKS 2000000000ull
#define AP_START_TICKS 100000000ull

#define XAPIC_LVT_TIMER 0x320
#define XAPIC_TMICT 0x380
#define XAPIC_TDCR 0x3e0
#define TDCR_DIVIDE_1 0xbu
#define VEC_TIMER 0x41u
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)
/* Periodic, in bus ticks: should a tick come before the HLT (a slow
 * vCPU), the next one ends the HLT and the checks fail, not hang. */
#define HLT_TIMER_COUNT 1000000u

enum { MODE_PLAIN, MODE_NEST_SELF, MODE_NEST_AP, MODE_NEST_HLT };

static volatile unsigned nmi_count, during, mode;
static volatile uint32_t nmi_eip[MAX_NMIS];
static volatile uint32_t ap_go, ap_in_handler, ap_sent, ap_timeout;

static volatile unsigned other_irqs, timer_irqs, timer_seen;
static volatile uint32_t after_hlt; /* the instruction after the HLT */
static void on_irq(uint32_t vector)
{
	if (vector == VEC_TIMER) {
		timer_irqs++;
		xapic_write(XAPIC_EOI, 0);
		return;
	}
	other_irqs++;
}

static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

/* Waits (no exits) until *flag is set; false after WAIT_TICKS. */
static bool wait_for(volatile uint32_t *flag)
{
	uint64_t end = rdtsc() + WAIT_TICKS;
	while (!*flag)
		if (rdtsc() > end)
			return false;
	return true;
}

static void send_nmi(uint32_t dest)
{
	xapic_write(XAPIC_ICR_HI, dest << 24);
	xapic_write(XAPIC_ICR_LO, ICR_NMI_ASSERT);
}

void nmi_trap(struct trap_frame *f);
void nmi_trap(struct trap_frame *f)
{
	unsigned i = nmi_count++;

	if (i < MAX_NMIS)
		nmi_eip[i] = f->eip;
	if (i != 0)
		return;
	/* IF does not hold NMIs back (SDM Vol. 3A 6.8.1), and set it lets
	 * hv's kick reach it here: Bochs makes no external-interrupt exit
	 * from a guest running with IF = 0 (seen: the kick waited for the
	 * preemption timer), though the SDM has it exit regardless (Vol. 3C
	 * 26.2).  An NMI IPI sent now is held by the NMI blocking alone. */
	__asm__ volatile("sti");
	if (mode == MODE_NEST_SELF) {
		send_nmi(0); /* ourselves: must wait for our IRET */
		spin(SPIN_LOOPS);
		during = nmi_count;
	} else if (mode == MODE_NEST_HLT) {
		xapic_write(XAPIC_TDCR, TDCR_DIVIDE_1);
		xapic_write(XAPIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
		xapic_write(XAPIC_TMICT, HLT_TIMER_COUNT);
		send_nmi(0); /* held: must not end the HLT */
		uint32_t next;
		__asm__ volatile("hlt\n1:\n\tmovl $1b, %0" : "=r"(next));
		after_hlt = next;
		timer_seen = timer_irqs;
		xapic_write(XAPIC_LVT_TIMER, VEC_TIMER | LVT_MASKED);
		xapic_write(XAPIC_TMICT, 0);
		during = nmi_count;
	} else if (mode == MODE_NEST_AP) {
		ap_in_handler = 1;
		if (!wait_for(&ap_sent))
			ap_timeout = 1;
		spin(SPIN_LOOPS);
		during = nmi_count;
	}
}

__asm__(".text\n"
	".globl nmi_stub\n"
	"nmi_stub: pushl $0\n pushl $2\n pushal\n pushl %esp\n"
	" call nmi_trap\n addl $4, %esp\n popal\n addl $8, %esp\n iret\n");
extern const char nmi_stub[];

static void start_mode(unsigned m)
{
	mode = m;
	nmi_count = during = 0;
	for (unsigned i = 0; i < MAX_NMIS; i++)
		nmi_eip[i] = 0;
}

/* Sends a self-NMI and reads the count at the very next instruction. */
static unsigned self_nmi_then_count(void)
{
	unsigned c;

	xapic_write(XAPIC_ICR_HI, 0);
	__asm__ volatile("movl %2, (%1)\n"
			 "movl %3, %0\n"
			 : "=r"(c)
			 : "r"(XAPIC_BASE + XAPIC_ICR_LO), "r"(ICR_NMI_ASSERT),
			   "m"(nmi_count)
			 : "memory");
	return c;
}

static void report(const char *what, unsigned c)
{
	puts_serial(what);
	puts_serial(": count right after ");
	print_dec(c);
	puts_serial(", in the handler ");
	print_dec(during);
	puts_serial(", in all ");
	print_dec(nmi_count);
	puts_serial(", return addresses ");
	print_hex(nmi_eip[0]);
	puts_serial(" ");
	print_hex(nmi_eip[1]);
	puts_serial("\n");
}

static void ap_work(void)
{
	if (!wait_for(&ap_go)) {
		ap_timeout = 1;
		return;
	}
	send_nmi(0);
	if (!wait_for(&ap_in_handler)) {
		ap_timeout = 1;
		return;
	}
	send_nmi(0);
	ap_sent = 1;
}

int guest_main(uint32_t magic, uint32_t info)
{
	unsigned c;

	(void)magic, (void)info;
	idt_set_gate(2, nmi_stub);
	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);

	start_mode(MODE_PLAIN);
	c = self_nmi_then_count();
	spin(SPIN_LOOPS);
	report("self", c);
	check(nmi_count == 1,
	      "Vol. 3A 11.6.1: a self-NMI (ICR, NMI mode, own APIC ID) arrives, "
	      "once");

	start_mode(MODE_NEST_SELF);
	c = self_nmi_then_count();
	spin(SPIN_LOOPS);
	report("nested self", c);
	check(during == 1,
	      "Vol. 3A 6.7.1: a self-NMI sent in the NMI handler does not arrive "
	      "before the handler's IRET");
	check(c == 2 && nmi_eip[1] == nmi_eip[0],
	      "Vol. 3A 6.7.1: it arrives right after that IRET, before the "
	      "interrupted instruction, with its return address");
	check(nmi_count == 2, "Vol. 3A 6.7.1: held, not lost, not doubled");

	if (!ap_start(1, ap_work, AP_START_TICKS)) {
		check(false, "vCPU 1 started (INIT, SIPI)");
		return verdict();
	}
	start_mode(MODE_NEST_AP);
	irq_handler = on_irq; /* none expected; counted, not failed */
	__asm__ volatile("sti"); /* as in the handler: kicks reach hv */
	ap_go = 1;
	{
		uint64_t end = rdtsc() + WAIT_TICKS;
		while (!nmi_count && rdtsc() < end)
			;
		c = nmi_count;
	}
	spin(SPIN_LOOPS);
	report("from vCPU 1", c);
	check(!ap_timeout && nmi_count >= 1,
	      "Vol. 3A 11.6.1: an NMI IPI from vCPU 1 arrives");
	check(!ap_timeout && during == 1,
	      "Vol. 3A 6.7.1: a second NMI IPI sent while vCPU 0 is in its NMI "
	      "handler does not arrive before the handler's IRET");
	check(!ap_timeout && c == 2 && nmi_eip[1] == nmi_eip[0],
	      "Vol. 3A 6.7.1: it arrives right after that IRET, with the first "
	      "one's return address");
	check(nmi_count == 2,
	      "Vol. 3A 6.7.1: NMI IPIs held, not lost, not doubled");

	/* IF = 1 here (above) and in the handler: the timer can end the
	 * HLT, the held NMI must not. */
	start_mode(MODE_NEST_HLT);
	timer_irqs = timer_seen = 0;
	c = self_nmi_then_count();
	spin(SPIN_LOOPS);
	report("HLT in the handler", c);
	check(timer_seen == 1,
	      "Vol. 2A HLT: in the NMI handler, a held NMI does not end HLT; "
	      "the timer's interrupt does");
	check(during == 2 && nmi_count == 2 && nmi_eip[1] == after_hlt,
	      "Vol. 3A 6.7.1: the timer handler's IRET ends the NMI blocking: "
	      "the held NMI comes right after it, once");
	return verdict();
}
