/* Segmentation in long mode: a flat GDT and a TSS per CPU, the TSS only to
 * give NMI, #DF and #MC their own known-good stacks (IST, SDM Vol. 3A 6.14.5)
 * so a kernel stack overflow still produces a report. */
#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#include <stdint.h>

/* Selectors; VMX host-state checks require RPL 0 and TI 0 for these
 * (SDM Vol. 3C 26.2.3). */
#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_TSS 0x18

#define GDT_ENTRIES 5 /* null, code, data, TSS (two slots) */

enum ist_slot { IST_NMI = 1, IST_DOUBLE_FAULT = 2, IST_MACHINE_CHECK = 3 };
#define IST_COUNT 3
#define IST_STACK_SIZE 8192

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES];
	struct tss64 tss;
	uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE]
		__attribute__((aligned(16)));
};

void gdt_load(struct cpu_tables *t);

#endif
