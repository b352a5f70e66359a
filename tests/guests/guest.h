/* The test guests' small runtime: serial output, ports, CPUID, MSRs with
 * #GP caught, hypercalls, and a verdict protocol the harness reads:
 * "CHECK <what>: ok|FAIL ..." lines, then "RESULT: PASS|FAIL", then the
 * exit through the debug port (status 1 means pass). */
#ifndef GUEST_H
#define GUEST_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector, error, eip, cs, eflags;
};

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* MSRs the per-vCPU state checks use (SDM Vol. 4, Table 2-2). */
/* Control-register bits the guests set (SDM Vol. 3A 2.5). */
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE (1u << 18)

#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

void putc_serial(char c);
void puts_serial(const char *s);
void print_hex(uint64_t v);
void print_dec(uint64_t v);
void check(bool ok, const char *what);
int verdict(void); /* prints RESULT, returns the exit code (0 = pass) */
void guest_exit(uint32_t code) __attribute__((noreturn));

/* RDMSR/WRMSR; false if they raised #GP (caught by the guest's IDT). */
bool rdmsr_safe(uint32_t msr, uint64_t *val);
bool wrmsr_safe(uint32_t msr, uint64_t val);
extern volatile uint32_t last_trap_vector;
extern volatile uint32_t last_trap_error; /* its error code (or 0) */
/* The next exception `vector` is expected: skip insn_len bytes at it. */
void expect_fault(uint32_t vector, uint32_t insn_len);
/* Whether it came (and stop expecting it). */
bool fault_seen(uint32_t vector);
/* Called for vectors 32-255 (interrupts) when set. */
extern void (*irq_handler)(uint32_t vector);

/* The Multiboot command line's arguments (after the kernel's path), and a
 * hex number parser for them. */
const char *cmdline(uint32_t info);
uint32_t parse_hex(const char *s);
/* The value after `key=` among the blank-separated words of s, or 0; the
 * same as a decimal number (0 when absent); whether the first word of s
 * is the first word of w. */
const char *word_value(const char *s, const char *key);
uint32_t word_number(const char *s, const char *key);
bool first_word_is(const char *s, const char *w);

/* Points IDT entry `vec` (the IDT start.S built) at `handler`, a 32-bit
 * interrupt gate. */
void idt_set_gate(unsigned vec, const void *handler);
/* Reports an exception nobody expected, RESULT: FAIL, and exits. */
void unexpected_trap(const struct trap_frame *f) __attribute__((noreturn));

/* VMCALL with the hypercall number in EAX, args in EBX, ECX, EDX. */
static inline int32_t vmcall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t ret;
	__asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return (int32_t)ret;
}

/* Paging on (CR4.PSE, CR3 = pd: 1024 4 MiB entries the caller filled) or
 * off, in 32-bit protected mode. */
void paging_4m(const uint32_t *pd, bool on);

int guest_main(uint32_t magic, uint32_t info);

#endif
