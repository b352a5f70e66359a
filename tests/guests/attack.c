/* The hostile guest (issue 9): one attack on the hypervisor per name on
 * its command line, "attack=NAME[,NAME...]", run in that order.  Each
 * prints "ATTACK NAME: start", then, where the guest itself can judge,
 * "ATTACK NAME: contained (...)" or "ATTACK NAME: ESCAPED (...)".  Attacks
 * that must end their VM (memory outside RAM, a triple fault, an
 * unemulated MMIO instruction) end it; tests/boot_tests.py judges those
 * from the hypervisor's log ("vm X: stopped: ...").  See the list in
 * docs/ARCHITECTURE.md, "The hostile-guest suite". */
#include "guest.h"

#define APIC 0xfee00000u
#define APIC_ID 0x020
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_DCR 0x3e0
#define IOAPIC 0xfec00000u
#define TESTDEV 0xfeb00000u

#define MSR_FEATURE_CONTROL 0x03a
#define MSR_APIC_BASE 0x01b
#define MSR_BIOS_UPDT_TRIG 0x079
#define MSR_SMBASE 0x09e
#define MSR_SMM_MONITOR_CTL 0x09b
#define MSR_MCG_CTL 0x17b
#define MSR_DEBUGCTL 0x1d9
#define MSR_SMRR_BASE 0x1f2
#define MSR_SMRR_MASK 0x1f3
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_FIX64K 0x250
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_MC0_CTL 0x400
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_LAST 0x491
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_ICR 0x830
#define MSR_EFER 0xc0000080

#define CMOS_BOOTS 0x50 /* a CMOS byte of the VM's own RTC: survives resets */

enum { HC_VERSION = 0, HC_CONSOLE_WRITE = 1, HC_EXIT = 2 };
enum { HV_EPERM = -1, HV_EFAULT = -14, HV_EINVAL = -22, HV_ENOSYS = -38 };

static const char *current;
static uint32_t ram_end;

/* ---- reporting ---- */

static void name_line(const char *what)
{
	puts_serial("ATTACK ");
	for (const char *c = current; *c && *c != ','; c++)
		putc_serial(*c);
	puts_serial(": ");
	puts_serial(what);
}

static void start(void)
{
	name_line("start\n");
}

static void contained(const char *why)
{
	name_line("contained (");
	puts_serial(why);
	puts_serial(")\n");
}

static void escaped(const char *why)
{
	name_line("ESCAPED (");
	puts_serial(why);
	puts_serial(")\n");
}

/* Contained, but the VM saw something the architecture does not allow. */
static void wrong_verdict(const char *why)
{
	name_line("WRONG (");
	puts_serial(why);
	puts_serial(")\n");
}

static void note(const char *what, uint64_t v)
{
	name_line(what);
	putc_serial(' ');
	print_hex(v);
	putc_serial('\n');
}

static void note_dec(const char *what, uint64_t v)
{
	name_line(what);
	putc_serial(' ');
	print_dec(v);
	putc_serial('\n');
}

/* ---- small tools ---- */

static volatile uint32_t *apic_reg(uint32_t off)
{
	return (volatile uint32_t *)(APIC + off);
}

static uint8_t cmos_read(uint8_t i)
{
	outb(0x70, i);
	return inb(0x71);
}

static void cmos_write(uint8_t i, uint8_t v)
{
	outb(0x70, i);
	outb(0x71, v);
}

static void spin_ticks(uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;
	while (rdtsc() < end)
		;
}

static bool cpuid_bit(uint32_t leaf, uint32_t sub, int reg, int bit)
{
	uint32_t r[4];

	cpuid(leaf & 0x80000000u, 0, r);
	if (r[0] < leaf)
		return false;
	cpuid(leaf, sub, r);
	return (r[reg] >> bit) & 1;
}
enum { EAX, EBX, ECX, EDX };

static uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

/* MOV to CR4 (0f 22 /r: three bytes); false if it raised #GP. */
static bool write_cr4_safe(uint32_t v)
{
	expect_fault(13, 3);
	__asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
	return !fault_seen(13);
}

/* Runs n bytes of code (then a RET) with EAX = eax, EBX = a scratch
 * area; returns EAX.  With expect_fault() around it, a faulting
 * instruction of exactly n bytes is skipped to the RET. */
static uint8_t codebuf[64] __attribute__((aligned(16)));
static uint64_t scratch[8];

static uint32_t run_code(const uint8_t *b, unsigned n, uint32_t eax)
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

static volatile uint32_t irq_count, nmi_count;
static volatile bool eoi_pic, eoi_apic;
/* An interrupt storm leaves the guest no instruction between two
 * interrupts: the handler itself ends it after storm_max of them. */
static uint32_t storm_max;
static void (*storm_stop)(void);

static void count_irq(uint32_t vector)
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
	"nmi_stub:\n"
	"	lock incl nmi_count\n"
	"	iret\n");
void nmi_stub(void);

static void set_gate(unsigned vector, void (*fn)(void), unsigned dpl)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d;
	uint32_t h = (uint32_t)fn;

	__asm__ volatile("sidt %0" : "=m"(d));
	((volatile uint64_t *)d.base)[vector] =
		(h & 0xffff) | (0x08ull << 16) |
		((uint64_t)(0x8e | (dpl << 5)) << 40) |
		((uint64_t)(h >> 16) << 48);
}

/* The real-mode code the other vCPUs start in (SIPI vector 0x20: CS =
 * 0x2000): count the start in the word at 0x7000, then halt with
 * interrupts off; an NMI (IVT entry 2 -> 2000:0010) returns to the halt.
 * At 0x21000 (vector 0x21): spin with interrupts off. */
#define AP_VECTOR 0x20
#define AP_SPIN_VECTOR 0x21
#define AP_STARTS ((volatile uint16_t *)0x7000)

static void install_ap_code(void)
{
	static const uint8_t halt[] = { 0xfa, 0xff, 0x06, 0x00, 0x70, 0xf4, 0xeb, 0xfd };
	static const uint8_t spin[] = { 0xfa, 0xff, 0x06, 0x02, 0x70, 0xeb, 0xfe };
	uint8_t *p = (uint8_t *)0x20000, *q = (uint8_t *)0x21000;

	for (unsigned i = 0; i < sizeof(halt); i++)
		p[i] = halt[i];
	p[0x10] = 0xcf; /* IRET */
	for (unsigned i = 0; i < sizeof(spin); i++)
		q[i] = spin[i];
	volatile uint32_t *ivt = 0;
	__asm__("" : "+r"(ivt)); /* address 0 is RAM here, not NULL */
	ivt[2] = 0x20000010u; /* IVT[2] = 2000:0010 */
	/* What the "bad" SIPI vectors 0x00 and 0xff start: halt, too (IVT
	 * entries 0 and 1 are not used here). */
	ivt[0] = 0xfdebf4fau; /* cli; hlt; jmp $-3 */
	*(volatile uint32_t *)0xff000 = 0xfdebf4fau;
	AP_STARTS[0] = AP_STARTS[1] = 0;
}

static void send_ipi(uint32_t dest, uint32_t lo)
{
	*apic_reg(APIC_ICR_HI) = dest << 24;
	*apic_reg(APIC_ICR_LO) = lo;
}
#define ICR_INIT 0x00004500u
#define ICR_SIPI 0x00004600u
#define ICR_NMI 0x00004400u
#define ICR_FIXED 0x00004000u
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)

/* ---- paging: PAE with 2 MiB pages (first GiB identity), or 32-bit
 * paging with 4 KiB pages for the first 4 MiB ---- */

static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd[512] __attribute__((aligned(4096)));
static uint64_t pae_pd_probe[512] __attribute__((aligned(4096)));
#define CR0_PG 0x80000000u
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)

/* Maps linear 0x40000000 (2 MiB) at guest-physical target and turns PAE
 * paging on. */
static void pae_map_probe(uint64_t target)
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

static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint32_t pt32[1024] __attribute__((aligned(4096)));

static void paging32_on(void)
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

static void paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
	write_cr4(read_cr4() & ~(CR4_PAE | CR4_PSE));
}

/* ==== memory outside RAM (each ends the VM) ==== */

/* A 4-byte write across the last byte of RAM: two bytes in, two out. */
static void a_ram_straddle(void)
{
	start();
	*(volatile uint32_t *)(ram_end - 2) = 0xbadc0de;
	escaped("a write across the end of RAM returned");
}

/* Jump to code just past RAM. */
static void a_exec_outside(void)
{
	start();
	((void (*)(void))(ram_end + 0x1000))();
	escaped("code outside RAM ran and returned");
}

/* PAE paging to write at guest-physical 4 GiB. */
static void a_gpa_4g(void)
{
	start();
	pae_map_probe(0x100000000ull);
	*(volatile uint32_t *)0x40000010u = 0xbad;
	escaped("a write at guest-physical 4 GiB returned");
}

/* The highest guest-physical page MAXPHYADDR allows. */
static void a_gpa_top(void)
{
	uint32_t r[4];
	unsigned maxphy = 36;

	start();
	cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000008u) {
		cpuid(0x80000008u, 0, r);
		maxphy = r[0] & 0xff;
	}
	note_dec("MAXPHYADDR", maxphy);
	pae_map_probe((1ull << maxphy) - 0x200000);
	(void)*(volatile uint32_t *)(0x40000000u + 0x1ff000u);
	escaped("a read at the top guest-physical page returned");
}

/* The hypervisor's and the other VMs' likely host-physical addresses:
 * one probe per boot, the VM restarting after each (on_crash = restart);
 * the boot count lives in the VM's CMOS, which a restart keeps. */
static void a_host_sweep(void)
{
	static const uint32_t probes[] = { 0x01000000u, 0x08000000u,
					   0x1f000000u, 0xfffff000u };
	uint8_t boot = cmos_read(CMOS_BOOTS);

	start();
	cmos_write(CMOS_BOOTS, (uint8_t)(boot + 1));
	if (boot >= sizeof(probes) / sizeof(probes[0])) {
		contained("every probe stopped the VM");
		return;
	}
	note("probing", probes[boot]);
	(void)*(volatile uint32_t *)probes[boot];
	escaped("a read outside RAM returned");
}

/* ==== a sibling's memory ==== */

#define PATTERN_HI 0x5a5a0000u /* tests/guests/pattern.c writes 0x5a5ac0de ^ i */
#define HONEST_HI 0x484f0000u  /* tests/guests/honest.c's register words */

/* Scans all of its RAM outside its image, several times while the others
 * run, for the pattern guest's words and the honest VM's: RAM is private
 * and zeroed, so neither may ever appear. */
static void a_sibling_scan(void)
{
	uint32_t foreign = 0, nonzero = 0;

	start();
	for (int pass = 0; pass < 3; pass++) {
		for (uint32_t a = 0x200000; a < ram_end; a += 4) {
			uint32_t w = *(volatile uint32_t *)a;
			nonzero += w != 0;
			foreign += (w & 0xffff0000u) == PATTERN_HI ||
				   (w & 0xffff0000u) == HONEST_HI;
		}
		/* Below the image: the real-mode area the loader does not use. */
		for (uint32_t a = 0x10000; a < 0x9f000; a += 4) {
			uint32_t w = *(volatile uint32_t *)a;
			foreign += (w & 0xffff0000u) == PATTERN_HI ||
				   (w & 0xffff0000u) == HONEST_HI;
		}
		for (int i = 0; i < 20000; i++)
			__asm__ volatile("pause");
	}
	/* Its own marks everywhere: the pattern VM checks its RAM is intact. */
	for (uint32_t a = 0x200000; a < ram_end; a += 4)
		*(volatile uint32_t *)a = 0xa77ac000u;
	note_dec("nonzero words", nonzero);
	note_dec("foreign words", foreign);
	if (foreign || nonzero)
		escaped("another VM's data is in this VM's RAM");
	else
		contained("no word of another VM in its RAM");
}

/* ==== MSRs ==== */

static bool gp_on_write(uint32_t msr, uint64_t v) { return !wrmsr_safe(msr, v); }

static void a_msr_feature_control(void)
{
	uint64_t v = 0;
	bool readable;

	start();
	readable = rdmsr_safe(MSR_FEATURE_CONTROL, &v);
	if (readable)
		note("reads", v);
	if (!gp_on_write(MSR_FEATURE_CONTROL, 5) || !gp_on_write(MSR_FEATURE_CONTROL, 1))
		escaped("IA32_FEATURE_CONTROL accepted a write (lock/VMX)");
	else if (readable && (v & 4))
		escaped("IA32_FEATURE_CONTROL shows VMX enabled to the guest");
	else
		contained("writes raise #GP");
}

static void a_msr_vmx_caps(void)
{
	unsigned readable = 0, writable = 0;
	uint64_t v;

	start();
	for (uint32_t m = MSR_VMX_BASIC; m <= MSR_VMX_LAST; m++) {
		readable += rdmsr_safe(m, &v);
		writable += wrmsr_safe(m, 0);
	}
	note_dec("readable", readable);
	if (readable || writable)
		escaped("VMX capability MSRs answer a guest that has no VMX");
	else
		contained("all 18 raise #GP");
}

static void a_msr_efer(void)
{
	uint64_t before = 0, after = 0;
	bool bad = false;

	start();
	rdmsr_safe(MSR_EFER, &before);
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 12)); /* SVME */
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 1));  /* reserved */
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 63));
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 13)); /* LMSLE */
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 15)); /* TCE */
	rdmsr_safe(MSR_EFER, &after);
	if (bad || after != before)
		escaped("EFER took a reserved or hidden bit");
	else
		contained("reserved/SVME/LMSLE/TCE bits raise #GP");
}

static void a_msr_apic_base(void)
{
	uint64_t base = 0, after = 0;
	bool bad = false;

	start();
	rdmsr_safe(MSR_APIC_BASE, &base);
	note("base", base);
	bad |= !gp_on_write(MSR_APIC_BASE, (base & 0xfff) | 0xfed00000u); /* over the HPET */
	bad |= !gp_on_write(MSR_APIC_BASE, (base & 0xfff) | 0x00100000u); /* over its own RAM */
	bad |= !gp_on_write(MSR_APIC_BASE, base | (1ull << 40));
	bad |= !gp_on_write(MSR_APIC_BASE, base | (1u << 9));  /* reserved */
	bad |= !gp_on_write(MSR_APIC_BASE, (base & ~(1ull << 11)) | (1u << 10)); /* x2APIC without enable */
	rdmsr_safe(MSR_APIC_BASE, &after);
	if (bad || after != base || (*apic_reg(APIC_ID) >> 24) != 0)
		escaped("the APIC moved or took a reserved bit");
	else
		contained("relocation and reserved bits raise #GP; APIC still at 0xfee00000");
}

static void a_msr_pat(void)
{
	static const uint8_t invalid[] = { 2, 3, 8, 0xff };
	uint64_t before = 0, after = 0;
	bool bad = false;

	start();
	rdmsr_safe(MSR_PAT, &before);
	for (unsigned b = 0; b < 8; b++)
		for (unsigned i = 0; i < sizeof(invalid); i++)
			bad |= !gp_on_write(MSR_PAT, (before & ~(0xffull << (8 * b))) |
						     ((uint64_t)invalid[i] << (8 * b)));
	rdmsr_safe(MSR_PAT, &after);
	if (bad || after != before)
		escaped("PAT took an invalid memory type");
	else
		contained("types 2, 3, 8, 0xff raise #GP in every entry");
}

static void a_msr_mtrr(void)
{
	bool bad = false;
	uint64_t v;

	start();
	bad |= !gp_on_write(MSR_MTRR_PHYSBASE0, 0x6);
	bad |= !gp_on_write(MSR_MTRR_PHYSBASE0 + 1, 0xfff0000800ull);
	bad |= !gp_on_write(MSR_MTRR_FIX64K, 0x0606060606060606ull);
	bad |= !gp_on_write(MSR_MTRR_DEF_TYPE, 0xc06 | (1ull << 12));
	bad |= !gp_on_write(MSR_MTRR_DEF_TYPE, 1ull << 40);
	if (!wrmsr_safe(MSR_MTRR_DEF_TYPE, 0xc06) || !rdmsr_safe(MSR_MTRR_DEF_TYPE, &v) ||
	    v != 0xc06)
		bad = true;
	if (bad)
		escaped("an MTRR the guest does not have took a write");
	else
		contained("no variable/fixed MTRRs; DEF_TYPE reserved bits raise #GP");
}

/* IA32_BIOS_UPDT_TRIG: on the host it would load "microcode" from the
 * linear address given, in root mode. */
static void a_msr_microcode(void)
{
	static uint8_t junk[2048] __attribute__((aligned(16)));
	uint64_t sig = 0;
	bool took;

	start();
	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7);
	took = wrmsr_safe(MSR_BIOS_UPDT_TRIG, (uint32_t)junk);
	wrmsr_safe(0x8b, 0);
	rdmsr_safe(0x8b, &sig);
	note("update signature", sig);
	contained(took ? "write ignored" : "write raises #GP");
}

static void a_msr_mc_banks(void)
{
	bool bad = false;
	uint64_t cap = 0;

	start();
	rdmsr_safe(0x179, &cap);
	note("MCG_CAP", cap);
	for (uint32_t m = MSR_MC0_CTL; m < MSR_MC0_CTL + 4 * 10; m++)
		bad |= (cap & 0xff) == 0 && !gp_on_write(m, 0xffffffffffffffffull);
	bad |= !gp_on_write(MSR_MCG_CTL, 0xffffffffffffffffull) && !(cap & (1u << 8));
	wrmsr_safe(0x17a, 0x7); /* MCG_STATUS: MCIP|EIPV|RIPV */
	if (bad)
		escaped("machine-check bank MSRs took writes");
	else
		contained("no banks: writes raise #GP");
}

static void a_msr_debugctl(void)
{
	uint64_t v = 0;
	bool took;

	start();
	took = wrmsr_safe(MSR_DEBUGCTL, 0x3); /* LBR | BTF */
	rdmsr_safe(MSR_DEBUGCTL, &v);
	wrmsr_safe(MSR_DEBUGCTL, 0);
	if (!gp_on_write(MSR_DEBUGCTL, 1ull << 40))
		escaped("DEBUGCTL took a reserved bit");
	else
		contained(took ? "LBR|BTF accepted for the guest alone" : "raises #GP");
}

static void a_msr_smm(void)
{
	uint64_t v;
	bool bad = false;

	start();
	bad |= rdmsr_safe(MSR_SMBASE, &v);
	bad |= !gp_on_write(MSR_SMBASE, 0x30000);
	bad |= !gp_on_write(MSR_SMM_MONITOR_CTL, 1);
	bad |= !gp_on_write(MSR_SMRR_BASE, 0x6);
	bad |= !gp_on_write(MSR_SMRR_MASK, 0x800);
	if (bad)
		escaped("an SMM MSR answered");
	else
		contained("SMBASE, SMM_MONITOR_CTL and SMRR raise #GP");
}

/* Addresses the hypervisor loads in root on every switch back (the
 * SYSCALL MSRs, KERNEL_GS_BASE) or that live in the VMCS (FS/GS base,
 * SYSENTER): a non-canonical value must be refused at the guest's WRMSR,
 * never reach a root-mode WRMSR. */
static void a_msr_canonical(void)
{
	static const uint32_t msrs[] = { 0x175, 0x176, 0xc0000082u,
					 0xc0000083u, 0xc0000100u, 0xc0000101u,
					 0xc0000102u };
	unsigned took = 0;

	start();
	for (unsigned i = 0; i < sizeof(msrs) / 4; i++) {
		uint64_t before = 0, after = 0;
		rdmsr_safe(msrs[i], &before);
		took += !gp_on_write(msrs[i], 0x8000000000000000ull);
		took += !gp_on_write(msrs[i], 0x0000800000000000ull);
		rdmsr_safe(msrs[i], &after);
		if (after != before) {
			note("changed by a refused write:", msrs[i]);
			took++;
		}
	}
	/* TSC and TSC_ADJUST at their extremes: this VM's clock only. */
	wrmsr_safe(0x10, 0xffffffffffffff00ull);
	wrmsr_safe(0x3b, 1ull << 62);
	wrmsr_safe(0x3b, 0);
	wrmsr_safe(0x10, 0);
	note_dec("accepted", took);
	if (took)
		escaped("a non-canonical address was taken for a root-mode reload");
	else
		contained("non-canonical bases and entry points raise #GP");
}

/* x2APIC: interrupts to APIC IDs that do not exist, and every delivery
 * mode to them; then a fixed self-IPI that must arrive. */
static void a_msr_x2apic_icr(void)
{
	uint64_t base = 0;

	start();
	if (!cpuid_bit(1, 0, ECX, 21)) {
		contained("no x2APIC in CPUID: not tried");
		return;
	}
	set_gate(2, nmi_stub, 0);
	irq_handler = count_irq;
	irq_count = 0;
	rdmsr_safe(MSR_APIC_BASE, &base);
	if (!wrmsr_safe(MSR_APIC_BASE, base | (1u << 10))) {
		escaped("x2APIC announced but cannot be enabled");
		return;
	}
	static const uint32_t dests[] = { 1, 7, 0xff, 0x1234, 0xfffffffe };
	static const uint32_t modes[] = { 0x4040, 0x4140, 0x4400, 0x4500, 0x4608, 0x4240, 0x4740 };
	unsigned faults = 0;
	for (unsigned d = 0; d < sizeof(dests) / 4; d++)
		for (unsigned m = 0; m < sizeof(modes) / 4; m++) {
			faults += !wrmsr_safe(MSR_X2APIC_ICR,
					      ((uint64_t)dests[d] << 32) | modes[m]);
			faults += !wrmsr_safe(MSR_X2APIC_ICR,
					      ((uint64_t)dests[d] << 32) | modes[m] | (1u << 11));
		}
	wrmsr_safe(0x808, 0); /* TPR */
	wrmsr_safe(0x80f, 0x1ff); /* SVR: enabled */
	eoi_apic = false;
	wrmsr_safe(MSR_X2APIC_ICR, 0x4041 | ICR_SELF);
	__asm__ volatile("sti; nop; nop; cli");
	wrmsr_safe(0x80b, 0); /* EOI */
	/* Back to xAPIC (through disabled: the only legal way). */
	wrmsr_safe(MSR_APIC_BASE, base & ~((1ull << 10) | (1ull << 11)));
	wrmsr_safe(MSR_APIC_BASE, base);
	irq_handler = 0;
	note_dec("rejected ICR writes", faults);
	note_dec("self-IPIs received", irq_count);
	if (irq_count != 1)
		wrong_verdict("the self-IPI did not arrive exactly once");
	else
		contained("IPIs to missing vCPUs dropped; the self-IPI arrived");
}

/* Every MSR index in the low and high ranges read, and written with zero
 * except the few whose zero would hurt this VM itself. */
static void a_msr_sweep(void)
{
	static const uint32_t ranges[][2] = {
		{ 0x0, 0x2000 }, { 0x40000000u, 0x40000100u },
		{ 0xc0000000u, 0xc0002000u }, { 0xc0010000u, 0xc0010100u },
		{ 0xfffffff0u, 0xffffffffu },
	};
	unsigned readable = 0, writable = 0;
	uint64_t v;

	start();
	for (unsigned r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (uint32_t m = ranges[r][0]; m < ranges[r][1]; m++) {
			readable += rdmsr_safe(m, &v);
			if (m == 0x10 || m == MSR_APIC_BASE || m == MSR_PAT ||
			    m == MSR_MTRR_DEF_TYPE || m == MSR_EFER || m == 0x6e0)
				continue;
			writable += wrmsr_safe(m, 0);
		}
	note_dec("readable", readable);
	note_dec("writable (zero)", writable);
	contained("every index answered with a value or #GP");
}

/* ==== VMX instructions, CR4, XCR0 ==== */

static void a_vmx_insns(void)
{
	static const struct { const char *name; uint8_t b[6]; unsigned n; } insns[] = {
		{ "VMXON", { 0xf3, 0x0f, 0xc7, 0x33 }, 4 },
		{ "VMXOFF", { 0x0f, 0x01, 0xc4 }, 3 },
		{ "VMCLEAR", { 0x66, 0x0f, 0xc7, 0x33 }, 4 },
		{ "VMPTRLD", { 0x0f, 0xc7, 0x33 }, 3 },
		{ "VMPTRST", { 0x0f, 0xc7, 0x3b }, 3 },
		{ "VMREAD", { 0x0f, 0x78, 0xc3 }, 3 },
		{ "VMWRITE", { 0x0f, 0x79, 0xc3 }, 3 },
		{ "VMLAUNCH", { 0x0f, 0x01, 0xc2 }, 3 },
		{ "VMRESUME", { 0x0f, 0x01, 0xc3 }, 3 },
		{ "INVEPT", { 0x66, 0x0f, 0x38, 0x80, 0x03 }, 5 },
		{ "INVVPID", { 0x66, 0x0f, 0x38, 0x81, 0x03 }, 5 },
		{ "VMFUNC", { 0x0f, 0x01, 0xd4 }, 3 },
		{ "GETSEC", { 0x0f, 0x37 }, 2 },
		{ "VMMCALL", { 0x0f, 0x01, 0xd9 }, 3 },
		{ "ENCLS", { 0x0f, 0x01, 0xcf }, 3 },
	};
	unsigned ran = 0;

	start();
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		scratch[0] = 0x1000; /* a "VMCS" address inside its RAM */
		expect_fault(6, insns[i].n);
		run_code(insns[i].b, insns[i].n, 0);
		if (!fault_seen(6)) {
			name_line("ran without #UD: ");
			puts_serial(insns[i].name);
			putc_serial('\n');
			ran++;
		}
	}
	if (ran)
		escaped("a VMX instruction did not raise #UD");
	else
		contained("all 15 raise #UD");
}

/* CR4: a bit CPUID does not announce (or that is reserved) must raise
 * #GP; VMXE and SMXE above all. */
static bool cr4_announced(unsigned bit)
{
	switch (bit) {
	case 0: case 1: return cpuid_bit(1, 0, EDX, 1);  /* VME, PVI */
	case 2: return cpuid_bit(1, 0, EDX, 4);  /* TSD */
	case 3: return cpuid_bit(1, 0, EDX, 2);  /* DE */
	case 4: return cpuid_bit(1, 0, EDX, 3);  /* PSE */
	case 5: return cpuid_bit(1, 0, EDX, 6);  /* PAE */
	case 6: return cpuid_bit(1, 0, EDX, 7);  /* MCE */
	case 7: return cpuid_bit(1, 0, EDX, 13); /* PGE */
	case 8: return true;                      /* PCE */
	case 9: return cpuid_bit(1, 0, EDX, 24); /* OSFXSR */
	case 10: return cpuid_bit(1, 0, EDX, 25); /* OSXMMEXCPT */
	case 11: return cpuid_bit(7, 0, ECX, 2);  /* UMIP */
	case 12: return cpuid_bit(7, 0, ECX, 16); /* LA57 */
	case 13: return cpuid_bit(1, 0, ECX, 5);  /* VMXE */
	case 14: return cpuid_bit(1, 0, ECX, 6);  /* SMXE */
	case 16: return cpuid_bit(7, 0, EBX, 0);  /* FSGSBASE */
	case 17: return false;                    /* PCIDE: only in IA-32e mode */
	case 18: return cpuid_bit(1, 0, ECX, 26); /* OSXSAVE */
	case 19: return cpuid_bit(7, 0, ECX, 23); /* KL */
	case 20: return cpuid_bit(7, 0, EBX, 7);  /* SMEP */
	case 21: return cpuid_bit(7, 0, EBX, 20); /* SMAP */
	case 22: return cpuid_bit(7, 0, ECX, 3);  /* PKE */
	case 23: return false; /* CET: #GP while CR0.WP = 0, as here */
	case 24: return cpuid_bit(7, 0, ECX, 31); /* PKS */
	case 25: return cpuid_bit(7, 0, EDX, 5);  /* UINTR */
	default: return false;
	}
}

static void a_cr4_reserved(void)
{
	uint32_t cr4 = read_cr4();
	unsigned wrong = 0;

	start();
	for (unsigned bit = 0; bit < 32; bit++) {
		if (cr4 & (1u << bit))
			continue;
		bool ok = write_cr4_safe(cr4 | (1u << bit));
		if (ok)
			write_cr4(cr4);
		if (ok && !cr4_announced(bit)) {
			note_dec("accepted a bit CPUID does not announce:", bit);
			wrong++;
		}
	}
	if (read_cr4() != cr4)
		wrong++;
	if (wrong)
		wrong_verdict("CR4 took a bit the guest's CPU does not have");
	else
		contained("every unannounced or reserved bit raises #GP");
}

static bool xsetbv_fault(uint32_t index, uint64_t v, unsigned vector)
{
	expect_fault(vector, 3);
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
	return fault_seen(vector);
}

/* XCR0 values no CPU takes: no x87, AVX without SSE, reserved and
 * unsupported bits, XCR1; and XSETBV before CR4.OSXSAVE (#UD).  Only
 * XCR0 = x87 is ever set, so no state of this VM depends on it. */
static void a_xcr0_reserved(void)
{
	uint32_t r[4], cr4 = read_cr4();
	uint64_t supported;
	unsigned wrong = 0;

	start();
	if (!cpuid_bit(1, 0, ECX, 26)) {
		contained("no XSAVE in CPUID: not tried");
		return;
	}
	cpuid(0xd, 0, r);
	supported = ((uint64_t)r[3] << 32) | r[0];
	wrong += !xsetbv_fault(0, 1, 6); /* OSXSAVE still clear: #UD */
	write_cr4(cr4 | (1u << 18));
	wrong += !xsetbv_fault(0, 0, 13);
	wrong += !xsetbv_fault(0, 2, 13);
	wrong += !xsetbv_fault(0, 5, 13);
	wrong += !xsetbv_fault(1, 1, 13);
	wrong += !xsetbv_fault(0xffffffffu, 1, 13);
	for (unsigned bit = 2; bit < 64; bit++)
		if (!((supported >> bit) & 1))
			wrong += !xsetbv_fault(0, 3 | (1ull << bit), 13);
	wrong += xsetbv_fault(0, 1, 13); /* x87 alone is valid */
	write_cr4(cr4);
	note("XCR0 supported", supported);
	if (wrong)
		wrong_verdict("XSETBV took a value the CPU refuses");
	else
		contained("reserved, unsupported and inconsistent XCR0 values raise #GP");
}

/* ==== host ports ==== */

static uint32_t pci_read(uint32_t bdf, uint32_t reg)
{
	outl(0xcf8, 0x80000000u | (bdf << 8) | reg);
	return inl(0xcfc);
}

/* Config space: the VM sees its own bus (the emulated host bridge at
 * 00:00.0, nothing else here); writes to the host bridge's PAM and SMRAM
 * registers (which on the host would open SMRAM or shadow the BIOS) do
 * not stick. */
static void a_pci_config(void)
{
	unsigned found = 0;
	bool bad = false;

	start();
	for (uint32_t bus = 0; bus < 256; bus++)
		for (uint32_t dev = 0; dev < 32; dev++) {
			if (bus && dev)
				break; /* buses 1-255: device 0 only, to keep it short */
			for (uint32_t fn = 0; fn < 8; fn++) {
				uint32_t id = pci_read((bus << 8) | (dev << 3) | fn, 0);
				if ((id & 0xffff) != 0xffff) {
					found++;
					name_line("sees");
					putc_serial(' ');
					print_hex((bus << 8) | (dev << 3) | fn);
					putc_serial(' ');
					print_hex(id);
					putc_serial('\n');
					bad |= bus || dev || fn;
				}
			}
		}
	uint32_t pam = pci_read(0, 0x58), smram = pci_read(0, 0x70);
	outl(0xcf8, 0x80000058u);
	outl(0xcfc, 0x33333333u); /* PAM: BIOS shadow read/write */
	outl(0xcf8, 0x80000070u);
	outb(0xcfe, 0x4a); /* i440FX SMRAM: D_OPEN | G_SMRAME */
	outw(0xcf8, 0x1234); /* not a dword: not the address register */
	outb(0xcfb, 0x80);
	bad |= pci_read(0, 0x58) != pam || pci_read(0, 0x70) != smram;
	outl(0xcf8, 0); /* and disabled */
	bad |= inl(0xcfc) != 0xffffffffu;
	if (bad)
		escaped("config space beyond the VM's own bus, or a host bridge write stuck");
	else
		contained("only its own host bridge; PAM/SMRAM writes dropped");
}

/* The legacy ports of the host's chipset: each is emulated for this VM
 * or dropped.  Had any reached the host: 0x92 bit 0 and 0x8900
 * "Shutdown" end the machine, the PIC/PIT/RTC writes remap or stop the
 * host's interrupts and clock, and the debug ports print ATTACK-LEAK on
 * the emulator's console (the harness rejects that). */
static void a_host_ports(void)
{
	static const char leak[] = "ATTACK-LEAK\n";
	static const char shutdown[] = "Shutdown";

	start();
	/* 8259 PICs: re-initialise with vectors 0x08/0x10 (the host's
	 * exception vectors, were it the host's PIC), all masked. */
	outb(0x20, 0x11); outb(0x21, 0x08); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x10); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
	outb(0x4d0, 0xff); outb(0x4d1, 0xff); /* ELCR */
	/* PIT: channel 0 stopped in mode 0, channel 2 and the speaker on. */
	outb(0x43, 0x30); outb(0x40, 0); outb(0x40, 0);
	outb(0x43, 0xb6); outb(0x42, 1); outb(0x42, 0); outb(0x61, 3);
	/* RTC: the NMI-mask bit, the rate, the shutdown-status byte. */
	outb(0x70, 0x8a); outb(0x71, 0x2f);
	outb(0x70, 0x0b); outb(0x71, 0xff);
	outb(0x70, 0x0f); outb(0x71, 0x0a);
	/* Keyboard controller: write output port (bit 0 clear = reset on a
	 * real 8042), disable keyboard, A20 through 0x92 and reset. */
	outb(0x64, 0xd1); outb(0x60, 0x00);
	outb(0x64, 0xad);
	/* ISA DMA: channel 2 aimed at host memory 0x00000, started. */
	outb(0x0c, 0); outb(0x04, 0); outb(0x04, 0); outb(0x81, 0);
	outb(0x05, 0xff); outb(0x05, 0xff); outb(0x0b, 0x46); outb(0x0a, 0x02);
	/* SMI command port, POST code, ACPI PM of Bochs/QEMU (PIIX4: 0xb000),
	 * QEMU's ICH9 (0x600 is this VM's own: not touched). */
	outb(0xb2, 0x00);
	outb(0x80, 0xaa);
	outw(0xb004, 0x2000 | (5u << 10));
	outw(0x404, 0x2000 | (5u << 10));
	/* Debug consoles: Bochs/QEMU 0xe9, 0x402, 0x500 (and 0x8900). */
	for (const char *c = leak; *c; c++) {
		outb(0xe9, (uint8_t)*c);
		outb(0x402, (uint8_t)*c);
		outb(0x500, (uint8_t)*c);
	}
	for (const char *c = shutdown; *c; c++)
		outb(0x8900, (uint8_t)*c);
	/* Fast reset / A20 last: had it reached the host, nothing follows. */
	outb(0x92, 0x03);
	/* Its own UART (the hypervisor's console is a host device):
	 * loopback and a new divisor, then back. */
	uint8_t lcr = inb(0x3fb), mcr = inb(0x3fc);
	outb(0x3fb, 0x80); outb(0x3f8, 0x01); outb(0x3f9, 0x00);
	outb(0x3fb, lcr); outb(0x3fc, 0x10);
	outb(0x3fc, mcr);
	cmos_write(0x0b, 0x02); /* its own RTC back to its defaults */
	contained("the VM runs on; the host and its console unaffected");
}

/* ==== hypercalls ==== */

static void a_hypercall_bad(void)
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

static void a_hypercall_cpl3(void)
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

/* ==== MMIO ==== */

static uint32_t mmio_rd(uint32_t a, unsigned size)
{
	uint32_t v = 0;
	if (size == 1)
		__asm__ volatile("movb (%1), %b0" : "+q"(v) : "r"(a) : "memory");
	else if (size == 2)
		__asm__ volatile("movw (%1), %w0" : "+r"(v) : "r"(a) : "memory");
	else
		__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void mmio_wr(uint32_t a, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("movb %b0, (%1)" ::"q"(v), "r"(a) : "memory");
	else if (size == 2)
		__asm__ volatile("movw %w0, (%1)" ::"r"(v), "r"(a) : "memory");
	else
		__asm__ volatile("movl %0, (%1)" ::"r"(v), "r"(a) : "memory");
}

/* Odd sizes, unaligned registers, and accesses across the end of the
 * APIC, I/O APIC and test-device pages (the second part on a page with
 * nothing behind it).  The APIC must still answer sanely after. */
static void a_mmio_straddle(void)
{
	static const uint32_t pages[] = { APIC, IOAPIC, TESTDEV };
	uint32_t tpr_before = *apic_reg(APIC_TPR);

	start();
	for (unsigned p = 0; p < 3; p++) {
		uint32_t b = pages[p];
		(void)mmio_rd(b + 0x21, 4);
		(void)mmio_rd(b + 0x22, 2);
		(void)mmio_rd(b + 0x23, 1);
		mmio_wr(b + 0x81, 4, 0xffffffffu);
		mmio_wr(b + 0x83, 1, 0xff);
		mmio_wr(b + 0x06, 2, 0xbeef);
		(void)mmio_rd(b + 0xffc, 4);
		(void)mmio_rd(b + 0xffd, 4);
		(void)mmio_rd(b + 0xffe, 4);
		(void)mmio_rd(b + 0xfff, 2);
		(void)mmio_rd(b + 0xfff, 1);
		mmio_wr(b + 0xffe, 4, 0xffffffffu);
		mmio_wr(b + 0xfff, 2, 0xffff);
	}
	uint32_t id = *apic_reg(APIC_ID), ver = *apic_reg(0x30);
	note("APIC ID after", id);
	note("TESTDEV scratch after", mmio_rd(TESTDEV + 4, 4));
	if (id != 0 || (ver & 0xff) != 0x14 || *apic_reg(APIC_TPR) != tpr_before)
		escaped("an odd-sized or straddling access changed APIC registers");
	else
		contained("odd, unaligned and page-crossing accesses handled or dropped");
}

/* Self-modifying code under MMIO emulation: the same code buffer turns
 * from a read of the TPR into a write of it and back, 200 times; the
 * decoder must always see the bytes the CPU ran (no decode cache). */
static void a_mmio_smc(void)
{
	static uint8_t code[] = { 0xa1, 0x80, 0x00, 0xe0, 0xfe }; /* mov eax, [TPR] */
	unsigned wrong = 0;

	start();
	for (uint32_t i = 0; i < 200; i++) {
		uint32_t v = (i * 0x10) & 0xf0;
		code[0] = 0xa3; /* mov [TPR], eax */
		run_code(code, sizeof(code), v);
		code[0] = 0xa1;
		wrong += run_code(code, sizeof(code), 0x5555) != v;
		/* A different register and length: mov [TPR], ebx (89 1d). */
		uint8_t st[6] = { 0x89, 0x1d, 0x80, 0x00, 0xe0, 0xfe };
		scratch[0] = 0;
		run_code(st, sizeof(st), 0);
		wrong += (*apic_reg(APIC_TPR) & 0xff) != ((uint32_t)scratch & 0xff);
	}
	*apic_reg(APIC_TPR) = 0;
	note_dec("wrong results", wrong);
	if (wrong)
		wrong_verdict("the emulated access differs from the instruction that ran");
	else
		contained("every rewritten instruction emulated as it was written");
}

/* The page tables change under the CPU: the MMIO instruction runs from a
 * stale TLB entry (page A: a read of the TPR) while the guest's page
 * tables, which the hypervisor's decoder walks, already point at page B
 * (a write of it).  Whatever the decoder then does is this VM's own
 * business; it must not fault in root or touch anything else. */
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

static void stale_tlb(bool vanish)
{
	static const uint8_t rd[] = { 0xa1, 0x80, 0x00, 0xe0, 0xfe, 0xc3 };
	static const uint8_t wr[] = { 0xa3, 0x80, 0x00, 0xe0, 0xfe, 0xc3 };
	uint32_t la = (uint32_t)page_a, out;

	start();
	for (unsigned i = 0; i < sizeof(rd); i++) {
		page_a[i] = rd[i];
		page_b[i] = wr[i];
	}
	*apic_reg(APIC_TPR) = 0;
	paging32_on();
	out = 0x55;
	__asm__ volatile("call *%%ecx" : "+a"(out) : "c"(la) : "edx", "memory");
	pt32[la >> 12] = (uint32_t)page_b | 3; /* no INVLPG */
	out = 0x20;
	__asm__ volatile("call *%%ecx" : "+a"(out) : "c"(la) : "edx", "memory");
	if (!vanish) {
		pt32[la >> 12] = la | 3;
		__asm__ volatile("invlpg (%0)" ::"r"(la) : "memory");
		paging_off();
		note("eax after the stale read", out);
		note("TPR after", *apic_reg(APIC_TPR));
		*apic_reg(APIC_TPR) = 0;
		contained("the VM runs on; what its decoder did stays inside the VM");
		return;
	}
	/* The page leaves the tables altogether: the CPU still runs it from
	 * the TLB; the decoder finds no instruction.  A #PF for the guest
	 * (skipped here) or a stop of this VM are both contained. */
	pt32[la >> 12] = 0;
	out = 0x30;
	expect_fault(14, 5);
	__asm__ volatile("call *%%ecx" : "+a"(out) : "c"(la) : "edx", "memory");
	bool pf = fault_seen(14);
	pt32[la >> 12] = la | 3;
	__asm__ volatile("invlpg (%0)" ::"r"(la) : "memory");
	paging_off();
	contained(pf ? "#PF for the guest" : "emulated from the bytes the CPU ran");
}

static void a_mmio_stale_tlb(void) { stale_tlb(false); }
static void a_mmio_vanished_page(void) { stale_tlb(true); }

/* REP MOVS into MMIO: not decoded (the VM stops) or emulated. */
static void a_mmio_rep_movs(void)
{
	static uint32_t src[4] = { 1, 2, 3, 4 };

	start();
	__asm__ volatile("cld; rep movsl"
			 ::"S"(src), "D"(TESTDEV + 4), "c"(2) : "memory");
	note("TESTDEV scratch", mmio_rd(TESTDEV + 4, 4));
	contained("REP MOVS to MMIO emulated");
}

/* An MMIO instruction in the last five bytes of RAM: the decoder's
 * 15-byte fetch runs past the end of RAM; the next fetch stops the VM. */
static void a_mmio_ram_end(void)
{
	static const uint8_t insn[] = { 0xa1, 0x30, 0x00, 0xe0, 0xfe }; /* mov eax, [APIC version] */
	uint8_t *p = (uint8_t *)(ram_end - sizeof(insn));

	start();
	for (unsigned i = 0; i < sizeof(insn); i++)
		p[i] = insn[i];
	((void (*)(void))p)();
	escaped("execution went on past the end of RAM");
}

/* ==== crashes and resets ==== */

static void a_triple_fault(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d = { 0, 0 };
	uint8_t boot = cmos_read(CMOS_BOOTS);

	cmos_write(CMOS_BOOTS, (uint8_t)(boot + 1));
	start();
	note_dec("boot", boot + 1);
	__asm__ volatile("lidt %0; ud2" ::"m"(d));
	escaped("survived a triple fault");
}

static void reset_loop(bool cf9)
{
	uint8_t boot = cmos_read(CMOS_BOOTS);

	cmos_write(CMOS_BOOTS, (uint8_t)(boot + 1));
	if (boot == 0)
		start();
	if (boot >= 40) {
		note_dec("resets done", boot);
		contained("the hypervisor took every reset; the others ran on");
		return;
	}
	if (cf9)
		outb(0xcf9, 0x06);
	else
		outb(0x64, 0xfe);
	escaped("the reset returned");
}

static void a_reset_kbd(void) { reset_loop(false); }
static void a_reset_cf9(void) { reset_loop(true); }

/* ==== SMP storms ==== */

static void wait_ticks_pause(uint64_t t)
{
	uint64_t end = rdtsc() + t;
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

/* INIT and SIPI storms: INITs to the others, SIPIs with the good vector
 * and bad ones (0x00, 0xff: zeros to run), INIT to itself (the boot vCPU
 * ignores it) and to APIC IDs that do not exist. */
static void a_init_storm(void)
{
	uint16_t before;

	start();
	install_ap_code();
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR);
	wait_ticks_pause(200000);
	before = AP_STARTS[0];
	note_dec("starts after the first SIPI", before);
	for (unsigned i = 0; i < 300; i++) {
		send_ipi(0, ICR_INIT | ICR_OTHERS);
		send_ipi(0, ICR_SIPI | ICR_OTHERS | (i % 3 == 0 ? 0x00 : i % 3 == 1 ? 0xff : AP_VECTOR));
		send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR); /* ignored unless waiting */
		send_ipi(0, ICR_INIT | ICR_SELF);
		send_ipi(0x55, ICR_INIT);
		send_ipi(0xfe, ICR_SIPI | AP_VECTOR);
		if (i % 16 == 0)
			__asm__ volatile("pause");
	}
	/* End with the others waiting for SIPI, then one clean start. */
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	AP_STARTS[0] = 0;
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR);
	wait_ticks_pause(200000);
	note_dec("starts after the storm's last SIPI", AP_STARTS[0]);
	if (before == 0 || AP_STARTS[0] == 0)
		wrong_verdict("the other vCPUs did not start (or restart) from a clean SIPI");
	else
		contained("the VM's own vCPUs restarted; nothing else touched");
}

/* NMIs to every vCPU, itself included, as fast as the ICR takes them. */
static void a_nmi_storm(void)
{
	start();
	install_ap_code();
	set_gate(2, nmi_stub, 0);
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_VECTOR);
	wait_ticks_pause(100000);
	nmi_count = 0;
	for (unsigned i = 0; i < 20000; i++)
		send_ipi(0, ICR_NMI | ICR_ALL);
	for (unsigned i = 0; i < 2000; i++)
		send_ipi(0, ICR_NMI | ICR_SELF);
	note_dec("NMIs taken by the boot vCPU", nmi_count);
	if (nmi_count < 100)
		wrong_verdict("NMIs stopped arriving after the first few");
	else
		contained("NMIs delivered to the VM's own vCPUs only");
}

/* Every vCPU spins with interrupts off; time_limit must end the VM. */
static void a_spin_smp(void)
{
	start();
	install_ap_code();
	send_ipi(0, ICR_INIT | ICR_OTHERS);
	send_ipi(0, ICR_SIPI | ICR_OTHERS | AP_SPIN_VECTOR);
	name_line("spinning on every vCPU with interrupts off\n");
	__asm__ volatile("cli");
	for (;;)
		;
}

/* Exits as fast as it can make them (CPUID), for a long while, beside VMs
 * that want the CPU: the time the hypervisor spends on its exits must
 * count against its slice.  It measures its longest stretch on the CPU
 * (no gap of more than FLOOD_GAP ticks between two iterations, as when
 * another vCPU runs) and its share of the whole time. */
#define FLOOD_TICKS 60000000ull
#define FLOOD_GAP 200000ull
#define FLOOD_MAX_STRETCH 8000000ull /* 4 slices of 2 M ticks */

static void a_exit_flood(void)
{
	uint64_t t0 = rdtsc(), last = t0, stretch_start = t0, longest = 0;
	uint32_t r[4], exits = 0, gaps = 0;

	start();
	while (last - t0 < FLOOD_TICKS) {
		cpuid(0, 0, r);
		exits++;
		uint64_t now = rdtsc();
		if (now - last > FLOOD_GAP) {
			gaps++;
			if (last - stretch_start > longest)
				longest = last - stretch_start;
			stretch_start = now;
		}
		last = now;
	}
	if (last - stretch_start > longest)
		longest = last - stretch_start;
	note_dec("exits", exits);
	note_dec("times descheduled", gaps);
	note_dec("longest stretch on the CPU (ticks)", longest);
	if (longest > FLOOD_MAX_STRETCH)
		escaped("its exits kept it on the CPU for more than 4 slices");
	else
		contained("descheduled after every slice, exits included");
}

/* ==== interrupt storms at the fastest rates ==== */

static void pic_init(uint8_t mask_master, uint8_t mask_slave)
{
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, mask_master);
	outb(0xa1, mask_slave);
}

#define STORM_TICKS 4000000ull
#define STORM_IRQS 5000

static void storm_run(uint64_t ticks, void (*stop)(void))
{
	irq_count = 0;
	storm_max = STORM_IRQS;
	storm_stop = stop;
	__asm__ volatile("sti");
	spin_ticks(ticks);
	__asm__ volatile("cli");
}


static void pit_stop(void) { outb(0x21, 0xff); }
static void rtc_stop(void) { outb(0xa1, 0xff); }
static void lapic_stop(void) { *apic_reg(APIC_LVT_TIMER) = 1u << 16; }

static void a_pit_storm(void)
{
	uint32_t n1, n2;

	start();
	irq_handler = count_irq;
	eoi_pic = true;
	pic_init(0xfe, 0xff);
	outb(0x43, 0x34); outb(0x40, 2); outb(0x40, 0); /* mode 2, divisor 2 */
	storm_run(STORM_TICKS, pit_stop);
	n1 = irq_count;
	outb(0x21, 0xfe);
	outb(0x43, 0x36); outb(0x40, 1); outb(0x40, 0); /* mode 3, divisor 1 */
	storm_run(STORM_TICKS, pit_stop);
	n2 = irq_count;
	outb(0x43, 0x30); outb(0x40, 0); outb(0x40, 0);
	outb(0x21, 0xff);
	irq_handler = 0;
	note_dec("IRQ0s at divisor 2", n1);
	note_dec("IRQ0s at divisor 1", n2);
	contained("the storm stays in this VM");
}

static void a_rtc_storm(void)
{
	start();
	irq_handler = count_irq;
	eoi_pic = true;
	pic_init(0xfb, 0xfe);
	cmos_write(0x0a, 0x23); /* rate 3: 8192 Hz, the fastest */
	cmos_write(0x0b, 0x42); /* periodic interrupt enable */
	(void)cmos_read(0x0c);
	storm_run(STORM_TICKS, rtc_stop);
	uint32_t n3 = irq_count;
	outb(0xa1, 0xfe);
	cmos_write(0x0a, 0x21); /* rates 1 and 2: the odd fast ones */
	storm_run(STORM_TICKS / 2, rtc_stop);
	outb(0xa1, 0xfe);
	cmos_write(0x0a, 0x22);
	storm_run(STORM_TICKS / 2, rtc_stop);
	cmos_write(0x0b, 0x02);
	outb(0x21, 0xff); outb(0xa1, 0xff);
	irq_handler = 0;
	note_dec("IRQ8s at rate 3", n3);
	contained("the storm stays in this VM");
}

static void a_lapic_timer_storm(void)
{
	uint32_t periodic, oneshot = 0;

	start();
	irq_handler = count_irq;
	eoi_apic = true;
	*apic_reg(APIC_SVR) = 0x1ff;
	*apic_reg(APIC_TIMER_DCR) = 0xb; /* divide by 1 */
	*apic_reg(APIC_LVT_TIMER) = (1u << 17) | 0x40; /* periodic */
	*apic_reg(APIC_TIMER_ICR) = 1;
	storm_run(STORM_TICKS, lapic_stop);
	periodic = irq_count;
	*apic_reg(APIC_LVT_TIMER) = 0x40; /* one-shot, count 1, re-armed at once */
	irq_count = 0;
	for (unsigned i = 0; i < 2000; i++) {
		uint32_t n = irq_count;
		*apic_reg(APIC_TIMER_ICR) = 1;
		__asm__ volatile("sti");
		for (unsigned spin = 0; spin < 100000 && irq_count == n; spin++)
			;
		__asm__ volatile("cli");
	}
	oneshot = irq_count;
	*apic_reg(APIC_LVT_TIMER) = 1u << 16;
	*apic_reg(APIC_TIMER_ICR) = 0;
	irq_handler = 0;
	note_dec("periodic interrupts", periodic);
	note_dec("one-shot interrupts (of 2000)", oneshot);
	if (!periodic || !oneshot)
		escaped("the timer did not fire (the storm was not tried)");
	else
		contained("the storm stays in this VM");
}

static void a_tsc_deadline_past(void)
{
	uint32_t n = 0;

	start();
	if (!cpuid_bit(1, 0, ECX, 24)) {
		contained("no TSC-deadline timer in CPUID: not tried");
		return;
	}
	irq_handler = count_irq;
	eoi_apic = true;
	*apic_reg(APIC_SVR) = 0x1ff;
	*apic_reg(APIC_LVT_TIMER) = (2u << 17) | 0x41;
	irq_count = 0;
	for (unsigned i = 0; i < 3000; i++) {
		uint32_t before = irq_count;
		wrmsr_safe(MSR_TSC_DEADLINE, i % 2 ? 1 : rdtsc() - 1000);
		__asm__ volatile("sti");
		for (unsigned spin = 0; spin < 100000 && irq_count == before; spin++)
			;
		__asm__ volatile("cli");
	}
	n = irq_count;
	wrmsr_safe(MSR_TSC_DEADLINE, 0);
	*apic_reg(APIC_LVT_TIMER) = 1u << 16;
	irq_handler = 0;
	note_dec("interrupts (of 3000)", n);
	if (!n)
		escaped("the deadline timer never fired (the storm was not tried)");
	else
		contained("the storm stays in this VM");
}

/* ==== the command line ==== */

static const struct { const char *name; void (*fn)(void); } attacks[] = {
	{ "ram_straddle", a_ram_straddle },
	{ "exec_outside", a_exec_outside },
	{ "gpa_4g", a_gpa_4g },
	{ "gpa_top", a_gpa_top },
	{ "host_sweep", a_host_sweep },
	{ "sibling_scan", a_sibling_scan },
	{ "msr_feature_control", a_msr_feature_control },
	{ "msr_vmx_caps", a_msr_vmx_caps },
	{ "msr_efer", a_msr_efer },
	{ "msr_apic_base", a_msr_apic_base },
	{ "msr_pat", a_msr_pat },
	{ "msr_mtrr", a_msr_mtrr },
	{ "msr_microcode", a_msr_microcode },
	{ "msr_mc_banks", a_msr_mc_banks },
	{ "msr_debugctl", a_msr_debugctl },
	{ "msr_smm", a_msr_smm },
	{ "msr_canonical", a_msr_canonical },
	{ "msr_x2apic_icr", a_msr_x2apic_icr },
	{ "msr_sweep", a_msr_sweep },
	{ "vmx_insns", a_vmx_insns },
	{ "cr4_reserved", a_cr4_reserved },
	{ "xcr0_reserved", a_xcr0_reserved },
	{ "pci_config", a_pci_config },
	{ "host_ports", a_host_ports },
	{ "hypercall_bad", a_hypercall_bad },
	{ "hypercall_cpl3", a_hypercall_cpl3 },
	{ "mmio_straddle", a_mmio_straddle },
	{ "mmio_smc", a_mmio_smc },
	{ "mmio_stale_tlb", a_mmio_stale_tlb },
	{ "mmio_vanished_page", a_mmio_vanished_page },
	{ "mmio_rep_movs", a_mmio_rep_movs },
	{ "exit_flood", a_exit_flood },
	{ "mmio_ram_end", a_mmio_ram_end },
	{ "triple_fault", a_triple_fault },
	{ "reset_kbd", a_reset_kbd },
	{ "reset_cf9", a_reset_cf9 },
	{ "init_storm", a_init_storm },
	{ "nmi_storm", a_nmi_storm },
	{ "spin_smp", a_spin_smp },
	{ "pit_storm", a_pit_storm },
	{ "rtc_storm", a_rtc_storm },
	{ "lapic_timer_storm", a_lapic_timer_storm },
	{ "tsc_deadline_past", a_tsc_deadline_past },
};

static bool word_is(const char *s, const char *name)
{
	while (*name && *s == *name)
		s++, name++;
	return !*name && (*s == ',' || *s == ' ' || *s == '=' || *s == 0);
}

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	const char *cmd = cmdline(info);

	(void)magic;
	ram_end = (mbi[2] + 1024) * 1024;
	while (*cmd == ' ')
		cmd++;
	if (!word_is(cmd, "attack")) {
		puts_serial("usage: attack=NAME[,NAME...]\n");
		return 0;
	}
	cmd += 7;
	while (*cmd && *cmd != ' ') {
		bool found = false;
		current = cmd;
		for (unsigned i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
			if (word_is(cmd, attacks[i].name)) {
				attacks[i].fn();
				found = true;
				break;
			}
		if (!found)
			name_line("no such attack\n");
		while (*cmd && *cmd != ',' && *cmd != ' ')
			cmd++;
		if (*cmd == ',')
			cmd++;
	}
	puts_serial("attacks done\n");
	return 0;
}
