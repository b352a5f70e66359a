#include "insn_decode.h"

#define PREFIX_OPSIZE 0x66
#define PREFIX_ADDRSIZE 0x67

/* Bytes taken by ModRM + SIB + displacement with 32/64-bit addressing
 * (SDM Vol. 2A Table 2-2, 2-3).  Returns 0 if it runs past len. */
static unsigned modrm_length(const uint8_t *b, size_t len)
{
	unsigned mod, rm, n = 1;

	if (len < 1)
		return 0;
	mod = b[0] >> 6;
	rm = b[0] & 7;
	if (mod == 3)
		return 0; /* register operand: not a memory access */
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
	bool opsize, rex, rex_w, rex_r;
};

static bool read_prefixes(const uint8_t *b, size_t len, bool long_mode,
			  struct prefixes *p)
{
	*p = (struct prefixes){ 0 };
	for (; p->n < len; p->n++) {
		uint8_t c = b[p->n];
		if (c == PREFIX_OPSIZE)
			p->opsize = true;
		else if (c == PREFIX_ADDRSIZE && !long_mode)
			return false; /* 16-bit addressing: not supported */
		else if (c == PREFIX_ADDRSIZE || c == 0x2e || c == 0x3e ||
			 c == 0x26 || c == 0x36 || c == 0x64 || c == 0x65)
			continue; /* segment overrides: the GPA is known */
		else
			break;
	}
	if (long_mode && p->n < len && (b[p->n] & 0xf0) == 0x40) {
		p->rex = true;
		p->rex_w = (b[p->n] & 8) != 0;
		p->rex_r = (b[p->n] & 4) != 0;
		p->n++;
	}
	return p->n < len;
}

static uint64_t read_imm(const uint8_t *b, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* MOV between AL/eAX/rAX and an absolute address (A0-A3): no ModRM; the
 * offset is 8 bytes in 64-bit code, 4 in 32-bit code. */
static bool decode_moffs(uint8_t op, unsigned i, size_t len, bool long_mode,
			 unsigned opsize, struct mmio_insn *out)
{
	unsigned off_len = long_mode ? 8 : 4;

	if (i + off_len > len)
		return false;
	out->size = (op & 1) ? opsize : 1;
	out->is_write = op >= 0xa2;
	out->reg = 0;
	out->len = i + off_len;
	return true;
}

bool mmio_decode(const uint8_t *b, size_t len, bool long_mode,
		 struct mmio_insn *out)
{
	struct prefixes p;
	unsigned i, m, opsize;
	uint8_t op;

	if (!read_prefixes(b, len, long_mode, &p))
		return false;
	i = p.n;
	opsize = p.rex_w ? 8 : p.opsize ? 2 : 4;
	*out = (struct mmio_insn){ 0 };
	op = b[i++];
	if (op >= 0xa0 && op <= 0xa3)
		return decode_moffs(op, i, len, long_mode, opsize, out);
	if (op == 0x0f) { /* MOVZX r, r/m8 or r/m16 */
		if (i >= len || (b[i] != 0xb6 && b[i] != 0xb7))
			return false;
		out->size = b[i++] == 0xb6 ? 1 : 2;
		out->zero_extend = true;
		out->dest_size = opsize;
	} else if (op == 0x88 || op == 0x8a || op == 0xc6) {
		out->size = 1;
	} else if (op == 0x89 || op == 0x8b || op == 0xc7) {
		out->size = opsize;
	} else {
		return false;
	}
	if (i >= len || !(m = modrm_length(b + i, len - i)))
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
