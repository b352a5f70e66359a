/* The guests' local APICs, one per vCPU (SDM Vol. 3A chapter 11): the
 * xAPIC registers at 0xfee00000 (MMIO, emulated on EPT violations) and the
 * same registers as x2APIC MSRs 0x800-0x8ff, the timer in one-shot,
 * periodic and TSC-deadline modes, fixed, NMI, INIT and start-up IPIs,
 * EOI (with the IOAPIC's remote IRR for level-triggered vectors), and the
 * TPR that CR8 reaches in 64-bit mode.  Lowest-priority messages go to the
 * lowest PPR of their destination set; ExtINT from an I/O APIC pin lets
 * the target take the PIC's vector; SMIs are logged and ignored (no SMM);
 * the ICR's reserved delivery modes are refused, logged. */
#ifndef DRIVERS_VLAPIC_H
#define DRIVERS_VLAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kernel/vm.h"

#define VLAPIC_MMIO_BASE 0xfee00000ull
#define VLAPIC_MMIO_SIZE 0x1000ull
/* The APIC timer counts the crystal clock of CPUID leaf 0x15, which
 * vmx/exit_cpuid.c reports as the TSC rate divided by this. */
#define VLAPIC_TSC_PER_BUS_TICK 2u

/* Delivery modes of the ICR and of IOAPIC redirection entries (SDM Vol.
 * 3A 11.6.1). */
enum apic_delivery {
	APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2,
	APIC_DM_NMI = 4, APIC_DM_INIT = 5, APIC_DM_STARTUP = 6,
	APIC_DM_EXTINT = 7,
};

/* One interrupt message on the (virtual) APIC bus. */
struct apic_msg {
	uint32_t dest;        /* APIC ID, or logical destination */
	bool logical;         /* destination mode */
	enum apic_delivery mode;
	uint8_t vector;
	bool level;           /* trigger mode: level sets the TMR bit */
	unsigned shorthand;   /* ICR bits 19:18; 0 from the IOAPIC */
};

/* Creates v's APIC at its reset state, with LINT0 as ExtINT and LINT1 as
 * NMI: the virtual-wire mode firmware leaves (MP spec 3.6.2.2). */
bool vlapic_create(struct vcpu *v);
void vlapic_reset(struct vcpu *v);
void vlapic_destroy(struct vcpu *v);
/* Registers the VM's xAPIC MMIO page (one range; each access goes to the
 * APIC of the vCPU that made it). */
bool vlapic_attach(struct vm *vm, void **state);

/* Sends msg from `from` (NULL: from the IOAPIC) to the vCPUs it names. */
void vlapic_send(struct vm *vm, struct vcpu *from, const struct apic_msg *m);

/* Fires the timer if due by `now` (host TSC). */
void vlapic_update(struct vcpu *v, uint64_t now);
/* Host TSC at which the timer fires next, or 0. */
uint64_t vlapic_next_deadline(const struct vcpu *v);
/* The vector to inject now, or -1: the highest request above the
 * processor priority (SDM Vol. 3A 11.8.3). */
int vlapic_pending_vector(const struct vcpu *v);
/* The entry path's common case in one call, lock-free: no APIC timer
 * due at `now`, no NMI, no IRR bit, no PIC request for this vCPU.  True
 * means there is nothing to deliver; false, look closer.  *deadline is
 * set to vlapic_next_deadline(v) as read here. */
bool vlapic_quiet(struct vcpu *v, uint64_t now, uint64_t *deadline);
/* The vector was injected: it moves from IRR to ISR. */
void vlapic_accept(struct vcpu *v, int vector);
/* Whether the PIC's INTR reaches this vCPU (LINT0 unmasked in ExtINT
 * mode, or the APIC disabled altogether). */
bool vlapic_accepts_pic(const struct vcpu *v);
/* An NMI is waiting; taking clears it. */
bool vlapic_take_nmi(struct vcpu *v, bool take);

/* IA32_APIC_BASE.EN: the APIC is globally enabled (CPUID.01H:EDX.APIC
 * follows it, SDM Vol. 3A 11.4.3). */
bool vlapic_enabled(const struct vcpu *v);

/* x2APIC MSRs, IA32_APIC_BASE and IA32_TSC_DEADLINE; false means #GP. */
bool vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
bool vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* CR8 is TPR[7:4] (SDM Vol. 3A 11.8.6). */
uint64_t vlapic_read_cr8(const struct vcpu *v);
void vlapic_write_cr8(struct vcpu *v, uint64_t cr8);

/* Snapshots (kernel/snapshot.c): the bytes of v's APIC state a snapshot
 * keeps, copied out, and copied back with its timer moved delta host TSC
 * ticks later (the restore's time minus the snapshot's). */
size_t vlapic_snap_size(void);
void vlapic_snap_save(const struct vcpu *v, void *buf);
void vlapic_snap_restore(struct vcpu *v, const void *buf, uint64_t delta);

#endif
