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

/* Intel family-6 models affected by ITS, from the first affected
 * stepping (Intel's list, as in Linux's cpu_vuln_blacklist). */
static const struct {
	uint8_t model, first_stepping;
} its_models[] = {
	{ 0x55, 0x6 }, /* Skylake-X: Cascade Lake, Cooper Lake */
	{ 0x8e, 0xc }, /* Kaby Lake L: Whiskey, Amber, Comet Lake L */
	{ 0x9e, 0xd }, /* Kaby Lake: Coffee Lake */
	{ 0x6a, 0x0 }, /* Ice Lake X */
	{ 0x6c, 0x0 }, /* Ice Lake D */
	{ 0x7e, 0x0 }, /* Ice Lake L */
	{ 0xa5, 0x0 }, /* Comet Lake */
	{ 0xa6, 0x0 }, /* Comet Lake L */
	{ 0x8c, 0x0 }, /* Tiger Lake L */
	{ 0x8d, 0x0 }, /* Tiger Lake */
	{ 0xa7, 0x0 }, /* Rocket Lake */
};

bool spec_its_affected(const struct spec_cpu_id *id, uint64_t arch_caps)
{
	if ((arch_caps & ARCH_CAP_ITS_NO) || !id->intel || id->bhi_ctrl)
		return false;
	/* Under another hypervisor that did not say ITS_NO, the real CPU
	 * is unknown: affected, as Linux assumes in a guest. */
	if (id->hypervisor)
		return true;
	if (id->family != 6)
		return false;
	for (unsigned i = 0; i < sizeof(its_models) / sizeof(its_models[0]); i++)
		if (its_models[i].model == id->model)
			return id->stepping >= its_models[i].first_stepping;
	return false;
}

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

#define CPUID1_ECX_HYPERVISOR_BIT (1u << 31)
#define CPUID7_2_EDX_BHI_CTRL (1u << 4)

static struct spec_cpu_id host_cpu_id(void)
{
	struct cpuid_regs v = cpuid(0, 0), f = cpuid(1, 0);
	unsigned family = (f.eax >> 8) & 0xf, model = (f.eax >> 4) & 0xf;

	/* The extended model counts for families 6 and 15 (SDM Vol. 2A
	 * CPUID, Figure 3-6). */
	if (family == 6 || family == 15)
		model |= ((f.eax >> 16) & 0xf) << 4;
	return (struct spec_cpu_id){
		/* "GenuineIntel" in EBX, EDX, ECX. */
		.intel = v.ebx == 0x756e6547 && v.edx == 0x49656e69 &&
			 v.ecx == 0x6c65746e,
		.family = family,
		.model = model,
		.stepping = f.eax & 0xf,
		.hypervisor = f.ecx & CPUID1_ECX_HYPERVISOR_BIT,
		.bhi_ctrl = v.eax >= 7 && cpuid(7, 0).eax >= 2 &&
			    (cpuid(7, 2).edx & CPUID7_2_EDX_BHI_CTRL),
	};
}

void spec_ctrl_init(void)
{
	uint32_t edx = cpuid(0, 0).eax >= 7 ? cpuid(7, 0).edx : 0;
	struct spec_cpu_id id = host_cpu_id();

	spec_caps = spec_caps_choose(
		edx, (edx & CPUID7_EDX_ARCH_CAPS)
			     ? rdmsr(MSR_IA32_ARCH_CAPABILITIES) : 0);
	spec_caps.guest_arch_caps =
		spec_caps.arch_cap_val |
		(spec_its_affected(&id, spec_caps.arch_cap_val) ? 0
								: ARCH_CAP_ITS_NO);
}

void spec_ctrl_describe(char *buf, unsigned len)
{
	const struct spec_caps *c = &spec_caps;

	snprintf(buf, len,
		 "IBPB between VMs %s, L1D flush on entry %s, VERW on entry "
		 "%s, guests' SPEC_CTRL %s, guests' ARCH_CAPABILITIES %#lx%s",
		 c->ibpb ? "on" : "n/a (CPU lacks it)",
		 c->flush_l1d_on_entry ? "on" : "off",
		 c->verw_on_entry ? "on" : "off",
		 c->spec_ctrl ? "per vCPU" : "n/a (CPU lacks it)",
		 c->guest_arch_caps,
		 c->guest_arch_caps & ARCH_CAP_ITS_NO ? " (ITS_NO)" : "");
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
