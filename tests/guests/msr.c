/* MSRs: the harmless ones work, the rest raise #GP that we catch. */
#include "guest.h"

#define IA32_TSC 0x10
#define IA32_APIC_BASE 0x1b
#define IA32_FEATURE_CONTROL 0x3a
#define IA32_SYSENTER_CS 0x174
#define IA32_PAT 0x277
#define IA32_VMX_BASIC 0x480
#define IA32_EFER 0xc0000080

int guest_main(uint32_t magic, uint32_t info)
{
	uint64_t v, v2;

	(void)magic, (void)info;
	check(rdmsr_safe(IA32_EFER, &v) && v == 0, "EFER reads 0");
	check(wrmsr_safe(IA32_EFER, 1ull << 11) && rdmsr_safe(IA32_EFER, &v) &&
	      v == (1ull << 11), "EFER.NXE write sticks");
	check(!wrmsr_safe(IA32_EFER, 1ull << 20), "EFER reserved bit: #GP");
	check(rdmsr_safe(IA32_PAT, &v) && v == 0x0007040600070406ull,
	      "PAT has its power-on value");
	check(wrmsr_safe(IA32_PAT, 0x0006060606060606ull) &&
	      rdmsr_safe(IA32_PAT, &v) && v == 0x0006060606060606ull,
	      "PAT write sticks");
	check(!wrmsr_safe(IA32_PAT, 0x0000000000000002ull), "PAT type 2: #GP");
	check(rdmsr_safe(IA32_TSC, &v) && rdmsr_safe(IA32_TSC, &v2) && v2 > v,
	      "TSC advances");
	check(wrmsr_safe(IA32_TSC, 1000) && rdmsr_safe(IA32_TSC, &v) &&
	      v >= 1000 && v < 100000000, "TSC write sets it");
	check(rdmsr_safe(IA32_APIC_BASE, &v) && (v & ~0xfffull) == 0xfee00000 &&
	      (v & (1u << 11)) && (v & (1u << 8)), "APIC base: enabled BSP at 0xfee00000");
	check(wrmsr_safe(IA32_SYSENTER_CS, 0x10) &&
	      rdmsr_safe(IA32_SYSENTER_CS, &v) && v == 0x10,
	      "SYSENTER_CS passes through");
	check(!rdmsr_safe(IA32_VMX_BASIC, &v), "IA32_VMX_BASIC: #GP");
	check(!rdmsr_safe(IA32_FEATURE_CONTROL, &v), "FEATURE_CONTROL read: #GP");
	check(!wrmsr_safe(IA32_FEATURE_CONTROL, 5), "FEATURE_CONTROL write: #GP");
	check(!rdmsr_safe(0x12345678, &v), "unknown MSR: #GP");
	return verdict();
}
