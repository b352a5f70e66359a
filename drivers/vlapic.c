/* Local APIC model (SDM Vol. 3A chapter 11).  Each vCPU has one; all
 * its state is here, and the VMCS only sees what event.c injects from it.
 * The timer counts the crystal clock that CPUID leaf 0x15 reports (half
 * the TSC rate), so a guest that reads the crystal frequency there needs
 * no calibration of this timer either. */
#include "vlapic.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/msr.h"
#include "../arch/tsc.h"
#include "../kernel/log.h"
#include "../kernel/spinlock.h"
#include "vioapic.h"
#include "vpic.h"

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + off/16
 * (SDM Vol. 3A Table 11-1, Table 11-6). */
enum {
	APIC_ID = 0x020, APIC_VERSION = 0x030, APIC_TPR = 0x080,
	APIC_APR = 0x090, APIC_PPR = 0x0a0, APIC_EOI = 0x0b0,
	APIC_RRD = 0x0c0, APIC_LDR = 0x0d0, APIC_DFR = 0x0e0,
	APIC_SVR = 0x0f0, APIC_ISR = 0x100, APIC_TMR = 0x180,
	APIC_IRR = 0x200, APIC_ESR = 0x280, APIC_LVT_CMCI = 0x2f0,
	APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310, APIC_LVT_TIMER = 0x320,
	APIC_LVT_LINT0 = 0x350, APIC_LVT_LINT1 = 0x360,
	APIC_LVT_ERROR = 0x370, APIC_TIMER_ICR = 0x380,
	APIC_TIMER_CCR = 0x390, APIC_TIMER_DCR = 0x3e0, APIC_SELF_IPI = 0x3f0,
};
#define LVT_FIRST APIC_LVT_TIMER
#define LVT_COUNT 6 /* timer, thermal, performance, LINT0, LINT1, error */
#define LVT_INDEX(off) (((off) - LVT_FIRST) >> 4)

/* Version 0x14 (integrated APIC), six LVT entries (max LVT index 5), bit
 * 24 clear: no EOI-broadcast suppression, so SVR bit 12 is reserved (SDM
 * Vol. 3A 11.9, Figure 11-23). */
#define APIC_VERSION_VALUE 0x00050014u
#define LVT_MASKED (1u << 16)
#define LVT_LEVEL (1u << 15)
#define LVT_DELIVERY(l) (((l) >> 8) & 7)
#define LVT_TIMER_MODE(l) (((l) >> 17) & 3)
enum { TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2 };
#define TIMER_MIN_PERIOD_US 200
#define SVR_ENABLED (1u << 8)
/* Vector, software enable, focus processor checking (bit 9). */
#define SVR_WRITABLE 0x3ffu
#define LVT_DELIVERY_STATUS (1u << 12) /* read-only */
#define LVT_REMOTE_IRR (1u << 14)      /* read-only, LINT0/LINT1 */
#define TPR_WRITABLE 0xffu
#define DCR_WRITABLE 0xbu
#define ICR_DELIVERY(l) (((l) >> 8) & 7)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SHORTHAND(l) (((l) >> 18) & 3)
/* The xAPIC ICR's low word as written: vector, delivery mode, destination
 * mode, level, trigger, shorthand (SDM Vol. 3A Figure 11-12). */
#define ICR_LO_WRITABLE 0x000ccfffu
/* x2APIC ICR bits 12 (no delivery status in x2APIC mode), 13, 16-17 and
 * 20-31 are reserved (SDM Vol. 3A 11.12.9, Figure 11-28). */
#define X2APIC_ICR_RESERVED 0xfff33000u
enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

/* IA32_APIC_BASE (SDM Vol. 3A 11.4.4, 11.12.1). */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

/* Writable bits per LVT entry (SDM Vol. 3A Figure 11-8): vector, delivery
 * mode (not for the timer and error entries), polarity and trigger (LINT
 * only), mask, and the timer's mode. */
static const uint32_t lvt_writable[LVT_COUNT] = {
	0x000700ffu, /* timer: vector, mask, mode bits 18:17 */
	0x000107ffu, /* thermal */
	0x000107ffu, /* performance counters */
	0x0001a7ffu, /* LINT0 */
	0x0001a7ffu, /* LINT1 */
	0x000100ffu, /* error */
};

/* Locking (docs/ARCHITECTURE.md, "Locking in device models"): `lock`
 * covers every field below it.  The owner vCPU takes it for its register
 * accesses, timer and acknowledge; another vCPU's CPU takes it to deliver
 * an IPI, the I/O APIC's to deliver a pin's message.  It is a leaf: no
 * other device is called while it is held (an ICR write's IPI and an
 * EOI's I/O APIC notice are carried out after it is dropped).  Fields
 * that the event path reads on every VM entry without it are read with
 * atomic loads: see vlapic_pending_vector, vlapic_update. */
struct vlapic {
	struct spinlock lock;
	/* vCPU 0's APIC keeps the VM's logged-once flags (LOGGED_*); before
	 * base_msr, so that a reset keeps them: once per VM, not per run. */
	unsigned logged;
	uint64_t base_msr;
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LVT_COUNT];
	uint32_t irr[8], isr[8], tmr[8];
	/* Vectors in service: the ISR's bits set, so that an empty ISR (the
	 * common case when an interrupt is delivered) needs no scan. */
	unsigned isr_count;
	uint32_t timer_icr, timer_dcr;
	uint64_t timer_start;  /* host TSC when the count was loaded */
	uint64_t deadline;     /* host TSC of the next expiry, 0: none */
	uint64_t tsc_deadline; /* the guest's IA32_TSC_DEADLINE */
	bool nmi_pending;
	/* An ExtINT message came (from an I/O APIC pin programmed so): the
	 * PIC's INTR reaches this vCPU until the PIC has nothing pending. */
	bool extint;
};

enum {
	LOGGED_SMI = 1u << 0,
	LOGGED_ICR_RESERVED = 1u << 1,
};

static void reset_locked(struct vcpu *v);
static void power_up_locked(struct vcpu *v);
static bool msr_read_locked(struct vcpu *v, uint32_t msr, uint64_t *val);
struct after_unlock;
static bool msr_write_locked(struct vcpu *v, uint32_t msr, uint64_t val,
			     struct after_unlock *w);

static bool x2apic_mode(const struct vlapic *a)
{
	return (a->base_msr & APIC_BASE_EXTD) != 0;
}

static bool hw_enabled(const struct vlapic *a)
{
	return (a->base_msr & APIC_BASE_EN) != 0;
}

static bool sw_enabled(const struct vlapic *a)
{
	return hw_enabled(a) && (a->svr & SVR_ENABLED);
}

/* ---- the 256-bit vector registers ------------------------------------ */

static void vec_set(uint32_t *r, unsigned v) { r[v >> 5] |= 1u << (v & 31); }
static void vec_clear(uint32_t *r, unsigned v) { r[v >> 5] &= ~(1u << (v & 31)); }
static bool vec_test(const uint32_t *r, unsigned v) { return r[v >> 5] & (1u << (v & 31)); }

/* Two 32-bit words at a time: half the steps to the highest word set
 * (the IRR's scan on every interrupt delivered: ~7 ticks fewer on the
 * bench's interrupt rows than one word at a time). */
static int vec_highest(const uint32_t *r)
{
	for (int i = 3; i >= 0; i--) {
		uint64_t w = (uint64_t)r[2 * i + 1] << 32 | r[2 * i];
		if (w)
			return i * 64 + 63 - __builtin_clzll(w);
	}
	return -1;
}

/* PPR: the TPR, or the class of the highest vector in service when that
 * is higher (SDM Vol. 3A 11.8.3.1). */
static uint32_t ppr(const struct vlapic *a)
{
	int isrv = a->isr_count ? vec_highest(a->isr) : -1;
	uint32_t svc = isrv > 0 ? (uint32_t)isrv & 0xf0 : 0;

	return (a->tpr & 0xf0) >= svc ? a->tpr & 0xff : svc;
}

/* ---- the timer -------------------------------------------------------- */

/* TSC ticks per timer count: the crystal (TSC / VLAPIC_TSC_PER_BUS_TICK)
 * divided by the DCR's divisor (SDM Vol. 3A Figure 11-10). */
static uint64_t tsc_per_count(const struct vlapic *a)
{
	unsigned code = (a->timer_dcr & 3) | ((a->timer_dcr >> 1) & 4);

	return VLAPIC_TSC_PER_BUS_TICK * (code == 7 ? 1ull : 2ull << code);
}

static void timer_load(struct vlapic *a, uint32_t count, uint64_t now)
{
	a->timer_icr = count;
	a->timer_start = now;
	a->deadline = count ? now + count * tsc_per_count(a) : 0;
}

static uint32_t timer_current(const struct vlapic *a, uint64_t now)
{
	uint64_t elapsed;

	if (!a->timer_icr || LVT_TIMER_MODE(a->lvt[0]) == TIMER_TSC_DEADLINE)
		return 0;
	elapsed = (now - a->timer_start) / tsc_per_count(a);
	if (LVT_TIMER_MODE(a->lvt[0]) == TIMER_PERIODIC)
		return a->timer_icr - (uint32_t)(elapsed % a->timer_icr);
	return elapsed >= a->timer_icr ? 0 : a->timer_icr - (uint32_t)elapsed;
}

static void accept_fixed(struct vlapic *a, unsigned vector, bool level)
{
	if (vector < 16)
		return; /* illegal vector: the real APIC only sets ESR */
	vec_set(a->irr, vector);
	if (level)
		vec_set(a->tmr, vector);
	else
		vec_clear(a->tmr, vector);
}

static void timer_fire(struct vlapic *a, uint64_t now)
{
	uint32_t lvt = a->lvt[0];

	if (!a->deadline || now < a->deadline)
		return;
	if (!(lvt & LVT_MASKED))
		accept_fixed(a, lvt & 0xff, false);
	if (LVT_TIMER_MODE(lvt) == TIMER_PERIODIC && a->timer_icr) {
		/* Missed periods coalesce into the one interrupt.  A period
		 * shorter than TIMER_MIN_PERIOD_US is stretched to it (as KVM
		 * does): the next expiry would otherwise always be due at
		 * entry, the preemption timer would fire before the guest's
		 * first instruction, and the vCPU would never run again. */
		uint64_t period = a->timer_icr * tsc_per_count(a);
		uint64_t min = tsc_hz() / (1000000 / TIMER_MIN_PERIOD_US);
		if (period < min)
			period = min;
		a->deadline += ((now - a->deadline) / period + 1) * period;
	} else {
		a->deadline = 0;
		a->tsc_deadline = 0; /* the MSR reads 0 once it fired */
	}
}

/* The deadline is only written under the lock; a stale read here costs
 * at most a look under the lock (stale non-zero) or waits for the next
 * entry (an INIT from another CPU just cleared it, nothing to fire). */
static __attribute__((noinline)) void update_locked(struct vlapic *a,
						     uint64_t now)
{
	uint64_t flags = spin_lock_irqsave(&a->lock);

	timer_fire(a, now);
	spin_unlock_irqrestore(&a->lock, flags);
}

/* The check is a leaf and the locked part a tail call, so the common
 * case costs no stack frame (`make bench` counts instructions). */
void vlapic_update(struct vcpu *v, uint64_t now)
{
	struct vlapic *a = v->lapic;
	uint64_t deadline = __atomic_load_n(&a->deadline, __ATOMIC_RELAXED);

	if (deadline && now >= deadline)
		update_locked(a, now);
}

uint64_t vlapic_next_deadline(const struct vcpu *v)
{
	return __atomic_load_n(&v->lapic->deadline, __ATOMIC_RELAXED);
}

/* ---- delivery ---------------------------------------------------------- */

/* Asked before every VM entry: with nothing requested (the common case)
 * the answer comes from atomic loads of the IRR alone, no lock.  A bit
 * set by another CPU just after is not lost: it stays in the IRR, and
 * the sender's side makes the owner look again (its next entry, or the
 * scheduler's kick). */
static bool irr_empty(const struct vlapic *a)
{
	for (unsigned i = 0; i < 8; i++)
		if (__atomic_load_n(&a->irr[i], __ATOMIC_RELAXED))
			return false;
	return true;
}

static __attribute__((noinline)) int pending_locked(struct vlapic *a)
{
	uint64_t flags = spin_lock_irqsave(&a->lock);
	int irrv = vec_highest(a->irr);

	if (irrv < 0 || !hw_enabled(a) ||
	    ((uint32_t)irrv & 0xf0) <= (ppr(a) & 0xf0))
		irrv = -1;
	spin_unlock_irqrestore(&a->lock, flags);
	return irrv;
}

int vlapic_pending_vector(const struct vcpu *v)
{
	return irr_empty(v->lapic) ? -1 : pending_locked(v->lapic);
}

/* Under the lock, so that a bit another CPU sets in the same IRR word at
 * the same moment is not undone by this clear. */
void vlapic_accept(struct vcpu *v, int vector)
{
	struct vlapic *a = v->lapic;
	uint64_t flags = spin_lock_irqsave(&a->lock);

	vec_clear(a->irr, (unsigned)vector);
	if (!vec_test(a->isr, (unsigned)vector)) {
		vec_set(a->isr, (unsigned)vector);
		a->isr_count++;
	}
	spin_unlock_irqrestore(&a->lock, flags);
}

/* Lock-free: IA32_APIC_BASE and LINT0 are written by the owner vCPU
 * (the one asking) or by an INIT, which stops the owner anyway; each is
 * one aligned word, read whole. */
static inline __attribute__((always_inline)) bool
accepts_pic(const struct vcpu *v)
{
	struct vlapic *a = v->lapic;
	uint32_t lint0 = __atomic_load_n(&a->lvt[LVT_INDEX(APIC_LVT_LINT0)],
					 __ATOMIC_RELAXED);

	/* An ExtINT message: until the PIC's request is taken (the INTA
	 * the message asked for), then the latch is dropped. */
	if (__atomic_load_n(&a->extint, __ATOMIC_ACQUIRE)) {
		if (vpic_has_pending(v->vm->pic))
			return true;
		__atomic_store_n(&a->extint, false, __ATOMIC_RELAXED);
	}
	if (v->id != 0)
		return false; /* INTR is wired to the boot CPU only */
	if (!(__atomic_load_n(&a->base_msr, __ATOMIC_RELAXED) & APIC_BASE_EN))
		return true; /* the PIC's INTR goes straight to the CPU */
	return !(lint0 & LVT_MASKED) && LVT_DELIVERY(lint0) == APIC_DM_EXTINT;
}

bool vlapic_accepts_pic(const struct vcpu *v)
{
	return accepts_pic(v);
}

bool vlapic_quiet(struct vcpu *v, uint64_t now, uint64_t *next)
{
	const struct vlapic *a = v->lapic;
	uint64_t deadline = __atomic_load_n(&a->deadline, __ATOMIC_RELAXED);
	uint32_t irr;

	*next = deadline;
	if ((deadline && now >= deadline) ||
	    __atomic_load_n(&a->nmi_pending, __ATOMIC_RELAXED))
		return false;
	/* Spelt out: a loop here costs more than the loads themselves,
	 * and this runs before every VM entry. */
	irr = __atomic_load_n(&a->irr[0], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[1], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[2], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[3], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[4], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[5], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[6], __ATOMIC_RELAXED) |
	      __atomic_load_n(&a->irr[7], __ATOMIC_RELAXED);
	if (irr)
		return false;
	return !(accepts_pic(v) && vpic_has_pending(v->vm->pic));
}

/* An atomic flag: senders set it, the owner reads or takes it. */
bool vlapic_take_nmi(struct vcpu *v, bool take)
{
	if (take)
		return __atomic_exchange_n(&v->lapic->nmi_pending, false,
					   __ATOMIC_ACQ_REL);
	return __atomic_load_n(&v->lapic->nmi_pending, __ATOMIC_RELAXED);
}

/* Once per VM: the flag lives in vCPU 0's APIC (see struct vlapic). */
static bool first_time(struct vm *vm, unsigned flag)
{
	return !(__atomic_fetch_or(&vm->vcpus[0]->lapic->logged, flag,
				   __ATOMIC_RELAXED) & flag);
}

/* What a register write leaves to do once the lock is dropped: calls
 * into other devices (the I/O APIC, other vCPUs' APICs, this one's own
 * for a self IPI) never happen under it. */
struct after_unlock {
	bool send;
	struct apic_msg msg;
	int ioapic_eoi; /* vector to report to the I/O APIC, or -1 */
	int refused_mode; /* a reserved ICR delivery mode to log, or -1 */
};

static void eoi(struct vcpu *v, struct after_unlock *w)
{
	struct vlapic *a = v->lapic;
	int vec = a->isr_count ? vec_highest(a->isr) : -1;

	if (vec < 0)
		return;
	vec_clear(a->isr, (unsigned)vec);
	a->isr_count--;
	if (vec_test(a->tmr, (unsigned)vec)) {
		vec_clear(a->tmr, (unsigned)vec);
		w->ioapic_eoi = vec;
	} else if (vioapic_watches_eoi(v->vm)) {
		w->ioapic_eoi = vec; /* an edge pin's EOI */
	}
}

static void run_after_unlock(struct vcpu *v, const struct after_unlock *w)
{
	if (w->ioapic_eoi >= 0)
		vioapic_eoi(v->vm, (uint8_t)w->ioapic_eoi);
	if (w->send)
		vlapic_send(v->vm, v, &w->msg);
	if (w->refused_mode >= 0 && first_time(v->vm, LOGGED_ICR_RESERVED))
		log_warn("vm %s: vCPU %u: ICR delivery mode %d is reserved; "
			 "no IPI sent (logged once)", v->vm->name, v->id,
			 w->refused_mode);
}

/* Logical destinations: flat or cluster model in xAPIC mode, cluster
 * with an ID-derived LDR in x2APIC mode (SDM Vol. 3A 11.6.2.2, 11.12.10). */
static uint32_t x2apic_ldr(unsigned id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static bool matches(const struct vcpu *t, uint32_t dest, bool logical)
{
	const struct vlapic *a = t->lapic;

	if (x2apic_mode(a)) {
		uint32_t ldr = x2apic_ldr(t->id);
		if (dest == 0xffffffffu)
			return true;
		if (!logical)
			return dest == t->id;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == t->id;
	if ((a->dfr >> 28) == 0xf) /* flat */
		return (a->ldr >> 24) & dest;
	return (a->ldr >> 28) == (dest >> 4) && ((a->ldr >> 24) & dest & 0xf);
}

static void deliver(struct vcpu *t, const struct apic_msg *m)
{
	struct vlapic *a = t->lapic;

	switch (m->mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (sw_enabled(a))
			accept_fixed(a, m->vector, m->level);
		break;
	case APIC_DM_NMI:
		__atomic_store_n(&a->nmi_pending, true, __ATOMIC_RELEASE);
		break;
	case APIC_DM_INIT:
		/* Only application processors take INIT here: it puts them in
		 * wait-for-SIPI (SDM Vol. 3A 9.4.4.1).  The boot vCPU resets
		 * through the reset ports instead. */
		if (t->id != 0 && t->state != VCPU_STOPPED) {
			/* IA32_APIC_BASE, x2APIC mode included, survives INIT
			 * (SDM Vol. 3A 11.4.7.3, 11.12.5.1). */
			uint64_t base = a->base_msr;
			reset_locked(t);
			a->base_msr = base;
			t->state = VCPU_WAIT_SIPI;
		}
		break;
	case APIC_DM_STARTUP:
		/* Only a CPU waiting for it takes a SIPI (SDM Vol. 3A 9.4.4.1);
		 * the scheduler sets its state before it next runs. */
		if (t->state == VCPU_WAIT_SIPI) {
			t->sipi_vector = m->vector;
			t->start_pending = true;
			t->state = VCPU_RUNNABLE;
		}
		break;
	case APIC_DM_EXTINT:
		/* From an I/O APIC pin (the ICR refuses it, send_icr): the
		 * target acknowledges the 8259A for the vector, as INTA would
		 * (82093AA 3.2.4, "ExtINT"; SDM Vol. 3A 11.5.1). */
		__atomic_store_n(&a->extint, true, __ATOMIC_RELEASE);
		break;
	case APIC_DM_SMI:
		/* vCPUs have no system-management mode to enter (SDM Vol. 3C
		 * 32.2): the SMI is not taken, and the VM's log says so. */
		if (first_time(t->vm, LOGGED_SMI))
			log_warn("vm %s: SMI to vCPU %u ignored: vCPUs have no "
				 "SMM (logged once)", t->vm->name, t->id);
		break;
	default: /* 3: reserved; the ICR refuses it before it gets here */
		break;
	}
}

/* Whether t is in m's destination set (shorthand, or address), and its
 * APIC globally enabled: a disabled one takes no messages (SDM Vol. 3A
 * 11.4.3).  Under t's lock. */
static bool addressed(const struct vcpu *t, const struct vcpu *from,
		      const struct apic_msg *m)
{
	bool hit;

	switch (m->shorthand) {
	case SH_SELF: hit = t == from; break;
	case SH_ALL: hit = true; break;
	case SH_OTHERS: hit = t != from; break;
	default: hit = matches(t, m->dest, m->logical); break;
	}
	return hit && hw_enabled(t->lapic);
}

/* Lowest-priority delivery (SDM Vol. 3A 11.6.2.4): of the destination
 * set, the one APIC whose processor priority (PPR: the TPR, or the class
 * in service when higher, 11.8.3.1) is lowest takes the interrupt; only
 * software-enabled APICs compete, since a disabled one would drop it.
 * Ties, which the SDM leaves to the implementation, go to the lowest APIC
 * ID.  Focus-processor checking is not modelled.  The priorities are read
 * one lock at a time: a TPR write racing the arbitration may or may not
 * be seen, as on a bus.  Returns the winner's index, or -1. */
static int lowest_priority(struct vm *vm, const struct vcpu *from,
			   const struct apic_msg *m)
{
	int best = -1;
	uint32_t best_ppr = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = vm->vcpus[i];
		uint64_t flags = spin_lock_irqsave(&t->lapic->lock);
		bool in = addressed(t, from, m) && sw_enabled(t->lapic);
		uint32_t p = ppr(t->lapic);

		spin_unlock_irqrestore(&t->lapic->lock, flags);
		if (in && (best < 0 || p < best_ppr)) {
			best = (int)i;
			best_ppr = p;
		}
	}
	return best;
}

static void deliver_to(struct vcpu *t, const struct vcpu *from,
		       const struct apic_msg *m)
{
	uint64_t flags = spin_lock_irqsave(&t->lapic->lock);
	bool hit = addressed(t, from, m);

	if (hit)
		deliver(t, m);
	spin_unlock_irqrestore(&t->lapic->lock, flags);
	/* Its CPU looks now: leaves the guest or wakes from idle. */
	if (hit)
		vcpu_notify(t);
}

/* Each target's lock is taken in turn, never two at once: the address
 * match reads its LDR/DFR and the delivery writes its IRR. */
void vlapic_send(struct vm *vm, struct vcpu *from, const struct apic_msg *m)
{
	if (m->mode == APIC_DM_LOWEST) {
		int i = lowest_priority(vm, from, m);
		if (i >= 0)
			deliver_to(vm->vcpus[i], from, m);
		return;
	}
	for (unsigned i = 0; i < vm->nvcpus; i++)
		deliver_to(vm->vcpus[i], from, m);
}

static void send_icr(uint32_t lo, uint32_t dest, struct after_unlock *w)
{
	struct apic_msg m = {
		.dest = dest, .logical = lo & ICR_LOGICAL,
		.mode = (enum apic_delivery)ICR_DELIVERY(lo),
		.vector = (uint8_t)lo, .level = lo & ICR_LEVEL,
		.shorthand = ICR_SHORTHAND(lo),
	};

	/* INIT level de-assert only synchronises arbitration IDs. */
	if (m.mode == APIC_DM_INIT && (lo & ICR_LEVEL) && !(lo & ICR_ASSERT))
		return;
	/* Delivery modes 011 and 111 are reserved in the ICR (SDM Vol. 3A
	 * 11.6.1; ExtINT exists for LVT and I/O APIC entries only): no
	 * message is sent, and the VM's log says so once. */
	if (m.mode == 3 || m.mode == APIC_DM_EXTINT) {
		w->refused_mode = (int)m.mode;
		return;
	}
	w->send = true;
	w->msg = m;
}

/* ---- register access --------------------------------------------------- */

static uint32_t reg_read(struct vcpu *v, unsigned off)
{
	struct vlapic *a = v->lapic;

	switch (off) {
	case APIC_ID:
		return x2apic_mode(a) ? v->id : v->id << 24;
	case APIC_VERSION: return APIC_VERSION_VALUE;
	case APIC_TPR: return a->tpr;
	case APIC_PPR: return ppr(a);
	case APIC_LDR: return x2apic_mode(a) ? x2apic_ldr(v->id) : a->ldr;
	case APIC_DFR: return a->dfr;
	case APIC_SVR: return a->svr;
	case APIC_ESR: return a->esr;
	case APIC_ICR_LO: return a->icr_lo; /* delivery status: always idle */
	case APIC_ICR_HI: return a->icr_hi;
	case APIC_TIMER_ICR: return a->timer_icr;
	case APIC_TIMER_CCR: return timer_current(a, tsc_now());
	case APIC_TIMER_DCR: return a->timer_dcr;
	}
	if (off >= APIC_ISR && off < APIC_ISR + 0x80)
		return a->isr[(off - APIC_ISR) >> 4];
	if (off >= APIC_TMR && off < APIC_TMR + 0x80)
		return a->tmr[(off - APIC_TMR) >> 4];
	if (off >= APIC_IRR && off < APIC_IRR + 0x80)
		return a->irr[(off - APIC_IRR) >> 4];
	if (off >= LVT_FIRST && off < LVT_FIRST + 0x10 * LVT_COUNT)
		return a->lvt[LVT_INDEX(off)];
	return 0; /* reserved, APR, RRD, CMCI (absent): read as zero */
}

static void write_lvt(struct vlapic *a, unsigned i, uint32_t val)
{
	uint32_t old = a->lvt[i];

	val &= lvt_writable[i];
	if (!(a->svr & SVR_ENABLED))
		val |= LVT_MASKED; /* software-disabled: masks stay set */
	a->lvt[i] = val;
	/* Changing timer mode stops the timer (SDM Vol. 3A 11.5.4.1). */
	if (i == 0 && LVT_TIMER_MODE(val) != LVT_TIMER_MODE(old)) {
		a->deadline = 0;
		a->timer_icr = 0;
		a->tsc_deadline = 0;
	}
}

static void reg_write(struct vcpu *v, unsigned off, uint32_t val,
		      struct after_unlock *w)
{
	struct vlapic *a = v->lapic;

	switch (off) {
	case APIC_TPR:
		a->tpr = val & TPR_WRITABLE;
		return;
	case APIC_EOI:
		eoi(v, w);
		return;
	case APIC_LDR:
		if (!x2apic_mode(a))
			a->ldr = val & 0xff000000u;
		return;
	case APIC_DFR:
		if (!x2apic_mode(a))
			a->dfr = val | 0x0fffffffu;
		return;
	case APIC_SVR:
		a->svr = val & SVR_WRITABLE;
		if (!(val & SVR_ENABLED))
			for (unsigned i = 0; i < LVT_COUNT; i++)
				a->lvt[i] |= LVT_MASKED;
		return;
	case APIC_ESR: /* a write latches the errors since the last one */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return;
	case APIC_ICR_HI:
		a->icr_hi = val & 0xff000000u;
		return;
	case APIC_ICR_LO:
		a->icr_lo = val & ICR_LO_WRITABLE;
		send_icr(val, a->icr_hi >> 24, w);
		return;
	case APIC_TIMER_ICR:
		if (LVT_TIMER_MODE(a->lvt[0]) != TIMER_TSC_DEADLINE)
			timer_load(a, val, tsc_now());
		return;
	case APIC_TIMER_DCR:
		a->timer_dcr = val & DCR_WRITABLE;
		return;
	case APIC_SELF_IPI:
		if (x2apic_mode(a))
			accept_fixed(a, val & 0xff, false);
		return;
	}
	if (off >= LVT_FIRST && off < LVT_FIRST + 0x10 * LVT_COUNT)
		write_lvt(a, LVT_INDEX(off), val);
	/* Read-only and reserved registers ignore writes. */
}

/* ---- xAPIC MMIO -------------------------------------------------------- */

/* Registers are 32 bits wide at 16-byte alignment; other accesses are
 * undefined on hardware and ignored here. */
static enum io_result mmio_read(void *dev, struct vcpu *v,
				uint64_t gpa, unsigned size, uint64_t *val)
{
	unsigned off = (unsigned)(gpa - VLAPIC_MMIO_BASE);
	enum io_result r = IO_UNHANDLED;
	uint64_t flags;

	(void)dev;
	flags = spin_lock_irqsave(&v->lapic->lock);
	if (hw_enabled(v->lapic) && !x2apic_mode(v->lapic) &&
	    size == 4 && !(off & 0xf)) {
		*val = reg_read(v, off);
		r = IO_HANDLED;
	}
	spin_unlock_irqrestore(&v->lapic->lock, flags);
	return r;
}

static enum io_result mmio_write(void *dev, struct vcpu *v,
				 uint64_t gpa, unsigned size, uint64_t val)
{
	unsigned off = (unsigned)(gpa - VLAPIC_MMIO_BASE);
	struct after_unlock w = { .ioapic_eoi = -1, .refused_mode = -1 };
	enum io_result r = IO_UNHANDLED;
	uint64_t flags;

	(void)dev;
	flags = spin_lock_irqsave(&v->lapic->lock);
	if (hw_enabled(v->lapic) && !x2apic_mode(v->lapic) &&
	    size == 4 && !(off & 0xf) && off != APIC_SELF_IPI) {
		reg_write(v, off, (uint32_t)val, &w);
		r = IO_HANDLED;
	}
	spin_unlock_irqrestore(&v->lapic->lock, flags);
	run_after_unlock(v, &w);
	return r;
}

static const struct io_ops vlapic_mmio_ops = { mmio_read, mmio_write };

bool vlapic_attach(struct vm *vm, void **state)
{
	(void)state; /* each vCPU's APIC is made with the vCPU */
	return io_bus_register(&vm->mmio, VLAPIC_MMIO_BASE, VLAPIC_MMIO_SIZE,
			       &vlapic_mmio_ops, NULL) == 0;
}

/* ---- MSRs -------------------------------------------------------------- */

/* The x2APIC MSRs that exist, and which way (SDM Vol. 3A 11.12.1.2,
 * Table 11-6): every other address in 0x800-0xbff is reserved and
 * RDMSR/WRMSR of it raise #GP, as do reading a write-only register (EOI,
 * SELF IPI) and writing a read-only one.  DFR, the ICR's high half, APR
 * and RRD have no MSR; LVT CMCI exists only with CMCI (IA32_MCG_CAP[10]),
 * which these vCPUs lack (vmx/msr.c reads MCG_CAP as 0). */
static bool x2apic_msr_ok(unsigned off, bool write)
{
	switch (off) {
	case APIC_TPR: case APIC_SVR: case APIC_ESR: case APIC_ICR_LO:
	case APIC_TIMER_ICR: case APIC_TIMER_DCR:
		return true;
	case APIC_EOI: case APIC_SELF_IPI:
		return write;
	case APIC_ID: case APIC_VERSION: case APIC_PPR: case APIC_LDR:
	case APIC_TIMER_CCR:
		return !write;
	}
	if (off >= APIC_ISR && off < APIC_IRR + 0x80)
		return !write; /* ISR, TMR, IRR */
	return off >= LVT_FIRST && off < LVT_FIRST + 0x10 * LVT_COUNT;
}

/* x2APIC writes with reserved bits set raise #GP (SDM Vol. 3A 11.12.1.3,
 * "Reserved Bit Checking"; Table 11-6): bits 63:32 of all but the ICR,
 * TPR bits 31:8, any bit of EOI and ESR ("WRMSR of a non-zero value
 * causes #GP(0)"), the SVR's, the LVT entries' (Figure 11-8; their
 * read-only delivery-status and remote-IRR bits are not reserved, and a
 * write leaves them), the divide register's (Figure 11-10) and SELF IPI
 * bits 31:8 (Figure 11-30).  The ICR's are checked in msr_write_locked. */
static bool x2apic_reserved_clear(unsigned off, uint64_t val)
{
	uint32_t ok;

	if (val >> 32)
		return false;
	switch (off) {
	case APIC_TPR: ok = TPR_WRITABLE; break;
	case APIC_EOI: case APIC_ESR: ok = 0; break;
	case APIC_SVR: ok = SVR_WRITABLE; break;
	case APIC_TIMER_DCR: ok = DCR_WRITABLE; break;
	case APIC_SELF_IPI: ok = 0xff; break;
	case APIC_TIMER_ICR: ok = 0xffffffffu; break;
	default: {
		unsigned i = LVT_INDEX(off);
		ok = lvt_writable[i] | LVT_DELIVERY_STATUS;
		if (off == APIC_LVT_LINT0 || off == APIC_LVT_LINT1)
			ok |= LVT_REMOTE_IRR;
		break;
	}
	}
	return !((uint32_t)val & ~ok);
}

/* IA32_APIC_BASE (SDM Vol. 3A 11.4.4, 11.12.5).  The base cannot move (a
 * relocated page would need EPT changes nobody asks for: a WRMSR that
 * moves it raises #GP, where the SDM would move it); bits 0-7, 9 and
 * those above the base are reserved (#GP); the BSP flag is the VM's.
 * The mode changes are those of Figure 11-27: disabled -> xAPIC, xAPIC
 * -> x2APIC, either -> disabled; x2APIC -> xAPIC, disabled -> x2APIC and
 * EXTD without EN (an invalid state) raise #GP.  Disabling puts the APIC
 * in its power-up state (11.4.3: "the APIC may return to the state
 * described in Section 11.4.7.1"), which it keeps when enabled again
 * (11.12.5.1: no register but the ID survives the way back from x2APIC
 * mode): software-disabled, every LVT entry masked. */
static bool set_apic_base(struct vcpu *v, uint64_t val)
{
	struct vlapic *a = v->lapic;
	uint64_t fixed = VLAPIC_MMIO_BASE | (v->id == 0 ? APIC_BASE_BSP : 0);
	bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;

	if ((val & ~(APIC_BASE_EN | APIC_BASE_EXTD)) != fixed ||
	    (extd && !en) ||
	    (x2apic_mode(a) && en && !extd) ||
	    (!hw_enabled(a) && extd))
		return false;
	if (!en && hw_enabled(a)) {
		power_up_locked(v);
		a->base_msr = fixed;
		return true;
	}
	a->base_msr = val;
	return true;
}

bool vlapic_enabled(const struct vcpu *v)
{
	return __atomic_load_n(&v->lapic->base_msr, __ATOMIC_RELAXED) &
	       APIC_BASE_EN;
}

bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vlapic *a = v->lapic;
	uint64_t flags = spin_lock_irqsave(&a->lock);
	bool ok = msr_read_locked(v, msr, val);

	spin_unlock_irqrestore(&a->lock, flags);
	return ok;
}

static bool msr_read_locked(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vlapic *a = v->lapic;
	unsigned off = (msr - MSR_X2APIC_FIRST) << 4;

	if (msr == MSR_IA32_APIC_BASE) {
		*val = a->base_msr;
		return true;
	}
	if (msr == MSR_TSC_DEADLINE) {
		*val = a->tsc_deadline;
		return true;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST ||
	    !x2apic_mode(a) || !x2apic_msr_ok(off, false))
		return false;
	*val = off == APIC_ICR_LO ? ((uint64_t)a->icr_hi << 32) | a->icr_lo
				  : reg_read(v, off);
	return true;
}

bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct vlapic *a = v->lapic;
	struct after_unlock w = { .ioapic_eoi = -1, .refused_mode = -1 };
	uint64_t flags = spin_lock_irqsave(&a->lock);
	bool ok = msr_write_locked(v, msr, val, &w);

	spin_unlock_irqrestore(&a->lock, flags);
	run_after_unlock(v, &w);
	return ok;
}

static bool msr_write_locked(struct vcpu *v, uint32_t msr, uint64_t val,
			     struct after_unlock *w)
{
	struct vlapic *a = v->lapic;
	unsigned off = (msr - MSR_X2APIC_FIRST) << 4;

	if (msr == MSR_IA32_APIC_BASE)
		return set_apic_base(v, val);
	if (msr == MSR_TSC_DEADLINE) {
		/* Ignored unless the timer is in TSC-deadline mode (SDM Vol.
		 * 3A 11.5.4.1); the guest's TSC is the host's plus its offset. */
		if (LVT_TIMER_MODE(a->lvt[0]) != TIMER_TSC_DEADLINE)
			return true;
		a->tsc_deadline = val;
		if (!val) {
			a->deadline = 0;
		} else {
			uint64_t host = val - v->tsc_offset;
			a->deadline = host ? host : 1;
		}
		return true;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST ||
	    !x2apic_mode(a) || !x2apic_msr_ok(off, true))
		return false;
	if (off == APIC_ICR_LO) {
		/* One 64-bit write: destination in the high half. */
		if ((uint32_t)val & X2APIC_ICR_RESERVED)
			return false;
		a->icr_hi = (uint32_t)(val >> 32);
		a->icr_lo = (uint32_t)val & ICR_LO_WRITABLE;
		send_icr((uint32_t)val, a->icr_hi, w);
		return true;
	}
	if (!x2apic_reserved_clear(off, val))
		return false;
	reg_write(v, off, (uint32_t)val, w);
	return true;
}

/* The TPR is the owner's alone (and an INIT's): one word, no lock. */
uint64_t vlapic_read_cr8(const struct vcpu *v)
{
	return (__atomic_load_n(&v->lapic->tpr, __ATOMIC_RELAXED) >> 4) & 0xf;
}

void vlapic_write_cr8(struct vcpu *v, uint64_t cr8)
{
	__atomic_store_n(&v->lapic->tpr, (uint32_t)(cr8 & 0xf) << 4,
			 __ATOMIC_RELAXED);
}

/* ---- life cycle -------------------------------------------------------- */

/* The power-up state (SDM Vol. 3A 11.4.7.1): globally enabled in xAPIC
 * mode, software-disabled (SVR 0xff), every LVT entry masked, DFR all
 * ones, the rest zero.  Everything but the lock and the VM's logged-once
 * flags, which the caller holds or keeps. */
static void power_up_locked(struct vcpu *v)
{
	struct vlapic *a = v->lapic;

	memset((char *)a + offsetof(struct vlapic, base_msr), 0,
	       sizeof(*a) - offsetof(struct vlapic, base_msr));
	a->base_msr = VLAPIC_MMIO_BASE | APIC_BASE_EN |
		      (v->id == 0 ? APIC_BASE_BSP : 0);
	a->dfr = 0xffffffffu;
	a->svr = 0xff;
	for (unsigned i = 0; i < LVT_COUNT; i++)
		a->lvt[i] = LVT_MASKED;
}

/* The power-up state, then what firmware sets up before an OS runs: the
 * APIC software-enabled with LINT0 as ExtINT and LINT1 as NMI on the boot
 * CPU (virtual wire, MP spec 3.6.2.2). */
static void reset_locked(struct vcpu *v)
{
	struct vlapic *a = v->lapic;

	power_up_locked(v);
	if (v->id == 0) {
		a->svr |= SVR_ENABLED;
		a->lvt[LVT_INDEX(APIC_LVT_LINT0)] = APIC_DM_EXTINT << 8;
		a->lvt[LVT_INDEX(APIC_LVT_LINT1)] = APIC_DM_NMI << 8;
	}
}

void vlapic_reset(struct vcpu *v)
{
	uint64_t flags = spin_lock_irqsave(&v->lapic->lock);

	reset_locked(v);
	spin_unlock_irqrestore(&v->lapic->lock, flags);
}

void vlapic_destroy(struct vcpu *v)
{
	free(v->lapic);
	v->lapic = NULL;
}

bool vlapic_create(struct vcpu *v)
{
	v->lapic = calloc(1, sizeof(struct vlapic));
	if (!v->lapic)
		return false;
	spin_init(&v->lapic->lock, "vlapic");
	vlapic_reset(v);
	return true;
}

/* ---- snapshots (kernel/snapshot.c) ------------------------------------- */

/* Everything from base_msr on: the VM's logged-once flags and the lock
 * stay with the running hypervisor. */
#define VLAPIC_SNAP_FROM offsetof(struct vlapic, base_msr)

size_t vlapic_snap_size(void)
{
	return sizeof(struct vlapic) - VLAPIC_SNAP_FROM;
}

void vlapic_snap_save(const struct vcpu *v, void *buf)
{
	memcpy(buf, (const uint8_t *)v->lapic + VLAPIC_SNAP_FROM,
	       vlapic_snap_size());
}

/* The timer's start and deadline are host TSC values: a restore comes
 * delta ticks after the snapshot, and the count goes on from where it
 * was.  IA32_TSC_DEADLINE is the guest's TSC, which the restore carries
 * on from the snapshot's, so it stays. */
void vlapic_snap_restore(struct vcpu *v, const void *buf, uint64_t delta)
{
	struct vlapic *a = v->lapic;
	uint64_t flags = spin_lock_irqsave(&a->lock);

	memcpy((uint8_t *)a + VLAPIC_SNAP_FROM, buf, vlapic_snap_size());
	if (a->timer_start)
		a->timer_start += delta;
	if (a->deadline)
		a->deadline += delta;
	spin_unlock_irqrestore(&a->lock, flags);
}
