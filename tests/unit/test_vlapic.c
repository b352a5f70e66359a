/* The local APIC model (drivers/vlapic.c) with no VMX underneath: its
 * registers through the MMIO bus and the x2APIC MSRs, the timer given
 * times, priorities, EOI, and which vCPUs an IPI reaches. */
#include "unit.h"

#include <stdlib.h>

#include "../../arch/msr.h"
#include "../../arch/tsc.h"
#include "../../drivers/vioapic.h"
#include "../../drivers/vlapic.h"
#include "../../kernel/log.h"

/* ---- stubs: the clock, the I/O APIC, the log ---- */
static uint64_t now;
static unsigned ioapic_eois;
static uint8_t ioapic_eoi_vector;
static bool ioapic_watching;

uint64_t tsc_now(void) { return now; }
uint64_t tsc_hz(void) { return 1000000; } /* 1 MHz: 200 us = 200 ticks */
void vioapic_eoi(struct vm *vm, uint8_t vector)
{
	(void)vm;
	ioapic_eois++;
	ioapic_eoi_vector = vector;
}

bool vioapic_watches_eoi(const struct vm *vm)
{
	(void)vm;
	return ioapic_watching;
}

static unsigned logged;
void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	(void)level, (void)fmt;
	logged++;
}

/* The PIC's INTR: what an ExtINT message lets a vCPU take. */
static bool pic_pending;
bool vpic_has_pending(const struct vpic *p)
{
	(void)p;
	return pic_pending;
}

/* The scheduler's side of a delivery: which vCPUs' CPUs were told. */
static unsigned notified[8];
void vcpu_notify(struct vcpu *v)
{
	notified[v->id]++;
}

enum {
	ID = 0x20, TPR = 0x80, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0, DFR = 0xe0,
	SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ICR_LO = 0x300,
	ICR_HI = 0x310, LVT_TIMER = 0x320, TIMER_ICR = 0x380,
	TIMER_CCR = 0x390, TIMER_DCR = 0x3e0,
};
#define TIMER_PERIODIC (1u << 17)
#define TIMER_DEADLINE (2u << 17)
#define DCR_DIV1 0xb

static struct vm vm;
static struct vcpu vcpus[4];
static void *state;

static void setup(unsigned n)
{
	for (unsigned i = 0; i < vm.nvcpus; i++)
		vlapic_destroy(vm.vcpus[i]);
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	io_bus_init(&vm.mmio, 0x100000, ~0ull);
	vm.nvcpus = n;
	for (unsigned i = 0; i < n; i++) {
		vcpus[i].id = i;
		vcpus[i].vm = &vm;
		vcpus[i].state = VCPU_RUNNABLE;
		vm.vcpus[i] = &vcpus[i];
		if (!vlapic_create(&vcpus[i]))
			abort();
	}
	if (!vlapic_attach(&vm, &state))
		abort();
	now = 1000;
	ioapic_eois = 0;
	ioapic_watching = false;
	pic_pending = false;
	logged = 0;
}

static uint32_t rd(unsigned cpu, unsigned off)
{
	uint64_t val = 0xdeadbeef;

	if (io_bus_read(&vm.mmio, &vcpus[cpu], VLAPIC_MMIO_BASE + off, 4,
			&val) != IO_HANDLED)
		return 0xdeadbeef;
	return (uint32_t)val;
}

static void wr(unsigned cpu, unsigned off, uint32_t val)
{
	io_bus_write(&vm.mmio, &vcpus[cpu], VLAPIC_MMIO_BASE + off, 4, val);
}

/* Software-enables an AP's APIC as an OS does (SVR bit 8). */
static void enable(unsigned cpu)
{
	wr(cpu, SVR, 0x1ff);
}

static bool irr_has(unsigned cpu, unsigned vec)
{
	return rd(cpu, IRR + (vec / 32) * 16) & (1u << (vec % 32));
}

TEST(each_vcpu_sees_its_own_apic)
{
	setup(2);
	CHECK_EQ_U64(rd(0, ID), 0);
	CHECK_EQ_U64(rd(1, ID), 1u << 24);
	wr(1, TPR, 0x20);
	CHECK_EQ_U64(rd(1, TPR), 0x20);
	CHECK_EQ_U64(rd(0, TPR), 0);
}

TEST(odd_sizes_and_offsets_are_not_decoded)
{
	uint64_t val;

	setup(1);
	CHECK(io_bus_read(&vm.mmio, &vcpus[0], VLAPIC_MMIO_BASE + TPR, 2,
			  &val) == IO_UNHANDLED);
	CHECK(io_bus_read(&vm.mmio, &vcpus[0], VLAPIC_MMIO_BASE + TPR + 4, 4,
			  &val) == IO_UNHANDLED);
	CHECK(io_bus_read(&vm.mmio, &vcpus[0], VLAPIC_MMIO_BASE + 0xffe, 4,
			  &val) == IO_UNHANDLED); /* past the page */
}

TEST(tpr_masks_lower_classes_and_ppr_follows_isr)
{
	struct apic_msg m = { .dest = 0, .mode = APIC_DM_FIXED };

	setup(1);
	wr(0, TPR, 0x50);
	m.vector = 0x45;
	vlapic_send(&vm, NULL, &m);
	CHECK(irr_has(0, 0x45));
	CHECK_EQ_U64(vlapic_pending_vector(&vcpus[0]), (uint64_t)-1);
	m.vector = 0x65;
	vlapic_send(&vm, NULL, &m);
	CHECK_EQ_U64(vlapic_pending_vector(&vcpus[0]), 0x65);
	vlapic_accept(&vcpus[0], 0x65);
	CHECK_EQ_U64(rd(0, PPR), 0x60);
	CHECK(rd(0, ISR + 0x30) & (1u << 5)); /* 0x65 = 3 * 32 + 5 */
	m.vector = 0x61; /* same class as in service: waits */
	vlapic_send(&vm, NULL, &m);
	CHECK_EQ_U64(vlapic_pending_vector(&vcpus[0]), (uint64_t)-1);
	wr(0, EOI, 0);
	CHECK_EQ_U64(rd(0, PPR), 0x50);
	CHECK_EQ_U64(vlapic_pending_vector(&vcpus[0]), 0x61);
	wr(0, TPR, 0);
	CHECK_EQ_U64(vlapic_pending_vector(&vcpus[0]), 0x61);
	CHECK_EQ_U64(vlapic_read_cr8(&vcpus[0]), 0);
	vlapic_write_cr8(&vcpus[0], 7);
	CHECK_EQ_U64(rd(0, TPR), 0x70);
}

TEST(eoi_of_a_level_vector_reaches_the_ioapic)
{
	struct apic_msg m = { .mode = APIC_DM_FIXED, .vector = 0x31,
			      .level = true };

	setup(1);
	vlapic_send(&vm, NULL, &m);
	CHECK(rd(0, TMR + 0x10) & (1u << 17));
	vlapic_accept(&vcpus[0], 0x31);
	wr(0, EOI, 0);
	CHECK_EQ_U64(ioapic_eois, 1);
	CHECK_EQ_U64(ioapic_eoi_vector, 0x31);
	m.level = false; /* edge: only when the I/O APIC watches EOIs */
	vlapic_send(&vm, NULL, &m);
	vlapic_accept(&vcpus[0], 0x31);
	wr(0, EOI, 0);
	CHECK_EQ_U64(ioapic_eois, 1);
	ioapic_watching = true;
	vlapic_send(&vm, NULL, &m);
	vlapic_accept(&vcpus[0], 0x31);
	wr(0, EOI, 0);
	CHECK_EQ_U64(ioapic_eois, 2);
}

TEST(one_shot_timer_fires_once_at_its_count)
{
	setup(1);
	wr(0, TIMER_DCR, DCR_DIV1);
	wr(0, LVT_TIMER, 0x30);
	wr(0, TIMER_ICR, 100); /* 100 counts of 2 TSC ticks each */
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 1200);
	now = 1100;
	CHECK_EQ_U64(rd(0, TIMER_CCR), 50);
	vlapic_update(&vcpus[0], 1199);
	CHECK(!irr_has(0, 0x30));
	vlapic_update(&vcpus[0], 1200);
	CHECK(irr_has(0, 0x30));
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 0);
	now = 5000;
	CHECK_EQ_U64(rd(0, TIMER_CCR), 0);
}

TEST(masked_timer_expires_without_interrupt)
{
	setup(1);
	wr(0, TIMER_DCR, DCR_DIV1);
	wr(0, LVT_TIMER, 0x30 | (1u << 16));
	wr(0, TIMER_ICR, 10);
	vlapic_update(&vcpus[0], 2000);
	CHECK(!irr_has(0, 0x30));
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 0);
}

TEST(periodic_timer_coalesces_missed_periods)
{
	setup(1);
	wr(0, TIMER_DCR, 0x0); /* divide by 2: 4 TSC ticks per count */
	wr(0, LVT_TIMER, 0x40 | TIMER_PERIODIC);
	wr(0, TIMER_ICR, 250); /* period 1000 */
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 2000);
	vlapic_update(&vcpus[0], 4500); /* 2000, 3000, 4000 passed */
	CHECK(irr_has(0, 0x40));
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 5000);
	now = 1250;
	CHECK_EQ_U64(rd(0, TIMER_CCR), 250 - 62);
}

TEST(periodic_timer_period_has_a_floor)
{
	setup(1);
	wr(0, TIMER_DCR, DCR_DIV1);
	wr(0, LVT_TIMER, 0x40 | TIMER_PERIODIC);
	wr(0, TIMER_ICR, 1); /* 2 ticks: below the 200-tick minimum */
	vlapic_update(&vcpus[0], 1002);
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 1202);
}

TEST(tsc_deadline_uses_the_guest_tsc_offset)
{
	uint64_t val = 1;

	setup(1);
	vcpus[0].tsc_offset = 500; /* guest TSC = host + 500 */
	wr(0, LVT_TIMER, 0x50 | TIMER_DEADLINE);
	CHECK(vlapic_msr_write(&vcpus[0], MSR_TSC_DEADLINE, 10500));
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 10000);
	vlapic_update(&vcpus[0], 9999);
	CHECK(!irr_has(0, 0x50));
	vlapic_update(&vcpus[0], 10000);
	CHECK(irr_has(0, 0x50));
	CHECK(vlapic_msr_read(&vcpus[0], MSR_TSC_DEADLINE, &val));
	CHECK_EQ_U64(val, 0); /* reads 0 once it fired */
	wr(0, LVT_TIMER, 0x50); /* one-shot mode: deadline writes ignored */
	CHECK(vlapic_msr_write(&vcpus[0], MSR_TSC_DEADLINE, 20000));
	CHECK_EQ_U64(vlapic_next_deadline(&vcpus[0]), 0);
}

/* ---- IPIs: which vCPUs a destination names ---- */

static void ipi(unsigned from, uint32_t dest, uint32_t lo)
{
	wr(from, ICR_HI, dest << 24);
	wr(from, ICR_LO, lo);
}

TEST(physical_destination_and_broadcast)
{
	setup(4);
	for (unsigned i = 1; i < 4; i++)
		enable(i);
	memset(notified, 0, sizeof(notified));
	ipi(0, 2, 0x61);
	CHECK(!irr_has(1, 0x61) && irr_has(2, 0x61) && !irr_has(3, 0x61));
	/* The target's CPU is told (a kick under SMP), and only its. */
	CHECK(notified[2] == 1 && !notified[1] && !notified[3]);
	ipi(0, 0xff, 0x62);
	for (unsigned i = 0; i < 4; i++)
		CHECK(irr_has(i, 0x62));
}

TEST(logical_flat_destination)
{
	setup(4);
	for (unsigned i = 1; i < 4; i++) {
		enable(i);
		wr(i, LDR, (1u << i) << 24);
	}
	CHECK_EQ_U64(rd(1, DFR), 0xffffffffu); /* flat after reset */
	ipi(0, 0x0a, 0x800 | 0x63); /* bits 1 and 3 */
	CHECK(irr_has(1, 0x63) && !irr_has(2, 0x63) && irr_has(3, 0x63));
}

TEST(logical_cluster_destination)
{
	setup(4);
	for (unsigned i = 1; i < 4; i++) {
		enable(i);
		wr(i, DFR, 0x0fffffff);
	}
	wr(1, LDR, 0x11u << 24); /* cluster 1, bit 0 */
	wr(2, LDR, 0x12u << 24); /* cluster 1, bit 1 */
	wr(3, LDR, 0x21u << 24); /* cluster 2, bit 0 */
	ipi(0, 0x13, 0x800 | 0x64);
	CHECK(irr_has(1, 0x64) && irr_has(2, 0x64) && !irr_has(3, 0x64));
	ipi(0, 0x21, 0x800 | 0x65);
	CHECK(!irr_has(1, 0x65) && !irr_has(2, 0x65) && irr_has(3, 0x65));
}

TEST(shorthands_self_and_others)
{
	setup(3);
	enable(1);
	enable(2);
	ipi(1, 0, (1u << 18) | 0x66); /* self */
	CHECK(!irr_has(0, 0x66) && irr_has(1, 0x66) && !irr_has(2, 0x66));
	ipi(1, 0, (3u << 18) | 0x67); /* all excluding self */
	CHECK(irr_has(0, 0x67) && !irr_has(1, 0x67) && irr_has(2, 0x67));
}

TEST(x2apic_logical_cluster_from_the_id)
{
	setup(4);
	for (unsigned i = 0; i < 4; i++) {
		enable(i);
		CHECK(vlapic_msr_write(&vcpus[i], MSR_IA32_APIC_BASE,
				       VLAPIC_MMIO_BASE | (i ? 0 : 1u << 8) |
				       (1u << 11) | (1u << 10)));
	}
	CHECK_EQ_U64(rd(0, ID), 0xdeadbeef); /* no MMIO in x2APIC mode */
	/* ICR as one MSR write: cluster 0, members 1 and 2 (bits 1, 2). */
	CHECK(vlapic_msr_write(&vcpus[0], MSR_X2APIC_FIRST + 0x30,
			       (0x6ull << 32) | 0x800 | 0x68));
	uint64_t irr = 0;
	CHECK(vlapic_msr_read(&vcpus[2], MSR_X2APIC_FIRST + 0x23, &irr));
	CHECK(irr & (1u << 8)); /* 0x68 = 3 * 32 + 8 */
	CHECK(vlapic_msr_read(&vcpus[3], MSR_X2APIC_FIRST + 0x23, &irr));
	CHECK_EQ_U64(irr & (1u << 8), 0);
	/* Physical: the full 32-bit ID. */
	CHECK(vlapic_msr_write(&vcpus[0], MSR_X2APIC_FIRST + 0x30,
			       (3ull << 32) | 0x69));
	CHECK(vlapic_msr_read(&vcpus[3], MSR_X2APIC_FIRST + 0x23, &irr));
	CHECK(irr & (1u << 9));
	/* Back to xAPIC directly is illegal (SDM Vol. 3A 11.12.5). */
	CHECK(!vlapic_msr_write(&vcpus[1], MSR_IA32_APIC_BASE,
				VLAPIC_MMIO_BASE | (1u << 11)));
}

TEST(init_then_startup_starts_an_application_processor)
{
	setup(2);
	vcpus[1].state = VCPU_WAIT_SIPI;
	ipi(0, 1, 0x600 | 0x9a); /* start-up, vector 0x9a */
	CHECK(vcpus[1].state == VCPU_RUNNABLE);
	CHECK(vcpus[1].start_pending);
	CHECK_EQ_U64(vcpus[1].sipi_vector, 0x9a);
	ipi(0, 1, 0x500 | (1u << 14)); /* INIT assert */
	CHECK(vcpus[1].state == VCPU_WAIT_SIPI);
	vcpus[1].start_pending = false;
	ipi(0, 1, 0x500 | (1u << 15)); /* INIT level de-assert: nothing */
	CHECK(vcpus[1].state == VCPU_WAIT_SIPI);
	ipi(1, 0, 0x400); /* NMI to the boot vCPU */
	CHECK(vlapic_take_nmi(&vcpus[0], true));
	CHECK(!vlapic_take_nmi(&vcpus[0], false));
}

TEST(disabled_apic_takes_no_fixed_interrupts)
{
	setup(2);
	/* vCPU 1 is software-disabled after reset (SVR bit 8 clear). */
	ipi(0, 1, 0x6a);
	CHECK(!irr_has(1, 0x6a));
	CHECK(!vlapic_accepts_pic(&vcpus[1]));
	CHECK(vlapic_accepts_pic(&vcpus[0])); /* LINT0 ExtINT on the BSP */
}

/* ---- lowest priority, ExtINT, SMI, reserved delivery modes ---- */

/* SDM Vol. 3A 11.6.2.4: the destination with the lowest PPR takes it,
 * once; ties go to the lowest APIC ID (our choice). */
TEST(lowest_priority_goes_to_the_lowest_processor_priority)
{
	struct apic_msg m = { .dest = 0x0f, .logical = true,
			      .mode = APIC_DM_LOWEST };

	setup(4);
	for (unsigned i = 0; i < 4; i++) {
		enable(i);
		wr(i, LDR, (1u << i) << 24);
	}
	wr(0, TPR, 0x40);
	wr(1, TPR, 0x80);
	wr(2, TPR, 0x20);
	wr(3, TPR, 0x60);
	m.vector = 0xd0;
	vlapic_send(&vm, NULL, &m);
	for (unsigned i = 0; i < 4; i++)
		CHECK(irr_has(i, 0xd0) == (i == 2));
	/* An ICR lowest-priority IPI, from vCPU 0 to the others only. */
	wr(2, TPR, 0x90);
	ipi(0, 0x0e, 0x800 | 0x100 | 0xd1);
	for (unsigned i = 0; i < 4; i++)
		CHECK(irr_has(i, 0xd1) == (i == 3));
	/* PPR, not TPR: vCPU 3 has class 0xd in service now. */
	vlapic_accept(&vcpus[3], 0xd1);
	m.vector = 0xd2;
	vlapic_send(&vm, NULL, &m);
	CHECK(irr_has(0, 0xd2) && !irr_has(3, 0xd2));
	/* A tie: the lowest APIC ID. */
	wr(1, TPR, 0x10);
	wr(2, TPR, 0x10);
	m.vector = 0xd3;
	vlapic_send(&vm, NULL, &m);
	CHECK(irr_has(1, 0xd3) && !irr_has(2, 0xd3));
	/* Software-disabled APICs do not compete. */
	wr(1, SVR, 0xff);
	m.vector = 0xd4;
	vlapic_send(&vm, NULL, &m);
	CHECK(irr_has(2, 0xd4) && !irr_has(1, 0xd4));
}

TEST(extint_message_lets_the_target_take_the_pic_vector)
{
	struct apic_msg m = { .dest = 1, .mode = APIC_DM_EXTINT };

	setup(2);
	enable(1);
	CHECK(!vlapic_accepts_pic(&vcpus[1]));
	pic_pending = true;
	vlapic_send(&vm, NULL, &m);
	CHECK(vlapic_accepts_pic(&vcpus[1]));
	pic_pending = false; /* acknowledged */
	CHECK(!vlapic_accepts_pic(&vcpus[1]));
	pic_pending = true; /* a later request needs a later message */
	CHECK(!vlapic_accepts_pic(&vcpus[1]));
}

TEST(icr_reserved_modes_and_smi_are_logged_once_not_delivered)
{
	setup(2);
	enable(1);
	ipi(0, 1, 0x700 | 0x30); /* ExtINT: reserved in the ICR */
	ipi(0, 1, 0x300 | 0x30); /* 011: reserved */
	CHECK(!irr_has(1, 0x30));
	CHECK_EQ_U64(logged, 1);
	ipi(0, 1, 0x200); /* SMI */
	ipi(0, 1, 0x200);
	CHECK_EQ_U64(logged, 2);
	CHECK(vcpus[1].state == VCPU_RUNNABLE);
}

/* ---- x2APIC MSRs (SDM Vol. 3A 11.12.1, Table 11-6) ---- */

static bool x2rd(unsigned cpu, unsigned msr, uint64_t *val)
{
	return vlapic_msr_read(&vcpus[cpu], msr, val);
}

static bool x2wr(unsigned cpu, unsigned msr, uint64_t val)
{
	return vlapic_msr_write(&vcpus[cpu], msr, val);
}

#define BASE_X2APIC (VLAPIC_MMIO_BASE | (1u << 11) | (1u << 10))

TEST(x2apic_msrs_exist_only_in_x2apic_mode_and_only_one_way)
{
	uint64_t val;

	setup(1);
	CHECK(!x2rd(0, 0x802, &val)); /* xAPIC mode: #GP */
	CHECK(!x2wr(0, 0x808, 0));
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, BASE_X2APIC | (1u << 8)));
	CHECK(x2rd(0, 0x802, &val) && val == 0);
	static const unsigned reserved[] = {
		0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e, 0x829,
		0x82e, 0x82f, 0x831, 0x83a, 0x83d, 0x840, 0x8ff,
	};
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(*reserved); i++) {
		CHECK(!x2rd(0, reserved[i], &val));
		CHECK(!x2wr(0, reserved[i], 0));
	}
	CHECK(!x2rd(0, 0x80b, &val)); /* EOI: write-only */
	CHECK(!x2rd(0, 0x83f, &val)); /* SELF IPI: write-only */
	CHECK(!x2wr(0, 0x802, 0));    /* ID */
	CHECK(!x2wr(0, 0x803, 0));    /* version */
	CHECK(!x2wr(0, 0x80a, 0));    /* PPR */
	CHECK(!x2wr(0, 0x80d, 0));    /* LDR */
	CHECK(!x2wr(0, 0x810, 0));    /* ISR */
	CHECK(!x2wr(0, 0x839, 0));    /* current count */
	CHECK(x2rd(0, 0x832, &val) && x2rd(0, 0x837, &val));
}

TEST(x2apic_reserved_bits_raise_gp)
{
	setup(1);
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, BASE_X2APIC | (1u << 8)));
	CHECK(!x2wr(0, 0x808, 0x100));        /* TPR 31:8 */
	CHECK(!x2wr(0, 0x808, 1ull << 32));   /* 63:32 */
	CHECK(x2wr(0, 0x808, 0xff));
	CHECK(!x2wr(0, 0x80b, 1));            /* EOI non-zero */
	CHECK(x2wr(0, 0x80b, 0));
	CHECK(!x2wr(0, 0x828, 1));            /* ESR non-zero */
	CHECK(x2wr(0, 0x828, 0));
	CHECK(!x2wr(0, 0x80f, 0x1000 | 0x1ff)); /* SVR 12: no EOI suppression */
	CHECK(x2wr(0, 0x80f, 0x1ff));
	CHECK(!x2wr(0, 0x83f, 0x100 | 0x40)); /* SELF IPI 31:8 */
	CHECK(x2wr(0, 0x83f, 0x40));
	CHECK(!x2wr(0, 0x83e, 0x4));          /* DCR bit 2 */
	CHECK(!x2wr(0, 0x832, 0x700 | 0x40)); /* timer: no delivery mode */
	CHECK(x2wr(0, 0x832, (1u << 16) | 0x40));
	CHECK(x2wr(0, 0x835, (1u << 14) | 0x700)); /* remote IRR: read-only */
	CHECK(!x2wr(0, 0x835, 1u << 17));
	CHECK(!x2wr(0, 0x830, (1u << 12) | 0x40)); /* ICR 12 */
	CHECK(!x2wr(0, 0x830, (1u << 13) | 0x40));
	CHECK(!x2wr(0, 0x830, (1u << 16) | 0x40));
	CHECK(!x2wr(0, 0x830, (1u << 20) | 0x40));
	CHECK(x2wr(0, 0x830, (1ull << 32) | (1u << 14) | 0x40));
}

/* SDM Vol. 3A 11.12.5, Figure 11-27; 11.4.7.1. */
TEST(apic_base_mode_transitions_and_state_after_reenable)
{
	uint64_t base = VLAPIC_MMIO_BASE | (1u << 8), val;

	setup(1);
	CHECK(vlapic_enabled(&vcpus[0]));
	CHECK(!x2wr(0, MSR_IA32_APIC_BASE, base | (1u << 10))); /* EXTD, !EN */
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, base));               /* disabled */
	CHECK(!vlapic_enabled(&vcpus[0]));
	CHECK(!x2wr(0, MSR_IA32_APIC_BASE, base | (3u << 10))); /* -> x2APIC */
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, base | (1u << 11)));  /* -> xAPIC */
	CHECK(vlapic_enabled(&vcpus[0]));
	CHECK_EQ_U64(rd(0, SVR), 0xff);
	CHECK_EQ_U64(rd(0, 0x350), 1u << 16); /* LINT0 masked, not ExtINT */
	CHECK(!vlapic_accepts_pic(&vcpus[0]));
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, base | (3u << 10)));  /* -> x2APIC */
	CHECK(x2wr(0, 0x808, 0x30));
	CHECK(!x2wr(0, MSR_IA32_APIC_BASE, base | (1u << 11))); /* -> xAPIC */
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, base));               /* disabled */
	CHECK(vlapic_accepts_pic(&vcpus[0])); /* INTR straight to the CPU */
	CHECK(x2wr(0, MSR_IA32_APIC_BASE, base | (1u << 11)));
	CHECK_EQ_U64(rd(0, TPR), 0);
	CHECK(!x2wr(0, MSR_IA32_APIC_BASE, base | (1u << 11) | 1)); /* rsvd */
	CHECK(x2rd(0, MSR_IA32_APIC_BASE, &val) && val == (base | (1u << 11)));
}

/* vlapic_quiet, the entry path's shortcut (vmx/event.c): it may say
 * "nothing" only when the full walk would find nothing, so each source
 * alone must make it say "look closer": a due timer, an IRR bit (even one
 * the processor priority holds back), an NMI, the PIC's INTR where it
 * reaches the vCPU (the boot vCPU in virtual-wire mode, or an ExtINT
 * message's target). */
TEST(quiet_only_when_no_source_has_anything)
{
	struct apic_msg fixed = { .dest = 1, .mode = APIC_DM_FIXED, .vector = 0x40 };
	struct apic_msg nmi = { .dest = 0, .mode = APIC_DM_NMI };
	struct apic_msg extint = { .dest = 1, .mode = APIC_DM_EXTINT };
	uint64_t deadline = 1;

	setup(2);
	enable(0);
	enable(1);
	CHECK(vlapic_quiet(&vcpus[0], now, &deadline) && deadline == 0);
	CHECK(vlapic_quiet(&vcpus[1], now, &deadline));

	wr(0, TIMER_DCR, DCR_DIV1);
	wr(0, LVT_TIMER, 0x30);
	wr(0, TIMER_ICR, 100); /* due at 1200 */
	CHECK(vlapic_quiet(&vcpus[0], 1199, &deadline) && deadline == 1200);
	CHECK(!vlapic_quiet(&vcpus[0], 1200, &deadline));
	vlapic_update(&vcpus[0], 1200); /* fired: 0x30 waits in the IRR */
	CHECK(!vlapic_quiet(&vcpus[0], 1200, &deadline));

	wr(1, TPR, 0xf0); /* holds 0x40 back: still for the full walk */
	vlapic_send(&vm, NULL, &fixed);
	CHECK(!vlapic_quiet(&vcpus[1], now, &deadline));
	CHECK_EQ_U64(vlapic_pending_vector(&vcpus[1]), (uint64_t)-1);

	setup(2);
	vlapic_send(&vm, NULL, &nmi);
	CHECK(!vlapic_quiet(&vcpus[0], now, &deadline));
	CHECK(vlapic_quiet(&vcpus[1], now, &deadline));

	setup(2);
	pic_pending = true; /* vCPU 0's LINT0 is ExtINT at reset */
	CHECK(!vlapic_quiet(&vcpus[0], now, &deadline));
	CHECK(vlapic_quiet(&vcpus[1], now, &deadline)); /* INTR is not wired */
	vlapic_send(&vm, NULL, &extint);
	CHECK(!vlapic_quiet(&vcpus[1], now, &deadline));
	pic_pending = false;
	CHECK(vlapic_quiet(&vcpus[0], now, &deadline));
	CHECK(vlapic_quiet(&vcpus[1], now, &deadline));
}

UNIT_MAIN("vlapic")
