/* An application processor that sends INIT to itself stops there: INIT
 * puts it in wait-for-SIPI at once (SDM Vol. 3A 9.4.4.1, 11.6.1), so the
 * instruction after its ICR write never runs.  Needs vcpus = 2.
 *
 * The BSP starts the AP (INIT, SIPI) at a real-mode trampoline at
 * AP_BASE.  The AP counts its start, turns x2APIC on and writes its ICR
 * (MSR 0x830): INIT to its own APIC ID on its first start, INIT to "all
 * including self" on its second; right after, it sets a marker.  The BSP
 * checks that the marker never appears and that each SIPI restarts the
 * AP (it was waiting for one).  The AP also sets DR0 before each INIT and
 * reads it at each start: INIT clears DR0-DR3 (SDM Vol. 3A 10.1.1, Table
 * 10-1), so it must read 0 every time. */
#include "guest.h"

#define APIC 0xfee00000u
#define ICR_LO 0x300
#define ICR_HI 0x310
#define SVR 0xf0
#define AP_BASE 0x7000u
#define ICR_INIT 0x4500u    /* INIT, level assert */
#define ICR_STARTUP 0x4600u /* start-up, vector in bits 7:0 */

__asm__(
	".section .text.ap16, \"ax\"\n"
	".code16\n"
	".global ap_start, ap_end, ap_alive, ap_marker, ap_dr0\n"
	"ap_start:\n"
	"	cli\n"
	"	incw %cs:(a_alive - ap_start)\n"
	"	movl %dr0, %eax\n"
	"	orl %eax, %cs:(a_dr0 - ap_start)\n"
	"	movl $0x12345678, %eax\n"
	"	movl %eax, %dr0\n"
	"	movl $0x1b, %ecx\n"           /* IA32_APIC_BASE: EN | EXTD */
	"	movl $0xfee00c00, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	movl $0x830, %ecx\n"          /* x2APIC ICR */
	"	movl $0x4500, %eax\n"         /* INIT, assert, physical */
	"	movl $1, %edx\n"              /* destination: APIC ID 1, itself */
	"	cmpw $2, %cs:(a_alive - ap_start)\n"
	"	jne 1f\n"
	"	orl $0x80000, %eax\n"         /* shorthand: all including self */
	"	xorl %edx, %edx\n"
	"1:	wrmsr\n"
	"	movw $1, %cs:(a_marker - ap_start)\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"	.balign 4\n"
	"ap_dr0:\n"
	"a_dr0: .long 0\n"
	"ap_alive:\n"
	"a_alive: .word 0\n"
	"ap_marker:\n"
	"a_marker: .word 0\n"
	"ap_end:\n"
	".code32\n"
	".text\n");

extern const uint8_t ap_start[], ap_end[];
extern const uint16_t ap_alive[], ap_marker[];
extern const uint32_t ap_dr0[];

static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(APIC + off) = v; }

static volatile uint16_t *copy_var(const uint16_t *var)
{
	return (volatile uint16_t *)(AP_BASE +
				     (uint32_t)((const uint8_t *)var - ap_start));
}

/* PAUSE exits and lets the other vCPU run. */
static bool wait_alive(volatile uint16_t *alive, uint16_t n, uint64_t budget)
{
	uint64_t end = rdtsc() + budget;

	while (*alive < n && rdtsc() < end)
		__asm__ volatile("pause");
	return *alive >= n;
}

static void spin(uint64_t ticks)
{
	uint64_t end = rdtsc() + ticks;

	while (rdtsc() < end)
		__asm__ volatile("pause");
}

int guest_main(uint32_t magic, uint32_t info)
{
	volatile uint8_t *dst = (volatile uint8_t *)AP_BASE;
	volatile uint16_t *alive = copy_var(ap_alive);
	volatile uint16_t *marker = copy_var(ap_marker);
	uint32_t n = (uint32_t)(ap_end - ap_start);

	(void)magic, (void)info;
	for (uint32_t i = 0; i < n; i++)
		dst[i] = ap_start[i];
	wr(SVR, 0x1ff);
	wr(ICR_HI, 1u << 24);
	wr(ICR_LO, ICR_INIT);
	wr(ICR_LO, ICR_STARTUP | (AP_BASE >> 12));
	check(wait_alive(alive, 1, 50000000), "AP started by INIT, SIPI");
	/* Several of the scheduler's slices (2 M TSC ticks each). */
	spin(20000000);
	check(*marker == 0, "AP INIT to itself: the next instruction never ran");

	wr(ICR_LO, ICR_STARTUP | (AP_BASE >> 12));
	check(wait_alive(alive, 2, 50000000),
	      "AP was waiting for SIPI: a second SIPI restarts it");
	spin(20000000);
	check(*marker == 0,
	      "AP INIT to all including self: the next instruction never ran");
	wr(ICR_LO, ICR_STARTUP | (AP_BASE >> 12));
	check(wait_alive(alive, 3, 50000000),
	      "AP was waiting for SIPI again: a third SIPI restarts it");
	check(*(volatile uint32_t *)(AP_BASE + (uint32_t)((const uint8_t *)ap_dr0 -
							   ap_start)) == 0,
	      "INIT cleared DR0: every start read 0");
	puts_serial("AP starts ");
	print_dec(*alive);
	puts_serial(", marker ");
	print_dec(*marker);
	putc_serial('\n');
	return verdict();
}
