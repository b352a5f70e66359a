/* The EPT audit (see ept_audit.h).  The walk mirrors the CPU's: a 4-level
 * radix tree indexed by guest-physical bits 47:12, an entry present when
 * any of its R/W/X bits is set, bit 7 marking a 2 MiB or 1 GiB leaf
 * (SDM Vol. 3C 29.3.2, Tables 29-1 to 29-6). */
#include "ept_audit.h"

#include <stddef.h>

#include "../vmx/ept.h"

#define EPT_LEVELS 4
#define EPT_ENTRIES 512
#define EPT_MT(e) (((e) >> 3) & 7)
#define EPT_TABLE_RSVD (0x1full << 3) /* bits 7:3 of a non-leaf entry */
#define ADDR_BITS_END 52              /* the address field is bits 51:12 */

const char *ept_problem_name(enum ept_problem p)
{
	switch (p) {
	case EPT_MISCONFIG: return "misconfigured entry";
	case EPT_FOREIGN: return "foreign frame";
	case EPT_RAM_ALIAS: return "own RAM at the wrong address";
	case EPT_RAM_IN_HOLE: return "RAM in the MMIO hole";
	case EPT_TABLE_PLACE: return "paging structure misplaced";
	}
	return "?";
}

static bool overlaps(uint64_t base, uint64_t size, uint64_t rbase,
		     uint64_t rsize)
{
	return size && rsize && base < rbase + rsize && rbase < base + size;
}

static bool inside(uint64_t base, uint64_t size, uint64_t rbase,
		   uint64_t rsize)
{
	return base >= rbase && size <= rsize && base - rbase <= rsize - size;
}

static const struct ept_region *find(const struct ept_region *r, unsigned n,
				     uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < n; i++)
		if (overlaps(base, size, r[i].base, r[i].size))
			return &r[i];
	return NULL;
}

static uint64_t span_of(int level)
{
	return 4096ull << (9 * level);
}

/* Address bits the CPU has: 51:12 clipped to MAXPHYADDR. */
static uint64_t addr_mask(const struct ept_audit *a)
{
	unsigned bits = a->phys_bits && a->phys_bits < ADDR_BITS_END
				? a->phys_bits : ADDR_BITS_END;
	return ((1ull << bits) - 1) & ~0xfffull;
}

static bool is_leaf(uint64_t e, int level)
{
	return level == 0 || (level < EPT_LEVELS - 1 && (e & PTE_PS));
}

/* Why a present entry is an EPT misconfiguration, or NULL
 * (SDM Vol. 3C 29.3.3.1). */
static const char *misconfig(const struct ept_audit *a, uint64_t e,
			     int level)
{
	uint64_t field = ((1ull << ADDR_BITS_END) - 1) & ~0xfffull;

	if ((e & EPT_W) && !(e & EPT_R))
		return "writable but not readable";
	if ((e & EPT_X) && !(e & EPT_R) && !a->execute_only)
		return "execute-only, which this CPU does not support";
	if (e & field & ~addr_mask(a))
		return "address bits above MAXPHYADDR set";
	if (level == EPT_LEVELS - 1 && (e & PTE_PS))
		return "bit 7 (reserved) set in a PML4 entry";
	if (level == 2 && (e & PTE_PS) && !a->allow_1g)
		return "a 1 GiB page on a CPU without them";
	if (!is_leaf(e, level))
		return (e & EPT_TABLE_RSVD) ? "reserved bits 7:3 set in a "
					      "table entry" : NULL;
	unsigned mt = EPT_MT(e);
	if (mt == 2 || mt == 3 || mt == 7)
		return "reserved memory type";
	if (level && (e & field & (span_of(level) - 1)))
		return "reserved address bits set in a large page";
	return NULL;
}

static void violation(const struct ept_audit *a, struct ept_audit_result *r,
		      enum ept_problem p, int level, uint64_t gpa,
		      uint64_t hpa, uint64_t entry, const char *what)
{
	struct ept_violation v = { p, level, gpa, hpa,
				   level < EPT_LEVELS ? span_of(level) : 4096,
				   entry, what };
	r->violations++;
	if (a->report)
		a->report(a->ctx, &v);
}

/* Where a paging structure may not be: anywhere the guest can write
 * (its RAM, a BAR of its device) or that belongs to someone else.
 * Returns what it hit, or NULL. */
static const char *table_misplaced(const struct ept_audit *a, uint64_t t)
{
	const struct ept_region *hit;

	if (overlaps(t, 4096, a->ram_hpa, a->ram_size))
		return "inside this VM's RAM";
	if ((hit = find(a->bars, a->nbars, t, 4096)) != NULL)
		return hit->what;
	if ((hit = find(a->named, a->nnamed, t, 4096)) != NULL)
		return hit->what;
	if (t >= a->readable_end || a->readable_end - t < 4096)
		return "beyond the memory the hypervisor can read";
	return NULL;
}

/* Whether one of this EPT's well-placed paging structures (the ones the
 * walk follows) lies in [base, base+size). */
static bool table_within(const struct ept_audit *a, uint64_t t, int level,
			 uint64_t base, uint64_t size)
{
	const uint64_t *table = a->phys_to_virt(t);

	if (overlaps(t, 4096, base, size))
		return true;
	for (unsigned i = 0; level > 0 && i < EPT_ENTRIES; i++) {
		uint64_t e = table[i];
		if (!(e & EPT_RWX) || is_leaf(e, level) ||
		    misconfig(a, e, level) ||
		    table_misplaced(a, e & addr_mask(a)))
			continue;
		if (table_within(a, e & addr_mask(a), level - 1, base, size))
			return true;
	}
	return false;
}

/* What a leaf that breaks both rules hit, for the report. */
static const char *leaf_hit(const struct ept_audit *a, uint64_t hpa,
			    uint64_t size, bool *ram)
{
	const struct ept_region *hit;

	*ram = true;
	if (overlaps(hpa, size, a->ram_hpa, a->ram_size))
		return "this VM's RAM";
	if (table_within(a, a->root, EPT_LEVELS - 1, hpa, size))
		return "this EPT's own paging structures";
	if (find(a->bars, a->nbars, hpa, size)) {
		*ram = false;
		return "a BAR of this VM, away from its own address";
	}
	hit = find(a->named, a->nnamed, hpa, size);
	*ram = find(a->host_ram, a->nhost_ram, hpa, size) != NULL;
	if (hit)
		return hit->what;
	if (*ram)
		return "host RAM outside this VM";
	return "host space that is neither RAM nor a BAR of this VM";
}

static void check_leaf(const struct ept_audit *a, struct ept_audit_result *r,
		       uint64_t e, int level, uint64_t gpa)
{
	uint64_t size = span_of(level);
	uint64_t hpa = e & addr_mask(a) & ~(size - 1);
	const struct ept_region *bar;
	bool ram;

	r->leaves++;
	/* (a) its own RAM, where vm.c put it. */
	if (inside(hpa, size, a->ram_hpa, a->ram_size) &&
	    gpa == hpa - a->ram_hpa)
		return;
	/* (c) a clone's shared page: the snapshot's copy, never writable. */
	if (a->shared_hpa && !(e & EPT_W) &&
	    inside(hpa, size, a->shared_hpa, a->ram_size) &&
	    gpa == hpa - a->shared_hpa)
		return;
	/* (b) a BAR of its own device, 1:1 and clear of all RAM. */
	bar = find(a->bars, a->nbars, hpa, size);
	if (bar && gpa == hpa && inside(hpa, size, bar->base, bar->size)) {
		const struct ept_region *over =
			find(a->host_ram, a->nhost_ram, hpa, size);
		if (!over)
			return;
		violation(a, r, EPT_FOREIGN, level, gpa, hpa, e, over->what);
		return;
	}
	const char *what = leaf_hit(a, hpa, size, &ram);
	enum ept_problem p = EPT_FOREIGN;
	if (gpa >= a->ram_size && ram)
		p = EPT_RAM_IN_HOLE;
	else if (overlaps(hpa, size, a->ram_hpa, a->ram_size))
		p = EPT_RAM_ALIAS;
	violation(a, r, p, level, gpa, hpa, e, what);
}

static void walk(const struct ept_audit *a, struct ept_audit_result *r,
		 uint64_t t, int level, uint64_t gpa_base)
{
	const uint64_t *table = a->phys_to_virt(t);

	r->tables++;
	for (unsigned i = 0; i < EPT_ENTRIES; i++) {
		uint64_t e = table[i], gpa = gpa_base + i * span_of(level);
		const char *why;

		if (!(e & EPT_RWX))
			continue; /* not present: the rest is ignored */
		if ((why = misconfig(a, e, level)) != NULL) {
			violation(a, r, EPT_MISCONFIG, level, gpa,
				  e & addr_mask(a), e, why);
			continue;
		}
		if (is_leaf(e, level)) {
			check_leaf(a, r, e, level, gpa);
			continue;
		}
		uint64_t next = e & addr_mask(a);
		if ((why = table_misplaced(a, next)) != NULL) {
			violation(a, r, EPT_TABLE_PLACE, level, gpa, next, e,
				  why);
			continue;
		}
		walk(a, r, next, level - 1, gpa);
	}
}

bool ept_audit_run(const struct ept_audit *a, struct ept_audit_result *r)
{
	const char *why;

	*r = (struct ept_audit_result){ 0, 0, 0 };
	if ((why = table_misplaced(a, a->root)) != NULL)
		violation(a, r, EPT_TABLE_PLACE, EPT_LEVELS, 0, a->root,
			  a->root, why);
	else
		walk(a, r, a->root, EPT_LEVELS - 1, 0);
	return r->violations == 0;
}
