/* The guest instruction fuzzer's shared declarations: see main.c for what
 * it does.  The emitter and the PRNG are inline here: every generator
 * uses them, and the stream of random numbers for a seed must stay what
 * it is. */
#ifndef FUZZ_H
#define FUZZ_H

#include "../guest.h"

#define GDT_SLOTS 16
#define LDT_SLOTS 16
#define SLED 0x4000u          /* far transfers aim here: INT3, below 64 KiB */
#define SLED_SIZE 0x1000u
#define LAPIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define TESTDEV 0xfeb00000u

/* ---- landing.c: state shared with the assembly, buffers, tables ---- */
extern uint32_t fz_landing_esp, fz_armed, fz_fault_vector, fz_in_landing;
extern uint32_t fz_irqs, fz_nmis_idle;
extern uint32_t fz_entry;
extern uint32_t fz_regs[7];
extern uint32_t fz_cr0, fz_cr4;
struct dtr { uint16_t limit; uint32_t base; } __attribute__((packed));
extern struct dtr fz_gdt_desc, fz_idt_desc;
extern uint64_t fz_gdt[GDT_SLOTS];
extern uint64_t fz_ldt[LDT_SLOTS];
extern uint8_t fz_tss[128];
extern uint8_t scratch[4096];
extern uint8_t code[1024];
extern uint8_t fixup_code[256];
extern uint32_t idmap_pd[1024];
extern const char console_text[31];
uint32_t fuzz_call(void);
void fz_landing(void);
uint32_t restore_msrs(void);
void restore_timers(void);
void restore_apic(void);
void setup(void);

/* ---- gen.c: the PRNG: xorshift32, the only source of randomness ---- */
extern uint32_t rng;
static inline uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}
static inline uint32_t below(uint32_t n) { return rnd() % n; }
static inline bool chance(uint32_t one_in) { return below(one_in) == 0; }

/* ---- gen.c: switches (off by default; main.c names them) ---- */
enum {
	SW_XSETBV = 1u << 0, SW_RDPMC = 1u << 1, SW_STRIO = 1u << 2,
	SW_TASK = 1u << 3, SW_INIT = 1u << 4, SW_MMIOALU = 1u << 5,
	SW_LME = 1u << 6,
};
extern uint32_t switches;

/* ---- gen.c: the emitter ---- */
extern unsigned pos;
extern bool dirty_msr, dirty_apic, dirty_timers;
extern uint32_t cur_seed, cur_iter;

static inline void e1(uint32_t b) { code[pos++] = (uint8_t)b; }
static inline void e2(uint32_t a, uint32_t b) { e1(a); e1(b); }
static inline void e3(uint32_t a, uint32_t b, uint32_t c) { e1(a); e1(b); e1(c); }
static inline void e16(uint32_t v) { e1(v); e1(v >> 8); }
static inline void e32(uint32_t v) { e16(v); e16(v >> 16); }
static inline uint32_t here(void) { return (uint32_t)&code[pos]; }
/* A general register other than ESP. */
static inline unsigned rreg(void) { unsigned r = below(7); return r >= 4 ? r + 1 : r; }
static inline void mov_imm(unsigned r, uint32_t v) { e1(0xb8 + r); e32(v); }
/* An address in the scratch page for a memory operand of n bytes. */
static inline uint32_t scratch_addr(unsigned n) { return (uint32_t)scratch + below(4096 - n); }
/* ModRM for [disp32] with /digit, preceded by an SS override. */
static inline void mem_abs(uint32_t op_digit, uint32_t addr) { e1(((op_digit & 7) << 3) | 5); e32(addr); }
static inline uint32_t sled(void) { return SLED + below(SLED_SIZE); }
uint32_t gen_slot(void);
uint32_t rnd_value(void);

/* ---- gen.c: descriptors, the buffer, the items of one iteration ---- */
void randomize_tables(void);
uint32_t sel_base(uint16_t sel);
uint16_t rnd_selector(uint32_t *offset);
void end_buffer(void);
extern const char *item_names[32];
extern unsigned nitems;
void generate(void);

/* ---- the item generators, one per class ---- */
void cr_item(void);	/* gen_cpu.c */
void dr_item(void);
void msr_item(void);
void xcr_item(void);
void vmx_item(void);
void hlt_item(void);
void misc_item(void);
void io_item(void);	/* gen_io.c */
void mmio_item(void);
void put_apic_restore(void);
void mmio_w32(uint32_t reg, uint32_t v);
void dt_item(void);	/* gen_flow.c */
void int_item(void);
void iret_item(void);
void far_item(void);

#endif
