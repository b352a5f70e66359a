/* A VM's interrupt wiring, as on a PC with an I/O APIC: each ISA IRQ line
 * goes both to the 8259 PIC pair and to an I/O APIC pin, the same pin
 * number except the timer's IRQ 0, which is on pin 2 (the ACPI MADT says
 * so with an interrupt source override; ACPI 6.5 5.2.12.5). */
#ifndef KERNEL_VM_IRQ_H
#define KERNEL_VM_IRQ_H

#define ISA_IRQ0_GSI 2
#define ISA_IRQS 16
#define VM_IRQ_LINES 24 /* ISA IRQs 0-15, then I/O APIC pins 16-23 */

#include <stdbool.h>

struct vm;

/* An edge on ISA IRQ `irq` (0-15): a device has something to report. */
void vm_isa_irq_pulse(struct vm *vm, unsigned irq);

/* A device that drives line `line` (0-23) by level moved it to `level`;
 * called only when the level changes.  Lines 0-15 are the ISA IRQs (the
 * PIC sees the rising edge: its inputs are edge-triggered; the I/O APIC
 * sees the level on the pin above); lines 16-23 are I/O APIC pins 16-23,
 * which have no PIC input. */
void vm_irq_line_set(struct vm *vm, unsigned line, bool level);

/* A level line several devices drive at once, as PCI's INTx is wired-OR
 * (PCI 3.0 2.2.6; every virtio function of a VM is on one line): the
 * line is high while any of them asserts it.  Each device asserts and
 * deasserts in turn, never twice the same way. */
void vm_irq_line_share(struct vm *vm, unsigned line, bool assert);

#endif
