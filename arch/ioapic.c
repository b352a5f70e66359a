#include "ioapic.h"

#include "../kernel/memory.h"
#include "../kernel/spinlock.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_VERSION 0x01
#define REG_REDIR(pin) (0x10 + 2 * (pin))
#define RTE_ACTIVE_LOW (1u << 13)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

static volatile uint32_t *regs;
static unsigned gsi_base, npins;
static struct acpi_madt_info info;
/* Index and window are two accesses: one CPU at a time. */
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t reg_read(uint32_t reg)
{
	regs[IOREGSEL / 4] = reg;
	return regs[IOWIN / 4];
}

static void reg_write(uint32_t reg, uint32_t v)
{
	regs[IOREGSEL / 4] = reg;
	regs[IOWIN / 4] = v;
}

bool ioapic_init(const struct acpi_madt_info *madt)
{
	info = *madt;
	if (!madt->has_ioapic)
		return false;
	regs = phys_to_virt(madt->ioapic_addr);
	gsi_base = madt->ioapic_gsi_base;
	/* Maximum redirection entry, bits 23:16 of the version register. */
	npins = ((reg_read(REG_VERSION) >> 16) & 0xff) + 1;
	return true;
}

bool ioapic_init_pc_default(void)
{
	struct acpi_madt_info pc = { .has_ioapic = true,
				     .ioapic_addr = IOAPIC_PC_BASE };

	for (unsigned i = 0; i < ACPI_ISA_IRQS; i++)
		pc.isa_gsi[i] = i;
	pc.isa_gsi[0] = 2;
	regs = phys_to_virt(IOAPIC_PC_BASE);
	uint32_t ver = reg_read(REG_VERSION);
	unsigned max = (ver >> 16) & 0xff;
	/* Versions 0x1x (82093AA) and 0x20 (ICH and later) exist; an empty
	 * bus reads all ones. */
	if ((ver & 0xff) < 0x10 || (ver & 0xff) > 0x20 || max < 15 ||
	    max > 239) {
		regs = 0;
		return false;
	}
	return ioapic_init(&pc);
}

unsigned ioapic_version(void)
{
	return regs ? reg_read(REG_VERSION) & 0xff : 0;
}

unsigned ioapic_npins(void)
{
	return npins;
}

unsigned ioapic_isa_gsi(unsigned irq, uint16_t *flags)
{
	*flags = irq < ACPI_ISA_IRQS ? info.isa_flags[irq] : 0;
	return irq < ACPI_ISA_IRQS ? info.isa_gsi[irq] : irq;
}

bool ioapic_has_gsi(unsigned gsi)
{
	return regs && gsi >= gsi_base && gsi - gsi_base < npins;
}

void ioapic_route(unsigned gsi, uint8_t vector, bool level, bool active_low,
		  uint32_t apic_id)
{
	unsigned pin = gsi - gsi_base;

	spin_lock(&ioapic_lock);
	reg_write(REG_REDIR(pin), RTE_MASKED);
	reg_write(REG_REDIR(pin) + 1, apic_id << 24);
	reg_write(REG_REDIR(pin), vector | RTE_MASKED |
				  (level ? RTE_LEVEL : 0) |
				  (active_low ? RTE_ACTIVE_LOW : 0));
	spin_unlock(&ioapic_lock);
}

void ioapic_mask(unsigned gsi, bool masked)
{
	unsigned pin = gsi - gsi_base;

	spin_lock(&ioapic_lock);
	uint32_t lo = reg_read(REG_REDIR(pin));
	reg_write(REG_REDIR(pin), masked ? lo | RTE_MASKED : lo & ~RTE_MASKED);
	spin_unlock(&ioapic_lock);
}
