#include "vrtc.h"

#include <stddef.h>
#include <stdlib.h>

#include "../arch/io.h"
#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32
#define REG_A_UIP 0x80
#define REG_A_DEFAULT 0x26  /* 32.768 kHz time base, 1024 Hz rate */
#define REG_B_DEFAULT 0x02  /* 24-hour, BCD, no interrupts */
#define REG_D_VALID 0x80

/* Locking: `lock` keeps a vCPU's index write and its data access from
 * another vCPU's in between (the guest's own race, but the model's state
 * must stay whole).  The host CMOS lock nests inside it (vrtc_host_read). */
struct vrtc {
	struct spinlock lock;
	uint8_t index;
	uint8_t cmos[128];
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap vrtc_snap = DEV_SNAP_FROM(struct vrtc, index, NULL);

/* Seconds, minutes, hours, weekday, day, month, year, century. */
static bool is_time_register(uint8_t r)
{
	return (r <= 9 && r != 1 && r != 3 && r != 5) || r == REG_CENTURY;
}

/* Bit 7 of the index written to port 0x70 is the chipset's NMI mask
 * (PIIX4 RTC index register; ICH/PCH NMI_EN), write-only, so the host's
 * setting cannot be read back and kept.  The hypervisor masks: from its
 * first access to the host CMOS on, the chipset's NMI sources (SERR#,
 * IOCHK#) stay masked, as they are whenever port 0x70 was last written
 * with bit 7 set; a guest's index write never reaches the host port
 * (r->index is virtual), so no guest can unmask them either.  Host NMIs
 * that still come (LAPIC, watchdogs) are survived by arch/trap.c. */
#define RTC_INDEX_NMI_MASK 0x80

uint8_t vrtc_host_index(uint8_t reg)
{
	return (uint8_t)(reg | RTC_INDEX_NMI_MASK);
}

/* The host's CMOS index and data ports are one shared pair: an index
 * written by one CPU and the data read by another would mix registers,
 * so each access, index and data together, holds this lock. */
static struct spinlock host_cmos_lock = SPINLOCK_INIT("host cmos");

/* The host clock, waiting out an update in progress so that no field is
 * read mid-carry (MC146818 data sheet, "Update cycle"). */
uint8_t vrtc_host_read(uint8_t r)
{
	uint8_t v;

	spin_lock(&host_cmos_lock);
	for (int spin = 0; spin < 100000; spin++) {
		outb(RTC_INDEX, vrtc_host_index(REG_A));
		if (!(inb(RTC_DATA) & REG_A_UIP))
			break;
	}
	outb(RTC_INDEX, vrtc_host_index(r));
	v = inb(RTC_DATA);
	spin_unlock(&host_cmos_lock);
	return v;
}

static enum io_result vrtc_read(void *dev, struct vcpu *v,
				uint64_t port, unsigned size, uint64_t *val)
{
	struct vrtc *r = dev;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&r->lock);
	if (port == RTC_INDEX)
		*val = 0xff; /* write-only on real hardware */
	else if (is_time_register(r->index))
		*val = vrtc_host_read(r->index);
	else
		*val = r->cmos[r->index];
	spin_unlock(&r->lock);
	return IO_HANDLED;
}

static enum io_result vrtc_write(void *dev, struct vcpu *v,
				 uint64_t port, unsigned size, uint64_t val)
{
	struct vrtc *r = dev;

	(void)v;
	if (size != 1)
		return IO_UNHANDLED;
	spin_lock(&r->lock);
	if (port == RTC_INDEX)
		r->index = val & 0x7f; /* bit 7 masks NMIs: ignored */
	else if (r->index != REG_C && r->index != REG_D &&
		 !is_time_register(r->index))
		r->cmos[r->index] = (uint8_t)(r->index == REG_A ? val & 0x7f : val);
	spin_unlock(&r->lock);
	return IO_HANDLED;
}

static const struct io_ops vrtc_ops = { vrtc_read, vrtc_write };

bool vrtc_attach(struct vm *vm, void **state)
{
	struct vrtc *r = *state = calloc(1, sizeof(*r));

	if (!r)
		return false;
	spin_init(&r->lock, "vrtc");
	r->cmos[REG_A] = REG_A_DEFAULT;
	r->cmos[REG_B] = REG_B_DEFAULT;
	r->cmos[REG_D] = REG_D_VALID;
	return io_bus_register(&vm->pio, RTC_INDEX, 2, &vrtc_ops, r) == 0;
}
