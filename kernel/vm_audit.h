/* The EPT audit of live VMs (hv.cfg selftest = yes): after a VM is
 * created and after every reset, its EPT is walked by kernel/ept_audit.c
 * against the host's memory map, the hypervisor's own memory, the other
 * VMs' RAM and the VM's passthrough BARs. */
#ifndef KERNEL_VM_AUDIT_H
#define KERNEL_VM_AUDIT_H

#include <stdbool.h>

#include "../boot/boot_info.h"
#include "vm.h"

/* Keeps the host memory map; audits run only when enabled. */
void vm_audit_init(const struct boot_info *bi, bool enabled);

/* Audits the VM's EPT; logs "ept audit: vm NAME: N leaves, ok" or each
 * violation.  False, with *why set, when one was found: the caller stops
 * the VM.  True at once when audits are off. */
bool vm_audit(struct vm *vm, const char **why);

#endif
