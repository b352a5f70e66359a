#include "idt.h"

#include "gdt.h"
#include "vectors.h"

/* 64-bit interrupt gate, present, DPL 0 (SDM Vol. 3A 6.14.1). */
#define IDT_GATE_INTERRUPT 0x8e

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct pseudo_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Entry stubs from arch/isr.S, one per exception vector, then one per
 * device interrupt vector and the spurious vector. */
extern const uint64_t isr_stub_table[NUM_EXCEPTIONS];
extern const uint64_t irq_stub_table[IRQ_VECTORS + 1];
extern const uint64_t kick_stub;

static struct idt_gate idt[256] __attribute__((aligned(16)));
static int idt_built;

static void set_gate(unsigned vec, uint64_t handler, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = (uint16_t)handler,
		.selector = SEL_KERNEL_CS,
		.ist = ist,
		.type_attr = IDT_GATE_INTERRUPT,
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_hi = (uint32_t)(handler >> 32),
	};
}

static uint8_t ist_for(unsigned vec)
{
	switch (vec) {
	case VEC_NMI: return IST_NMI;
	case VEC_DF: return IST_DOUBLE_FAULT;
	case VEC_MC: return IST_MACHINE_CHECK;
	default: return 0;
	}
}

void idt_load(void)
{
	struct pseudo_desc idtr = { sizeof(idt) - 1, (uint64_t)idt };

	if (!idt_built) {
		for (unsigned v = 0; v < NUM_EXCEPTIONS; v++)
			set_gate(v, isr_stub_table[v], ist_for(v));
		for (unsigned i = 0; i < IRQ_VECTORS; i++)
			set_gate(IRQ_VECTOR_FIRST + i, irq_stub_table[i], 0);
		set_gate(IRQ_VECTOR_SPURIOUS, irq_stub_table[IRQ_VECTORS], 0);
		set_gate(VECTOR_KICK, kick_stub, 0);
		idt_built = 1;
	}
	__asm__ volatile("lidt %0" ::"m"(idtr));
}
