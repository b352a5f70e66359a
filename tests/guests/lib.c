#include "guest.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

static unsigned failures;
volatile uint32_t last_trap_vector = 0xffffffff;
static volatile bool expecting_gp;

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

/* IDT: 32 interrupt gates to the stubs in start.S. */
extern const uint32_t trap_table[32];
static uint64_t idt[32];

void idt_setup(void);
void idt_setup(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;

	for (int i = 0; i < 32; i++) {
		uint32_t h = trap_table[i];
		idt[i] = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			 ((uint64_t)(h >> 16) << 48);
	}
	d.limit = sizeof(idt) - 1;
	d.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" ::"m"(d));
}

void guest_trap(struct trap_frame *f);
void guest_trap(struct trap_frame *f)
{
	last_trap_vector = f->vector;
	if (f->vector == 13 && expecting_gp) {
		f->eip += 2; /* RDMSR and WRMSR are two bytes long */
		return;
	}
	puts_serial("unexpected exception ");
	print_dec(f->vector);
	puts_serial(" at ");
	print_hex(f->eip);
	puts_serial("\nRESULT: FAIL\n");
	guest_exit(1);
}

bool rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	last_trap_vector = 0xffffffff;
	expecting_gp = true;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	expecting_gp = false;
	*val = ((uint64_t)hi << 32) | lo;
	return last_trap_vector != 13;
}

bool wrmsr_safe(uint32_t msr, uint64_t val)
{
	last_trap_vector = 0xffffffff;
	expecting_gp = true;
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
	expecting_gp = false;
	return last_trap_vector != 13;
}
