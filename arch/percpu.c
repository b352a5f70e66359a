#include "percpu.h"

#include "../arch/msr.h"
#include "cpu.h"
#include "idt.h"

/* Static so the boot CPU has its blocks before any allocator exists. */
static struct percpu percpu_blocks[MAX_CPUS];

struct percpu *percpu_of(unsigned cpu_id)
{
	return &percpu_blocks[cpu_id];
}

void percpu_init(unsigned cpu_id, uint32_t apic_id)
{
	struct percpu *p = &percpu_blocks[cpu_id];

	p->self = p;
	p->cpu_id = cpu_id;
	p->apic_id = apic_id;
	gdt_load(&p->tables);
	/* After gdt_load: loading a segment register would clear GS base. */
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	idt_load();
}
