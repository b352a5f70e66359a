/* Memory that is not there (issue 12): guest-physical addresses with
 * neither RAM nor a device behave as on a PC's bus, where no agent claims
 * the cycle: reads return all ones, writes are dropped (unassigned_memory
 * = ones, hv's default).  Register results follow the x86 rules for the
 * access width (SDM Vol. 1 3.4.1.1: 8- and 16-bit loads leave the rest of
 * the register alone, 32-bit loads write it all, MOVZX zero-extends).
 * That the probes return ones, never data, also shows nothing of the host
 * or of other VMs is reached (the isolation guarantee). */
#include "guest.h"

#define HPET 0xfed00000u /* no HPET in hv's VMs: nothing decodes it */

static uint32_t load8(uint32_t a)
{
	uint32_t v = 0x12345678u;
	__asm__ volatile("movb (%1), %b0" : "+q"(v) : "r"(a) : "memory");
	return v;
}

static uint32_t load16(uint32_t a)
{
	uint32_t v = 0x12345678u;
	__asm__ volatile("movw (%1), %w0" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static uint32_t load32(uint32_t a)
{
	uint32_t v = 0x12345678u;
	__asm__ volatile("movl (%1), %0" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static uint32_t load8_zx(uint32_t a)
{
	uint32_t v = 0x12345678u;
	__asm__ volatile("movzbl (%1), %0" : "+r"(v) : "r"(a) : "memory");
	return v;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	uint32_t ram_end = (mbi[2] + 1024) * 1024;
	volatile uint32_t *last = (volatile uint32_t *)(ram_end - 4);
	uint32_t probes[] = { ram_end, ram_end + 0x1000, 0x40000000u, HPET };

	(void)magic;
	puts_serial("RAM ends at ");
	print_hex(ram_end);
	puts_serial("\n");
	*last = 0xc0ffee00u;
	check(load8(ram_end) == 0x123456ffu,
	      "byte load beyond RAM: AL = 0xff, the rest kept");
	check(load16(ram_end + 2) == 0x1234ffffu,
	      "word load beyond RAM: AX = 0xffff, the rest kept");
	check(load32(ram_end + 0x10) == 0xffffffffu,
	      "dword load beyond RAM: 0xffffffff");
	check(load8_zx(ram_end + 1) == 0xffu,
	      "MOVZX byte load beyond RAM: 0x000000ff");
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		volatile uint32_t *p = (volatile uint32_t *)probes[i];
		volatile uint8_t *b = (volatile uint8_t *)probes[i];
		bool ok;

		*p = 0x5a5a5a5au;
		ok = *p == 0xffffffffu;
		*b = 0;
		ok = ok && *b == 0xff && load32(probes[i]) == 0xffffffffu;
		puts_serial("probe ");
		print_hex(probes[i]);
		puts_serial(ok ? ": ones\n" : ": NOT ones\n");
		check(ok, "a write there is dropped, it reads back all ones");
	}
	check(*last == 0xc0ffee00u, "RAM below the end unchanged");
	return verdict();
}
