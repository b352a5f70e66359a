/* A vCPU's VMCS state for snapshots (kernel/snapshot.c): the guest-state
 * area and the controls that change with the guest (event injection, the
 * window exits, the IA-32e mode entry control, the CR read shadows), as
 * (encoding, value) pairs: the encoding is the architectural field number
 * (SDM Vol. 3D Appendix B), so a record names what it holds whatever the
 * CPU's VMCS layout. */
#ifndef VMX_VCPU_STATE_H
#define VMX_VCPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/vm.h"

struct vmcs_field_value {
	uint32_t encoding;
	uint32_t zero;
	uint64_t value;
};

/* Room for every field vcpu_state_save writes. */
#define VCPU_STATE_FIELDS_MAX 80

/* Reads v's fields into out (at most VCPU_STATE_FIELDS_MAX); returns how
 * many.  v's VMCS must be active nowhere or on this CPU, and is cleared
 * (active nowhere) after; v must not run meanwhile. */
unsigned vcpu_state_save(struct vcpu *v, struct vmcs_field_value *out);

/* Writes the fields back into v's VMCS, TSC_OFFSET set to tsc_offset
 * (and v's copies of CPU_BASED_VM_EXEC_CONTROL and the offset), under the
 * same conditions; false if a field was refused (the CPU lacks it). */
bool vcpu_state_restore(struct vcpu *v, const struct vmcs_field_value *in,
			unsigned n, uint64_t tsc_offset);

#endif
