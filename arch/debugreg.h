/* Moving DR0-DR3 and DR6 between the CPU and a save area.  The host sets
 * no breakpoints of its own (DR7 is 0x400 after every VM exit, SDM Vol.
 * 3C 28.5.1), so these registers are only ever a guest's. */
#ifndef ARCH_DEBUGREG_H
#define ARCH_DEBUGREG_H

#include <stdint.h>

#define DEBUGREG_ACCESSORS(n)                                               \
	static inline uint64_t read_dr##n(void)                             \
	{                                                                   \
		uint64_t v;                                                 \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v));           \
		return v;                                                   \
	}                                                                   \
	static inline void write_dr##n(uint64_t v)                          \
	{                                                                   \
		__asm__ volatile("mov %0, %%dr" #n ::"r"(v));               \
	}
DEBUGREG_ACCESSORS(0)
DEBUGREG_ACCESSORS(1)
DEBUGREG_ACCESSORS(2)
DEBUGREG_ACCESSORS(3)
DEBUGREG_ACCESSORS(6)
#undef DEBUGREG_ACCESSORS

/* The debug registers VM exits do not switch: DR0-DR3 and DR6 (DR7 and
 * IA32_DEBUGCTL are in the VMCS, saved at every exit and loaded at every
 * entry once the "save/load debug controls" controls are on, SDM Vol. 3C
 * 25.7.1, 25.8.1).  MOV DR does not exit, so the CPU holds the running
 * vCPU's values; the scheduler swaps them when another vCPU runs there,
 * or one VM could read and plant another's breakpoints. */
struct dr_context {
	uint64_t dr[4];
	uint64_t dr6;
};
#define DR6_RESET 0xffff0ff0ull /* power-up value (SDM Vol. 3B 18.2.3) */

/* DR6 and DR7 bits (SDM Vol. 3B 18.2.3, 18.2.4). */
#define DR6_B(n) (1ull << (n))  /* breakpoint condition n detected */
#define DR6_TRAP_BITS 0xfull    /* B0-B3 */
#define DR6_BD (1ull << 13)     /* debug register access detected */
#define DR6_BS (1ull << 14)     /* single step */
#define DR7_ENABLED(dr7, n) (((dr7) >> (2 * (n))) & 3) /* Ln, Gn */
#define DR7_ENABLE_BITS 0xffull /* L0-L3, G0-G3 */
#define DR7_GD (1ull << 13)
#define DR7_RW(dr7, n) (((dr7) >> (16 + 4 * (n))) & 3)
#define DR7_LEN(dr7, n) (((dr7) >> (18 + 4 * (n))) & 3)
#define DR7_RW_WRITE 1u          /* data writes */
#define DR7_RW_IO 2u             /* I/O reads or writes (with CR4.DE) */
#define DR7_RW_DATA 3u           /* data reads or writes */
#define DR7_IO_BREAKPOINTS 0x22220000ull /* RW0-RW3 bit 1: I/O or data RW */
/* IA32_DEBUGCTL.BTF: single-step on branches only (SDM Vol. 3B 18.4.1). */
#define DEBUGCTL_BTF (1ull << 1)

/* Saves the CPU's values into save (if any) and loads load's (if any).  The values
 * loaded were read from the CPU (or are the reset values), so the CPU
 * accepts them: no guest-chosen bit can make these MOVs fault. */
static inline void debugreg_switch(struct dr_context *save,
				   const struct dr_context *load)
{
	if (save) {
		save->dr[0] = read_dr0();
		save->dr[1] = read_dr1();
		save->dr[2] = read_dr2();
		save->dr[3] = read_dr3();
		save->dr6 = read_dr6();
	}
	if (!load)
		return;
	write_dr0(load->dr[0]);
	write_dr1(load->dr[1]);
	write_dr2(load->dr[2]);
	write_dr3(load->dr[3]);
	write_dr6(load->dr6);
}

#endif
