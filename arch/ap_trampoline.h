/* The AP start-up trampoline (arch/ap_trampoline.S): a position-
 * independent blob that arch/smp.c copies to the page the UEFI stage kept
 * below 1 MiB.  A STARTUP IPI starts the AP there in real mode at
 * CS = page >> 4, IP = 0 (SDM Vol. 3A 10.4.4, 11.6.1); the blob goes to
 * 32-bit protected mode, turns on PAE paging with long mode enabled
 * (SDM Vol. 3A 10.8.5, "Initializing IA-32e Mode") and jumps to the
 * kernel's ap_entry on the AP's own stack.
 *
 * The parameter block at the end of the blob is filled per AP; its
 * layout is shared with the assembly through the offsets below. */
#ifndef ARCH_AP_TRAMPOLINE_H
#define ARCH_AP_TRAMPOLINE_H

#define APT_GDTR 0       /* u16 limit, u32 linear base (LGDT operand) */
#define APT_PM32_JUMP 8  /* u32 offset, u16 selector: to 32-bit code */
#define APT_LM64_JUMP 16 /* u32 offset, u16 selector: to 64-bit code */
#define APT_CR3 24       /* u32: the start-up PML4, below 4 GiB */
#define APT_STACK 32     /* u64: the AP's stack top (kernel virtual) */
#define APT_ENTRY 40     /* u64: ap_entry (kernel virtual) */
#define APT_SIZE 48

/* The blob's own GDT: flat 32-bit code and data, 64-bit code. */
#define APT_SEL_CODE32 0x08
#define APT_SEL_DATA 0x10
#define APT_SEL_CODE64 0x18

/* The bits the assembly sets, named for it (arch/cpu.h and arch/msr.h
 * hold the C spellings): CR0.PE, CR0.PG, CR4.PAE, IA32_EFER and its
 * LME and NXE bits (NXE because the kernel's tables use XD). */
#define APT_CR0_PE 0x00000001
#define APT_CR0_PG 0x80000000
#define APT_CR4_PAE 0x00000020
#define APT_MSR_EFER 0xc0000080
#define APT_EFER_LME_NXE 0x00000900

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct ap_trampoline_params {
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t pad0;
	uint32_t pm32_offset;
	uint16_t pm32_sel;
	uint16_t pad1;
	uint32_t lm64_offset;
	uint16_t lm64_sel;
	uint16_t pad2;
	uint32_t cr3;
	uint32_t pad3;
	uint64_t stack;
	uint64_t entry;
} __attribute__((packed));

_Static_assert(offsetof(struct ap_trampoline_params, gdt_limit) == APT_GDTR,
	       "APT_GDTR");
_Static_assert(offsetof(struct ap_trampoline_params, pm32_offset) ==
		       APT_PM32_JUMP, "APT_PM32_JUMP");
_Static_assert(offsetof(struct ap_trampoline_params, lm64_offset) ==
		       APT_LM64_JUMP, "APT_LM64_JUMP");
_Static_assert(offsetof(struct ap_trampoline_params, cr3) == APT_CR3,
	       "APT_CR3");
_Static_assert(offsetof(struct ap_trampoline_params, stack) == APT_STACK,
	       "APT_STACK");
_Static_assert(offsetof(struct ap_trampoline_params, entry) == APT_ENTRY,
	       "APT_ENTRY");
_Static_assert(sizeof(struct ap_trampoline_params) == APT_SIZE, "APT_SIZE");

/* Labels in the blob (arch/ap_trampoline.S); only their distances from
 * ap_trampoline_start mean anything. */
extern const char ap_trampoline_start[], ap_trampoline_pm32[],
	ap_trampoline_lm64[], ap_trampoline_gdt[], ap_trampoline_gdt_end[],
	ap_trampoline_params[], ap_trampoline_end[];

/* Where the trampoline jumps, in the kernel's text (same file). */
void ap_entry(void);
#endif

#endif
