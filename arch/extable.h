/* Exception tables: an instruction that may fault on purpose (a probe of
 * an address, an MSR that may not exist, a value the CPU may refuse) is
 * listed with a fixup address; the exception handler resumes there
 * instead of panicking and records the fault in this CPU's last_fault
 * (Linux's __ex_table, in miniature).
 *
 * The rule (docs/ARCHITECTURE.md, "Guest actions never fault in VMX
 * root"): an instruction run in VMX root with a value a guest chose is
 * either validated completely beforehand or goes through one of these. */
#ifndef ARCH_EXTABLE_H
#define ARCH_EXTABLE_H

#include <stdbool.h>
#include <stdint.h>

struct extable_entry {
	uint64_t fault_rip;
	uint64_t fixup_rip;
};

/* Returns the fixup for a faulting RIP, or 0. */
uint64_t extable_fixup(uint64_t rip);

/* Each returns true, or false if the instruction faulted (the fault is
 * in this_cpu()->last_fault) and did nothing. */
bool probe_read64(const volatile void *addr, uint64_t *val);
bool probe_write64(volatile void *addr, uint64_t val);
bool xsetbv_safe(uint32_t xcr, uint64_t val);
/* XRSTOR of the standard-form area with requested-feature bitmap rfbm. */
bool xrstor_safe(const void *area, uint64_t rfbm);
bool fxrstor_safe(const void *area);
bool wrmsr_safe(uint32_t msr, uint64_t val);
bool rdmsr_safe(uint32_t msr, uint64_t *val);
/* VMPTRST: false (#UD) when this CPU is not in VMX operation (SDM Vol.
 * 3C 31.3, VMPTRST), so it tells whether VMXON was done here. */
bool vmptrst_safe(uint64_t *vmcs);

#endif
