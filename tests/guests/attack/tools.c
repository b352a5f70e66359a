/* The hostile guest's shared tools: reporting, small helpers, interrupt
 * and NMI counting, the other vCPUs' start code, paging. */
#include "attack.h"

/* ---- reporting ---- */

void name_line(const char *what)
{
	puts_serial("ATTACK ");
	for (const char *c = current; *c && *c != ','; c++)
		putc_serial(*c);
	puts_serial(": ");
	puts_serial(what);
}

void start(void)
{
	name_line("start\n");
}

void contained(const char *why)
{
	name_line("contained (");
	puts_serial(why);
	puts_serial(")\n");
}

void escaped(const char *why)
{
	name_line("ESCAPED (");
	puts_serial(why);
	puts_serial(")\n");
}

/* Contained, but the VM saw something the architecture does not allow. */
void wrong_verdict(const char *why)
{
	name_line("WRONG (");
	puts_serial(why);
	puts_serial(")\n");
}

void note(const char *what, uint64_t v)
{
	name_line(what);
	putc_serial(' ');
	print_hex(v);
	putc_serial('\n');
}

void note_dec(const char *what, uint64_t v)
{
	name_line(what);
	putc_serial(' ');
	print_dec(v);
	putc_serial('\n');
}

/* ---- small tools ---- */

volatile uint32_t *apic_reg(uint32_t off)
{
	return (volatile uint32_t *)(APIC + off);
}

uint8_t cmos_read(uint8_t i)
{
	outb(0x70, i);
	return inb(0x71);
}

void cmos_write(uint8_t i, uint8_t v)
{
	outb(0x70, i);
	outb(0x71, v);
}

void spin_ticks(uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;
	while (rdtsc() < end)
		;
}

bool cpuid_bit(uint32_t leaf, uint32_t sub, int reg, int bit)
{
	uint32_t r[4];

	cpuid(leaf & 0x80000000u, 0, r);
	if (r[0] < leaf)
		return false;
	cpuid(leaf, sub, r);
	return (r[reg] >> bit) & 1;
}


/* MOV to CR4 (0f 22 /r: three bytes); false if it raised #GP. */
bool write_cr4_safe(uint32_t v)
{
	expect_fault(13, 3);
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
	return !fault_seen(13);
}

/* Runs n bytes of code (then a RET) with EAX = eax, EBX = a scratch
 * area; returns EAX.  With expect_fault() around it, a faulting
 * instruction of exactly n bytes is skipped to the RET. */
uint8_t codebuf[64] __attribute__((aligned(16)));
uint64_t scratch[8];

uint32_t run_code(const uint8_t *b, unsigned n, uint32_t eax)
{
	for (unsigned i = 0; i < n; i++)
		codebuf[i] = b[i];
	codebuf[n] = 0xc3;
	__asm__ volatile("call *%%ecx"
			 : "+a"(eax)
			 : "c"(codebuf), "b"(scratch)
			 : "edx", "esi", "edi", "memory", "cc");
	return eax;
}

/* ---- interrupts and NMIs ---- */

volatile uint32_t irq_count, nmi_count;
volatile bool eoi_pic, eoi_apic;
/* An interrupt storm leaves the guest no instruction between two
 * interrupts: the handler itself ends it after storm_max of them. */
uint32_t storm_max;
void (*storm_stop)(void);

void count_irq(uint32_t vector)
{
	(void)vector;
	irq_count++;
	if (storm_stop && irq_count >= storm_max) {
		storm_stop();
		storm_stop = 0;
	}
	if (eoi_pic) {
		if (vector >= 0x28)
			outb(0xa0, 0x20);
		outb(0x20, 0x20);
	}
	if (eoi_apic)
		*apic_reg(APIC_EOI) = 0;
}

/* The NMI handler: counts and returns (lib's handler would end the VM). */
__asm__(".text\n"
	".global nmi_stub\n"
	"nmi_stub:\n"
	"	lock incl nmi_count\n"
	"	iret\n");

void set_gate(unsigned vector, void (*fn)(void), unsigned dpl)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;
	uint32_t h = (uint32_t)fn;

	__asm__ volatile("sidt %0" : "=m"(d));
	((volatile uint64_t *)d.base)[vector] =
		(h & 0xffff) | (0x08ull << 16) |
		((uint64_t)(0x8e | (dpl << 5)) << 40) |
		((uint64_t)(h >> 16) << 48);
}

/* ---- paging: PAE with 2 MiB pages (first GiB identity), or 32-bit
 * paging with 4 KiB pages for the first 4 MiB ---- */

uint64_t pdpt[4] __attribute__((aligned(32)));
uint64_t pae_pd[512] __attribute__((aligned(4096)));
uint64_t pae_pd_probe[512] __attribute__((aligned(4096)));

/* Maps linear 0x40000000 (2 MiB) at guest-physical target and turns PAE
 * paging on. */
void pae_map_probe(uint64_t target)
{
	for (unsigned i = 0; i < 512; i++)
		pae_pd[i] = ((uint64_t)i << 21) | 0x83;
	pae_pd_probe[0] = (target & ~0x1fffffull) | 0x83;
	pdpt[0] = (uint32_t)pae_pd | 1;
	pdpt[1] = (uint32_t)pae_pd_probe | 1;
	write_cr4(read_cr4() | CR4_PAE);
	write_cr3((uint32_t)pdpt);
	write_cr0(read_cr0() | CR0_PG);
}

uint32_t pd32[1024] __attribute__((aligned(4096)));
uint32_t pt32[1024] __attribute__((aligned(4096)));

void paging32_on(void)
{
	for (unsigned i = 0; i < 1024; i++) {
		pt32[i] = (i << 12) | 3;
		pd32[i] = (i << 22) | 0x83; /* 4 MiB pages above */
	}
	pd32[0] = (uint32_t)pt32 | 3;
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((uint32_t)pd32);
	write_cr0(read_cr0() | CR0_PG);
}

void paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
	write_cr4(read_cr4() & ~(CR4_PAE | CR4_PSE));
}
