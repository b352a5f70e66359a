/* Recording what code running for a VM asks of it (kernel/vm.h).  Only
 * recording: kernel/vm_lifecycle.c carries a request out when the
 * scheduler next gets the CPU back (vm_handle_request), so no exit
 * handler or device ever finds its VM reset or torn down in the middle of
 * an access. */
#include <stdarg.h>
#include <stdio.h>

#include "vm.h"

/* The first request wins, also when vCPUs on two CPUs ask at once: a
 * compare-and-swap claims the slot, the details are written, and only
 * then is the request published (vm_has_request), so the CPU that
 * carries it out never reads a half-written reason. */
static bool take(struct vm *vm)
{
	bool no = false;

	return vm->state == VM_RUNNING &&
	       __atomic_compare_exchange_n(&vm->request_claimed, &no, true,
					   false, __ATOMIC_ACQ_REL,
					   __ATOMIC_RELAXED);
}

/* Every vCPU of the VM leaves its guest at once (a kick to the CPUs that
 * run them), so the request is carried out between their exits. */
static void publish(struct vm *vm, enum vm_request kind)
{
	__atomic_store_n(&vm->request, kind, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i])
			vcpu_notify(vm->vcpus[i]);
}

/* A request with a reason, for vm_stop and vm_crash. */
static void request_why(struct vm *vm, enum vm_request kind,
			const char *fmt, va_list ap)
{
	if (!take(vm))
		return;
	vsnprintf(vm->request_why, sizeof(vm->request_why), fmt, ap);
	publish(vm, kind);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	request_why(vm, VM_REQ_STOP, fmt, ap);
	va_end(ap);
}

void vm_crash(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	request_why(vm, VM_REQ_CRASH, fmt, ap);
	va_end(ap);
}

void vm_restart(struct vm *vm, const char *why)
{
	if (!take(vm))
		return;
	snprintf(vm->request_why, sizeof(vm->request_why), "%s", why);
	publish(vm, VM_REQ_RESTART);
}

void vm_exit_with_status(struct vm *vm, uint32_t status)
{
	if (!take(vm))
		return;
	vm->request_status = status;
	publish(vm, VM_REQ_EXIT);
}

void vm_power_off(struct vm *vm)
{
	if (take(vm))
		publish(vm, VM_REQ_POWER_OFF);
}

bool vm_pause(struct vm *vm)
{
	if (!take(vm))
		return false;
	publish(vm, VM_REQ_PAUSE);
	return true;
}

/* No request: clearing the flag only lets the scheduler pick its vCPUs
 * again; the notifications wake the CPUs that hold them. */
void vm_resume(struct vm *vm)
{
	__atomic_store_n(&vm->waits_for_start, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->paused, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i])
			vcpu_notify(vm->vcpus[i]);
}
