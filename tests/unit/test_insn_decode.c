/* Host unit tests for the MMIO instruction decoder (vmx/insn_decode.c).
 *
 * Every encoding below is written by hand from the SDM (Vol. 2A chapter 2,
 * Vol. 2B MOV/MOVZX) and was cross-checked with the GNU assembler; the AT&T
 * form is next to each one.  Bytes are decoded from an exact-size heap
 * copy, so ASan flags any read past the end of the buffer. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../vmx/insn_decode.h"
#include "unit.h"

#define LONG INSN_MODE_64
#define PROT32 INSN_MODE_32
#define REAL16 INSN_MODE_16

/* Register numbers (SDM Vol. 2A Table 2-2 / 3-1), restated on purpose. */
#define R_AX 0
#define R_CX 1
#define R_DX 2
#define R_BX 3
#define R_SP 4
#define R_SI 6
#define R_DI 7
#define R_R8 8
#define R_R9 9
#define R_R10 10
#define R_R12 12
#define R_R15 15

struct dcase {
	const char *what;   /* AT&T syntax */
	enum insn_mode mode;
	size_t n;
	uint8_t b[15];
	/* expected */
	unsigned len, size;
	bool is_write;
	unsigned reg;
	bool has_imm;
	uint64_t imm;
	bool zero_extend;
	bool sign_extend;
};

#define B(...) sizeof((uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ }
#define ST(sz, r) (sz), true, (r), false, 0, false, false /* register store */
#define LD(sz, r) (sz), false, (r), false, 0, false, false /* register load */
#define ZX(sz, r) (sz), false, (r), false, 0, true, false  /* MOVZX load */
#define SX(sz, r) (sz), false, (r), false, 0, true, true   /* MOVSX load */
#define IM(sz, v) (sz), true, 0, true, (v), false, false   /* immediate store */

/* Decodes n bytes from an exact-size heap copy of b. */
static bool decode(const uint8_t *b, size_t n, enum insn_mode mode,
		   struct mmio_insn *out)
{
	uint8_t *p = n ? malloc(n) : NULL;
	bool ok;

	if (n && !p)
		abort();
	if (n)
		memcpy(p, b, n);
	memset(out, 0xa5, sizeof(*out)); /* stale garbage must not leak out */
	ok = mmio_decode(p, n, mode, out);
	free(p);
	return ok;
}

#define EXPECT_FIELD(got, want) do {                                        \
		if ((uint64_t)(got) != (uint64_t)(want))                    \
			UNIT_FAIL("%s: %s = 0x%" PRIx64 ", want 0x%" PRIx64, \
				  c->what, #got, (uint64_t)(got),           \
				  (uint64_t)(want));                        \
	} while (0)

static void check_fields(const struct dcase *c, const struct mmio_insn *in)
{
	EXPECT_FIELD(in->len, c->len);
	EXPECT_FIELD(in->size, c->size);
	EXPECT_FIELD(in->is_write, c->is_write);
	EXPECT_FIELD(in->has_imm, c->has_imm);
	EXPECT_FIELD(in->zero_extend, c->zero_extend);
	EXPECT_FIELD(in->sign_extend, c->sign_extend);
	if (c->has_imm)
		EXPECT_FIELD(in->imm, c->imm);
	else
		EXPECT_FIELD(in->reg, c->reg);
}

static void check_cases(const struct dcase *cs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct dcase *c = &cs[i];
		struct mmio_insn in;

		if (c->len != c->n)
			UNIT_FAIL("%s: table error, len %u vs %zu bytes",
				  c->what, c->len, c->n);
		if (!decode(c->b, c->n, c->mode, &in))
			UNIT_FAIL("%s: rejected", c->what);
		check_fields(c, &in);
		if (unit_failed)
			return;
	}
}

#define CHECK_CASES(arr) check_cases((arr), sizeof(arr) / sizeof((arr)[0]))

/* ---- valid encodings, 64-bit mode ---- */

static const struct dcase stores64[] = {
	{ "mov %eax,(%rbx)", LONG, B(0x89, 0x03), 2, ST(4, R_AX) },
	{ "mov %rax,(%rbx)", LONG, B(0x48, 0x89, 0x03), 3, ST(8, R_AX) },
	{ "mov %ax,(%rbx)", LONG, B(0x66, 0x89, 0x03), 3, ST(2, R_AX) },
	{ "mov %al,(%rdx)", LONG, B(0x88, 0x02), 2, ST(1, R_AX) },
	{ "mov %r9,0x12345678(%rip)", LONG,
	  B(0x4c, 0x89, 0x0d, 0x78, 0x56, 0x34, 0x12), 7, ST(8, R_R9) },
	{ "mov %spl,(%rdx)", LONG, B(0x40, 0x88, 0x22), 3, ST(1, R_SP) },
	{ "mov %r12b,(%rdx)", LONG, B(0x44, 0x88, 0x22), 3, ST(1, R_R12) },
};

static const struct dcase loads64[] = {
	{ "mov 0x10(%rbx),%ecx", LONG, B(0x8b, 0x4b, 0x10), 3, LD(4, R_CX) },
	{ "mov (%rdx),%cl", LONG, B(0x8a, 0x0a), 2, LD(1, R_CX) },
	{ "mov (%rbx),%r15d", LONG, B(0x44, 0x8b, 0x3b), 3, LD(4, R_R15) },
	{ "mov (%rbx),%r15", LONG, B(0x4c, 0x8b, 0x3b), 3, LD(8, R_R15) },
	{ "mov %fs:(%rax),%edx", LONG, B(0x64, 0x8b, 0x10), 3, LD(4, R_DX) },
};

/* ModRM/SIB/displacement lengths (SDM Vol. 2A Tables 2-2, 2-3). */
static const struct dcase addressing64[] = {
	{ "mov %eax,(%rax,%rcx,4)", LONG, B(0x89, 0x04, 0x88), 3,
	  ST(4, R_AX) },
	{ "mov %eax,0x0(,%rcx,4)", LONG,
	  B(0x89, 0x04, 0x8d, 0x00, 0x00, 0x00, 0x00), 7, ST(4, R_AX) },
	{ "mov 0xfee000b0,%eax (SIB, no base, no index)", LONG,
	  B(0x8b, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe), 7, LD(4, R_AX) },
	{ "mov %eax,0x10(%rbp) (mod=01, rm=101 is not RIP)", LONG,
	  B(0x89, 0x45, 0x10), 3, ST(4, R_AX) },
	{ "mov 0x100(%rbx),%eax (mod=10 disp32)", LONG,
	  B(0x8b, 0x83, 0x00, 0x01, 0x00, 0x00), 6, LD(4, R_AX) },
	{ "mov %eax,0x8(%rsp) (SIB + disp8)", LONG,
	  B(0x89, 0x44, 0x24, 0x08), 4, ST(4, R_AX) },
	{ "mov %eax,0x100(%rsp) (SIB + disp32)", LONG,
	  B(0x89, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00), 7, ST(4, R_AX) },
	{ "mov %eax,0x10(%rbp,%rcx,4) (SIB base=101, mod=01)", LONG,
	  B(0x89, 0x44, 0x8d, 0x10), 4, ST(4, R_AX) },
	{ "mov %eax,(%r11) (REX.B does not change reg)", LONG,
	  B(0x41, 0x89, 0x03), 3, ST(4, R_AX) },
	{ "mov %eax,(%rax,%r9,4) (REX.X does not change reg)", LONG,
	  B(0x42, 0x89, 0x04, 0x88), 4, ST(4, R_AX) },
};

static const struct dcase imm64[] = {
	{ "movb $0xab,(%rax)", LONG, B(0xc6, 0x00, 0xab), 3, IM(1, 0xab) },
	{ "movw $0x1234,(%rdi)", LONG, B(0x66, 0xc7, 0x07, 0x34, 0x12), 5,
	  IM(2, 0x1234) },
	{ "movl $0xdeadbeef,0x10(%rip) (no sign extension at size 4)", LONG,
	  B(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde), 10,
	  IM(4, 0xdeadbeef) },
	{ "movq $-1,(%rax)", LONG, B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff),
	  7, IM(8, 0xffffffffffffffffull) },
	{ "movq $-0x80000000,(%rax)", LONG,
	  B(0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), 7,
	  IM(8, 0xffffffff80000000ull) },
	{ "movq $0x7fffffff,(%rax)", LONG,
	  B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f), 7, IM(8, 0x7fffffff) },
	{ "movb $0x7f,0x8(%rbp) (REX.W ignored for byte ops)", LONG,
	  B(0x48, 0xc6, 0x45, 0x08, 0x7f), 5, IM(1, 0x7f) },
	{ "movl $0x11223344,0x8(%rsp) (SIB + disp8 + imm32)", LONG,
	  B(0xc7, 0x44, 0x24, 0x08, 0x44, 0x33, 0x22, 0x11), 8,
	  IM(4, 0x11223344) },
};

static const struct dcase movzx64[] = {
	{ "movzbl (%rsi),%eax", LONG, B(0x0f, 0xb6, 0x06), 3, ZX(1, R_AX) },
	{ "movzwl (%rsi),%ecx", LONG, B(0x0f, 0xb7, 0x0e), 3, ZX(2, R_CX) },
	{ "movzbq (%rsi),%r8", LONG, B(0x4c, 0x0f, 0xb6, 0x06), 4,
	  ZX(1, R_R8) },
	{ "movzwl (%rsi),%r10d", LONG, B(0x44, 0x0f, 0xb7, 0x16), 4,
	  ZX(2, R_R10) },
	{ "movzbl 0x10(%rbx),%edx", LONG, B(0x0f, 0xb6, 0x53, 0x10), 4,
	  ZX(1, R_DX) },
	{ "movsbl (%rsi),%eax", LONG, B(0x0f, 0xbe, 0x06), 3, SX(1, R_AX) },
	{ "movswl (%rsi),%ecx", LONG, B(0x0f, 0xbf, 0x0e), 3, SX(2, R_CX) },
	{ "movsbq (%rsi),%r8", LONG, B(0x4c, 0x0f, 0xbe, 0x06), 4,
	  SX(1, R_R8) },
	{ "movswq 0x10(%rbx),%rdx", LONG, B(0x48, 0x0f, 0xbf, 0x53, 0x10), 5,
	  SX(2, R_DX) },
};

static const struct dcase prefixes64[] = {
	{ "mov %eax,(%ebx) (67 in long mode)", LONG, B(0x67, 0x89, 0x03), 3,
	  ST(4, R_AX) },
	{ "ds mov (%rax),%edx", LONG, B(0x3e, 0x8b, 0x10), 3, LD(4, R_DX) },
	{ "cs ss es mov %eax,(%rbx)", LONG, B(0x2e, 0x36, 0x26, 0x89, 0x03), 5,
	  ST(4, R_AX) },
	{ "mov %ax,%gs:(%r11)", LONG, B(0x65, 0x66, 0x41, 0x89, 0x03), 5,
	  ST(2, R_AX) },
	{ "66 + REX.W: REX.W wins (SDM 2.2.1.2)", LONG,
	  B(0x66, 0x48, 0x89, 0x03), 4, ST(8, R_AX) },
	{ "66 on a byte op is ignored", LONG, B(0x66, 0x88, 0x02), 3,
	  ST(1, R_AX) },
	{ "movw $0x1234,%gs:0x8(%rsp) (prefixes + SIB + disp8 + imm16)", LONG,
	  B(0x65, 0x66, 0xc7, 0x44, 0x24, 0x08, 0x34, 0x12), 8,
	  IM(2, 0x1234) },
};

/* ---- valid encodings, 32-bit protected mode ---- */

static const struct dcase prot32[] = {
	{ "movl $0xdeadbeef,0xfee000b0", PROT32,
	  B(0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0xef, 0xbe, 0xad, 0xde), 10,
	  IM(4, 0xdeadbeef) },
	{ "mov %eax,(%ebx)", PROT32, B(0x89, 0x03), 2, ST(4, R_AX) },
	{ "mov 0xfee000b0,%ecx (mod=00 rm=101 disp32)", PROT32,
	  B(0x8b, 0x0d, 0xb0, 0x00, 0xe0, 0xfe), 6, LD(4, R_CX) },
	{ "mov %ax,(%ebx)", PROT32, B(0x66, 0x89, 0x03), 3, ST(2, R_AX) },
	{ "movzwl (%esi),%eax", PROT32, B(0x0f, 0xb7, 0x06), 3, ZX(2, R_AX) },
	{ "mov %eax,0x0(,%ecx,4)", PROT32,
	  B(0x89, 0x04, 0x8d, 0x00, 0x00, 0x00, 0x00), 7, ST(4, R_AX) },
	{ "mov %ds:(%eax),%edx", PROT32, B(0x3e, 0x8b, 0x10), 3, LD(4, R_DX) },
	{ "mov %dl,(%edx)", PROT32, B(0x88, 0x12), 2, ST(1, R_DX) },
	{ "movb $0x7f,0x8(%ebp)", PROT32, B(0xc6, 0x45, 0x08, 0x7f), 4,
	  IM(1, 0x7f) },
	{ "mov %eax,0x100(%esp)", PROT32,
	  B(0x89, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00), 7, ST(4, R_AX) },
	{ "movw $0xbeef,%es:(%edi)", PROT32,
	  B(0x26, 0x66, 0xc7, 0x07, 0xef, 0xbe), 6, IM(2, 0xbeef) },
};

/* 32-bit code with the address-size prefix: 16-bit ModRM (Table 2-1). */
static const struct dcase prot32_addr16[] = {
	{ "addr16 mov %eax,(%bx)", PROT32, B(0x67, 0x89, 0x07), 3,
	  ST(4, R_AX) },
	{ "addr16 mov %ax,(%bx)", PROT32, B(0x67, 0x66, 0x89, 0x07), 4,
	  ST(2, R_AX) },
	{ "addr16 mov 0x1234(%bp,%di),%edx (mod=10 disp16)", PROT32,
	  B(0x67, 0x8b, 0x93, 0x34, 0x12), 5, LD(4, R_DX) },
	{ "addr16 mov 0x10,%eax (moffs16)", PROT32, B(0x67, 0xa1, 0x10, 0x00),
	  4, LD(4, R_AX) },
	{ "addr16 movl $0xdeadbeef,0x4 (disp16 + imm32)", PROT32,
	  B(0x67, 0xc7, 0x06, 0x04, 0x00, 0xef, 0xbe, 0xad, 0xde), 9,
	  IM(4, 0xdeadbeef) },
};

/* ---- valid encodings, 16-bit code (real mode, CS.D = 0) ---- */

static const struct dcase real16[] = {
	{ "mov %ax,(%bx)", REAL16, B(0x89, 0x07), 2, ST(2, R_AX) },
	{ "mov %eax,(%bx) (66: 32-bit operand)", REAL16, B(0x66, 0x89, 0x07),
	  3, ST(4, R_AX) },
	{ "mov %si,%es:0x4 (mod=00 rm=110: disp16)", REAL16,
	  B(0x26, 0x89, 0x36, 0x04, 0x00), 5, ST(2, R_SI) },
	{ "mov %es:0x4,%ebx", REAL16, B(0x26, 0x66, 0x8b, 0x1e, 0x04, 0x00), 6,
	  LD(4, R_BX) },
	{ "mov %es:0x2(%bx,%si),%cx (mod=01 disp8)", REAL16,
	  B(0x26, 0x8b, 0x48, 0x02), 4, LD(2, R_CX) },
	{ "mov 0x1234(%bp,%di),%dx (mod=10 disp16)", REAL16,
	  B(0x8b, 0x93, 0x34, 0x12), 4, LD(2, R_DX) },
	{ "mov 0x0(%bp),%ax (mod=01 rm=110 is bp+disp8)", REAL16,
	  B(0x8b, 0x46, 0x00), 3, LD(2, R_AX) },
	{ "movw $0x5678,%es:0x4 (disp16 + imm16)", REAL16,
	  B(0x26, 0xc7, 0x06, 0x04, 0x00, 0x78, 0x56), 7, IM(2, 0x5678) },
	{ "movl $0x12345678,(%di) (66: imm32)", REAL16,
	  B(0x66, 0xc7, 0x05, 0x78, 0x56, 0x34, 0x12), 7, IM(4, 0x12345678) },
	{ "movb $0x7f,-0x2(%bp)", REAL16, B(0xc6, 0x46, 0xfe, 0x7f), 4,
	  IM(1, 0x7f) },
	{ "mov %eax,%es:0x4 (moffs16, 32-bit operand)", REAL16,
	  B(0x26, 0x66, 0xa3, 0x04, 0x00), 5, ST(4, R_AX) },
	{ "mov 0x10,%al (moffs16)", REAL16, B(0xa0, 0x10, 0x00), 3,
	  LD(1, R_AX) },
	{ "addr32 mov %fs:(%edx),%edi (67: 32-bit ModRM)", REAL16,
	  B(0x64, 0x67, 0x66, 0x8b, 0x3a), 5, LD(4, R_DI) },
	{ "addr32 mov %eax,0x0(,%ecx,4) (67: SIB + disp32)", REAL16,
	  B(0x67, 0x66, 0x89, 0x04, 0x8d, 0x00, 0x00, 0x00, 0x00), 9,
	  ST(4, R_AX) },
	{ "addr32 mov 0xfeb00000,%ax (moffs32)", REAL16,
	  B(0x67, 0xa1, 0x00, 0x00, 0xb0, 0xfe), 6, LD(2, R_AX) },
	{ "movzbw %es:0x5,%ax", REAL16, B(0x26, 0x0f, 0xb6, 0x06, 0x05, 0x00),
	  6, ZX(1, R_AX) },
	{ "movzbl (%si),%ecx", REAL16, B(0x66, 0x0f, 0xb6, 0x0c), 4,
	  ZX(1, R_CX) },
};

TEST(mov_reg_to_mem_64) { CHECK_CASES(stores64); }
TEST(mov_mem_to_reg_64) { CHECK_CASES(loads64); }
TEST(modrm_sib_displacement_lengths) { CHECK_CASES(addressing64); }
TEST(mov_imm_to_mem_64) { CHECK_CASES(imm64); }
TEST(movzx_64) { CHECK_CASES(movzx64); }
TEST(legacy_and_rex_prefixes_64) { CHECK_CASES(prefixes64); }
TEST(protected_mode_32) { CHECK_CASES(prot32); }
TEST(protected_mode_32_with_16bit_addressing) { CHECK_CASES(prot32_addr16); }
TEST(code_16bit) { CHECK_CASES(real16); }

static const struct {
	const struct dcase *cs;
	size_t count;
} all_valid[] = {
#define GROUP(a) { (a), sizeof(a) / sizeof((a)[0]) }
	GROUP(stores64), GROUP(loads64), GROUP(addressing64), GROUP(imm64),
	GROUP(movzx64), GROUP(prefixes64), GROUP(prot32),
	GROUP(prot32_addr16), GROUP(real16),
#undef GROUP
};

/* The decoder reads the instruction from a fixed 15-byte fetch: whatever
 * follows the instruction must not change the result. */
TEST(trailing_bytes_ignored)
{
	static const uint8_t fill[] = { 0x00, 0xff, 0x90, 0x66, 0x48 };

	for (size_t g = 0; g < sizeof(all_valid) / sizeof(all_valid[0]); g++)
		for (size_t i = 0; i < all_valid[g].count; i++) {
			const struct dcase *c = &all_valid[g].cs[i];

			for (size_t f = 0; f < sizeof(fill); f++) {
				uint8_t buf[15];
				struct mmio_insn in;

				memset(buf, fill[f], sizeof(buf));
				memcpy(buf, c->b, c->n);
				if (!decode(buf, sizeof(buf), c->mode, &in))
					UNIT_FAIL("%s + 0x%02x fill: rejected",
						  c->what, fill[f]);
				check_fields(c, &in);
				if (unit_failed)
					return;
			}
		}
}

/* Every proper prefix of every valid instruction is rejected, and ASan
 * checks that none of them is read past its end. */
TEST(every_truncation_rejected_without_overread)
{
	for (size_t g = 0; g < sizeof(all_valid) / sizeof(all_valid[0]); g++)
		for (size_t i = 0; i < all_valid[g].count; i++) {
			const struct dcase *c = &all_valid[g].cs[i];

			for (size_t n = 0; n < c->n; n++) {
				struct mmio_insn in;

				if (decode(c->b, n, c->mode, &in))
					UNIT_FAIL("%s: accepted %zu of %zu bytes "
						  "(len %u)", c->what, n, c->n,
						  in.len);
			}
		}
}

/* ---- rejections ---- */

struct rcase {
	const char *what;
	enum insn_mode mode;
	size_t n;
	uint8_t b[15];
};

static void check_rejects(const struct rcase *rs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct rcase *r = &rs[i];
		struct mmio_insn in;

		if (decode(r->b, r->n, r->mode, &in))
			UNIT_FAIL("%s: accepted (len %u size %u reg %u)",
				  r->what, in.len, in.size, in.reg);
	}
}

#define CHECK_REJECTS(arr) check_rejects((arr), sizeof(arr) / sizeof((arr)[0]))

/* Each case is padded with zero bytes so that only the named property,
 * not a short buffer, can be the reason for rejecting it. */
#define PAD 0, 0, 0, 0, 0, 0, 0, 0

static const struct rcase register_direct[] = {
	{ "mov %eax,%ebx (89 /r, mod=11)", LONG, B(0x89, 0xc3, PAD) },
	{ "mov %ebx,%eax (8b /r, mod=11)", LONG, B(0x8b, 0xc3, PAD) },
	{ "mov %al,%bl (88 /r, mod=11)", LONG, B(0x88, 0xc3, PAD) },
	{ "mov $1,%eax (c7 /0, mod=11)", LONG,
	  B(0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00, PAD) },
	{ "mov $1,%al (c6 /0, mod=11)", LONG, B(0xc6, 0xc0, 0x01, PAD) },
	{ "movzbl %al,%eax (0f b6, mod=11)", LONG, B(0x0f, 0xb6, 0xc0, PAD) },
	{ "mov %r8,%rbx (REX + mod=11)", LONG, B(0x4c, 0x89, 0xc3, PAD) },
	{ "mov %eax,%ebx (32-bit)", PROT32, B(0x89, 0xc3, PAD) },
};

static const struct rcase unknown_opcodes[] = {
	{ "add %eax,(%rbx) (01 /r)", LONG, B(0x01, 0x03, PAD) },
	{ "bsf (%rsi),%eax (0f bc)", LONG, B(0x0f, 0xbc, 0x06, PAD) },
	{ "ud2 (0f 0b)", LONG, B(0x0f, 0x0b, PAD) },
	{ "lock mov (f0 is not accepted)", LONG, B(0xf0, 0x89, 0x03, PAD) },
	{ "rep mov (f3 is not accepted)", LONG, B(0xf3, 0x89, 0x03, PAD) },
	{ "c7 /1 (not MOV)", LONG,
	  B(0xc7, 0x08, 0x00, 0x00, 0x00, 0x80, PAD) },
	{ "c7 /7", LONG, B(0xc7, 0x38, 0x00, 0x00, 0x00, 0x00, PAD) },
	{ "c6 /1", LONG, B(0xc6, 0x08, 0x00, PAD) },
	{ "c6 /4", PROT32, B(0xc6, 0x20, 0x00, PAD) },
	{ "REX.R with c7 /1 (reg field 9)", LONG,
	  B(0x44, 0xc7, 0x08, 0x00, 0x00, 0x00, 0x00, PAD) },
	{ "all zeros: add %al,(%rax)", LONG, B(0x00, 0x00, PAD) },
};

static const struct rcase mode_rules[] = {
	{ "48 in 32-bit mode is dec %eax, not REX.W", PROT32,
	  B(0x48, 0x89, 0x03, PAD) },
	{ "44 in 32-bit mode is inc %esp, not REX.R", PROT32,
	  B(0x44, 0x8b, 0x3b, PAD) },
	{ "40 in 32-bit mode is inc %eax", PROT32, B(0x40, 0x88, 0x22, PAD) },
	{ "4c 0f b6 in 32-bit mode", PROT32, B(0x4c, 0x0f, 0xb6, 0x06, PAD) },
};

static const struct rcase mode16_rules[] = {
	{ "mov %ax,%bx (16-bit, mod=11)", REAL16, B(0x89, 0xc3, PAD) },
	{ "48 in 16-bit code is dec %ax, not REX.W", REAL16,
	  B(0x48, 0x89, 0x07, PAD) },
	{ "add %ax,(%bx) (16-bit)", REAL16, B(0x01, 0x07, PAD) },
	{ "c7 /1 (16-bit)", REAL16, B(0xc7, 0x0f, 0x00, 0x00, PAD) },
};

TEST(rejects_register_direct_modrm) { CHECK_REJECTS(register_direct); }
TEST(rejects_rex_and_others_in_16bit_code) { CHECK_REJECTS(mode16_rules); }
TEST(rejects_other_opcodes_and_c6_c7_other_than_slash0)
{
	CHECK_REJECTS(unknown_opcodes);
}
TEST(rejects_rex_in_32bit_mode) { CHECK_REJECTS(mode_rules); }

TEST(rejects_empty_and_prefix_only_buffers)
{
	static const uint8_t only_prefixes[] = { 0x66, 0x64, 0x2e, 0x67, 0x48 };
	struct mmio_insn in;

	CHECK(!decode(NULL, 0, LONG, &in));
	CHECK(!decode(NULL, 0, PROT32, &in));
	CHECK(!decode(NULL, 0, REAL16, &in));
	for (size_t n = 1; n <= sizeof(only_prefixes); n++)
		CHECK(!decode(only_prefixes, n, LONG, &in));
	CHECK(!decode(only_prefixes, 4, PROT32, &in)); /* 66 64 2e 67 */
	CHECK(!decode(only_prefixes, 4, REAL16, &in));
}

/* A successful decode clears what it does not set, when the same result
 * structure is reused. */
TEST(result_fields_are_reset_between_decodes)
{
	static const uint8_t imm[] = { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zx[] = { 0x0f, 0xb6, 0x06 };
	static const uint8_t st[] = { 0x89, 0x03 };
	struct mmio_insn in;

	CHECK(mmio_decode(imm, sizeof(imm), LONG, &in));
	CHECK(in.has_imm);
	CHECK(mmio_decode(zx, sizeof(zx), LONG, &in));
	CHECK(!in.has_imm);
	CHECK_EQ_U64(in.imm, 0);
	CHECK(in.zero_extend);
	CHECK(mmio_decode(st, sizeof(st), LONG, &in));
	CHECK(!in.zero_extend);
	CHECK(!in.has_imm);
	CHECK_EQ_U64(in.reg, 0);
	CHECK_EQ_U64(in.len, 2);
}

UNIT_MAIN("insn_decode")

TEST(high_byte_registers_without_rex)
{
	/* mov %ah,(%rdx) = 88 22; mov %bh,(%eax) in 32-bit code = 88 38 */
	static const uint8_t ah[] = { 0x88, 0x22 };
	static const uint8_t bh[] = { 0x88, 0x38 };
	/* with REX, 4 is SPL: mov %spl,(%rdx) = 40 88 22 */
	static const uint8_t spl[] = { 0x40, 0x88, 0x22 };
	struct mmio_insn in;

	CHECK(mmio_decode(ah, sizeof(ah), LONG, &in));
	CHECK(in.high8);
	CHECK_EQ_U64(in.reg, 0);
	CHECK(mmio_decode(bh, sizeof(bh), PROT32, &in));
	CHECK(in.high8);
	CHECK_EQ_U64(in.reg, 3);
	CHECK(mmio_decode(spl, sizeof(spl), LONG, &in));
	CHECK(!in.high8);
	CHECK_EQ_U64(in.reg, 4);
}

TEST(movzx_destination_size)
{
	static const uint8_t movzbw[] = { 0x66, 0x0f, 0xb6, 0x06 };
	static const uint8_t movzbl[] = { 0x0f, 0xb6, 0x06 };
	static const uint8_t movzbq[] = { 0x48, 0x0f, 0xb6, 0x06 };
	struct mmio_insn in;

	CHECK(mmio_decode(movzbw, sizeof(movzbw), LONG, &in));
	CHECK_EQ_U64(in.dest_size, 2);
	CHECK_EQ_U64(in.size, 1);
	CHECK(mmio_decode(movzbl, sizeof(movzbl), LONG, &in));
	CHECK_EQ_U64(in.dest_size, 4);
	CHECK(mmio_decode(movzbq, sizeof(movzbq), LONG, &in));
	CHECK_EQ_U64(in.dest_size, 8);
}

/* The operand size of MOVZX's destination and of a byte register follow
 * the mode too. */
TEST(sizes_in_16bit_code)
{
	static const uint8_t movzbw[] = { 0x0f, 0xb6, 0x06, 0x05, 0x00 };
	static const uint8_t movzbl[] = { 0x66, 0x0f, 0xb6, 0x0c };
	static const uint8_t ah[] = { 0x88, 0x24 }; /* mov %ah,(%si) */
	struct mmio_insn in;

	CHECK(mmio_decode(movzbw, sizeof(movzbw), REAL16, &in));
	CHECK_EQ_U64(in.dest_size, 2);
	CHECK_EQ_U64(in.len, 5);
	CHECK(mmio_decode(movzbl, sizeof(movzbl), REAL16, &in));
	CHECK_EQ_U64(in.dest_size, 4);
	CHECK(mmio_decode(ah, sizeof(ah), REAL16, &in));
	CHECK(in.high8);
	CHECK_EQ_U64(in.reg, 0);
	CHECK_EQ_U64(in.size, 1);
}

TEST(moffs_forms)
{
	/* mov 0xfeb00000,%eax (32-bit) = a1 00 00 b0 fe */
	static const uint8_t ld32[] = { 0xa1, 0x00, 0x00, 0xb0, 0xfe };
	/* mov %al,0xfeb00004 (32-bit) = a2 04 00 b0 fe */
	static const uint8_t st8[] = { 0xa2, 0x04, 0x00, 0xb0, 0xfe };
	/* movabs 0xfeb00000,%rax = 48 a1 + 8-byte offset */
	static const uint8_t ld64[] = { 0x48, 0xa1, 0, 0, 0xb0, 0xfe, 0, 0, 0, 0 };
	struct mmio_insn in;

	CHECK(mmio_decode(ld32, sizeof(ld32), PROT32, &in));
	CHECK_EQ_U64(in.len, 5);
	CHECK_EQ_U64(in.size, 4);
	CHECK(!in.is_write);
	CHECK_EQ_U64(in.reg, 0);
	CHECK(mmio_decode(st8, sizeof(st8), PROT32, &in));
	CHECK(in.is_write);
	CHECK_EQ_U64(in.size, 1);
	CHECK(mmio_decode(ld64, sizeof(ld64), LONG, &in));
	CHECK_EQ_U64(in.len, 10);
	CHECK_EQ_U64(in.size, 8);
	CHECK(!mmio_decode(ld32, sizeof(ld32) - 1, PROT32, &in));
}
