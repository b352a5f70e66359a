/* The fuzzer's item generators for I/O: port I/O and MMIO. */
#include "fuzz.h"

static uint16_t rnd_port(bool out)
{
	static const uint16_t interesting[] = {
		0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71,
		0x4d0, 0x4d1, 0xcf8, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff,
		0x510, 0x511, 0x80, 0x92, 0x3fd, 0x608, 0x600, 0x8900, 0xe9, 0x60,
	};
	for (;;) {
		uint16_t p = chance(2) ? interesting[below(sizeof(interesting) / 2)]
				       : (uint16_t)rnd();
		if (p >= 0xf4 && p <= 0xf7)
			continue;
		if (out && ((p >= 0x3f8 && p <= 0x3ff) || p == 0x64 || p == 0xcf9 ||
			    (p >= 0x600 && p <= 0x60b) || p == 0x8900))
			continue;
		/* a dword at 0xcf8-0xcfb touches 0xcf9's byte too */
		if (out && p >= 0xcf6 && p <= 0xcf9)
			continue;
		if (out && p >= 0x3f5 && p <= 0x3f7)
			continue;
		if (out && (p >= 0x5fd && p < 0x600))
			continue;
		if (out && p >= 0x61 && p <= 0x64)
			continue;
		if (out && p >= 0xf1 && p <= 0xf3)
			continue;
		return p;
	}
}

void put_apic_restore(void)
{
	mov_imm(1, 0x1b);
	e2(0x31, 0xd2);
	mov_imm(0, 0xfee00100u);
	e2(0x0f, 0x30);
	mov_imm(0, 0xfee00900u);
	e2(0x0f, 0x30);
}

/* mov $v, %ss:LAPIC+reg */
void mmio_w32(uint32_t reg, uint32_t v)
{
	e2(0x36, 0xc7);
	mem_abs(0, LAPIC + reg);
	e32(v);
}

void io_item(void)
{
	bool out = chance(2);
	uint16_t port = rnd_port(out);
	unsigned size = below(3); /* 0: byte, 1: word, 2: dword */

	if ((switches & SW_STRIO) && chance(4)) {
		mov_imm(2, port);
		mov_imm(1, below(4));
		mov_imm(out ? 6 : 7, scratch_addr(64));
		e2(0x16, 0x07); /* push ss; pop es: flat ES for INS */
		if (chance(2))
			e1(0xf3);
		if (size == 1)
			e1(0x66);
		if (out)
			e1(0x36); /* OUTS reads DS:ESI: make it SS */
		e1((out ? 0x6e : 0x6c) + (size != 0));
		return;
	}
	if (out) {
		mov_imm(0, rnd_value());
		/* PIT or RTC reprogrammed: put back after the buffer, so a
		 * timer storm lasts one iteration, not the rest of the run. */
		dirty_timers |= (port >= 0x3d && port <= 0x43) ||
				(port >= 0x6d && port <= 0x71);
	}
	if (port < 0x100 && chance(2)) {
		if (size == 1)
			e1(0x66);
		e2((out ? 0xe6 : 0xe4) + (size != 0), port);
	} else {
		mov_imm(2, port);
		if (size == 1)
			e1(0x66);
		e1((out ? 0xee : 0xec) + (size != 0));
	}
}

void mmio_item(void)
{
	static const uint32_t pages[] = { LAPIC, LAPIC, IOAPIC, TESTDEV };
	uint32_t page = pages[below(4)];
	uint32_t off = chance(2) ? below(0x100) * 0x10 : below(0x1000);
	uint32_t addr = page + off, v = rnd_value();
	unsigned r = rreg(), size = below(3);
	bool write = chance(2);

	dirty_apic = true;
	if (!(switches & SW_INIT)) {
		/* ICR, LVTs and I/O APIC redirections: delivery mode fixed,
		 * lowest priority or NMI.  Applied to every write to these
		 * pages: the register a write lands on can be any. */
		if (page != TESTDEV)
			v &= ~0x300u;
	}
	if (off > 0xff0)
		size = 2; /* across the page end */
	if (write && page == LAPIC && (off & ~0xfu) == 0x300 && !(switches & SW_INIT))
		v &= ~0x700u;
	if ((switches & SW_MMIOALU) && chance(4)) {
		static const uint8_t alu[] = { 0x01, 0x09, 0x21, 0x31, 0x87, 0x85, 0x29, 0x39 };
		mov_imm(r, v);
		e2(0x36, alu[below(8)]);
		mem_abs(r, addr);
		return;
	}
	if (chance(6)) { /* MOV AL/AX/EAX <-> moffs32 (A0-A3) */
		if (write)
			mov_imm(0, v);
		if (size == 1)
			e1(0x66);
		e2(0x36, (write ? 0xa2 : 0xa0) + (size != 0));
		e32(addr);
		return;
	}
	if (write) {
		if (chance(2)) {
			if (size == 1)
				e1(0x66);
			e2(0x36, size == 0 ? 0xc6 : 0xc7);
			mem_abs(0, addr);
			if (size == 0) e1(v);
			else if (size == 1) e16(v);
			else e32(v);
		} else {
			mov_imm(r, v);
			if (size == 1)
				e1(0x66);
			e2(0x36, size == 0 ? 0x88 : 0x89);
			mem_abs(size == 0 ? (r & 3) : r, addr);
		}
	} else if (chance(3) && size < 2) {
		e3(0x36, 0x0f, size == 0 ? 0xb6 : 0xb7);
		mem_abs(r, addr);
	} else {
		if (size == 1)
			e1(0x66);
		e2(0x36, size == 0 ? 0x8a : 0x8b);
		mem_abs(r, addr);
	}
}
