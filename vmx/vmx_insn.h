/* The VMX instructions.  Each reports VMfailInvalid (CF=1) or VMfailValid
 * (ZF=1) as a nonzero return (SDM Vol. 3C 31.2). */
#ifndef VMX_VMX_INSN_H
#define VMX_VMX_INSN_H

#include <stdint.h>

#define VMX_FAIL_INVALID 1 /* no current VMCS */
#define VMX_FAIL_VALID 2   /* error number in VM_INSTRUCTION_ERROR */

#define VMX_INSN_RESULT "setc %b0; setz %b1"

static inline int vmx_result(uint8_t cf, uint8_t zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : 0;
}

static inline int vmxon(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxon %2; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf) : "m"(phys) : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline int vmclear(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmclear %2; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf) : "m"(phys) : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline int vmptrld(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrld %2; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf) : "m"(phys) : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline int vmread(uint64_t field, uint64_t *val)
{
	uint8_t cf, zf;
	__asm__ volatile("vmread %3, %2; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf), "=rm"(*val) : "r"(field)
			 : "cc");
	return vmx_result(cf, zf);
}

static inline int vmwrite(uint64_t field, uint64_t val)
{
	uint8_t cf, zf;
	__asm__ volatile("vmwrite %3, %2; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf) : "r"(field), "rm"(val)
			 : "cc");
	return vmx_result(cf, zf);
}

/* INVEPT / INVVPID descriptors and types (SDM Vol. 3C 31.3). */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT 1

static inline int invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, zero; } desc = { eptp, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invept %2, %3; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf) : "m"(desc), "r"(type)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

static inline int invvpid(uint64_t type, uint16_t vpid)
{
	struct { uint64_t vpid, addr; } desc = { vpid, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invvpid %2, %3; " VMX_INSN_RESULT
			 : "=qm"(cf), "=qm"(zf) : "m"(desc), "r"(type)
			 : "cc", "memory");
	return vmx_result(cf, zf);
}

#endif
