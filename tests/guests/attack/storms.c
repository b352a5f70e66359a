/* The hostile guest: Crashes, resets, SMP storms and interrupt storms. */
#include "attack.h"

/* ==== crashes and resets ==== */

void a_triple_fault(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d = { 0, 0 };
	uint8_t boot = cmos_read(CMOS_BOOTS);

	cmos_write(CMOS_BOOTS, (uint8_t)(boot + 1));
	start();
	note_dec("boot", boot + 1);
	__asm__ volatile("lidt %0; ud2" ::"m"(d));
	escaped("survived a triple fault");
}

static void reset_loop(bool cf9)
{
	uint8_t boot = cmos_read(CMOS_BOOTS);

	cmos_write(CMOS_BOOTS, (uint8_t)(boot + 1));
	if (boot == 0)
		start();
	if (boot >= 40) {
		note_dec("resets done", boot);
		contained("the hypervisor took every reset; the others ran on");
		return;
	}
	if (cf9)
		outb(0xcf9, 0x06);
	else
		outb(0x64, 0xfe);
	escaped("the reset returned");
}

void a_reset_kbd(void) { reset_loop(false); }
void a_reset_cf9(void) { reset_loop(true); }

/* ==== SMP storms ==== */

static void wait_ticks_pause(uint64_t t)
{
	uint64_t end = rdtsc() + t;
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

/* INIT and SIPI storms: INITs to the others, SIPIs with the good vector
 * and bad ones (0x00, 0xff: zeros to run), INIT to itself (the boot vCPU
 * ignores it) and to APIC IDs that do not exist. */
void a_init_storm(void)
{
	uint16_t before;

	start();
	install_ap_code();
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR);
	wait_ticks_pause(200000);
	before = AP_STARTS[0];
	note_dec("starts after the first SIPI", before);
	for (unsigned i = 0; i < 300; i++) {
		send_ipi(0, ICR_INIT | ICR_OTHERS);
		send_ipi(0, ICR_SIPI | ICR_OTHERS | (i % 3 == 0 ? 0x00 : i % 3 == 1 ? 0xff : AP_VECTOR));
		send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR); /* ignored unless waiting */
		send_ipi(0, ICR_INIT | ICR_SELF);
		send_ipi(0x55, ICR_INIT);
		send_ipi(0xfe, ICR_SIPI | AP_VECTOR);
		if (i % 16 == 0)
			__asm__ volatile("pause");
	}
	/* End with the others waiting for SIPI, then one clean start. */
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	AP_STARTS[0] = 0;
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR);
	wait_ticks_pause(200000);
	note_dec("starts after the storm's last SIPI", AP_STARTS[0]);
	if (before == 0 || AP_STARTS[0] == 0)
		wrong_verdict("the other vCPUs did not start (or restart) from a clean SIPI");
	else
		contained("the VM's own vCPUs restarted; nothing else touched");
}

/* NMIs to every vCPU, itself included, as fast as the ICR takes them. */
void a_nmi_storm(void)
{
	start();
	install_ap_code();
	set_gate(2, nmi_stub, 0);
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR);
	wait_ticks_pause(100000);
	nmi_count = 0;
	for (unsigned i = 0; i < 20000; i++)
		send_ipi(0, ICR_NMI | ICR_ALL);
	for (unsigned i = 0; i < 2000; i++)
		send_ipi(0, ICR_NMI | ICR_SELF);
	note_dec("NMIs taken by the boot vCPU", nmi_count);
	if (nmi_count < 100)
		wrong_verdict("NMIs stopped arriving after the first few");
	else
		contained("NMIs delivered to the VM's own vCPUs only");
}

/* Every vCPU spins with interrupts off; time_limit must end the VM. */
void a_spin_smp(void)
{
	start();
	install_ap_code();
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_SPIN_VECTOR);
	name_line("spinning on every vCPU with interrupts off\n");
	__asm__ volatile("cli");
	for (;;)
		;
}

/* Exits as fast as it can make them (CPUID), for a long while, beside VMs
 * that want the CPU: the time the hypervisor spends on its exits must
 * count against its slice.  It measures its longest stretch on the CPU
 * (no gap of more than FLOOD_GAP ticks between two iterations, as when
 * another vCPU runs) and its share of the whole time. */
#define FLOOD_TICKS 60000000ull
#define FLOOD_GAP 200000ull
#define FLOOD_MAX_STRETCH 8000000ull /* 4 slices of 2 M ticks */

void a_exit_flood(void)
{
	uint64_t t0 = rdtsc(), last = t0, stretch_start = t0, longest = 0;
	uint32_t r[4], exits = 0, gaps = 0;

	start();
	while (last - t0 < FLOOD_TICKS) {
		cpuid(0, 0, r);
		exits++;
		uint64_t now = rdtsc();
		if (now - last > FLOOD_GAP) {
			gaps++;
			if (last - stretch_start > longest)
				longest = last - stretch_start;
			stretch_start = now;
		}
		last = now;
	}
	if (last - stretch_start > longest)
		longest = last - stretch_start;
	note_dec("exits", exits);
	note_dec("times descheduled", gaps);
	note_dec("longest stretch on the CPU (ticks)", longest);
	if (longest > FLOOD_MAX_STRETCH)
		escaped("its exits kept it on the CPU for more than 4 slices");
	else
		contained("descheduled after every slice, exits included");
}

/* ==== interrupt storms at the fastest rates ==== */

static void pic_init(uint8_t mask_master, uint8_t mask_slave)
{
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, mask_master);
	outb(0xa1, mask_slave);
}

#define STORM_TICKS 4000000ull
#define STORM_IRQS 5000

static void storm_run(uint64_t ticks, void (*stop)(void))
{
	irq_count = 0;
	storm_max = STORM_IRQS;
	storm_stop = stop;
	__asm__ volatile("sti");
	spin_ticks(ticks);
	__asm__ volatile("cli");
}


static void pit_stop(void) { outb(0x21, 0xff); }
static void rtc_stop(void) { outb(0xa1, 0xff); }
static void lapic_stop(void) { *apic_reg(APIC_LVT_TIMER) = 1u << 16; }

void a_pit_storm(void)
{
	uint32_t n1, n2;

	start();
	irq_handler = count_irq;
	eoi_pic = true;
	pic_init(0xfe, 0xff);
	outb(0x43, 0x34); outb(0x40, 2); outb(0x40, 0); /* mode 2, divisor 2 */
	storm_run(STORM_TICKS, pit_stop);
	n1 = irq_count;
	outb(0x21, 0xfe);
	outb(0x43, 0x36); outb(0x40, 1); outb(0x40, 0); /* mode 3, divisor 1 */
	storm_run(STORM_TICKS, pit_stop);
	n2 = irq_count;
	outb(0x43, 0x30); outb(0x40, 0); outb(0x40, 0);
	outb(0x21, 0xff);
	irq_handler = 0;
	note_dec("IRQ0s at divisor 2", n1);
	note_dec("IRQ0s at divisor 1", n2);
	contained("the storm stays in this VM");
}

void a_rtc_storm(void)
{
	start();
	irq_handler = count_irq;
	eoi_pic = true;
	pic_init(0xfb, 0xfe);
	cmos_write(0x0a, 0x23); /* rate 3: 8192 Hz, the fastest */
	cmos_write(0x0b, 0x42); /* periodic interrupt enable */
	(void)cmos_read(0x0c);
	storm_run(STORM_TICKS, rtc_stop);
	uint32_t n3 = irq_count;
	outb(0xa1, 0xfe);
	cmos_write(0x0a, 0x21); /* rates 1 and 2: the odd fast ones */
	storm_run(STORM_TICKS / 2, rtc_stop);
	outb(0xa1, 0xfe);
	cmos_write(0x0a, 0x22);
	storm_run(STORM_TICKS / 2, rtc_stop);
	cmos_write(0x0b, 0x02);
	outb(0x21, 0xff); outb(0xa1, 0xff);
	irq_handler = 0;
	note_dec("IRQ8s at rate 3", n3);
	contained("the storm stays in this VM");
}

void a_lapic_timer_storm(void)
{
	uint32_t periodic, oneshot = 0;

	start();
	irq_handler = count_irq;
	eoi_apic = true;
	*apic_reg(APIC_SVR) = 0x1ff;
	*apic_reg(APIC_TIMER_DCR) = 0xb; /* divide by 1 */
	*apic_reg(APIC_LVT_TIMER) = (1u << 17) | 0x40; /* periodic */
	*apic_reg(APIC_TIMER_ICR) = 1;
	storm_run(STORM_TICKS, lapic_stop);
	periodic = irq_count;
	*apic_reg(APIC_LVT_TIMER) = 0x40; /* one-shot, count 1, re-armed at once */
	irq_count = 0;
	for (unsigned i = 0; i < 2000; i++) {
		uint32_t n = irq_count;
		*apic_reg(APIC_TIMER_ICR) = 1;
		__asm__ volatile("sti");
		for (unsigned spin = 0; spin < 100000 && irq_count == n; spin++)
			;
		__asm__ volatile("cli");
	}
	oneshot = irq_count;
	*apic_reg(APIC_LVT_TIMER) = 1u << 16;
	*apic_reg(APIC_TIMER_ICR) = 0;
	irq_handler = 0;
	note_dec("periodic interrupts", periodic);
	note_dec("one-shot interrupts (of 2000)", oneshot);
	if (!periodic || !oneshot)
		escaped("the timer did not fire (the storm was not tried)");
	else
		contained("the storm stays in this VM");
}

void a_tsc_deadline_past(void)
{
	uint32_t n = 0;

	start();
	if (!cpuid_bit(1, 0, ECX, 24)) {
		contained("no TSC-deadline timer in CPUID: not tried");
		return;
	}
	irq_handler = count_irq;
	eoi_apic = true;
	*apic_reg(APIC_SVR) = 0x1ff;
	*apic_reg(APIC_LVT_TIMER) = (2u << 17) | 0x41;
	irq_count = 0;
	for (unsigned i = 0; i < 3000; i++) {
		uint32_t before = irq_count;
		wrmsr_safe(MSR_TSC_DEADLINE, i % 2 ? 1 : rdtsc() - 1000);
		__asm__ volatile("sti");
		for (unsigned spin = 0; spin < 100000 && irq_count == before; spin++)
			;
		__asm__ volatile("cli");
	}
	n = irq_count;
	wrmsr_safe(MSR_TSC_DEADLINE, 0);
	*apic_reg(APIC_LVT_TIMER) = 1u << 16;
	irq_handler = 0;
	note_dec("interrupts (of 3000)", n);
	if (!n)
		escaped("the deadline timer never fired (the storm was not tried)");
	else
		contained("the storm stays in this VM");
}
