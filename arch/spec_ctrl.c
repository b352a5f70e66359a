#include "spec_ctrl.h"

#include <stdio.h>

#include "cpu.h"
#include "gdt.h"
#include "msr.h"

#define CPUID7_EDX_MD_CLEAR (1u << 10)
#define CPUID7_EDX_IBRS_IBPB (1u << 26)
#define CPUID7_EDX_STIBP (1u << 27)
#define CPUID7_EDX_L1D_FLUSH (1u << 28)
#define CPUID7_EDX_ARCH_CAPS (1u << 29)
#define CPUID7_EDX_SSBD (1u << 31)

struct spec_caps spec_caps;

struct spec_caps spec_caps_choose(uint32_t cpuid7_edx, uint64_t arch_caps)
{
	struct spec_caps c = { 0 };
	bool md_clear = cpuid7_edx & CPUID7_EDX_MD_CLEAR;

	c.spec_ctrl = cpuid7_edx & (CPUID7_EDX_IBRS_IBPB | CPUID7_EDX_STIBP |
				    CPUID7_EDX_SSBD);
	c.ibpb = cpuid7_edx & CPUID7_EDX_IBRS_IBPB;
	c.l1d_flush = cpuid7_edx & CPUID7_EDX_L1D_FLUSH;
	c.arch_caps = cpuid7_edx & CPUID7_EDX_ARCH_CAPS;
	c.arch_cap_val = c.arch_caps ? arch_caps : 0;
	/* A CPU without ARCH_CAPABILITIES says nothing: assume affected
	 * (what Linux assumes for Intel CPUs it does not know). */
	c.flush_l1d_on_entry =
		c.l1d_flush &&
		!(c.arch_cap_val & (ARCH_CAP_RDCL_NO |
				    ARCH_CAP_SKIP_L1DFL_VMENTRY));
	/* The L1D flush also clears the buffers MDS leaks from. */
	c.verw_on_entry = !c.flush_l1d_on_entry && md_clear &&
			  !(c.arch_cap_val & ARCH_CAP_MDS_NO);
	return c;
}

void spec_ctrl_init(void)
{
	uint32_t edx = cpuid(0, 0).eax >= 7 ? cpuid(7, 0).edx : 0;

	spec_caps = spec_caps_choose(
		edx, (edx & CPUID7_EDX_ARCH_CAPS)
			     ? rdmsr(MSR_IA32_ARCH_CAPABILITIES) : 0);
}

void spec_ctrl_describe(char *buf, unsigned len)
{
	const struct spec_caps *c = &spec_caps;

	snprintf(buf, len,
		 "IBPB between VMs %s, L1D flush on entry %s, VERW on entry "
		 "%s, guests' SPEC_CTRL %s",
		 c->ibpb ? "on" : "n/a (CPU lacks it)",
		 c->flush_l1d_on_entry ? "on" : "off",
		 c->verw_on_entry ? "on" : "off",
		 c->spec_ctrl ? "per vCPU" : "n/a (CPU lacks it)");
}

void spec_barrier_between_vms(void)
{
	if (spec_caps.ibpb)
		wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}

void spec_entry_flush(void)
{
	/* VERW's memory operand must be a usable data selector; only the
	 * instruction's side effect matters (SDM Vol. 2C VERW; Intel's MDS
	 * guidance). */
	static const uint16_t ds_sel = SEL_KERNEL_DS;

	if (spec_caps.flush_l1d_on_entry)
		wrmsr(MSR_IA32_FLUSH_CMD, FLUSH_CMD_L1D);
	else if (spec_caps.verw_on_entry)
		__asm__ volatile("verw %0" ::"m"(ds_sel) : "cc");
}
