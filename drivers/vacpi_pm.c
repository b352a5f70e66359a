#include "vacpi_pm.h"

#include <stddef.h>
#include <stdlib.h>

#include "../arch/tsc.h"
#include "../kernel/acpi_tables.h"
#include "../kernel/snapshot.h"
#include "../kernel/spinlock.h"

#define PM_TIMER_HZ 3579545ull
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM1_CNT_SLP_EN (1u << 13)

/* Locking: `lock` covers the PM1 registers (read-modify-writes from any
 * vCPU); the power-off request is made after it is dropped. */
struct vacpi_pm {
	struct spinlock lock;
	struct vm *vm;
	uint16_t sts, en, cnt;
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap vacpi_pm_snap =
	DEV_SNAP_FROM(struct vacpi_pm, sts, NULL);

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
	/* Reads change nothing: no event check after them (the PM timer is
	 * what guests read most here). */
	enum io_result r = IO_HANDLED_QUIET;

	(void)v;
	(void)size;
	spin_lock(&pm->lock);
	switch (port) {
	case ACPI_PM1_EVT: *val = pm->sts; break;
	case ACPI_PM1_EVT + 2: *val = pm->en; break;
	/* No SMI_CMD in the FADT: the machine is always in ACPI mode. */
	case ACPI_PM1_CNT: *val = pm->cnt | PM1_CNT_SCI_EN; break;
	case ACPI_PM_TMR: *val = pm_timer(); break;
	default: r = IO_UNHANDLED; break;
	}
	spin_unlock(&pm->lock);
	return r;
}

static enum io_result pm_write(void *dev, struct vcpu *v,
			       uint64_t port, unsigned size, uint64_t val)
{
	struct vacpi_pm *pm = dev;

	enum io_result r = IO_HANDLED;
	bool power_off = false;

	(void)v;
	(void)size;
	spin_lock(&pm->lock);
	switch (port) {
	case ACPI_PM1_EVT:
		pm->sts &= (uint16_t)~val; /* write 1 to clear */
		break;
	case ACPI_PM1_EVT + 2:
		pm->en = (uint16_t)val;
		break;
	case ACPI_PM1_CNT:
		pm->cnt = (uint16_t)(val & ~PM1_CNT_SLP_EN);
		power_off = (val & PM1_CNT_SLP_EN) &&
			    PM1_CNT_SLP_TYP(val) == ACPI_S5_SLP_TYP;
		break;
	default:
		r = IO_UNHANDLED;
		break;
	}
	spin_unlock(&pm->lock);
	if (power_off)
		vm_power_off(pm->vm);
	return r;
}

static const struct io_ops pm_ops = { pm_read, pm_write };

bool vacpi_pm_attach(struct vm *vm, void **state)
{
	struct vacpi_pm *pm = *state = calloc(1, sizeof(*pm));

	if (!pm)
		return false;
	spin_init(&pm->lock, "vacpi_pm");
	pm->vm = vm;
	return io_bus_register(&vm->pio, ACPI_PM_BASE, 12, &pm_ops, pm) == 0;
}
