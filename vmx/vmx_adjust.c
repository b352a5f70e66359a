/* The allowed-settings rule for VMX control words (SDM Vol. 3D A.3),
 * alone in its file so host unit tests can link it. */
#include "vmx.h"

uint32_t vmx_adjust_controls(uint64_t cap_msr, uint32_t required,
			     uint32_t optional, uint32_t *out)
{
	uint32_t must_be_one = (uint32_t)cap_msr;
	uint32_t may_be_one = (uint32_t)(cap_msr >> 32);

	*out = ((required | optional) & may_be_one) | must_be_one;
	return required & ~may_be_one;
}
