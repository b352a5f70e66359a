/* Not on the fast paths make bench measures: VMCS accessors out of
 * line, for size (vmx/vmcs.h). */
#define VMCS_ACCESS_OUT_OF_LINE

/* Instructions a guest may execute but gets no service from: what a CPU
 * without the feature, or with nothing for it to do, would answer. */
#include "../arch/idt.h"
#include "event.h"
#include "exit.h"

/* Guests see no VMX (CPUID hides it), so its instructions are invalid
 * opcodes to them (SDM Vol. 3C 31.3: #UD outside VMX operation). */
enum exit_action handle_vmx_instruction(struct vcpu *v,
					       const struct exit_info *e)
{
	(void)v, (void)e;
	vcpu_inject_exception(VEC_UD, false, 0);
	return EXIT_RESUME;
}

/* WBINVD and INVD are no-ops, as in KVM for a VM without non-coherent
 * DMA: a VM's RAM is write-back in its EPT and the CPU's caches are
 * coherent, passed-through BARs are uncached, and no device of a VM can
 * do DMA (bus mastering stays off), so writing caches back changes
 * nothing a guest can observe.  Running the host's WBINVD instead would let
 * every guest stall the CPU (and every VM on it) for as long as writing
 * back all caches takes, as often as it likes; INVD would drop dirty lines
 * of memory other VMs own. */
enum exit_action handle_wbinvd(struct vcpu *v,
				      const struct exit_info *e)
{
	(void)v;
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}

/* MONITOR/MWAIT are hidden from guests in CPUID; a guest that uses them
 * anyway gets #UD, as on a CPU without them. */
enum exit_action handle_monitor_mwait(struct vcpu *v,
					     const struct exit_info *e)
{
	return handle_vmx_instruction(v, e);
}

/* The PMU is hidden (CPUID leaf 0xa reports no counters), so every
 * counter number RDPMC can name is invalid: #GP(0) (SDM Vol. 2B RDPMC). */
enum exit_action handle_rdpmc(struct vcpu *v, const struct exit_info *e)
{
	(void)v, (void)e;
	vcpu_inject_exception(VEC_GP, true, 0);
	return EXIT_RESUME;
}
