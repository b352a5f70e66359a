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

void vm_irq_line_share(struct vm *vm, unsigned line, bool assert)
{
	if (line >= VM_IRQ_LINES)
		return;
	/* The count and the level it gives change together: another
	 * device's assertion between them could otherwise be lowered. */
	spin_lock(&vm->irq_share_lock);
	vm->irq_sharers[line] += assert ? 1 : -1;
	vm_irq_line_set(vm, line, vm->irq_sharers[line] > 0);
	spin_unlock(&vm->irq_share_lock);
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
