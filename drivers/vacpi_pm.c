#include "vacpi_pm.h"

#include <stdlib.h>

#include "../arch/tsc.h"
#include "../kernel/acpi_tables.h"

#define PM_TIMER_HZ 3579545ull
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM1_CNT_SLP_EN (1u << 13)

struct vacpi_pm {
	struct vm *vm;
	uint16_t sts, en, cnt;
};

static uint32_t pm_timer(void)
{
	uint64_t hz = tsc_hz(), now = tsc_now();
	return hz ? (uint32_t)((now / hz * PM_TIMER_HZ +
				now % hz * PM_TIMER_HZ / hz) & 0xffffff)
		  : 0;
}

static enum io_result pm_read(void *dev, struct vcpu *v,
			      uint64_t port, unsigned size, uint64_t *val)
{
	struct vacpi_pm *pm = dev;

	(void)v;
	switch (port) {
	case ACPI_PM1_EVT: *val = pm->sts; break;
	case ACPI_PM1_EVT + 2: *val = pm->en; break;
	/* No SMI_CMD in the FADT: the machine is always in ACPI mode. */
	case ACPI_PM1_CNT: *val = pm->cnt | PM1_CNT_SCI_EN; break;
	case ACPI_PM_TMR: *val = pm_timer(); break;
	default: return IO_UNHANDLED;
	}
	(void)size;
	return IO_HANDLED;
}

static enum io_result pm_write(void *dev, struct vcpu *v,
			       uint64_t port, unsigned size, uint64_t val)
{
	struct vacpi_pm *pm = dev;

	(void)v;
	(void)size;
	switch (port) {
	case ACPI_PM1_EVT:
		pm->sts &= (uint16_t)~val; /* write 1 to clear */
		break;
	case ACPI_PM1_EVT + 2:
		pm->en = (uint16_t)val;
		break;
	case ACPI_PM1_CNT:
		pm->cnt = (uint16_t)(val & ~PM1_CNT_SLP_EN);
		if ((val & PM1_CNT_SLP_EN) &&
		    PM1_CNT_SLP_TYP(val) == ACPI_S5_SLP_TYP)
			vm_power_off(pm->vm);
		break;
	default:
		return IO_UNHANDLED;
	}
	return IO_HANDLED;
}

static const struct io_ops pm_ops = { pm_read, pm_write };

bool vacpi_pm_attach(struct vm *vm, void **state)
{
	struct vacpi_pm *pm = *state = calloc(1, sizeof(*pm));

	if (!pm)
		return false;
	pm->vm = vm;
	return io_bus_register(&vm->pio, ACPI_PM_BASE, 12, &pm_ops, pm) == 0;
}
