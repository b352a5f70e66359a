/* 4-level paging structures: PML4 -> PDPT -> PD -> PT (SDM Vol. 3A 4.5,
 * Figure 4-8).  Intermediate entries grant everything (present, writable,
 * executable): the leaf alone decides access rights, because the effective
 * rights are the intersection over the walk (SDM Vol. 3A 4.6; for EPT,
 * SDM Vol. 3C 29.3.3.2). */
#include "paging.h"

#define PT_LEVELS 4
#define PT_ENTRIES 512

const struct pt_format pt_format_x86 = {
	.present = PTE_P,
	.table_attr = PTE_P | PTE_W,
	.attr_mask = PTE_ATTR_MASK,
	.leaf_fixed = PTE_P,
};

static const struct pt_format *fmt(const struct pt_ctx *pt)
{
	return pt->fmt ? pt->fmt : &pt_format_x86;
}

static unsigned pt_index(uint64_t va, int level)
{
	/* level 3 = PML4 (bits 47:39) ... level 0 = PT (bits 20:12) */
	return (unsigned)((va >> (12 + 9 * level)) & (PT_ENTRIES - 1));
}

static bool va_canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

/* A non-empty range that neither wraps nor leaves the canonical halves
 * (the gap between them included). */
static bool range_ok(uint64_t va, uint64_t size)
{
	uint64_t last = va + size - 1;
	return size && last >= va && va_canonical(va) && va_canonical(last) &&
	       (va >> 63) == (last >> 63);
}

static uint64_t *table_at(const struct pt_ctx *pt, uint64_t phys)
{
	return (uint64_t *)pt->phys_to_virt(phys & PTE_ADDR_MASK);
}

int pt_init(struct pt_ctx *pt)
{
	pt->root = pt->alloc_table(pt->opaque);
	return pt->root ? PT_OK : PT_ENOMEM;
}

/* The tables below the one at phys (a table of `level`), then it. */
static void free_tables(struct pt_ctx *pt, uint64_t phys, int level)
{
	const uint64_t *table = table_at(pt, phys);

	for (unsigned i = 0; level > 0 && i < PT_ENTRIES; i++)
		if ((table[i] & fmt(pt)->present) && !(table[i] & PTE_PS))
			free_tables(pt, table[i] & PTE_ADDR_MASK, level - 1);
	pt->free_table(pt->opaque, phys & PTE_ADDR_MASK);
}

void pt_destroy(struct pt_ctx *pt)
{
	if (pt->root)
		free_tables(pt, pt->root, PT_LEVELS - 1);
	pt->root = 0;
}

/* Returns the entry for va at `level` (1 = PD, 0 = PT), creating missing
 * tables above it, or NULL with *err set. */
static uint64_t *pt_walk_create(struct pt_ctx *pt, uint64_t va, int level,
				int *err)
{
	uint64_t *table = table_at(pt, pt->root);

	for (int l = PT_LEVELS - 1; l > level; l--) {
		uint64_t *e = &table[pt_index(va, l)];
		if (*e & fmt(pt)->present) {
			if (*e & PTE_PS) {
				*err = PT_ECONFLICT;
				return 0;
			}
		} else {
			uint64_t phys = pt->alloc_table(pt->opaque);
			if (!phys) {
				*err = PT_ENOMEM;
				return 0;
			}
			*e = phys | fmt(pt)->table_attr;
		}
		table = table_at(pt, *e);
	}
	return &table[pt_index(va, level)];
}

/* The largest page that fits: 1 GiB (level 2) where allowed, 2 MiB
 * (level 1), else 4 KiB (level 0). */
static int leaf_level(const struct pt_ctx *pt, uint64_t va, uint64_t pa,
		      uint64_t size, bool allow_large)
{
	if (!allow_large)
		return 0;
	if (pt->allow_1g && size >= PAGE_SIZE_1G &&
	    !((va | pa) & (PAGE_SIZE_1G - 1)))
		return 2;
	if (size >= PAGE_SIZE_2M && !((va | pa) & (PAGE_SIZE_2M - 1)))
		return 1;
	return 0;
}

int pt_map(struct pt_ctx *pt, uint64_t va, uint64_t pa, uint64_t size,
	   uint64_t attr, bool allow_large)
{
	int err = PT_OK;

	if ((va | pa | size) & (PAGE_SIZE - 1))
		return PT_EALIGN;
	if (!range_ok(va, size))
		return PT_ECANON;
	if ((pa & ~PTE_ADDR_MASK) || ((pa + size - 1) >> 52) ||
	    pa + size < pa)
		return PT_ERANGE;
	attr = (attr & fmt(pt)->attr_mask) | fmt(pt)->leaf_fixed;
	while (size) {
		int level = leaf_level(pt, va, pa, size, allow_large);
		uint64_t step = PAGE_SIZE << (9 * level);
		uint64_t *e = pt_walk_create(pt, va, level, &err);
		if (!e)
			return err;
		if (level && (*e & fmt(pt)->present) && !(*e & PTE_PS))
			return PT_ECONFLICT; /* a table of smaller pages is there */
		*e = pa | attr | (level ? PTE_PS : 0);
		va += step;
		pa += step;
		size -= step;
	}
	return PT_OK;
}

/* Finds the leaf entry for va without creating anything. */
static uint64_t *pt_leaf(const struct pt_ctx *pt, uint64_t va, int *level)
{
	uint64_t *table = table_at(pt, pt->root);

	for (int l = PT_LEVELS - 1; l >= 0; l--) {
		uint64_t *e = &table[pt_index(va, l)];
		if (!(*e & fmt(pt)->present))
			return 0;
		if (l == 0 || (*e & PTE_PS)) {
			*level = l;
			return e;
		}
		table = table_at(pt, *e);
	}
	return 0;
}

int pt_unmap(struct pt_ctx *pt, uint64_t va, uint64_t size)
{
	if ((va | size) & (PAGE_SIZE - 1))
		return PT_EALIGN;
	if (!range_ok(va, size))
		return PT_ECANON;
	for (; size; va += PAGE_SIZE, size -= PAGE_SIZE) {
		int level;
		uint64_t *e = pt_leaf(pt, va, &level);
		if (!e)
			continue;
		if (level != 0)
			return PT_ECONFLICT;
		*e = 0;
	}
	return PT_OK;
}

bool pt_translate(const struct pt_ctx *pt, uint64_t va, uint64_t *pa,
		  uint64_t *attr)
{
	int level;
	uint64_t *e;

	if (!va_canonical(va))
		return false;
	e = pt_leaf(pt, va, &level);
	if (!e)
		return false;
	uint64_t span = 1ull << (12 + 9 * level);
	uint64_t base = *e & PTE_ADDR_MASK & ~(span - 1);
	*pa = base | (va & (span - 1));
	*attr = *e & (fmt(pt)->attr_mask | PTE_PS);
	return true;
}
