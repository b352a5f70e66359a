/* The host IDT's vector map, in one place: 0-31 are exceptions (arch/idt.h
 * names them), IRQ_VECTOR_FIRST.. are the device interrupts the hypervisor
 * forwards to guests (arch/irq.c hands them out), and the local APIC's
 * spurious vector is last.  A header of its own so that the IDT, the
 * local APIC and the interrupt code can share it without including each
 * other. */
#ifndef ARCH_VECTORS_H
#define ARCH_VECTORS_H

#define IRQ_VECTOR_FIRST 0x40
#define IRQ_VECTORS 16
#define IRQ_VECTOR_SPURIOUS 0xff
/* A host IPI that only wakes its target (arch/smp.h, smp_kick): out of
 * HLT, or out of a guest by a VM exit.  In the highest priority class so
 * no TPR setting of ours holds it back (SDM Vol. 3A 11.8.3). */
#define VECTOR_KICK 0xf0

#endif
