/* Starting a test guest's other vCPUs (application processors) into its
 * own 32-bit protected mode, to run C on a stack of their own beside the
 * boot vCPU.  Needs `vcpus = N` in the VM's section.
 *
 * ap_start() sends INIT, then STARTUP (SIPI) through the xAPIC ICR (SDM
 * Vol. 3A 10.4.4.1, 11.6.1) with the vector of AP_TRAMPOLINE, where it
 * has copied a small real-mode trampoline: load the guest's GDT, set
 * CR0.PE, far jump to 32-bit code that loads the guest's IDT (the one
 * start.S built: traps and irq_handler work on every vCPU), takes the AP's
 * stack, software-enables its local APIC (SVR) and calls fn(). */
#ifndef GUEST_AP_H
#define GUEST_AP_H

#include "guest.h"

/* The xAPIC's MMIO page and the registers these guests use (SDM Vol. 3A
 * Table 11-1). */
#define XAPIC_BASE 0xfee00000u
#define XAPIC_ID 0x020
#define XAPIC_EOI 0x0b0
#define XAPIC_SVR 0x0f0
#define XAPIC_ICR_LO 0x300
#define XAPIC_ICR_HI 0x310
#define XAPIC_SVR_ENABLE 0x100u
/* ICR low word: delivery mode, physical destination, level assert (SDM
 * Vol. 3A Figure 11-12); the vector (STARTUP: the start page number) is
 * ORed in. */
#define ICR_FIXED_ASSERT 0x4000u
#define ICR_INIT_ASSERT 0x4500u
#define ICR_STARTUP 0x4600u

static inline uint32_t xapic_read(uint32_t off)
{
	return *(volatile uint32_t *)(XAPIC_BASE + off);
}

static inline void xapic_write(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(XAPIC_BASE + off) = v;
}

/* A fixed IPI with `vector` to the local APIC with ID `dest`. */
static inline void xapic_send_fixed(uint32_t dest, uint8_t vector)
{
	xapic_write(XAPIC_ICR_HI, dest << 24);
	xapic_write(XAPIC_ICR_LO, ICR_FIXED_ASSERT | vector);
}

/* The page the APs start in (SIPI vector 0x30): below 1 MiB, clear of the
 * Multiboot information (0x8000-0xffff) and the attack guests' own
 * start pages (0x20000, 0x21000). */
#define AP_TRAMPOLINE 0x30000u
/* APIC IDs 1 .. AP_MAX - 1 can be started, one at a time. */
#define AP_MAX 4

/* Start the vCPU whose local APIC ID is apic_id running fn() (it halts
 * for good if fn returns); true once it has entered its 32-bit code,
 * false if it did not within `ticks` TSC ticks. */
bool ap_start(uint32_t apic_id, void (*fn)(void), uint64_t ticks);

/* Which vCPU this is, without an exit: the APIC ID of the AP whose stack
 * holds ESP, else 0 (the boot vCPU). */
uint32_t ap_self(void);

/* Real-mode start code instead, for tests that want their other vCPUs
 * in real mode: a STARTUP IPI with vector V starts a vCPU waiting for one
 * at V << 12 (CS = V << 8, IP = 0) with data segment bases 0, so its code
 * can use absolute addresses below 64 KiB (SDM Vol. 3A 10.4.4.1).
 * install_ap_code() puts two small routines in place: at AP_VECTOR, count
 * the start in AP_STARTS[0] and halt with interrupts off (an NMI returns
 * to the halt); at AP_SPIN_VECTOR, count it in AP_STARTS[1] and spin with
 * interrupts off.  STARTUP vectors 0x00 and 0xff start a halt, too. */
#define AP_VECTOR 0x20
#define AP_SPIN_VECTOR 0x21
#define AP_STARTS ((volatile uint16_t *)0x7000)
void install_ap_code(void);

/* Copies a guest's own real-mode start code [start, end) to the page of
 * STARTUP vector `vector` (position-independent: relative jumps, absolute
 * data addresses). */
void ap_code_put(uint8_t vector, const uint8_t *start, const uint8_t *end);

/* Writes the ICR: destination APIC ID dest, then the low word lo
 * (delivery mode, shorthand, vector), which sends it. */
void send_ipi(uint32_t dest, uint32_t lo);

#endif
