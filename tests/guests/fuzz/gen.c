/* The fuzzer's generator core: the PRNG, the switches, the emitter's
 * state, random values and descriptors, and generate(), which picks the
 * items of one buffer by class weight. */
#include "fuzz.h"

/* ---- the PRNG: xorshift32, the only source of randomness ---- */
uint32_t rng;

/* ---- switches (SW_*, from the command line) ---- */
uint32_t switches;

/* ---- the emitter ---- */
unsigned pos;
bool dirty_msr, dirty_apic, dirty_timers;
uint32_t cur_seed, cur_iter;

/* Operands written at generation time (far pointers, descriptor-table
 * pseudo-descriptors, BOUND pairs, VMX pointers) each get their own 16
 * bytes: in the shared scratch page a later item's could overwrite an
 * earlier one's (seed 0x5eed5 at iteration 74881: a far pointer).  The
 * callers still draw a scratch address first so that every seed's stream
 * stays what it was. */
static uint8_t gendata[8 * 16] __attribute__((aligned(16)));
static unsigned genpos;
uint32_t gen_slot(void)
{
	uint32_t a = (uint32_t)&gendata[genpos];
	genpos = (genpos + 16) % sizeof(gendata);
	return a;
}

uint32_t rnd_value(void)
{
	switch (below(6)) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return 1u << below(32);
	case 3: return below(0x100);
	default: return rnd();
	}
}

/* ---- descriptors ---- */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)(access & 0xff) << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate_desc(uint32_t sel, uint32_t off, uint32_t access)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(access & 0xff) << 40) |
	       ((uint64_t)(off >> 16) << 48);
}

static uint32_t desc_base(uint64_t d)
{
	return (uint32_t)((d >> 16) & 0xffffff) | (uint32_t)((d >> 56) << 24);
}

/* A random descriptor for GDT slot or LDT entry: code or data with random
 * type, DPL, size and limit (base random, far transfers aim through it at
 * the sled); or a system one (LDT, call gate; TSS and task gates only with
 * on=task). */
static uint64_t rnd_desc(bool in_ldt)
{
	uint32_t access = 0x10 | (below(16)) | (below(4) << 5) | (chance(8) ? 0 : 0x80);
	uint32_t flags = below(16) & 0xd; /* G, D/B, AVL; L clear */
	uint32_t base = chance(2) ? 0 : rnd();
	uint32_t sys;

	if (!chance(4))
		return seg_desc(base, rnd(), access, flags);
	sys = below(4);
	if (sys == 0 && !in_ldt)
		return seg_desc((uint32_t)fz_ldt, sizeof(fz_ldt) - 1 - below(8) * 8, 0x82, 0);
	if (sys == 1 && (switches & SW_TASK)) {
		if (in_ldt || chance(2))
			return gate_desc(3 << 3, 0, 0x85 | (below(4) << 5));
		return seg_desc((uint32_t)fz_tss, 0x67, 0x89 | (below(4) << 5), 0);
	}
	/* A call gate to 0x08 (flat), so its offset reaches the sled. */
	return gate_desc(0x08, sled(), 0x8c | (below(4) << 5) | (chance(8) ? 0 : 0x80));
}

void randomize_tables(void)
{
	for (unsigned i = 3; i < GDT_SLOTS; i++)
		fz_gdt[i] = rnd_desc(false);
	/* Slot 3: an available 32-bit TSS (LTR marks it busy); slot 4: the
	 * LDT. */
	fz_gdt[3] = seg_desc((uint32_t)fz_tss, 0x67, 0x89, 0);
	fz_gdt[4] = seg_desc((uint32_t)fz_ldt, sizeof(fz_ldt) - 1, 0x82, 0);
	for (unsigned i = 0; i < LDT_SLOTS; i++)
		fz_ldt[i] = rnd_desc(true);
}

/* The base of the descriptor a selector names (0 for none). */
uint32_t sel_base(uint16_t sel)
{
	if (sel & 4)
		return desc_base(fz_ldt[(sel >> 3) & (LDT_SLOTS - 1)]);
	return (sel >> 3) < GDT_SLOTS ? desc_base(fz_gdt[sel >> 3]) : 0;
}

/* A selector for a far transfer or segment load, and the offset that, with
 * its descriptor's base, reaches the sled. */
uint16_t rnd_selector(uint32_t *offset)
{
	uint16_t sel;

	switch (below(8)) {
	case 0: sel = (uint16_t)rnd(); break;
	case 1: sel = 0x10; break;
	case 2: sel = 0; break;
	case 3: sel = (uint16_t)((below(LDT_SLOTS) << 3) | 4 | below(4)); break;
	default:
		sel = (uint16_t)(((5 + below(GDT_SLOTS - 5)) << 3) | (chance(4) ? below(4) : 0));
		break;
	}
	if (!(switches & SW_TASK) && (sel >> 3) < 5 && !(sel & 4) && (sel >> 3) >= 3)
		sel = 0x10;
	/* Whatever descriptor the selector names (a random one may name a
	 * slot too): base + offset is the sled. */
	*offset = sled() - sel_base(sel);
	return sel;
}

/* ---- item generators ---- */
/* Every buffer ends with a jump to the landing, which also resets the
 * stack: an item may leave it unbalanced (a far CALL that went on). */
void end_buffer(void)
{
	e1(0x68); /* push $fz_landing; ret: absolute, so fixup_code can copy it */
	e32((uint32_t)fz_landing);
	e1(0xc3);
}

const char *item_names[32];
unsigned nitems;

static const struct {
	const char *name;
	void (*gen)(void);
	unsigned weight;
} classes[] = {
	{ "cr", cr_item, 10 }, { "dr", dr_item, 5 }, { "msr", msr_item, 12 },
	{ "xcr", xcr_item, 3 }, { "io", io_item, 14 }, { "dt", dt_item, 8 },
	{ "int", int_item, 5 }, { "iret", iret_item, 5 }, { "far", far_item, 5 },
	{ "vmx", vmx_item, 8 }, { "hlt", hlt_item, 3 }, { "misc", misc_item, 14 },
	{ "mmio", mmio_item, 12 },
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

void generate(void)
{
	unsigned total = 0, n = 1 + below(3);

	for (unsigned i = 0; i < NCLASSES; i++)
		total += classes[i].weight;
	pos = 0;
	genpos = 0;
	nitems = 0;
	randomize_tables();
	for (unsigned k = 0; k < n; k++) {
		unsigned w = below(total), c = 0;
		while (w >= classes[c].weight)
			w -= classes[c++].weight;
		item_names[nitems++] = classes[c].name;
		classes[c].gen();
	}
	end_buffer();
	for (unsigned i = 0; i < 7; i++)
		fz_regs[i] = rnd_value();
}

/* MOV r32 to [r32]: a form hv's MMIO decoder knows, whatever the
 * compiler would pick. */
