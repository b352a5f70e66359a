/* Recording what code running for a VM asks of it (kernel/vm.h).  Only
 * recording: kernel/vm_lifecycle.c carries a request out when the
 * scheduler next gets the CPU back (vm_handle_request), so no exit
 * handler or device ever finds its VM reset or torn down in the middle of
 * an access. */
#include <stdarg.h>
#include <stdio.h>

#include "vm.h"

static bool take(struct vm *vm, enum vm_request kind)
{
	if (vm->state != VM_RUNNING || vm->request != VM_REQ_NONE)
		return false;
	vm->request = kind;
	vm->request_why[0] = '\0';
	return true;
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (!take(vm, VM_REQ_STOP))
		return;
	va_start(ap, fmt);
	vsnprintf(vm->request_why, sizeof(vm->request_why), fmt, ap);
	va_end(ap);
}

void vm_crash(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (!take(vm, VM_REQ_CRASH))
		return;
	va_start(ap, fmt);
	vsnprintf(vm->request_why, sizeof(vm->request_why), fmt, ap);
	va_end(ap);
}

void vm_restart(struct vm *vm, const char *why)
{
	if (take(vm, VM_REQ_RESTART))
		snprintf(vm->request_why, sizeof(vm->request_why), "%s", why);
}

void vm_exit_with_status(struct vm *vm, uint32_t status)
{
	if (take(vm, VM_REQ_EXIT))
		vm->request_status = status;
}

void vm_power_off(struct vm *vm)
{
	take(vm, VM_REQ_POWER_OFF);
}
