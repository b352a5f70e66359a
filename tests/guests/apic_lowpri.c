/* Delivery modes across four vCPUs (issue 12), each check naming its
 * rule in the SDM (Vol. 3A) or the 82093AA data sheet:
 *   11.6.2.4  lowest-priority delivery: of the destination set, the
 *             processor with the lowest priority (PPR, 11.8.3.1) takes
 *             the interrupt, once: by IPI (ICR delivery mode 001) and by
 *             an I/O APIC redirection entry;
 *   82093AA 3.2.4 "ExtINT": an I/O APIC entry in ExtINT mode makes its
 *             target take the vector from the 8259A, as INTA would (the
 *             boot vCPU's LINT0 is masked, so nothing else can bring it);
 *   11.6.1    SMI by IPI: hv has no SMM for guests and logs it (the boot
 *             test reads the log); the target keeps running;
 *   11.6.1    ICR delivery mode 111 (ExtINT) is reserved: no interrupt
 *             arrives (the boot test reads hv's log line).
 * Needs vcpus = 4.  Each vCPU's logical APIC ID is bit (APIC ID) in the
 * flat model; the TPRs set the order. */
#include "ap.h"

#define XAPIC_TPR 0x080
#define XAPIC_LDR 0x0d0
#define XAPIC_LVT_LINT0 0x350
#define IOAPIC 0xfec00000u
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define DM_LOWEST (1u << 8)
#define DM_SMI (2u << 8)
#define DM_EXTINT (7u << 8)
#define MASKED (1u << 16)
#define ALL_FOUR 0x0f
#define NCPU 4
#define WAKE 0xf0      /* above every TPR used here */
#define PIC_BASE 0x20  /* the master 8259A's vectors: IRQ 0 is 0x20 */
#define START_TICKS 100000000ull
#define WAIT_TICKS 20000000ull

static volatile uint32_t count[NCPU][256];
static volatile uint32_t tpr_req[NCPU]; /* 0x100 | TPR: set it */

static const uint32_t tpr_init[NCPU] = { 0x70, 0x80, 0x20, 0x60 };

static void on_irq(uint32_t vector)
{
	count[ap_self()][vector]++;
	if (vector >= PIC_BASE && vector < PIC_BASE + 8)
		outb(0x20, 0x20); /* the 8259A's EOI */
	else
		xapic_write(XAPIC_EOI, 0);
}

static void io_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void ap_body(void)
{
	uint32_t id = ap_self();

	xapic_write(XAPIC_LDR, (1u << id) << 24);
	xapic_write(XAPIC_TPR, tpr_init[id]);
	for (;;) {
		uint32_t r = tpr_req[id];
		if (r) {
			xapic_write(XAPIC_TPR, r & 0xff);
			tpr_req[id] = 0;
		}
		__asm__ volatile("sti; hlt; cli");
	}
}

static bool set_tpr(uint32_t id, uint32_t tpr)
{
	uint64_t end = rdtsc() + WAIT_TICKS;

	tpr_req[id] = 0x100 | tpr;
	xapic_send_fixed(id, WAKE);
	while (tpr_req[id] && rdtsc() < end)
		__asm__ volatile("pause");
	return !tpr_req[id];
}

static uint32_t total(uint32_t vector)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < NCPU; i++)
		n += count[i][vector];
	return n;
}

/* Interrupts on (the boot vCPU may be a target) until `vector` arrived
 * somewhere, then a while longer for a second copy that must not come. */
static void wait_any(uint32_t vector)
{
	uint64_t end = rdtsc() + WAIT_TICKS;

	while (!total(vector) && rdtsc() < end)
		__asm__ volatile("sti; nop; cli");
	end = rdtsc() + WAIT_TICKS / 4;
	while (rdtsc() < end)
		__asm__ volatile("sti; nop; cli");
}

static bool only(uint32_t vector, uint32_t cpu)
{
	for (unsigned i = 0; i < NCPU; i++)
		if (count[i][vector] != (i == cpu ? 1u : 0u)) {
			puts_serial("vector ");
			print_hex(vector);
			puts_serial(" on vCPU ");
			print_dec(i);
			puts_serial(": ");
			print_dec(count[i][vector]);
			putc_serial('\n');
			return false;
		}
	return true;
}

static void lowest_ipi(uint8_t vector)
{
	xapic_write(XAPIC_ICR_HI, (uint32_t)ALL_FOUR << 24);
	xapic_write(XAPIC_ICR_LO, ICR_ASSERT | ICR_LOGICAL | DM_LOWEST | vector);
}

/* The PIT's channel 0 counts down once (mode 0): one rising edge on ISA
 * IRQ 0, I/O APIC pin 2. */
static void pit_once(void)
{
	outb(0x43, 0x30);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
}

static void pic_init(uint8_t mask)
{
	outb(0x20, 0x11); outb(0x21, PIC_BASE); outb(0x21, 4); outb(0x21, 1);
	outb(0xa0, 0x11); outb(0xa1, PIC_BASE + 8); outb(0xa1, 2); outb(0xa1, 1);
	outb(0x21, mask);
	outb(0xa1, 0xff);
}

int guest_main(uint32_t magic, uint32_t info)
{
	bool started = true;

	(void)magic, (void)info;
	irq_handler = on_irq;
	pic_init(0xff);
	xapic_write(XAPIC_LVT_LINT0, MASKED);
	xapic_write(XAPIC_SVR, XAPIC_SVR_ENABLE | 0xff);
	xapic_write(XAPIC_LDR, 1u << 24);
	xapic_write(XAPIC_TPR, tpr_init[0]);
	for (uint32_t id = 1; id < NCPU; id++)
		started = ap_start(id, ap_body, START_TICKS) && started;
	check(started, "vCPUs 1-3 started");
	if (!started)
		return verdict();
	/* Each AP has set its TPR before it first halts: a wake IPI and an
	 * acknowledged TPR request say it is there. */
	for (uint32_t id = 1; id < NCPU; id++)
		started = set_tpr(id, tpr_init[id]) && started;
	check(started, "TPRs 0x70, 0x80, 0x20, 0x60 set");

	lowest_ipi(0xd0);
	wait_any(0xd0);
	check(only(0xd0, 2),
	      "11.6.2.4: lowest-priority IPI to all four: vCPU 2 (TPR 0x20), once");
	check(set_tpr(2, 0x90), "vCPU 2 raises its TPR to 0x90");
	lowest_ipi(0xd1);
	wait_any(0xd1);
	check(only(0xd1, 3),
	      "11.6.2.4: then vCPU 3 (TPR 0x60) is the lowest, once");

	/* The I/O APIC: pin 2 lowest priority, logical, all four. */
	io_wr(0x10 + 2 * 2 + 1, (uint32_t)ALL_FOUR << 24);
	io_wr(0x10 + 2 * 2, ICR_LOGICAL | DM_LOWEST | 0xd2);
	pit_once();
	wait_any(0xd2);
	io_wr(0x10 + 2 * 2, MASKED);
	check(only(0xd2, 3),
	      "11.6.2.4: lowest-priority I/O APIC entry: vCPU 3, once");

	/* ExtINT through the I/O APIC to vCPU 0 (82093AA 3.2.4), the PIC's
	 * IRQ 0 unmasked, LINT0 masked. */
	pic_init(0xfe);
	io_wr(0x10 + 2 * 2 + 1, 0);
	io_wr(0x10 + 2 * 2, DM_EXTINT);
	pit_once();
	wait_any(PIC_BASE);
	io_wr(0x10 + 2 * 2, MASKED);
	pic_init(0xff);
	check(only(PIC_BASE, 0),
	      "82093AA 3.2.4: ExtINT entry: vCPU 0 takes the 8259A's vector 0x20");

	/* SMI to vCPU 1: no SMM; it keeps taking interrupts. */
	xapic_write(XAPIC_ICR_HI, 1u << 24);
	xapic_write(XAPIC_ICR_LO, ICR_ASSERT | DM_SMI);
	xapic_send_fixed(1, 0xe1);
	wait_any(0xe1);
	check(only(0xe1, 1), "11.6.1: after an SMI IPI vCPU 1 still takes IPIs");

	/* ICR ExtINT (reserved in the ICR): nothing arrives. */
	xapic_write(XAPIC_ICR_HI, 1u << 24);
	xapic_write(XAPIC_ICR_LO, ICR_ASSERT | DM_EXTINT | 0xe2);
	wait_any(0xe2);
	check(total(0xe2) == 0, "11.6.1: ICR delivery mode 111 (reserved): no interrupt");
	return verdict();
}
