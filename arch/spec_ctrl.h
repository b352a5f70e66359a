/* Speculative-execution barriers between VMs, chosen from what the CPU
 * says about itself (CPUID.(7,0).EDX and IA32_ARCH_CAPABILITIES), the
 * way KVM and Xen choose them:
 * - IBPB when the CPU moves from one VM's vCPU to another VM's, so one
 *   guest cannot steer the other's indirect branches (Spectre v2);
 * - on CPUs affected by L1TF, an L1D flush before every VM entry, so a
 *   guest cannot read what the hypervisor or another VM left in L1D;
 * - otherwise, on CPUs affected by MDS that have MD_CLEAR, VERW before
 *   every VM entry, which clears the CPU's internal buffers.
 * Guests get the controls the CPU has: IA32_SPEC_CTRL (their own value,
 * switched per vCPU), IA32_PRED_CMD and IA32_FLUSH_CMD pass through.
 * IA32_ARCH_CAPABILITIES is always there for them: the host's answer,
 * plus ITS_NO when the host is not affected by Indirect Target Selection
 * (as KVM does): a guest that knows it runs under a hypervisor and is not
 * told so assumes the worst and turns on its ITS mitigation (Linux: its
 * return thunk), a cost the host's own kernel would not pay. */
#ifndef ARCH_SPEC_CTRL_H
#define ARCH_SPEC_CTRL_H

#include <stdbool.h>
#include <stdint.h>

struct spec_caps {
	bool spec_ctrl;     /* IA32_SPEC_CTRL exists (IBRS, or STIBP/SSBD) */
	bool ibpb;          /* IA32_PRED_CMD.IBPB */
	bool l1d_flush;     /* IA32_FLUSH_CMD */
	bool arch_caps;     /* IA32_ARCH_CAPABILITIES */
	uint64_t arch_cap_val;
	uint64_t guest_arch_caps; /* what guests read from it */
	bool flush_l1d_on_entry;
	bool verw_on_entry;
};

extern struct spec_caps spec_caps;

/* The choice for a CPU with these CPUID.(7,0).EDX bits and this
 * IA32_ARCH_CAPABILITIES value (ignored unless EDX says it exists). */
struct spec_caps spec_caps_choose(uint32_t cpuid7_edx, uint64_t arch_caps);
/* The host CPU as Indirect Target Selection's rules look at it. */
struct spec_cpu_id {
	bool intel;
	unsigned family, model, stepping;
	bool hypervisor; /* CPUID.1:ECX[31]: hv itself runs nested */
	bool bhi_ctrl;   /* CPUID.(7,2):EDX[4]: no affected CPU has it */
};

/* Whether that CPU may be affected by ITS: the rules Linux applies to
 * itself (vulnerable_to_its), so that ITS_NO goes to guests only where
 * their own kernel, run on the host, would have found itself safe. */
bool spec_its_affected(const struct spec_cpu_id *id, uint64_t arch_caps);
/* Reads the CPU's features once (boot CPU, before any VM runs). */
void spec_ctrl_init(void);
/* One line for the boot log. */
void spec_ctrl_describe(char *buf, unsigned len);
/* The barrier between two VMs' vCPUs. */
void spec_barrier_between_vms(void);
/* What must run right before VM entry: nothing on most CPUs, so the
 * check is inline and the work out of line. */
void spec_entry_flush(void);
static inline void spec_before_entry(void)
{
	if (__builtin_expect(spec_caps.flush_l1d_on_entry |
			     spec_caps.verw_on_entry, 0))
		spec_entry_flush();
}

#endif
