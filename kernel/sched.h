/* Running vCPUs on this CPU: round robin, a fixed time slice enforced by
 * the VMX preemption timer, HLT gives the CPU away. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "vm.h"

void sched_add(struct vcpu *v);
/* Runs until no vCPU can run any more. */
void sched_run(void);
/* The vCPU whose VM exit this CPU is handling (devices that belong to a
 * vCPU, like its local APIC, find it here), or NULL. */
struct vcpu *sched_current(void);
/* v's state held by the CPU (MSRs, debug registers, FPU, XCR0) is to be
 * dropped, not saved: v was reset.  Its saved copies are loaded when it
 * next runs. */
void sched_forget(struct vcpu *v);

#endif
