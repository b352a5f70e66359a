#include "lapic.h"

#include "../kernel/memory.h"
#include "cpu.h"
#include "vectors.h"
#include "msr.h"

#define APIC_BASE_X2APIC_ENABLE (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

/* xAPIC register offsets; the x2APIC MSR is 0x800 + offset/16
 * (SDM Vol. 3A Table 11-6). */
#define LAPIC_REG_ID 0x20
#define LAPIC_REG_TPR 0x080
#define LAPIC_REG_EOI 0x0b0
#define LAPIC_REG_SVR 0x0f0
#define SVR_APIC_ENABLED (1u << 8)
#define LAPIC_REG_LVT_TIMER 0x320
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define LVT_MASKED (1u << 16)
#define LAPIC_REG_ICR_LO 0x300
#define LAPIC_REG_ICR_HI 0x310
#define X2APIC_MSR(reg) (0x800u + (reg) / 16)

#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_NMI (4u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_SEND_PENDING (1u << 12)

static volatile uint32_t *xapic;
static int x2apic;
static int mode_chosen;

static uint32_t xapic_read(uint32_t reg)
{
	return xapic[reg / 4];
}

static void xapic_write(uint32_t reg, uint32_t v)
{
	xapic[reg / 4] = v;
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		xapic_write(reg, v);
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	if (!mode_chosen) {
		/* The boot CPU: whatever the firmware chose. */
		x2apic = (base & APIC_BASE_X2APIC_ENABLE) != 0;
		xapic = phys_to_virt(base & APIC_BASE_ADDR_MASK);
		mode_chosen = 1;
	} else if (x2apic && !(base & APIC_BASE_X2APIC_ENABLE)) {
		/* An AP the firmware left in xAPIC mode joins the boot CPU's
		 * x2APIC mode (xAPIC -> x2APIC is a legal transition, SDM
		 * Vol. 3A 11.12.5, Figure 11-27). */
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_X2APIC_ENABLE);
	}
	/* Software-enabled with every priority accepted, so the device
	 * interrupts routed to us (arch/irq.h) are delivered (SDM Vol. 3A
	 * 11.4.7.2, 11.8.3.1). */
	lapic_write(LAPIC_REG_TPR, 0);
	lapic_write(LAPIC_REG_SVR, SVR_APIC_ENABLED | IRQ_VECTOR_SPURIOUS);
}

uint32_t lapic_id(void)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(LAPIC_REG_ID));
	return xapic_read(LAPIC_REG_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_REG_EOI, 0);
}

/* Sends an IPI and, in xAPIC mode, waits until the APIC has taken it. */
static void send_ipi(uint32_t icr, uint32_t dest)
{
	if (x2apic) {
		wrmsr(X2APIC_MSR(LAPIC_REG_ICR_LO), (uint64_t)dest << 32 | icr);
		return;
	}
	xapic_write(LAPIC_REG_ICR_HI, dest << 24);
	xapic_write(LAPIC_REG_ICR_LO, icr);
	for (int spin = 0; spin < 100000 &&
			   (xapic_read(LAPIC_REG_ICR_LO) & ICR_SEND_PENDING);
	     spin++)
		cpu_relax();
}

void lapic_nmi(uint32_t apic_id)
{
	send_ipi(ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT, apic_id);
}

void lapic_send_fixed(uint32_t apic_id, uint8_t vector)
{
	send_ipi(ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | vector, apic_id);
}

/* The INIT and STARTUP IPIs of the universal start-up algorithm (SDM Vol.
 * 3A 10.4.4.1, 11.6.1: INIT level assert, edge; STARTUP with the start
 * page's number as its vector). */
void lapic_send_init(uint32_t apic_id)
{
	send_ipi(ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT, apic_id);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	send_ipi(ICR_DELIVERY_STARTUP | ICR_LEVEL_ASSERT | page, apic_id);
}

/* Not the "self" shorthand, which is valid with fixed delivery only (SDM
 * Vol. 3A 11.6.1, the ICR's valid combinations): physical destination
 * mode, this CPU's APIC ID. */
void lapic_nmi_self(void)
{
	send_ipi(ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT, lapic_id());
}

/* The host's own timer, for waking an idle CPU at a vCPU's next timer
 * deadline: TSC-deadline mode (SDM Vol. 3A 11.5.4.1), armed by writing
 * the deadline to IA32_TSC_DEADLINE, disarmed by writing 0.  It raises
 * VECTOR_KICK, whose handler does nothing but EOI: the idle loop looks at
 * its run queue again whenever it wakes. */
bool lapic_timer_init(void)
{
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_TSC_DEADLINE))
		return false;
	lapic_write(LAPIC_REG_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VECTOR_KICK);
	/* A WRMSR to IA32_TSC_DEADLINE after the LVT write must not be
	 * reordered before it (SDM Vol. 3A 11.5.4.1): MFENCE. */
	__asm__ volatile("mfence" ::: "memory");
	wrmsr(MSR_TSC_DEADLINE, 0);
	return true;
}

void lapic_timer_arm(uint64_t tsc)
{
	wrmsr(MSR_TSC_DEADLINE, tsc);
}
