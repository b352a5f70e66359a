/* What this hypervisor requires of VT-x, decided from raw CPUID/MSR values.
 * Pure logic (no instructions executed here) so the UEFI stage, the kernel
 * and a host unit test all use the same rules. */
#ifndef VMX_VMX_CAPS_H
#define VMX_VMX_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmx_caps_raw {
	bool cpuid_vmx;            /* CPUID.1:ECX.VMX[bit 5] */
	uint64_t feature_control;  /* IA32_FEATURE_CONTROL */
	uint64_t basic;            /* IA32_VMX_BASIC */
	uint64_t procbased;        /* IA32_VMX_PROCBASED_CTLS (or TRUE_) */
	uint64_t procbased2;       /* IA32_VMX_PROCBASED_CTLS2 */
	uint64_t ept_vpid_cap;     /* IA32_VMX_EPT_VPID_CAP */
};

enum vmx_firmware_state {
	VMX_FW_ENABLED,      /* locked with VMX-outside-SMX on: usable */
	VMX_FW_UNLOCKED,     /* we may set VMX-outside-SMX and lock it */
	VMX_FW_DISABLED,     /* locked with VMX-outside-SMX off: user must fix */
};

/* Classify IA32_FEATURE_CONTROL (SDM Vol. 3C 23.7). */
enum vmx_firmware_state vmx_firmware_state(uint64_t feature_control);

/* The value to write to an unlocked IA32_FEATURE_CONTROL: VMX outside SMX
 * on, and the lock bit so the setting holds until the next reset. */
uint64_t vmx_feature_control_enable(uint64_t feature_control);

/* Names the required capabilities that raw lacks, comma-separated, into
 * buf (always NUL-terminated).  Returns how many are missing. */
unsigned vmx_caps_missing(const struct vmx_caps_raw *raw, char *buf,
			  size_t len);

#endif
