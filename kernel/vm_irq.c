#include "vm_irq.h"

#include "../drivers/vioapic.h"
#include "../drivers/vpic.h"
#include "vm.h"

void vm_isa_irq_pulse(struct vm *vm, unsigned irq)
{
	unsigned pin = irq == 0 ? ISA_IRQ0_GSI : irq;

	if (vm->pic) {
		vpic_raise_irq(vm->pic, irq);
		/* The PIC's INTR is wired to the boot vCPU. */
		vcpu_notify(vm->vcpus[0]);
	}
	if (vm->ioapic) {
		vioapic_set_line(vm->ioapic, pin, true);
		vioapic_set_line(vm->ioapic, pin, false);
	}
}

void vm_irq_line_set(struct vm *vm, unsigned line, bool level)
{
	unsigned pin = line == 0 ? ISA_IRQ0_GSI : line;

	if (line >= VM_IRQ_LINES)
		return;
	if (line < ISA_IRQS && level && vm->pic) {
		vpic_raise_irq(vm->pic, line);
		vcpu_notify(vm->vcpus[0]);
	}
	if (vm->ioapic)
		vioapic_set_line(vm->ioapic, pin, level);
}
