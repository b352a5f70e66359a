#include "hypercall.h"

#include "../kernel/vm_console.h"
#include "exit.h"
#include "vmcs.h"

/* CPL is SS.DPL, bits 6:5 of its access rights (SDM Vol. 3A 5.5). */
static unsigned guest_cpl(void)
{
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

static int64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	const char *buf;

	if (len > HC_CONSOLE_WRITE_MAX)
		return HV_EINVAL;
	buf = vm_gpa_to_hva(v->vm, gpa, len);
	if (!buf && len)
		return HV_EFAULT;
	if (len > HC_CONSOLE_WRITE_CHUNK)
		len = HC_CONSOLE_WRITE_CHUNK;
	vm_console_write(v->vm, buf, (size_t)len);
	return (int64_t)len;
}

enum exit_action handle_vmcall(struct vcpu *v, const struct exit_info *e)
{
	uint64_t *gpr = v->regs.gpr;
	int64_t ret;

	vcpu_skip_instruction(e);
	if (guest_cpl() != 0) {
		gpr[REG_RAX] = (uint64_t)(int64_t)HV_EPERM;
		return EXIT_RESUME_QUIET;
	}
	switch (gpr[REG_RAX]) {
	case HC_VERSION:
		ret = HV_INTERFACE_VERSION;
		break;
	case HC_CONSOLE_WRITE:
		ret = hc_console_write(v, gpr[REG_RBX], gpr[REG_RCX]);
		break;
	case HC_EXIT:
		vm_exit_with_status(v->vm, (uint32_t)gpr[REG_RBX]);
		return EXIT_STOPPED;
	default:
		ret = HV_ENOSYS;
		break;
	}
	/* Nothing here raises an interrupt or touches a timer (the
	 * console write goes to the host log). */
	gpr[REG_RAX] = (uint64_t)ret;
	return EXIT_RESUME_QUIET;
}
