/* The hostile guest: Memory attacks: guest-physical addresses outside RAM, a sibling's memory. */
#include "attack.h"

/* ==== memory outside RAM (each ends the VM) ==== */

/* A 4-byte write across the last byte of RAM: two bytes in, two out. */
void a_ram_straddle(void)
{
	start();
	*(volatile uint32_t *)(ram_end - 2) = 0xbadc0de;
	escaped("a write across the end of RAM returned");
}

/* Jump to code just past RAM. */
void a_exec_outside(void)
{
	start();
	((void (*)(void))(ram_end + 0x1000))();
	escaped("code outside RAM ran and returned");
}

/* PAE paging to write at guest-physical 4 GiB. */
void a_gpa_4g(void)
{
	start();
	pae_map_probe(0x100000000ull);
	*(volatile uint32_t *)0x40000010u = 0xbad;
	escaped("a write at guest-physical 4 GiB returned");
}

/* The highest guest-physical page MAXPHYADDR allows. */
void a_gpa_top(void)
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
void a_host_sweep(void)
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
void a_sibling_scan(void)
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
