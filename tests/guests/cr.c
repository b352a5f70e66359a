/* Control registers through the read shadows, and XSETBV validation. */
#include "guest.h"

#define CR0_CD (1u << 30)
#define CR4_VMXE (1u << 13)

static uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

/* MOV to CR4 from EAX is 0f 22 e0: three bytes to skip on #GP. */
static void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"a"(v)); }
static void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"a"(v)); }

/* PAE paging turned on by a CR0 write that also clears CD, so that it
 * exits and hv carries it out: hv must load the four PDPTEs from CR3
 * into the VMCS, as the CPU would have loaded them (SDM Vol. 3A 4.4.1),
 * or the next entry walks with stale ones.  Identity 2 MiB pages over the
 * first GiB (PDPTE 0), and linear 1 GiB aliasing physical 0 (PDPTE 1). */
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define ALIAS_1G 0x40000000u
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd_low[512] __attribute__((aligned(4096)));
static uint64_t pd_alias[512] __attribute__((aligned(4096)));
static volatile uint32_t marker = 0x5aa5c33cu;

static bool pae_paging_through_exit(uint32_t cr0)
{
	uint32_t cr4 = read_cr4(), seen;

	for (unsigned i = 0; i < 512; i++)
		pd_low[i] = ((uint64_t)i << 21) | 0x83; /* P, RW, 2 MiB */
	pd_alias[0] = 0x83;                           /* -> physical 0 */
	pdpt[0] = (uint32_t)pd_low | 1;
	pdpt[1] = (uint32_t)pd_alias | 1;
	write_cr0(cr0 | CR0_CD);
	write_cr4(cr4 | CR4_PAE);
	__asm__ volatile("mov %0, %%cr3" ::"r"(pdpt) : "memory");
	write_cr0((cr0 & ~CR0_CD) | CR0_PG); /* CD changes: it exits */
	seen = *(volatile uint32_t *)(ALIAS_1G + (uint32_t)&marker);
	write_cr0(cr0);
	write_cr4(cr4);
	return seen == marker;
}

/* XSETBV is 0f 01 d1, three bytes. */
static void xsetbv(uint32_t lo, uint32_t hi) { __asm__ volatile("xsetbv" ::"c"(0), "a"(lo), "d"(hi)); }
static uint32_t xgetbv(void) { uint32_t lo, hi; __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0)); return lo; }

int guest_main(uint32_t magic, uint32_t info)
{
	uint32_t r[4], cr0;

	(void)magic, (void)info;
	check(!(read_cr4() & CR4_VMXE), "CR4.VMXE hidden");
	expect_fault(13, 3);
	write_cr4(read_cr4() | CR4_VMXE);
	check(fault_seen(13), "setting CR4.VMXE: #GP");
	cr0 = read_cr0();
	write_cr0(cr0 | CR0_CD);
	check(read_cr0() & CR0_CD, "CR0.CD reads back as written");
	write_cr0(cr0);
	check(!(read_cr0() & CR0_CD), "CR0.CD cleared again");
	/* CR0.CD makes the write exit, so hv decides these (SDM Vol. 2B MOV
	 * CR): reserved bits 15:6 are ignored, and paging with EFER.LME but
	 * without CR4.PAE is #GP (it failed the next VM entry before). */
	write_cr0(cr0 | CR0_CD | (1u << 10));
	check(!(read_cr0() & (1u << 10)), "CR0 reserved bit 10 ignored");
	write_cr0(cr0);
	if (wrmsr_safe(0xc0000080, 1u << 8)) {
		expect_fault(13, 3);
		write_cr0(cr0 | CR0_CD | (1u << 31));
		check(fault_seen(13), "CR0.PG with EFER.LME and no CR4.PAE: #GP");
		check(!(read_cr0() & (1u << 31)), "paging still off");
		wrmsr_safe(0xc0000080, 0);
	}
	check(pae_paging_through_exit(cr0),
	      "Vol. 3A 4.4.1: PAE paging turned on by a CR0 write hv carries "
	      "out walks with the PDPTEs CR3 names");
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 26))) {
		puts_serial("no XSAVE on this CPU: XSETBV checks skipped\n");
		return verdict();
	}
	write_cr4(read_cr4() | CR4_OSXSAVE);
	check(read_cr4() & CR4_OSXSAVE, "CR4.OSXSAVE set");
	cpuid(1, 0, r);
	check(r[2] & (1u << 27), "CPUID OSXSAVE follows the guest's CR4");
	expect_fault(13, 3);
	xsetbv(2, 0);
	check(fault_seen(13), "XSETBV without x87: #GP");
	expect_fault(13, 3);
	xsetbv(1u << 2 | 1, 0);
	check(fault_seen(13), "XSETBV AVX without SSE: #GP");
	xsetbv(3, 0);
	check(xgetbv() == 3, "XSETBV x87|SSE accepted");
	return verdict();
}
