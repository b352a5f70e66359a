#include "vmcs.h"

#include "../kernel/panic.h"
#include "vmx_insn.h"

#define GUEST_SEGMENT(s)                                                    \
	[SEG_##s] = { VMCS_F16(GUEST_##s##_SELECTOR), VMCS_FN(GUEST_##s##_BASE), \
		      VMCS_F32(GUEST_##s##_LIMIT), VMCS_F32(GUEST_##s##_AR_BYTES) }

const struct vmcs_segment vmcs_guest_segment[SEG_COUNT] = {
	GUEST_SEGMENT(ES), GUEST_SEGMENT(CS), GUEST_SEGMENT(SS),
	GUEST_SEGMENT(DS), GUEST_SEGMENT(FS), GUEST_SEGMENT(GS),
};

static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "Invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(uint32_t err)
{
	if (err < sizeof(insn_errors) / sizeof(insn_errors[0]) &&
	    insn_errors[err])
		return insn_errors[err];
	return "unknown VM-instruction error";
}

static void vmcs_fail(const char *op, enum vmcs_field f, int rc)
{
	uint64_t err = 0;

	if (rc == VMX_FAIL_VALID)
		vmread(VM_INSTRUCTION_ERROR, &err);
	panic("%s of VMCS field %#x failed: %s", op, (unsigned)f,
	      rc == VMX_FAIL_INVALID ? "no current VMCS"
				     : vmx_instruction_error_name((uint32_t)err));
}

uint64_t vmcs_read_checked(enum vmcs_field f)
{
	uint64_t v = 0;
	int rc = vmread(f, &v);
	if (rc)
		vmcs_fail("VMREAD", f, rc);
	return v;
}

void vmcs_write_checked(enum vmcs_field f, uint64_t v)
{
	int rc = vmwrite(f, v);
	if (rc)
		vmcs_fail("VMWRITE", f, rc);
}
