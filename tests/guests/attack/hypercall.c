/* The hostile guest: Hypercall attacks: bad numbers and arguments, calls from ring 3. */
#include "attack.h"

/* ==== hypercalls ==== */

void a_hypercall_bad(void)
{
	static const char msg[] = "0123456789abcdef";
	unsigned wrong = 0;

	start();
	wrong += vmcall(HC_CONSOLE_WRITE, ram_end - 2, 4, 0) != HV_EFAULT; /* straddles the end */
	wrong += vmcall(HC_CONSOLE_WRITE, ram_end, 1, 0) != HV_EFAULT;
	wrong += vmcall(HC_CONSOLE_WRITE, 0xffffffffu, 1, 0) != HV_EFAULT;
	wrong += vmcall(HC_CONSOLE_WRITE, 0xfffffff0u, 0x20, 0) != HV_EFAULT; /* wraps */
	wrong += vmcall(HC_CONSOLE_WRITE, 0xfee00000u, 16, 0) != HV_EFAULT; /* MMIO */
	wrong += vmcall(HC_CONSOLE_WRITE, 0xffffffffu, 0, 0) != 0; /* nothing to read */
	wrong += vmcall(HC_CONSOLE_WRITE, (uint32_t)msg, 0xffffffffu, 0) != HV_EINVAL;
	wrong += vmcall(HC_CONSOLE_WRITE, (uint32_t)msg, 0x80000000u, 0) != HV_EINVAL;
	wrong += vmcall(HC_CONSOLE_WRITE, (uint32_t)msg, 4097, 0) != HV_EINVAL;
	wrong += vmcall(0xffffffffu, 0, 0, 0) != HV_ENOSYS;
	wrong += vmcall(3, 0, 0, 0) != HV_ENOSYS;
	note_dec("wrong answers", wrong);
	if (wrong)
		escaped("a bad pointer or length was not refused");
	else
		contained("-EFAULT for every address outside RAM, -EINVAL for huge lengths");
}

/* Ring 3: its own GDT with user segments and a TSS; INT 0x80 (a DPL-3
 * gate) brings it back to ring 0. */
static uint64_t gdt[6];
static uint32_t tss[26];
static uint8_t user_stack[4096] __attribute__((aligned(16)));
uint32_t ring0_esp;
uint8_t *user_stack_top = user_stack + sizeof(user_stack);

__asm__(".text\n"
	"enter_ring3:\n" /* void enter_ring3(void (*fn)(void)) */
	"	movl 4(%esp), %eax\n"
	"	pushal\n"
	"	movl %esp, ring0_esp\n"
	"	pushl $0x23\n"
	"	pushl user_stack_top\n"
	"	pushfl\n"
	"	pushl $0x1b\n"
	"	pushl %eax\n"
	"	movw $0x23, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	iret\n"
	"ring3_done:\n"
	"	movw $0x10, %ax\n"
	"	movw %ax, %ds\n"
	"	movw %ax, %es\n"
	"	movw %ax, %ss\n"
	"	movl ring0_esp, %esp\n"
	"	popal\n"
	"	ret\n");
void enter_ring3(void (*fn)(void));
void ring3_done(void);

static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static volatile int32_t r3_version, r3_write, r3_exit;
static const char r3_msg[] = "CPL3-LEAK: printed from ring 3\n";

static void ring3_body(void)
{
	r3_version = vmcall(HC_VERSION, 0, 0, 0);
	r3_write = vmcall(HC_CONSOLE_WRITE, (uint32_t)r3_msg, sizeof(r3_msg) - 1, 0);
	r3_exit = vmcall(HC_EXIT, 0x77, 0, 0);
	__asm__ volatile("int $0x80");
	for (;;)
		;
}

void a_hypercall_cpl3(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;

	start();
	gdt[0] = 0;
	gdt[1] = seg(0, 0xfffff, 0x9a, 0xc);
	gdt[2] = seg(0, 0xfffff, 0x92, 0xc);
	gdt[3] = seg(0, 0xfffff, 0xfa, 0xc);
	gdt[4] = seg(0, 0xfffff, 0xf2, 0xc);
	gdt[5] = seg((uint32_t)tss, sizeof(tss) - 1, 0x89, 0);
	tss[1] = (uint32_t)(user_stack + 2048); /* ESP0: below the user's part */
	tss[2] = 0x10;
	tss[25] = sizeof(tss) << 16; /* no I/O bitmap */
	d.limit = sizeof(gdt) - 1;
	d.base = (uint32_t)gdt;
	__asm__ volatile("lgdt %0; ltr %w1" ::"m"(d), "r"(0x28) : "memory");
	set_gate(0x80, ring3_done, 3);
	r3_version = r3_write = r3_exit = 0x1234;
	enter_ring3(ring3_body);
	note("HC_VERSION from ring 3", (uint32_t)r3_version);
	note("HC_CONSOLE_WRITE from ring 3", (uint32_t)r3_write);
	note("HC_EXIT from ring 3", (uint32_t)r3_exit);
	if (r3_version != HV_EPERM || r3_write != HV_EPERM || r3_exit != HV_EPERM)
		escaped("a hypercall worked from ring 3");
	else
		contained("every hypercall from ring 3 returned -EPERM");
}
