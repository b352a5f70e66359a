/* Local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode, whichever the
 * firmware left enabled (SDM Vol. 3A 11.12). */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <stdint.h>

void lapic_init(void);
uint32_t lapic_id(void);
/* Ends the interrupt being serviced. */
void lapic_eoi(void);
/* NMI to all CPUs but this one (ICR destination shorthand 11b). */
void lapic_nmi_all_but_self(void);
/* NMI to this CPU (a self-test of the host NMI path). */
void lapic_nmi_self(void);

#endif
