#include "vcpu_state.h"

#include "event.h"
#include "vcpu_run.h"
#include "vmcs.h"
#include "vmcs_setup.h"
#include "vmx_insn.h"

/* The guest-state area (SDM Vol. 3C 25.4) but for fields the VM exit
 * rewrites anyway or the hypervisor owns (the preemption timer value,
 * the VMCS link pointer, SMBASE), then the controls that follow the
 * guest: pending injection (25.8.3), window exiting (25.6.2), the
 * IA-32e mode guest entry control (25.8.1), the CR0/CR4 read shadows and
 * masks (25.6.6) and the exception bitmap. */
static const uint32_t fields[] = {
	GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR,
	GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR,
	GUEST_LDTR_SELECTOR, GUEST_TR_SELECTOR,
	GUEST_IA32_DEBUGCTL, GUEST_IA32_PAT, GUEST_IA32_EFER,
	GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3,
	GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT,
	GUEST_FS_LIMIT, GUEST_GS_LIMIT, GUEST_LDTR_LIMIT, GUEST_TR_LIMIT,
	GUEST_GDTR_LIMIT, GUEST_IDTR_LIMIT,
	GUEST_ES_AR_BYTES, GUEST_CS_AR_BYTES, GUEST_SS_AR_BYTES,
	GUEST_DS_AR_BYTES, GUEST_FS_AR_BYTES, GUEST_GS_AR_BYTES,
	GUEST_LDTR_AR_BYTES, GUEST_TR_AR_BYTES,
	GUEST_INTERRUPTIBILITY_INFO, GUEST_ACTIVITY_STATE, GUEST_SYSENTER_CS,
	GUEST_CR0, GUEST_CR3, GUEST_CR4,
	GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_DS_BASE,
	GUEST_FS_BASE, GUEST_GS_BASE, GUEST_LDTR_BASE, GUEST_TR_BASE,
	GUEST_GDTR_BASE, GUEST_IDTR_BASE, GUEST_DR7, GUEST_RSP, GUEST_RIP,
	GUEST_RFLAGS, GUEST_PENDING_DBG_EXCEPTIONS, GUEST_SYSENTER_ESP,
	GUEST_SYSENTER_EIP,
	PIN_BASED_VM_EXEC_CONTROL, CPU_BASED_VM_EXEC_CONTROL,
	SECONDARY_VM_EXEC_CONTROL, EXCEPTION_BITMAP, VM_ENTRY_CONTROLS,
	VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE,
	VM_ENTRY_INSTRUCTION_LEN,
	CR0_GUEST_HOST_MASK, CR4_GUEST_HOST_MASK, CR0_READ_SHADOW,
	CR4_READ_SHADOW,
};

_Static_assert(sizeof(fields) / sizeof(fields[0]) <= VCPU_STATE_FIELDS_MAX,
	       "VCPU_STATE_FIELDS_MAX holds every field");

unsigned vcpu_state_save(struct vcpu *v, struct vmcs_field_value *out)
{
	unsigned n = 0;

	vmcs_load(v);
	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t val;

		/* A field this CPU lacks (the PDPTEs without EPT, say) is
		 * left out: VMREAD fails for it (SDM Vol. 3C 31.3). */
		if (vmread(fields[i], &val))
			continue;
		out[n++] = (struct vmcs_field_value){ .encoding = fields[i],
						      .value = val };
	}
	vmcs_put(v);
	return n;
}

bool vcpu_state_restore(struct vcpu *v, const struct vmcs_field_value *in,
			unsigned n, uint64_t tsc_offset)
{
	bool ok = true;

	vmcs_load(v);
	for (unsigned i = 0; i < n; i++) {
		if (vmwrite(in[i].encoding, in[i].value)) {
			ok = false;
			continue;
		}
		if (in[i].encoding == CPU_BASED_VM_EXEC_CONTROL)
			v->cpu_ctls = (uint32_t)in[i].value;
	}
	vmcs_write64(TSC_OFFSET, tsc_offset);
	v->tsc_offset = tsc_offset;
	/* Not in the snapshot: the restored blocking says it (a vCPU
	 * halted in its NMI handler, event_pending). */
	v->hlt_nmi_blocked = event_nmi_blocked();
	vcpu_save_view(v);
	vmcs_put(v);
	return ok;
}
