/* The assembly half of VM entry and exit (vmx/vmx_entry.S).  The numbers
 * it shares with C are generated from the C definitions at build time
 * (vmx/asm_offsets.c), so this prototype is the whole contract. */
#ifndef VMX_VMX_ENTRY_H
#define VMX_VMX_ENTRY_H

#include "../kernel/vm.h"

/* Enters the guest from *regs (VMLAUNCH if !launched, else VMRESUME) and,
 * after its VM exit, stores its registers back and returns 0; returns
 * VMX_FAIL_INVALID or VMX_FAIL_VALID (vmx_insn.h) if the entry failed.
 * The current VMCS's HOST_RSP is set on every call. */
int vmx_enter(struct guest_regs *regs, int launched);

/* HOST_RIP: where a VM exit resumes the host. */
extern char vmx_exit_entry[];

#endif
