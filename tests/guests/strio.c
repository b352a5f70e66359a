/* String I/O (INS/OUTS, with and without REP) as the CPU does it (SDM
 * Vol. 2B INS, OUTS, REP): element sizes 1, 2 and 4, RFLAGS.DF choosing
 * the direction, ESI/EDI/ECX updated, REP counts longer than the
 * hypervisor emulates per exit, 16-bit address size (SI, DI, CX only),
 * linear addresses through the guest's page tables, and #PF for a page
 * that is not present or, with CR0.WP, read-only (SDM Vol. 3A 4.6); the
 * accessed and dirty flags set as the CPU sets them (4.8). */
#include "guest.h"

#define COM1 0x3f8
#define UART_SCRATCH 0x3ff
#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define LOW_BUF 0x7000u        /* below 64 KiB, for 16-bit addressing */
#define ALIAS 0x40000000u      /* linear alias of physical 0..4 MiB */
#define UNMAPPED 0x40400000u   /* linear, not present */
#define RO_ALIAS 0x40800000u   /* read-only alias of physical 0..4 MiB */
#define PDE_A 0x20u
#define PDE_D 0x40u
#define CR0_WP (1u << 16)
#define PF_P_W 3u              /* #PF error: protection, write */
#define APIC 0xfee00000u
#define APIC_SVR 0xf0
#define APIC_EOI 0xb0
#define APIC_ICR_LO 0x300
#define ICR_SELF (1u << 18)
#define VEC_TEST 0x40

struct str_regs {
	uint32_t si, di, cx;
};

/* One string instruction with ESI, EDI, ECX and DX as given; the
 * registers as the instruction left them come back in r. */
#define STRING_OP(text, port, r)                                          \
	__asm__ volatile(text                                             \
			 : "+S"((r)->si), "+D"((r)->di), "+c"((r)->cx)    \
			 : "d"((uint16_t)(port))                          \
			 : "memory", "cc")

static uint32_t pd[1024] __attribute__((aligned(4096)));
static char buf[512];

static void select_fw_cfg_signature(void)
{
	outw(FW_CFG_SEL, 0);
}

static bool mem_eq(const void *a, const void *b, uint32_t n)
{
	const char *x = a, *y = b;

	for (uint32_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static void out_strings(void)
{
	static const char fwd[] = "strio: rep outsb forwards\n";
	static const char text[] = "strio: rep outsb backwards\n";
	uint32_t n = sizeof(fwd) - 1, m = sizeof(text) - 1;
	struct str_regs r = { (uint32_t)fwd, 0, n };

	STRING_OP("rep outsb", COM1, &r);
	check(r.cx == 0 && r.si == (uint32_t)fwd + n,
	      "REP OUTSB DF=0: ECX 0, ESI advanced");
	for (uint32_t i = 0; i < m; i++)
		buf[i] = text[m - 1 - i];
	r = (struct str_regs){ (uint32_t)&buf[m - 1], 0, m };
	STRING_OP("std; rep outsb; cld", COM1, &r);
	check(r.cx == 0 && r.si == (uint32_t)buf - 1,
	      "REP OUTSB DF=1: ECX 0, ESI went down");
}

static void fw_cfg_strings(void)
{
	static const uint16_t sel = 0;
	char sig[4] = { 0 };
	struct str_regs r = { (uint32_t)&sel, 0, 7 };

	STRING_OP("outsw", FW_CFG_SEL, &r);
	check(r.si == (uint32_t)&sel + 2 && r.cx == 7,
	      "OUTSW DF=0: ESI + 2, ECX untouched without REP");
	r = (struct str_regs){ 0, (uint32_t)sig, 4 };
	STRING_OP("rep insb", FW_CFG_DATA, &r);
	check(mem_eq(sig, "QEMU", 4) && r.cx == 0 && r.di == (uint32_t)sig + 4,
	      "REP INSB DF=0 from fw_cfg: QEMU");

	r = (struct str_regs){ (uint32_t)&sel, 0, 0 };
	STRING_OP("std; outsw; cld", FW_CFG_SEL, &r);
	check(r.si == (uint32_t)&sel - 2, "OUTSW DF=1: ESI - 2");
	r = (struct str_regs){ 0, (uint32_t)&sig[3], 4 };
	STRING_OP("std; rep insb; cld", FW_CFG_DATA, &r);
	check(mem_eq(sig, "UMEQ", 4) && r.cx == 0 &&
	      r.di == (uint32_t)sig - 1, "REP INSB DF=1 from fw_cfg: UMEQ");
}

static void dword_strings(void)
{
	static const uint32_t addr = 0x80000000u; /* 00:00.0, register 0 */
	uint32_t id, got[3] = { 0, 0, 0 };
	struct str_regs r = { (uint32_t)&addr, 0, 0 };

	STRING_OP("outsl", PCI_ADDR, &r);
	check(inl(PCI_ADDR) == addr && r.si == (uint32_t)&addr + 4,
	      "OUTSD to 0xcf8");
	id = inl(PCI_DATA);
	r = (struct str_regs){ 0, (uint32_t)got, 3 };
	STRING_OP("rep insl", PCI_DATA, &r);
	check(got[0] == id && got[1] == id && got[2] == id && r.cx == 0 &&
	      r.di == (uint32_t)got + 12, "REP INSD DF=0 from 0xcfc");
	got[0] = got[1] = 0;
	r = (struct str_regs){ 0, (uint32_t)&got[1], 2 };
	STRING_OP("std; rep insl; cld", PCI_DATA, &r);
	check(got[0] == id && got[1] == id && r.di == (uint32_t)got - 4,
	      "REP INSD DF=1 from 0xcfc");
	outl(PCI_ADDR, 0);
}

/* More iterations than one exit emulates: the instruction is resumed
 * until ECX reaches 0. */
static void long_rep(void)
{
	const uint32_t n = 300;
	struct str_regs r = { (uint32_t)buf, 0, n };
	bool same = true;

	for (uint32_t i = 0; i < n; i++)
		buf[i] = (char)(i * 7 + 1);
	STRING_OP("rep outsb", UART_SCRATCH, &r);
	check(r.cx == 0 && r.si == (uint32_t)buf + n &&
	      inb(UART_SCRATCH) == (uint8_t)buf[n - 1],
	      "REP OUTSB of 300 bytes: all of them, the last one stays");
	for (uint32_t i = 0; i < n; i++)
		buf[i] = 0;
	r = (struct str_regs){ 0, (uint32_t)buf, n };
	STRING_OP("rep insb", UART_SCRATCH, &r);
	for (uint32_t i = 0; i < n; i++)
		same = same && buf[i] == (char)((n - 1) * 7 + 1);
	check(same && r.cx == 0 && r.di == (uint32_t)buf + n && buf[n] == 0,
	      "REP INSB of 300 bytes: all of them, none more");
	r = (struct str_regs){ 0, (uint32_t)buf, 0 };
	STRING_OP("rep insb", UART_SCRATCH, &r);
	check(r.di == (uint32_t)buf && buf[n] == 0, "REP INSB with ECX 0: nothing");
}

/* Address-size prefix 67 in 32-bit code: SI, DI and CX, the upper halves
 * of ESI, EDI and ECX untouched. */
static void addr16(void)
{
	volatile uint8_t *low = (volatile uint8_t *)LOW_BUF;
	struct str_regs r = { 0x55550000u | LOW_BUF, 0, 0xabcd0003u };

	low[0] = 0x11, low[1] = 0x22, low[2] = 0x33, low[3] = 0x44;
	STRING_OP("addr16 rep outsb", UART_SCRATCH, &r);
	check(r.cx == 0xabcd0000u && r.si == (0x55550000u | (LOW_BUF + 3)) &&
	      inb(UART_SCRATCH) == 0x33,
	      "addr16 REP OUTSB: CX and SI only");
	r = (struct str_regs){ 0, 0x66660000u | LOW_BUF, 0x12340002u };
	STRING_OP("addr16 rep insb", UART_SCRATCH, &r);
	check(r.cx == 0x12340000u && r.di == (0x66660000u | (LOW_BUF + 2)) &&
	      low[0] == 0x33 && low[1] == 0x33 && low[2] == 0x33,
	      "addr16 REP INSB: CX and DI only");
}

static uint8_t big[4000];
static volatile uint32_t big_done_at_irq = 0xffffffffu;

static void apic_write(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC + off) = v;
}

/* How far the REP INSB into big had got: it writes in order. */
static void on_irq(uint32_t vector)
{
	uint32_t n = 0;

	while (n < sizeof(big) && big[n])
		n++;
	if (vector == VEC_TEST)
		big_done_at_irq = n;
	apic_write(APIC_EOI, 0);
}

/* A REP instruction is interruptible between iterations (SDM Vol. 2B
 * REP): an interrupt pending when a long REP INSB starts is taken before
 * it ends, and the instruction then goes on from where it was. */
static void interrupt_inside_rep(void)
{
	struct str_regs r = { 0, (uint32_t)big, sizeof(big) };
	bool all = true;

	irq_handler = on_irq;
	apic_write(APIC_SVR, 0x1ff);
	outb(UART_SCRATCH, 0x5a);
	apic_write(APIC_ICR_LO, ICR_SELF | VEC_TEST); /* pending, IF = 0 */
	STRING_OP("sti; rep insb; cli", UART_SCRATCH, &r);
	for (uint32_t i = 0; i < sizeof(big); i++)
		all = all && big[i] == 0x5a;
	check(big_done_at_irq > 0 && big_done_at_irq < sizeof(big),
	      "interrupt taken between iterations of a long REP INSB");
	check(all && r.cx == 0 && r.di == (uint32_t)big + sizeof(big),
	      "the REP INSB went on after the interrupt to its end");
	puts_serial("interrupt after ");
	print_dec(big_done_at_irq);
	puts_serial(" of 4000 elements\n");
	irq_handler = 0;
}

static void paging(bool on)
{
	for (uint32_t i = 0; on && i < 1024; i++)
		pd[i] = (i << 22) | 0x83; /* P, RW, 4 MiB */
	if (on) {
		pd[ALIAS >> 22] = 0x83;          /* ALIAS -> physical 0 */
		pd[UNMAPPED >> 22] = 0;
		pd[RO_ALIAS >> 22] = 0x81;       /* P, 4 MiB, read-only */
	}
	paging_4m(pd, on);
}

static void paged(void)
{
	char sig[4] = { 0 };
	uint32_t cr2 = 0;
	struct str_regs r;

	paging(true);
	select_fw_cfg_signature();
	r = (struct str_regs){ 0, ALIAS + (uint32_t)sig, 4 };
	STRING_OP("rep insb", FW_CFG_DATA, &r);
	check(mem_eq(sig, "QEMU", 4) && r.cx == 0,
	      "REP INSB through the guest's page tables (an alias)");
	check((pd[ALIAS >> 22] & (PDE_A | PDE_D)) == (PDE_A | PDE_D),
	      "Vol. 3A 4.8: that write set the accessed and dirty flags");

	/* A read-only page: with CR0.WP a supervisor write faults (P, W),
	 * writes nothing and leaves ECX; without it, it goes through. */
	{
		uint32_t cr0;
		char ro[4] = { 'x', 'x', 'x', 'x' };
		__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
		__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 | CR0_WP));
		select_fw_cfg_signature();
		r = (struct str_regs){ 0, RO_ALIAS + (uint32_t)ro, 4 };
		expect_fault(14, 2); /* f3 6c */
		STRING_OP("rep insb", FW_CFG_DATA, &r);
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		check(fault_seen(14) && last_trap_error == PF_P_W &&
			      cr2 == RO_ALIAS + (uint32_t)ro && r.cx == 4 &&
			      mem_eq(ro, "xxxx", 4),
		      "Vol. 3A 4.6: REP INSB to a read-only page with CR0.WP: "
		      "#PF (protection, write), nothing written");
		__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 & ~CR0_WP));
		select_fw_cfg_signature();
		r = (struct str_regs){ 0, RO_ALIAS + (uint32_t)ro, 4 };
		STRING_OP("rep insb", FW_CFG_DATA, &r);
		check(mem_eq(ro, "QEMU", 4) && r.cx == 0,
		      "Vol. 3A 4.6: without CR0.WP a supervisor write to it "
		      "goes through");
		__asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
	}
	r = (struct str_regs){ ALIAS + (uint32_t)"HV", 0, 1 };
	STRING_OP("outsb", UART_SCRATCH, &r);
	check(inb(UART_SCRATCH) == 'H', "OUTSB through the guest's page tables");

	r = (struct str_regs){ 0, UNMAPPED + 0x10, 4 };
	expect_fault(14, 2); /* f3 6c */
	STRING_OP("rep insb", FW_CFG_DATA, &r);
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	check(fault_seen(14) && cr2 == UNMAPPED + 0x10 && r.cx == 4,
	      "REP INSB to a page not present: #PF, CR2 the address");
	r = (struct str_regs){ UNMAPPED + 0xffc, 0, 1 };
	expect_fault(14, 1); /* 6e */
	STRING_OP("outsb", UART_SCRATCH, &r);
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	check(fault_seen(14) && cr2 == UNMAPPED + 0xffc,
	      "OUTSB from a page not present: #PF, CR2 the address");
	paging(false);
}

int guest_main(uint32_t magic, uint32_t info)
{
	(void)magic, (void)info;
	out_strings();
	fw_cfg_strings();
	dword_strings();
	long_rep();
	addr16();
	interrupt_inside_rep();
	paged();
	return verdict();
}
