/* VMCS access.  One failure policy (Xen's): a failed VMREAD/VMWRITE is a
 * hypervisor bug and panics with the field and the VM-instruction error;
 * there is no unchecked VMWRITE.  Widths are checked at compile time. */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include <stdint.h>

#include "vmcs_fields.h"

uint64_t vmcs_read_checked(enum vmcs_field f);
void vmcs_write_checked(enum vmcs_field f, uint64_t v);

/* A struct with a static assertion in it: zero cost, fails the build when
 * an accessor of the wrong width meets a field. */
#define VMCS_WIDTH_IS(f, w)                                                 \
	((void)sizeof(struct {                                              \
		_Static_assert(VMCS_FIELD_WIDTH(f) == (w),                  \
			       "VMCS field width mismatch: " #f);           \
		int unused;                                                 \
	}))

#define vmcs_read16(f) (VMCS_WIDTH_IS(f, VMCS_W16), (uint16_t)vmcs_read_checked(f))
#define vmcs_read32(f) (VMCS_WIDTH_IS(f, VMCS_W32), (uint32_t)vmcs_read_checked(f))
#define vmcs_read64(f) (VMCS_WIDTH_IS(f, VMCS_W64), vmcs_read_checked(f))
#define vmcs_readn(f) (VMCS_WIDTH_IS(f, VMCS_WNAT), vmcs_read_checked(f))
#define vmcs_write16(f, v) (VMCS_WIDTH_IS(f, VMCS_W16), vmcs_write_checked(f, (uint16_t)(v)))
#define vmcs_write32(f, v) (VMCS_WIDTH_IS(f, VMCS_W32), vmcs_write_checked(f, (uint32_t)(v)))
#define vmcs_write64(f, v) (VMCS_WIDTH_IS(f, VMCS_W64), vmcs_write_checked(f, (uint64_t)(v)))
#define vmcs_writen(f, v) (VMCS_WIDTH_IS(f, VMCS_WNAT), vmcs_write_checked(f, (uint64_t)(v)))

/* VM-instruction error numbers by name (SDM Vol. 3C 31.4). */
const char *vmx_instruction_error_name(uint32_t err);

#endif
