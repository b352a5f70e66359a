/* Just enough x86 instruction decoding for MMIO (SDM Vol. 2A chapter 2):
 * MOV between a register and memory, MOV of an immediate to memory, and
 * MOVZX and MOVSX from memory.  The memory address itself comes from the EPT
 * violation, so only the length, size, direction and register matter.
 * Pure, unit-tested. */
#ifndef VMX_INSN_DECODE_H
#define VMX_INSN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmio_insn {
	unsigned len;      /* bytes, prefixes included */
	unsigned size;     /* access size: 1, 2, 4 or 8 */
	bool is_write;     /* memory is the destination */
	unsigned reg;      /* register number (0 = RAX ... 15 = R15) */
	bool high8;        /* reg is AH, CH, DH or BH: bits 15:8 of reg */
	unsigned dest_size; /* MOVZX/MOVSX: size of the destination register */
	bool has_imm;      /* the source is imm, not reg */
	uint64_t imm;
	bool zero_extend;  /* MOVZX, MOVSX: reg gets the value widened to
			      dest_size... */
	bool sign_extend;  /* ...by its sign (MOVSX), not zeros (MOVZX) */
};

/* The kind of code the instruction is in, which sets its default operand
 * and address sizes (SDM Vol. 2A 2.1.5, 2.2.1.2; Vol. 3A 3.4.5): 16-bit
 * (real mode, virtual-8086 mode, a code segment with D = 0), 32-bit (D =
 * 1), or 64-bit (IA-32e mode with CS.L = 1: REX prefixes exist). */
enum insn_mode { INSN_MODE_16 = 16, INSN_MODE_32 = 32, INSN_MODE_64 = 64 };

/* Decodes at most len bytes of code of the given mode.  Returns false
 * for anything it does not know. */
bool mmio_decode(const uint8_t *b, size_t len, enum insn_mode mode,
		 struct mmio_insn *out);

#endif
