#include "gdt.h"

#include <string.h>

/* Descriptor bits (SDM Vol. 3A 3.4.5): present, DPL 0, code/data type,
 * L=1 for 64-bit code.  Base and limit are ignored in 64-bit mode. */
#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA 0x00cf92000000ffffull
#define TSS_TYPE_AVAILABLE 0x9ull
#define DESC_PRESENT (1ull << 47)

struct pseudo_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* A 64-bit TSS descriptor takes two GDT slots (SDM Vol. 3A 8.2.3). */
static void set_tss_desc(uint64_t *slot, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		  (TSS_TYPE_AVAILABLE << 40) | DESC_PRESENT |
		  (((limit >> 16) & 0xf) << 48) |
		  (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

void gdt_load(struct cpu_tables *t)
{
	struct pseudo_desc gdtr = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };

	memset(&t->tss, 0, sizeof(t->tss));
	for (int i = 0; i < IST_COUNT; i++)
		t->tss.ist[i] = (uint64_t)&t->ist_stacks[i][IST_STACK_SIZE];
	/* No I/O bitmap: base beyond the limit (SDM Vol. 3A 20.5.2). */
	t->tss.iomap_base = sizeof(t->tss);
	t->gdt[0] = 0;
	t->gdt[1] = GDT_CODE64;
	t->gdt[2] = GDT_DATA;
	set_tss_desc(&t->gdt[3], &t->tss);

	__asm__ volatile("lgdt %0" ::"m"(gdtr));
	/* Reload CS with a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %1, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 ::"i"(SEL_KERNEL_CS), "i"(SEL_KERNEL_DS)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}
