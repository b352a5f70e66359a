/* Local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode, whichever the
 * firmware left enabled (SDM Vol. 3A 11.12). */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* On the boot CPU: keeps the mode the firmware chose.  On an AP: puts it
 * in the boot CPU's mode.  Then software-enables this CPU's APIC. */
void lapic_init(void);
uint32_t lapic_id(void);
/* Ends the interrupt being serviced. */
void lapic_eoi(void);
/* IPIs to one CPU by APIC ID (physical destination mode). */
void lapic_nmi(uint32_t apic_id);
void lapic_send_fixed(uint32_t apic_id, uint8_t vector);
void lapic_send_init(uint32_t apic_id);
/* STARTUP IPI: the AP starts in real mode at page << 12. */
void lapic_send_startup(uint32_t apic_id, uint8_t page);
/* NMI to this CPU (a self-test of the host NMI path). */
void lapic_nmi_self(void);
/* This CPU's timer in TSC-deadline mode, raising VECTOR_KICK; false when
 * the CPU has no TSC-deadline mode (CPUID.1:ECX[24]). */
bool lapic_timer_init(void);
/* Fires once when the TSC reaches tsc (0 disarms; a past value fires at
 * once). */
void lapic_timer_arm(uint64_t tsc);

#endif
