#include "insn_decode.h"

#define PREFIX_OPSIZE 0x66
#define PREFIX_ADDRSIZE 0x67

/* Bytes taken by ModRM + displacement with 16-bit addressing (SDM Vol.
 * 2A Table 2-1): no SIB; mod=00 rm=110 is a bare disp16. */
static unsigned modrm16_length(const uint8_t *b, size_t len)
{
	unsigned mod = b[0] >> 6, rm = b[0] & 7, n = 1;

	if (mod == 1)
		n += 1;
	else if (mod == 2 || (mod == 0 && rm == 6))
		n += 2;
	return n <= len ? n : 0;
}

/* Bytes taken by ModRM + SIB + displacement with 32/64-bit addressing
 * (SDM Vol. 2A Table 2-2, 2-3), or with 16-bit addressing when addr_size
 * is 2.  Returns 0 if it runs past len or names a register. */
static unsigned modrm_length(const uint8_t *b, size_t len, unsigned addr_size)
{
	unsigned mod, rm, n = 1;

	if (len < 1)
		return 0;
	mod = b[0] >> 6;
	rm = b[0] & 7;
	if (mod == 3)
		return 0; /* register operand: not a memory access */
	if (addr_size == 2)
		return modrm16_length(b, len);
	if (rm == 4) { /* SIB follows */
		if (len < 2)
			return 0;
		n++;
		if (mod == 0 && (b[1] & 7) == 5)
			n += 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		n += 4; /* RIP-relative or disp32 */
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n <= len ? n : 0;
}

struct prefixes {
	unsigned n;
	bool opsize, addrsize, rex, rex_w, rex_r;
};

static bool read_prefixes(const uint8_t *b, size_t len, enum insn_mode mode,
			  struct prefixes *p)
{
	*p = (struct prefixes){ 0 };
	for (; p->n < len; p->n++) {
		uint8_t c = b[p->n];
		if (c == PREFIX_OPSIZE)
			p->opsize = true;
		else if (c == PREFIX_ADDRSIZE)
			p->addrsize = true;
		else if (c == 0x2e || c == 0x3e || c == 0x26 || c == 0x36 ||
			 c == 0x64 || c == 0x65)
			continue; /* segment overrides: the GPA is known */
		else
			break;
	}
	if (mode == INSN_MODE_64 && p->n < len && (b[p->n] & 0xf0) == 0x40) {
		p->rex = true;
		p->rex_w = (b[p->n] & 8) != 0;
		p->rex_r = (b[p->n] & 4) != 0;
		p->n++;
	}
	return p->n < len;
}

/* Operand size (SDM Vol. 2A 2.2.1.2, Table 2-4 and Vol. 1 3.6): 66
 * switches between the 16- and 32-bit defaults; REX.W gives 64 and wins. */
static unsigned operand_size(enum insn_mode mode, const struct prefixes *p)
{
	if (p->rex_w)
		return 8;
	if (mode == INSN_MODE_16)
		return p->opsize ? 4 : 2;
	return p->opsize ? 2 : 4;
}

/* Address size: 67 switches 16 <-> 32 outside 64-bit mode, 64 -> 32 in
 * it. */
static unsigned address_size(enum insn_mode mode, const struct prefixes *p)
{
	if (mode == INSN_MODE_64)
		return p->addrsize ? 4 : 8;
	if (mode == INSN_MODE_16)
		return p->addrsize ? 4 : 2;
	return p->addrsize ? 2 : 4;
}

static uint64_t read_imm(const uint8_t *b, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* MOV between AL/eAX/rAX and an absolute address (A0-A3): no ModRM; the
 * offset is as wide as the address size. */
static bool decode_moffs(uint8_t op, unsigned i, size_t len,
			 unsigned addr_size, unsigned opsize,
			 struct mmio_insn *out)
{
	if (i + addr_size > len)
		return false;
	out->size = (op & 1) ? opsize : 1;
	out->is_write = op >= 0xa2;
	out->reg = 0;
	out->len = i + addr_size;
	return true;
}

bool mmio_decode(const uint8_t *b, size_t len, enum insn_mode mode,
		 struct mmio_insn *out)
{
	struct prefixes p;
	unsigned i, m, opsize, addr_size;
	uint8_t op;

	if (!read_prefixes(b, len, mode, &p))
		return false;
	i = p.n;
	opsize = operand_size(mode, &p);
	addr_size = address_size(mode, &p);
	*out = (struct mmio_insn){ 0 };
	op = b[i++];
	if (op >= 0xa0 && op <= 0xa3)
		return decode_moffs(op, i, len, addr_size, opsize, out);
	if (op == 0x0f) { /* MOVZX (B6, B7) or MOVSX (BE, BF) r, r/m8 or r/m16 */
		if (i >= len || (b[i] != 0xb6 && b[i] != 0xb7 &&
				 b[i] != 0xbe && b[i] != 0xbf))
			return false;
		out->sign_extend = b[i] >= 0xbe;
		out->size = (b[i++] & 1) ? 2 : 1;
		out->zero_extend = true;
		out->dest_size = opsize;
	} else if (op == 0x88 || op == 0x8a || op == 0xc6) {
		out->size = 1;
	} else if (op == 0x89 || op == 0x8b || op == 0xc7) {
		out->size = opsize;
	} else {
		return false;
	}
	if (i >= len || !(m = modrm_length(b + i, len - i, addr_size)))
		return false;
	out->reg = ((b[i] >> 3) & 7) | (p.rex_r ? 8 : 0);
	/* Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is
	 * present (SDM Vol. 2A 3.7.2.1). */
	if (out->size == 1 && !out->zero_extend && !p.rex && out->reg >= 4 &&
	    out->reg <= 7) {
		out->high8 = true;
		out->reg -= 4;
	}
	out->is_write = op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7;
	if (op == 0xc6 || op == 0xc7) {
		/* imm8, imm16 or imm32; sign-extended imm32 for 64 bits. */
		unsigned isz = out->size == 8 ? 4 : out->size;
		if ((b[i] >> 3) & 7 || i + m + isz > len)
			return false; /* /0 is MOV; others are not */
		out->has_imm = true;
		out->imm = read_imm(b + i + m, isz);
		if (out->size == 8 && (out->imm & 0x80000000u))
			out->imm |= 0xffffffff00000000ull; /* sign-extended */
		m += isz;
	}
	out->len = i + m;
	return true;
}
