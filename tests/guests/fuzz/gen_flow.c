/* The fuzzer's item generators for control transfers: descriptor
 * tables, INT, IRET and far transfers. */
#include "fuzz.h"

void dt_item(void)
{
	uint32_t a = scratch_addr(8), off;
	unsigned r = rreg();
	uint16_t sel;

	switch (below(8)) {
	case 0: /* LGDT/LIDT random, read back, put back */
	case 1: {
		bool idt = chance(2);
		struct dtr *d;
		a = gen_slot();
		d = (struct dtr *)a;
		d->limit = (uint16_t)rnd();
		d->base = idt || chance(2) ? (idt ? fz_idt_desc.base : fz_gdt_desc.base) : rnd();
		e1(0xfa);
		e2(0x36, 0x0f); e1(0x01); mem_abs(idt ? 3 : 2, a);
		e2(0x36, 0x0f); e1(0x01); mem_abs(idt ? 1 : 0, scratch_addr(8));
		e2(0x36, 0x0f); e1(0x01); mem_abs(idt ? 3 : 2, (uint32_t)(idt ? &fz_idt_desc : &fz_gdt_desc));
		break;
	}
	case 2: /* SGDT/SIDT/SLDT/STR/SMSW to memory */
		e2(0x36, 0x0f);
		if (chance(2)) {
			e1(0x01); mem_abs(below(2), a);
		} else {
			e1(0x00); mem_abs(below(2), a);
		}
		break;
	case 3: /* LLDT / LTR */
		sel = rnd_selector(&off);
		if (chance(2))
			sel = chance(2) ? (4 << 3) : (3 << 3);
		mov_imm(r, sel);
		e3(0x0f, 0x00, 0xc0 | ((chance(2) ? 2 : 3) << 3) | r);
		break;
	case 4: /* LAR, LSL, VERR, VERW */
		sel = rnd_selector(&off);
		mov_imm(r, sel);
		if (chance(2))
			e3(0x0f, 0x02 + below(2), 0xc0 | (rreg() << 3) | r);
		else
			e3(0x0f, 0x00, 0xc0 | ((4 + below(2)) << 3) | r);
		break;
	case 5: /* segment loads: FS, GS, DS, ES random; SS only 0x10/0/0x08 */
		sel = rnd_selector(&off);
		mov_imm(r, sel);
		{
			static const uint8_t sregs[] = { 0, 3, 4, 5 };
			unsigned s = sregs[below(4)];
			if (chance(8)) {
				static const uint16_t ss_ok[] = { 0x10, 0, 0x08, 0x13 };
				mov_imm(r, ss_ok[below(4)]);
				s = 2;
			}
			e2(0x8e, 0xc0 | (s << 3) | r);
		}
		break;
	default: /* SS-relative ARPL-free stuff: PUSH/POP of segment registers */
		switch (below(4)) {
		case 0: e2(0x0f, 0xa0); e2(0x0f, 0xa1); break; /* push fs; pop fs */
		case 1: e2(0x0f, 0xa8); e2(0x0f, 0xa9); break;
		case 2: e1(0x1e); e1(0x1f); break;
		default: e1(0x06); e1(0x07); break;
		}
		break;
	}
}

void int_item(void)
{
	switch (below(6)) {
	case 0: e2(0xcd, below(256)); break;
	case 1: e1(0xcc); break;
	case 2: /* INTO with OF set or not */
		mov_imm(0, chance(2) ? 0x7fffffff : 0);
		e3(0x83, 0xc0, 0x01); /* add $1, eax */
		e1(0xce);
		break;
	case 3: e1(0xf1); break;
	case 4: e2(0x0f, 0x0b); break;
	default: /* BOUND (#BR when out of bounds) */
		{
			uint32_t a = scratch_addr(8);
			a = gen_slot();
			*(uint32_t *)a = rnd_value();
			*(uint32_t *)(a + 4) = rnd_value();
			mov_imm(0, rnd_value());
			e2(0x36, 0x62); mem_abs(0, a);
		}
		break;
	}
}

static uint32_t rnd_eflags(void)
{
	uint32_t f = rnd() & 0x3f7fd5u;
	if (!(switches & SW_TASK))
		f &= ~((1u << 14) | (1u << 17)); /* NT, VM */
	return f | 2;
}

void iret_item(void)
{
	uint32_t off, cont;
	uint16_t sel;

	switch (below(4)) {
	case 0: /* POPF random */
		e1(0x68); e32(rnd_eflags());
		e1(0x9d);
		e1(0x90);
		break;
	case 1: /* IRET to the next instruction with random EFLAGS */
		e1(0x68); e32(rnd_eflags());
		e1(0x68); e32(0x08);
		cont = here() + 5 + 1;
		e1(0x68); e32(cont);
		e1(0xcf);
		break;
	case 2: /* IRET to a random selector, aimed at the sled */
		sel = rnd_selector(&off);
		e1(0x68); e32(rnd_eflags());
		e1(0x68); e32(sel);
		e1(0x68); e32(off);
		e1(0xcf);
		break;
	default: /* 16-bit IRET into the sled (IP is 16 bits: base 0) */
		sel = rnd_selector(&off);
		if (sel_base(sel))
			sel = 0x08;
		e2(0x66, 0x6a); e1(rnd_eflags() & 0x7f);  /* push word */
		e2(0x66, 0x68); e16(sel);
		e2(0x66, 0x68); e16(sled());
		e2(0x66, 0xcf);
		break;
	}
}

void far_item(void)
{
	uint32_t off, a;
	uint16_t sel = rnd_selector(&off);

	bool next = chance(4); /* to the next instruction through 0x08 */

	if (next)
		sel = 0x08;
	switch (below(5)) {
	case 0: e1(0xea); e32(next ? here() + 6 : off); e16(sel); break;
	case 1: e1(0x9a); e32(next ? here() + 6 : off); e16(sel); break;
	case 2: /* through memory */
		a = scratch_addr(6);
		a = gen_slot();
		*(uint32_t *)a = next ? here() + 7 : off;
		*(uint16_t *)(a + 4) = sel;
		e2(0x36, 0xff); mem_abs(chance(2) ? 5 : 3, a);
		break;
	case 3: /* RETF with a crafted frame */
		e1(0x68); e32(sel);
		e1(0x68); e32(next ? here() + 5 : off);
		e1(0xcb);
		break;
	default: /* 16-bit far jump into the sled (IP is 16 bits: base 0) */
		if (sel_base(sel))
			sel = 0x08;
		e2(0x66, 0xea); e16(sled()); e16(sel);
		break;
	}
}
