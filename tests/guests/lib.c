#include "guest.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

static unsigned failures;
volatile uint32_t last_trap_vector = 0xffffffff;
volatile uint32_t last_trap_error;
static volatile uint32_t expected_vector = 0xffffffff, expected_len;

void putc_serial(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

void print_hex(uint64_t v)
{
	puts_serial("0x");
	for (int i = 60; i >= 0; i -= 4) {
		if ((v >> i) == 0 && i)
			continue;
		putc_serial("0123456789abcdef"[(v >> i) & 0xf]);
	}
}

void print_dec(uint64_t v)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_serial(buf[--n]);
}

void check(bool ok, const char *what)
{
	puts_serial("CHECK ");
	puts_serial(what);
	puts_serial(ok ? ": ok\n" : ": FAIL\n");
	if (!ok)
		failures++;
}

int verdict(void)
{
	puts_serial(failures ? "RESULT: FAIL\n" : "RESULT: PASS\n");
	return failures ? 1 : 0;
}

void guest_exit(uint32_t code)
{
	outl(DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* A 32-bit interrupt gate to `handler` in the flat code segment 0x08. */
static uint64_t interrupt_gate(uint32_t h)
{
	return (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
	       ((uint64_t)(h >> 16) << 48);
}

void idt_set_gate(unsigned vec, const void *handler)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;

	__asm__ volatile("sidt %0" : "=m"(d));
	((volatile uint64_t *)d.base)[vec] = interrupt_gate((uint32_t)handler);
}

void unexpected_trap(const struct trap_frame *f)
{
	puts_serial("unexpected exception ");
	print_dec(f->vector);
	puts_serial(" at ");
	print_hex(f->eip);
	puts_serial("\nRESULT: FAIL\n");
	guest_exit(1);
}

/* IDT: 32 interrupt gates to the stubs in start.S. */
extern const uint32_t trap_table[256];
static uint64_t idt[256];
void (*irq_handler)(uint32_t vector);

void idt_setup(void);
void idt_setup(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;

	for (int i = 0; i < 256; i++)
		idt[i] = interrupt_gate(trap_table[i]);
	d.limit = sizeof(idt) - 1;
	d.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" ::"m"(d));
}

void guest_trap(struct trap_frame *f);
void guest_trap(struct trap_frame *f)
{
	if (f->vector >= 32 && irq_handler) {
		irq_handler(f->vector);
		return;
	}
	last_trap_vector = f->vector;
	last_trap_error = f->error;
	if (f->vector == expected_vector) {
		f->eip += expected_len; /* skip the faulting instruction */
		expected_vector = 0xffffffff;
		return;
	}
	unexpected_trap(f);
}

void expect_fault(uint32_t vector, uint32_t insn_len)
{
	last_trap_vector = 0xffffffff;
	expected_len = insn_len;
	expected_vector = vector;
}

bool fault_seen(uint32_t vector)
{
	bool seen = last_trap_vector == vector;
	expected_vector = 0xffffffff;
	return seen;
}

bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	expect_fault(13, 2); /* RDMSR is two bytes long */
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	*val = ((uint64_t)hi << 32) | lo;
	return !fault_seen(13);
}

bool wrmsr_safe(uint32_t msr, uint64_t val)
{
	expect_fault(13, 2);
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
	return !fault_seen(13);
}

/* The loader's string is the kernel's path, a space, then the arguments
 * (as GRUB and QEMU pass it): the arguments start at the second word. */
const char *cmdline(uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	const char *s = (mbi[0] & (1u << 2)) ? (const char *)mbi[4] : "";

	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

uint32_t parse_hex(const char *s)
{
	uint32_t v = 0;
	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	for (;; s++) {
		char c = *s;
		if (c >= '0' && c <= '9') v = v * 16 + (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f') v = v * 16 + (uint32_t)(c - 'a' + 10);
		else return v;
	}
}

void paging_4m(const uint32_t *pd, bool on)
{
	uint32_t cr0, cr4;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	if (on) {
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_PSE));
		__asm__ volatile("mov %0, %%cr3" ::"r"(pd) : "memory");
		cr0 |= CR0_PG;
	} else {
		cr0 &= ~CR0_PG;
	}
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
}

const char *word_value(const char *s, const char *key)
{
	for (const char *p = s; *p; p++) {
		uint32_t i = 0;

		if (p != s && p[-1] != ' ')
			continue;
		while (key[i] && p[i] == key[i])
			i++;
		if (!key[i] && p[i] == '=')
			return p + i + 1;
	}
	return 0;
}

uint32_t word_number(const char *s, const char *key)
{
	const char *p = word_value(s, key);
	uint32_t v = 0;

	while (p && *p >= '0' && *p <= '9')
		v = v * 10 + (uint32_t)(*p++ - '0');
	return v;
}

bool first_word_is(const char *s, const char *w)
{
	while (*w && *w != ' ' && *s == *w) {
		s++;
		w++;
	}
	return (*w == 0 || *w == ' ') && (*s == 0 || *s == ' ');
}
