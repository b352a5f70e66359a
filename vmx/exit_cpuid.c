/* CPUID: the host's answers, filtered (SDM Vol. 2A CPUID).  Guests learn
 * that they run on a hypervisor (leaf 1 ECX bit 31, and our leaves at
 * 0x40000000, the range Intel and AMD leave to hypervisors), and never see
 * features we do not give them: VMX, SMX, MONITOR/MWAIT, the PMU. */
#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../arch/tsc.h"
#include "../drivers/vlapic.h"
#include "exit.h"
#include "hypercall.h"
#include "vmcs.h"
#include "vmcs_setup.h"
#include "vmx.h"

#define LEAF_HV_BASE 0x40000000u
#define LEAF_HV_LAST 0x40000001u
#define LEAF_HV_RANGE_END 0x400000ffu

/* Features whose MSRs or devices we do not emulate: a guest must not
 * believe it has them (leaf 1 ECX/EDX, leaf 7 EDX; SDM Vol. 2A CPUID). */
#define CPUID1_ECX_HIDDEN                                                   \
	((1u << 2) /* DTES64 */ | (1u << 3) /* MONITOR */ |                 \
	 (1u << 4) /* DS-CPL */ | (1u << 5) /* VMX */ | (1u << 6) /* SMX */ | \
	 (1u << 7) /* EST */ | (1u << 8) /* TM2 */ | (1u << 14) /* xTPR */ |  \
	 (1u << 15) /* PDCM */ | (1u << 27) /* OSXSAVE, below */)
#define CPUID1_EDX_HIDDEN                                                   \
	((1u << 21) /* DS */ | (1u << 22) /* ACPI thermal MSRs */ |         \
	 (1u << 29) /* TM */)
/* The local APIC is drivers/vlapic.c's, with x2APIC and TSC-deadline
 * modes, whatever the host has. */
#define CPUID1_ECX_EMULATED ((1u << 21) /* x2APIC */ | (1u << 24) /* TSC deadline */)
/* The APIC flag follows IA32_APIC_BASE.EN (SDM Vol. 3A 11.4.3: clear
 * while the APIC is globally disabled). */
#define CPUID1_EDX_APIC (1u << 9)
/* IA32_TSC_ADJUST is vmx/msr.c's (SDM Vol. 3B 18.17.3). */
#define CPUID7_EBX_TSC_ADJUST (1u << 1)
#define CPUID_EXT1_EDX_NX (1u << 20)
/* IA32_MISC_ENABLE[22] limits CPUID.0:EAX to 2 (SDM Vol. 4 Table 2-2). */
#define LIMIT_CPUID_MAX 2u
/* Speculation controls (IBRS/IBPB 26, STIBP 27, L1D_FLUSH 28, SSBD 31)
 * show as the host has them: their MSRs are the guest's own
 * (arch/spec_ctrl.h, vmx/msr.c), so a guest can protect itself.
 * ARCH_CAPABILITIES (29) always shows: vmx/msr.c answers it, with ITS_NO
 * where the host is not affected.  Hidden: IA32_CORE_CAPABILITIES (30),
 * not emulated. */
#define CPUID7_EDX_HIDDEN (1u << 30)
#define CPUID7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID7_EBX_INVPCID (1u << 10)
#define CPUID_EXT1_EDX_RDTSCP (1u << 27)

/* "HvSmallVisor" in EBX, ECX, EDX order. */
static const char hv_signature[12] = "HvSmallVisor";

static void hypervisor_leaf(uint32_t leaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0 };
	if (leaf == LEAF_HV_BASE) {
		r->eax = LEAF_HV_LAST;
		__builtin_memcpy(&r->ebx, hv_signature, 4);
		__builtin_memcpy(&r->ecx, hv_signature + 4, 4);
		__builtin_memcpy(&r->edx, hv_signature + 8, 4);
	} else if (leaf == LEAF_HV_LAST) {
		r->eax = HV_INTERFACE_VERSION;
	}
}

/* Leaf 0x15 tells the TSC rate (TSC = crystal * EBX / EAX), so guests
 * need not calibrate it against a PIT whose reads each cost a VM exit
 * (what ACRN does too).  The crystal is reported as half the TSC rate so
 * that rates above 4.29 GHz still fit in ECX; Linux takes it as the local
 * APIC timer's clock too, which drivers/vlapic.c makes true. */
#define LEAF_TSC_INFO 0x15u

static void tsc_leaf(struct cpuid_regs *r)
{
	uint64_t hz = tsc_hz();

	*r = (struct cpuid_regs){ .eax = 1, .ebx = VLAPIC_TSC_PER_BUS_TICK,
				  .ecx = (uint32_t)(hz / VLAPIC_TSC_PER_BUS_TICK) };
}

#define LEAF_EXT_BASE 0x80000000u

/* The host's last basic (base 0) or extended (base LEAF_EXT_BASE) leaf,
 * each asked once. */
static uint32_t host_last_leaf(uint32_t base)
{
	static uint32_t last[2];
	unsigned i = base == LEAF_EXT_BASE;

	if (!last[i])
		last[i] = cpuid(base, 0).eax;
	return last[i];
}

static void filter_leaf(struct vcpu *v, uint32_t leaf, uint32_t sub,
			struct cpuid_regs *r)
{
	switch (leaf) {
	case 0:
		if (r->eax < LEAF_TSC_INFO)
			r->eax = LEAF_TSC_INFO;
		if (v->misc_enable & MISC_ENABLE_LIMIT_CPUID)
			r->eax = LIMIT_CPUID_MAX;
		break;
	case 1:
		r->ecx &= ~CPUID1_ECX_HIDDEN;
		r->edx &= ~CPUID1_EDX_HIDDEN;
		r->ecx |= CPUID1_ECX_HYPERVISOR | CPUID1_ECX_EMULATED;
		r->edx &= ~CPUID1_EDX_APIC;
		if (vlapic_enabled(v))
			r->edx |= CPUID1_EDX_APIC;
		/* OSXSAVE mirrors the guest's CR4, not ours. */
		if (guest_cr4() & CR4_OSXSAVE)
			r->ecx |= CPUID1_ECX_OSXSAVE;
		/* Initial APIC ID and logical CPU count are the VM's. */
		r->ebx = (r->ebx & 0x0000ffff) | (v->id << 24) |
			 (v->vm->nvcpus << 16);
		break;
	case 5:   /* MONITOR/MWAIT: hidden */
	case 6:   /* thermal and power management: not virtualised */
	case 0xa: /* performance monitoring: not virtualised */
		*r = (struct cpuid_regs){ 0 };
		break;
	case 7:
		if (!(vmx_ctls.cpu2 & CPU2_ENABLE_INVPCID))
			r->ebx &= ~CPUID7_EBX_INVPCID;
		r->edx &= ~CPUID7_EDX_HIDDEN;
		if (sub == 0) {
			r->ebx |= CPUID7_EBX_TSC_ADJUST;
			r->edx |= CPUID7_EDX_ARCH_CAPABILITIES;
		}
		break;
	case 0xb: /* x2APIC topology: one thread per core, nvcpus cores */
	case 0x1f:
		*r = (struct cpuid_regs){ .ecx = sub, .edx = v->id };
		if (sub == 0) {
			r->eax = 0;
			r->ebx = 1;
			r->ecx |= 1u << 8; /* level type: SMT */
		} else if (sub == 1) {
			r->eax = v->vm->nvcpus > 1 ? 32 - (unsigned)__builtin_clz(v->vm->nvcpus - 1) : 0;
			r->ebx = v->vm->nvcpus;
			r->ecx |= 2u << 8; /* level type: core */
		}
		break;
	case 0x80000001:
		if (!(vmx_ctls.cpu2 & CPU2_ENABLE_RDTSCP))
			r->edx &= ~CPUID_EXT1_EDX_RDTSCP;
		if (v->misc_enable & MISC_ENABLE_XD_DISABLE)
			r->edx &= ~CPUID_EXT1_EDX_NX;
		break;
	}
}

enum exit_action handle_cpuid(struct vcpu *v, const struct exit_info *e)
{
	uint64_t *gpr = v->regs.gpr;
	uint32_t leaf = (uint32_t)gpr[REG_RAX], sub = (uint32_t)gpr[REG_RCX];
	struct cpuid_regs r;

	bool limited = v->misc_enable & MISC_ENABLE_LIMIT_CPUID;

	if (leaf >= LEAF_HV_BASE && leaf <= LEAF_HV_RANGE_END) {
		hypervisor_leaf(leaf, &r);
	} else if (limited && leaf > LIMIT_CPUID_MAX && leaf < LEAF_HV_BASE) {
		/* Past the limited last leaf: as past the real one, below. */
		r = (struct cpuid_regs){ 0 };
	} else if (leaf == LEAF_TSC_INFO) {
		tsc_leaf(&r);
	} else if (leaf < LEAF_HV_BASE ? leaf > host_last_leaf(0)
		   : leaf < LEAF_EXT_BASE ||
			     leaf > host_last_leaf(LEAF_EXT_BASE)) {
		/* Past the host's last basic or extended leaf, where the CPU
		 * would repeat its last basic leaf (SDM Vol. 2A CPUID,
		 * "invalid input": the host's, an x2APIC ID among them), and
		 * the hypervisor leaves past ours (a hypervisor hv runs on
		 * answers those): nothing. */
		r = (struct cpuid_regs){ 0 };
	} else {
		r = cpuid(leaf, sub);
		filter_leaf(v, leaf, sub, &r);
	}
	gpr[REG_RAX] = r.eax;
	gpr[REG_RBX] = r.ebx;
	gpr[REG_RCX] = r.ecx;
	gpr[REG_RDX] = r.edx;
	vcpu_skip_instruction(e);
	return EXIT_RESUME_QUIET;
}
