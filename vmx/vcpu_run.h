/* Running one vCPU on this CPU: the VMX half of the run loop (switching the
 * CPU's state to the vCPU, entering it, dispatching its exits until its
 * slice ends or it gives the CPU away), and the exit handlers that are
 * about running rather than emulating: HLT, PAUSE, the preemption timer,
 * host interrupts and NMIs.  Which vCPU runs next is kernel/sched.c's. */
#ifndef VMX_VCPU_RUN_H
#define VMX_VCPU_RUN_H

#include <stdint.h>

#include "../kernel/vm.h"
#include "exit.h"

/* Runs v until it yields (HLT, PAUSE), stops, or reaches slice_end (a
 * TSC value); returns the TSC ticks it took, charged to v->tsc_used. */
uint64_t vcpu_run(struct vcpu *v, uint64_t slice_end);

/* The TSC when hv.efi started and when its UEFI stage handed over: the
 * first VM entry logs how long start-up took (`make bench` reads it). */
void vcpu_run_boot_times(uint64_t efi_start, uint64_t handoff);

/* v's state held by the CPU (MSRs, debug registers, FPU, XCR0) is to be
 * dropped, not saved: v was reset.  Its saved copies are loaded when it
 * next runs. */
void vcpu_forget(struct vcpu *v);

/* v moves to another CPU: what this CPU holds of it (its swapped MSRs,
 * debug registers, FPU/XSAVE state) goes back to its save areas and its
 * VMCS is cleared here, so that the other CPU can load all of it.  On the
 * CPU v last ran on, with v not running. */
void vcpu_unload(struct vcpu *v);

/* Copies the guest registers the monitor's `info` shows from v's VMCS,
 * which must be current on this CPU, into v->view. */
void vcpu_save_view(struct vcpu *v);

/* The CPU-local half of v's reset (its VM was reset): on the CPU that
 * runs v, which holds its MSRs, debug registers, FPU/XCR0 state and VMCS:
 * all to their reset values, its VPID's TLB entries flushed. */
void vcpu_reset_local(struct vcpu *v);

/* vm's EPT changed in a way that stale translations must not outlive
 * (a page remapped, a right taken away) while its vCPUs may run: every
 * CPU flushes before it next enters the VM (vm->ept_gen), and this
 * waits until each CPU that is in one of its guests now has left it or
 * flushed (a kick makes it leave).  The waited-for CPUs need nothing but
 * to exit, so the caller may hold a lock; KVM's KVM_REQ_TLB_FLUSH with
 * its vcpu->mode handshake is the same protocol. */
void vm_ept_shootdown(struct vm *vm);

/* Its exit handlers (HLT, PAUSE, preemption timer, external interrupt,
 * exception or NMI) are declared with the others in exit.h. */

#endif
