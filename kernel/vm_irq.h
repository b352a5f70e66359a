/* A VM's interrupt wiring, as on a PC with an I/O APIC: each ISA IRQ line
 * goes both to the 8259 PIC pair and to an I/O APIC pin, the same pin
 * number except the timer's IRQ 0, which is on pin 2 (the ACPI MADT says
 * so with an interrupt source override; ACPI 6.5 5.2.12.5). */
#ifndef KERNEL_VM_IRQ_H
#define KERNEL_VM_IRQ_H

#define ISA_IRQ0_GSI 2

struct vm;

/* An edge on ISA IRQ `irq` (0-15): a device has something to report. */
void vm_isa_irq_pulse(struct vm *vm, unsigned irq);

#endif
