/* VMX operation on this CPU, and the VMCS controls every vCPU shares. */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>

/* Execution controls (SDM Vol. 3C 25.6), named once. */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)

#define CPU_INTERRUPT_WINDOW_EXITING (1u << 2)
#define CPU_USE_TSC_OFFSETTING (1u << 3)
#define CPU_HLT_EXITING (1u << 7)
#define CPU_INVLPG_EXITING (1u << 9)
#define CPU_MWAIT_EXITING (1u << 10)
#define CPU_RDPMC_EXITING (1u << 11)
#define CPU_RDTSC_EXITING (1u << 12)
#define CPU_CR3_LOAD_EXITING (1u << 15)
#define CPU_CR3_STORE_EXITING (1u << 16)
#define CPU_CR8_LOAD_EXITING (1u << 19)
#define CPU_CR8_STORE_EXITING (1u << 20)
#define CPU_NMI_WINDOW_EXITING (1u << 22)
#define CPU_MOV_DR_EXITING (1u << 23)
#define CPU_UNCONDITIONAL_IO_EXITING (1u << 24)
#define CPU_USE_IO_BITMAPS (1u << 25)
#define CPU_USE_MSR_BITMAPS (1u << 28)
#define CPU_MONITOR_EXITING (1u << 29)
#define CPU_PAUSE_EXITING (1u << 30)
#define CPU_SECONDARY_CONTROLS (1u << 31)

#define CPU2_ENABLE_EPT (1u << 1)
#define CPU2_ENABLE_RDTSCP (1u << 3)
#define CPU2_ENABLE_VPID (1u << 5)
#define CPU2_WBINVD_EXITING (1u << 6)
#define CPU2_UNRESTRICTED_GUEST (1u << 7)
#define CPU2_ENABLE_INVPCID (1u << 12)
#define CPU2_ENABLE_XSAVES (1u << 20)

#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_ACK_INTERRUPT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

struct vmx_controls {
	uint32_t pin, cpu, cpu2, exit, entry;
	uint32_t revision_id;     /* IA32_VMX_BASIC[30:0] */
	unsigned preemption_shift; /* timer ticks every 2^shift TSC ticks */
	bool ept_ad;               /* EPT accessed/dirty flags usable */
	bool nmi_window;           /* NMI-window exiting usable (virtual NMIs on) */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

extern struct vmx_controls vmx_ctls;

/* Computes the controls from the capability MSRs, once, on the boot
 * CPU.  Returns false (after logging which required bit is missing). */
bool vmx_controls_init(void);

/* Enters VMX root operation on this CPU (SDM Vol. 3C 24.7-24.8). */
bool vmx_cpu_enable(void);

/* The allowed settings rule for one control word (SDM Vol. 3D A.3):
 * bits 31:0 of the MSR are the allowed-0 settings (1 = must be 1), bits
 * 63:32 the allowed-1 settings (0 = must be 0).  Sets *out to required
 * plus whatever of optional the CPU allows; returns the required bits the
 * CPU cannot set (0 on success).  Pure, unit-tested. */
uint32_t vmx_adjust_controls(uint64_t cap_msr, uint32_t required,
			     uint32_t optional, uint32_t *out);

#endif
