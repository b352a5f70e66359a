/* Just enough x86 instruction decoding for MMIO (SDM Vol. 2A chapter 2):
 * MOV between a register and memory, MOV of an immediate to memory, and
 * MOVZX from memory.  The memory address itself comes from the EPT
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
	unsigned dest_size; /* MOVZX: size of the destination register */
	bool has_imm;      /* the source is imm, not reg */
	uint64_t imm;
	bool zero_extend;  /* MOVZX: reg gets the value zero-extended */
};

/* Decodes at most len bytes.  long_mode: 64-bit code (REX prefixes, 8-byte
 * operands); otherwise 32-bit code.  Returns false for anything else. */
bool mmio_decode(const uint8_t *b, size_t len, bool long_mode,
		 struct mmio_insn *out);

#endif
