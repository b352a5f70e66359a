/* Model-specific registers used anywhere in the hypervisor, named once.
 * Numbers from SDM Vol. 4, Chapter 2. */
#ifndef ARCH_MSR_H
#define ARCH_MSR_H

#define MSR_IA32_FEATURE_CONTROL 0x03a
#define MSR_IA32_APIC_BASE 0x01b
#define MSR_IA32_PAT 0x277
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_SPEC_CTRL 0x048
#define MSR_IA32_PRED_CMD 0x049
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_IA32_FLUSH_CMD 0x10b
#define MSR_IA32_EFER 0xc0000080
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC 0x010
#define MSR_IA32_TSC_ADJUST 0x03b
#define MSR_IA32_PLATFORM_ID 0x017
#define MSR_IA32_BIOS_SIGN_ID 0x08b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRRCAP 0x0fe
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_TSC_AUX 0xc0000103
#define MSR_TSC_DEADLINE 0x6e0
/* x2APIC registers: MSR 0x800 + (xAPIC offset >> 4) (SDM Vol. 3A 11.12.1). */
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_LAST 0x8ff

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3C 23.7, "Enabling and entering VMX
 * operation"): once the lock bit is set the MSR cannot change until reset. */
#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMX_INSIDE_SMX (1ull << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

/* IA32_MISC_ENABLE bits (SDM Vol. 4 Table 2-2). */
#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_TCC (1ull << 3)         /* automatic thermal control */
#define MISC_ENABLE_PERFMON (1ull << 7)     /* performance monitoring available (RO) */
#define MISC_ENABLE_BTS_UNAVAIL (1ull << 11)  /* RO */
#define MISC_ENABLE_PEBS_UNAVAIL (1ull << 12) /* RO */
#define MISC_ENABLE_EIST (1ull << 16)
#define MISC_ENABLE_MONITOR (1ull << 18)
#define MISC_ENABLE_LIMIT_CPUID (1ull << 22)
#define MISC_ENABLE_XTPR_DISABLE (1ull << 23)
#define MISC_ENABLE_XD_DISABLE (1ull << 34)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Speculation controls (SDM Vol. 4 Table 2-2; Intel's "Speculative
 * Execution Side Channel Mitigations"). */
#define PRED_CMD_IBPB (1ull << 0)
#define FLUSH_CMD_L1D (1ull << 0)
#define ARCH_CAP_RDCL_NO (1ull << 0)
#define ARCH_CAP_SKIP_L1DFL_VMENTRY (1ull << 3)
#define ARCH_CAP_MDS_NO (1ull << 5)
/* Not affected by Indirect Target Selection: never set by a CPU, only by
 * a hypervisor for its guests (Intel's ITS guidance). */
#define ARCH_CAP_ITS_NO (1ull << 62)

/* IA32_VMX_BASIC bit 55: the TRUE_* control MSRs exist (SDM Vol. 3D A.1). */
#define VMX_BASIC_TRUE_CTLS (1ull << 55)

/* Allowed-1 bits live in the high half of a VMX control MSR (SDM Vol. 3D A.3). */
#define PROCBASED_ACTIVATE_SECONDARY (1u << 31)
#define PROCBASED2_ENABLE_EPT (1u << 1)
#define PROCBASED2_ENABLE_VPID (1u << 5)
#define PROCBASED2_UNRESTRICTED_GUEST (1u << 7)

/* IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D A.10). */
#define EPT_CAP_EXEC_ONLY (1ull << 0)
#define EPT_CAP_WALK_4 (1ull << 6)
#define EPT_CAP_MEMTYPE_WB (1ull << 14)
#define EPT_CAP_PAGE_2M (1ull << 16)
#define EPT_CAP_PAGE_1G (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_AD_FLAGS (1ull << 21)
#define VPID_CAP_INVVPID (1ull << 32)

#endif
