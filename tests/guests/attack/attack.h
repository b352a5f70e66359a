/* The hostile guest's shared declarations: registers, MSRs and ports it
 * attacks, the tools in tools.c, and one a_NAME() per attack (main.c
 * runs them by name).  See main.c for the command line. */
#ifndef ATTACK_H
#define ATTACK_H

#include "../ap.h"
#include "../guest.h"

#define APIC 0xfee00000u
#define APIC_ID 0x020
#define APIC_TPR 0x080
#define APIC_EOI 0x0b0
#define APIC_SVR 0x0f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_DCR 0x3e0
#define IOAPIC 0xfec00000u
#define TESTDEV 0xfeb00000u

#define MSR_FEATURE_CONTROL 0x03a
#define MSR_APIC_BASE 0x01b
#define MSR_BIOS_UPDT_TRIG 0x079
#define MSR_SMBASE 0x09e
#define MSR_SMM_MONITOR_CTL 0x09b
#define MSR_MCG_CTL 0x17b
#define MSR_DEBUGCTL 0x1d9
#define MSR_SMRR_BASE 0x1f2
#define MSR_SMRR_MASK 0x1f3
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_FIX64K 0x250
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_MC0_CTL 0x400
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_LAST 0x491
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_ICR 0x830
#define MSR_EFER 0xc0000080

#define CMOS_BOOTS 0x50 /* a CMOS byte of the VM's own RTC: survives resets */

enum { HC_VERSION = 0, HC_CONSOLE_WRITE = 1, HC_EXIT = 2 };
enum { HV_EPERM = -1, HV_EFAULT = -14, HV_EINVAL = -22, HV_ENOSYS = -38 };

/* main.c: the attack being run (its name on the command line) and the
 * end of RAM from the Multiboot information. */
extern const char *current;
extern uint32_t ram_end;

/* ---- reporting (tools.c) ---- */
void name_line(const char *what);
void start(void);
void contained(const char *why);
void escaped(const char *why);
void wrong_verdict(const char *why);
void note(const char *what, uint64_t v);
void note_dec(const char *what, uint64_t v);

/* ---- small tools (tools.c) ---- */
volatile uint32_t *apic_reg(uint32_t off);
uint8_t cmos_read(uint8_t i);
void cmos_write(uint8_t i, uint8_t v);
void spin_ticks(uint64_t ticks);
bool cpuid_bit(uint32_t leaf, uint32_t sub, int reg, int bit);
enum { EAX, EBX, ECX, EDX };

static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
bool write_cr4_safe(uint32_t v);

extern uint8_t codebuf[64];
extern uint64_t scratch[8];
uint32_t run_code(const uint8_t *b, unsigned n, uint32_t eax);

/* ---- interrupts and NMIs (tools.c) ---- */
extern volatile uint32_t irq_count, nmi_count;
extern volatile bool eoi_pic, eoi_apic;
extern uint32_t storm_max;
extern void (*storm_stop)(void);
void count_irq(uint32_t vector);
void nmi_stub(void);
void set_gate(unsigned vector, void (*fn)(void), unsigned dpl);

/* The other vCPUs' start code (install_ap_code) and send_ipi: ../ap.h. */
#define ICR_INIT 0x00004500u
#define ICR_SIPI 0x00004600u
#define ICR_NMI 0x00004400u
#define ICR_FIXED 0x00004000u
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)

/* ---- paging (tools.c) ---- */
extern uint64_t pdpt[4];
extern uint64_t pae_pd[512];
extern uint64_t pae_pd_probe[512];
#define CR4_PAE (1u << 5)
void pae_map_probe(uint64_t target);
extern uint32_t pd32[1024];
extern uint32_t pt32[1024];
void paging32_on(void);
void paging_off(void);

/* ---- the attacks, one file per family ---- */
/* memory.c */
void a_ram_straddle(void);
void a_exec_outside(void);
void a_gpa_4g(void);
void a_gpa_top(void);
void a_host_sweep(void);
void a_sibling_scan(void);
/* msr_cpu.c */
void a_msr_feature_control(void);
void a_msr_vmx_caps(void);
void a_msr_efer(void);
void a_msr_apic_base(void);
void a_msr_pat(void);
void a_msr_mtrr(void);
void a_msr_microcode(void);
void a_msr_mc_banks(void);
void a_msr_debugctl(void);
void a_msr_smm(void);
void a_msr_canonical(void);
void a_msr_x2apic_icr(void);
void a_msr_sweep(void);
void a_vmx_insns(void);
void a_cr4_reserved(void);
void a_xcr0_reserved(void);
/* io_pci.c */
void a_pci_config(void);
void a_host_ports(void);
/* hypercall.c */
void a_hypercall_bad(void);
void a_hypercall_cpl3(void);
/* mmio.c */
void a_mmio_straddle(void);
void a_mmio_smc(void);
void a_mmio_stale_tlb(void);
void a_mmio_vanished_page(void);
void a_mmio_rep_movs(void);
void a_mmio_ram_end(void);
/* storms.c */
void a_triple_fault(void);
void a_reset_kbd(void);
void a_reset_cf9(void);
void a_init_storm(void);
void a_nmi_storm(void);
void a_spin_smp(void);
void a_exit_flood(void);
void a_pit_storm(void);
void a_rtc_storm(void);
void a_lapic_timer_storm(void);
void a_tsc_deadline_past(void);

#endif
