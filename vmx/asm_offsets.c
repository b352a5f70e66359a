/* The numbers vmx/vmx_entry.S shares with C, taken from the C definitions
 * at build time (the Linux asm-offsets technique).  This file is compiled
 * with -S only, never linked: each ASM_CONST leaves a line "->NAME value"
 * in the assembly, which the Makefile turns into build/gen/asm_offsets.h.
 * A layout change in struct guest_regs or a field encoding then reaches
 * the assembly by itself; what the assembly cannot adapt to fails the
 * build here or in the .if checks of vmx_entry.S. */
#include <stddef.h>

#include "../kernel/vm.h"
#include "vmcs_fields.h"
#include "vmx_insn.h"

/* "%c0": the constant without AT&T's '$'. */
#define ASM_CONST(name, value) \
	__asm__ volatile("\n.ascii \"->" #name " %c0\"" : : "i"((long)(value)))

#define REG_OFFSET(r) offsetof(struct guest_regs, gpr[r])

/* vmx_enter hands HOST_RSP to a 64-bit VMWRITE of %rsp. */
_Static_assert(VMCS_FIELD_WIDTH(HOST_RSP) == VMCS_WNAT,
	       "HOST_RSP is a natural-width field");
/* 8-byte slots: the stub moves each register with movq. */
_Static_assert(sizeof(((struct guest_regs *)0)->gpr[0]) == 8 &&
	       sizeof(((struct guest_regs *)0)->cr2) == 8,
	       "guest_regs slots are 64-bit");

void asm_offsets(void);

void asm_offsets(void)
{
	ASM_CONST(GUEST_NREGS, GUEST_NREGS);
	ASM_CONST(REGS_RAX, REG_OFFSET(REG_RAX));
	ASM_CONST(REGS_RCX, REG_OFFSET(REG_RCX));
	ASM_CONST(REGS_RDX, REG_OFFSET(REG_RDX));
	ASM_CONST(REGS_RBX, REG_OFFSET(REG_RBX));
	ASM_CONST(REGS_RBP, REG_OFFSET(REG_RBP));
	ASM_CONST(REGS_RSI, REG_OFFSET(REG_RSI));
	ASM_CONST(REGS_RDI, REG_OFFSET(REG_RDI));
	ASM_CONST(REGS_R8, REG_OFFSET(REG_R8));
	ASM_CONST(REGS_R9, REG_OFFSET(REG_R9));
	ASM_CONST(REGS_R10, REG_OFFSET(REG_R10));
	ASM_CONST(REGS_R11, REG_OFFSET(REG_R11));
	ASM_CONST(REGS_R12, REG_OFFSET(REG_R12));
	ASM_CONST(REGS_R13, REG_OFFSET(REG_R13));
	ASM_CONST(REGS_R14, REG_OFFSET(REG_R14));
	ASM_CONST(REGS_R15, REG_OFFSET(REG_R15));
	ASM_CONST(REGS_CR2, offsetof(struct guest_regs, cr2));
	ASM_CONST(VMCS_HOST_RSP, HOST_RSP);
	ASM_CONST(VMX_FAIL_INVALID, VMX_FAIL_INVALID);
	ASM_CONST(VMX_FAIL_VALID, VMX_FAIL_VALID);
}
