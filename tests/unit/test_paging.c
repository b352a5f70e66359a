/* Host unit tests for the 4-level page-table builder (arch/paging.c).
 *
 * Paging structures come from aligned_alloc; the host pointer itself serves
 * as the "physical address" (phys_to_virt is an identity cast).  Every block
 * is recorded and freed by pt_done(), so ASan's leak check covers the tests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../arch/paging.h"
#include "unit.h"

#define MAX_BLOCKS 64
#define VA_2M ((uint64_t)0x40000000)  /* 1 GiB: 2 MiB (and 1 GiB) aligned */
#define PA_2M ((uint64_t)0x80000000)

struct host_alloc {
	void *blocks[MAX_BLOCKS];
	unsigned n;
	unsigned limit;      /* allocations allowed before failing */
	int bad_ptr;         /* a block was misaligned or above 2^47 */
};

static struct host_alloc ha;
static struct pt_ctx pt;

static uint64_t host_alloc_table(void *opaque)
{
	struct host_alloc *a = opaque;
	void *p;

	if (a->n >= a->limit || a->n >= MAX_BLOCKS)
		return 0;
	p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p)
		abort();
	memset(p, 0, PAGE_SIZE);
	/* The builder stores phys | attributes: the pointer must fit the
	 * 52-bit address field and be page aligned. */
	if ((uintptr_t)p >= ((uintptr_t)1 << 47) ||
	    ((uintptr_t)p & (PAGE_SIZE - 1)) ||
	    ((uint64_t)(uintptr_t)p & ~PTE_ADDR_MASK))
		a->bad_ptr = 1;
	a->blocks[a->n++] = p;
	return (uint64_t)(uintptr_t)p;
}

/* pt_destroy's free_table: the block leaves the record (pt_done would
 * free it again) and each must be one the allocator gave, once. */
static unsigned freed, bad_frees;

static void host_free_table(void *opaque, uint64_t phys)
{
	struct host_alloc *a = opaque;

	for (unsigned i = 0; i < a->n; i++) {
		if (a->blocks[i] == (void *)(uintptr_t)phys) {
			free(a->blocks[i]);
			a->blocks[i] = NULL;
			freed++;
			return;
		}
	}
	bad_frees++;
}

static void *host_phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)phys;
}

/* Fresh context; allocator fails after `limit` allocations. */
static int pt_setup(unsigned limit)
{
	memset(&ha, 0, sizeof(ha));
	ha.limit = limit;
	freed = bad_frees = 0;
	pt = (struct pt_ctx){ .root = 0, .alloc_table = host_alloc_table,
			      .free_table = host_free_table,
			      .phys_to_virt = host_phys_to_virt,
			      .opaque = &ha };
	return pt_init(&pt);
}

static void pt_done(void)
{
	for (unsigned i = 0; i < ha.n; i++)
		free(ha.blocks[i]);
	ha.n = 0;
}

static int pt_start(void)
{
	return pt_setup(MAX_BLOCKS);
}

/* Fails the test (after freeing) when pt_setup did not give a root. */
#define START() do {                                                        \
		if (pt_start() != PT_OK) {                                  \
			pt_done();                                          \
			UNIT_FAIL("pt_init failed");                        \
		}                                                           \
	} while (0)

/* CHECK variants that free the tables before returning on failure. */
#define PCHECK(cond) do { if (!(cond)) { pt_done(); UNIT_FAIL("%s", #cond); } } while (0)
#define PCHECK_EQ(a, b) do {                                                \
		uint64_t pa_ = (uint64_t)(a), pb_ = (uint64_t)(b);          \
		if (pa_ != pb_) {                                           \
			pt_done();                                          \
			UNIT_FAIL("%s == %s: 0x%" PRIx64 " != 0x%" PRIx64,  \
				  #a, #b, pa_, pb_);                        \
		}                                                           \
	} while (0)

/* ---- basics ---------------------------------------------------------------- */

TEST(init_allocates_root_and_host_pointers_fit)
{
	START();
	PCHECK_EQ(ha.n, 1);
	PCHECK(pt.root != 0);
	PCHECK_EQ(pt.root & (PAGE_SIZE - 1), 0);
	/* Assumption of this harness: host pointers fit the address field. */
	PCHECK(!ha.bad_ptr);
	PCHECK_EQ(pt.root & ~PTE_ADDR_MASK, 0);
	pt_done();
}

TEST(init_enomem)
{
	CHECK_EQ_U64(pt_setup(0), PT_ENOMEM);
	CHECK_EQ_U64(ha.n, 0);
	pt_done();
}

TEST(translate_empty_is_false)
{
	uint64_t pa = 0x1234, attr = 0x5678;

	START();
	PCHECK(!pt_translate(&pt, 0, &pa, &attr));
	PCHECK(!pt_translate(&pt, VA_2M, &pa, &attr));
	PCHECK(!pt_translate(&pt, 0xffffffff80000000ull, &pa, &attr));
	PCHECK_EQ(pa, 0x1234); /* outputs untouched on failure */
	PCHECK_EQ(attr, 0x5678);
	pt_done();
}

TEST(map_4k_translate_attributes)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0x201000, 0x345000, PAGE_SIZE,
			 PTE_W | PTE_NX | PTE_G, true), PT_OK);
	/* root + PDPT + PD + PT */
	PCHECK_EQ(ha.n, 4);
	PCHECK(!ha.bad_ptr);
	PCHECK(pt_translate(&pt, 0x201000, &pa, &attr));
	PCHECK_EQ(pa, 0x345000);
	PCHECK_EQ(attr, PTE_W | PTE_NX | PTE_G);
	PCHECK(pt_translate(&pt, 0x201abc, &pa, &attr));
	PCHECK_EQ(pa, 0x345abc);
	/* The neighbours stay unmapped. */
	PCHECK(!pt_translate(&pt, 0x200000, &pa, &attr));
	PCHECK(!pt_translate(&pt, 0x202000, &pa, &attr));
	pt_done();
}

TEST(map_read_only_attributes_and_raw_entries)
{
	uint64_t pa, attr;
	uint64_t *pml4, *pdpt, *pd, *ptab;

	START();
	/* Bits outside PTE_ATTR_MASK (PS, A, D) are dropped; P is implied. */
	PCHECK_EQ(pt_map(&pt, 0x5000, 0x9000, PAGE_SIZE,
			 PTE_PCD | PTE_PWT | PTE_PS | PTE_A | PTE_D, false),
		  PT_OK);
	PCHECK(pt_translate(&pt, 0x5000, &pa, &attr));
	PCHECK_EQ(pa, 0x9000);
	PCHECK_EQ(attr, PTE_PCD | PTE_PWT);

	/* Walk the structures by hand: intermediate entries are P|W and
	 * executable; the leaf is exactly pa | attr | P. */
	pml4 = host_phys_to_virt(pt.root);
	PCHECK_EQ(pml4[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W);
	pdpt = host_phys_to_virt(pml4[0] & PTE_ADDR_MASK);
	PCHECK_EQ(pdpt[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W);
	pd = host_phys_to_virt(pdpt[0] & PTE_ADDR_MASK);
	PCHECK_EQ(pd[0] & ~PTE_ADDR_MASK, PTE_P | PTE_W);
	ptab = host_phys_to_virt(pd[0] & PTE_ADDR_MASK);
	PCHECK_EQ(ptab[5], 0x9000 | PTE_P | PTE_PCD | PTE_PWT);
	PCHECK_EQ(ptab[4], 0);
	PCHECK_EQ(ptab[6], 0);
	pt_done();
}

/* ---- 2 MiB pages ----------------------------------------------------------- */

TEST(large_pages_when_aligned)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, 2 * PAGE_SIZE_2M, PTE_W | PTE_G,
			 true), PT_OK);
	/* root + PDPT + PD, no page table */
	PCHECK_EQ(ha.n, 3);
	PCHECK(pt_translate(&pt, VA_2M + 0x123456, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + 0x123456);
	PCHECK_EQ(attr, PTE_W | PTE_G | PTE_PS);
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE_2M + 0x1fffff, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE_2M + 0x1fffff);
	PCHECK(attr & PTE_PS);
	PCHECK(!pt_translate(&pt, VA_2M + 2 * PAGE_SIZE_2M, &pa, &attr));
	PCHECK(!pt_translate(&pt, VA_2M - PAGE_SIZE, &pa, &attr));
	pt_done();
}

TEST(large_then_4k_tail)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M + PAGE_SIZE, PTE_W,
			 true), PT_OK);
	PCHECK_EQ(ha.n, 4); /* the 4 KiB tail needs a page table */
	PCHECK(pt_translate(&pt, VA_2M + 0x1000, &pa, &attr));
	PCHECK_EQ(attr, PTE_W | PTE_PS);
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE_2M + 0x10, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE_2M + 0x10);
	PCHECK_EQ(attr, PTE_W);
	PCHECK(!pt_translate(&pt, VA_2M + PAGE_SIZE_2M + PAGE_SIZE, &pa,
			     &attr));
	pt_done();
}

TEST(no_large_page_when_not_allowed_or_misaligned)
{
	uint64_t pa, attr;

	/* Not allowed. */
	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M, PTE_W, false), PT_OK);
	PCHECK_EQ(ha.n, 4);
	PCHECK(pt_translate(&pt, VA_2M + 0x1ff123, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + 0x1ff123);
	PCHECK_EQ(attr, PTE_W);
	pt_done();

	/* pa only 4 KiB aligned. */
	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M + PAGE_SIZE, PAGE_SIZE_2M, PTE_W,
			 true), PT_OK);
	PCHECK_EQ(ha.n, 4);
	PCHECK(pt_translate(&pt, VA_2M, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE);
	PCHECK(!(attr & PTE_PS));
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE_2M - 1, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE + PAGE_SIZE_2M - 1);
	pt_done();

	/* va and pa differ in their low 21 bits: never co-aligned, so no
	 * 2 MiB page anywhere in a 4 MiB range. */
	START();
	PCHECK_EQ(pt_map(&pt, VA_2M + PAGE_SIZE, PA_2M, 2 * PAGE_SIZE_2M,
			 PTE_W, true), PT_OK);
	PCHECK_EQ(ha.n, 6); /* root + PDPT + PD + 3 page tables */
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE_2M, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE_2M - PAGE_SIZE);
	PCHECK(!(attr & PTE_PS));
	pt_done();

	/* Both start 4 KiB past a 2 MiB boundary: 4 KiB pages up to the
	 * boundary, then a 2 MiB page, then a 4 KiB tail. */
	START();
	PCHECK_EQ(pt_map(&pt, VA_2M + PAGE_SIZE, PA_2M + PAGE_SIZE,
			 2 * PAGE_SIZE_2M, PTE_W, true), PT_OK);
	PCHECK_EQ(ha.n, 5); /* root + PDPT + PD + 2 page tables */
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE_2M - 1, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE_2M - 1);
	PCHECK(!(attr & PTE_PS));
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE_2M, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE_2M);
	PCHECK(attr & PTE_PS);
	PCHECK(pt_translate(&pt, VA_2M + 2 * PAGE_SIZE_2M, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + 2 * PAGE_SIZE_2M);
	PCHECK(!(attr & PTE_PS));
	PCHECK(!pt_translate(&pt, VA_2M + 2 * PAGE_SIZE_2M + PAGE_SIZE, &pa,
			     &attr));
	pt_done();

	/* Size below 2 MiB. */
	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M - PAGE_SIZE, PTE_W,
			 true), PT_OK);
	PCHECK(pt_translate(&pt, VA_2M, &pa, &attr));
	PCHECK(!(attr & PTE_PS));
	pt_done();
}

/* ---- canonical addresses and alignment ------------------------------------ */

TEST(high_half_addresses)
{
	const uint64_t direct = 0xffff800000000000ull;
	const uint64_t kernel = 0xffffffff80000000ull;
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, direct, 0, PAGE_SIZE_2M, PTE_W | PTE_NX, true),
		  PT_OK);
	PCHECK_EQ(pt_map(&pt, kernel, 0x100000, 2 * PAGE_SIZE, PTE_G, false),
		  PT_OK);
	PCHECK(pt_translate(&pt, direct + 0xabcde, &pa, &attr));
	PCHECK_EQ(pa, 0xabcde);
	PCHECK_EQ(attr, PTE_W | PTE_NX | PTE_PS);
	PCHECK(pt_translate(&pt, kernel + PAGE_SIZE + 8, &pa, &attr));
	PCHECK_EQ(pa, 0x101008);
	PCHECK_EQ(attr, PTE_G);
	/* The high half does not alias the low half. */
	PCHECK(!pt_translate(&pt, 0, &pa, &attr));
	PCHECK(!pt_translate(&pt, 0x7fff80000000ull, &pa, &attr));
	/* PML4 slots: 256 (direct map), 511 (kernel), none low. */
	PCHECK_EQ(((uint64_t *)host_phys_to_virt(pt.root))[511] & PTE_P, PTE_P);
	PCHECK_EQ(((uint64_t *)host_phys_to_virt(pt.root))[256] & PTE_P, PTE_P);
	PCHECK_EQ(((uint64_t *)host_phys_to_virt(pt.root))[0], 0);
	pt_done();
}

TEST(non_canonical_rejected)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0x0000800000000000ull, 0, PAGE_SIZE, PTE_W,
			 false), PT_ECANON);
	PCHECK_EQ(pt_map(&pt, 0xffff7ffffffff000ull, 0, PAGE_SIZE, PTE_W,
			 false), PT_ECANON);
	PCHECK_EQ(pt_map(&pt, 0x1234000000000000ull, 0, PAGE_SIZE, PTE_W,
			 false), PT_ECANON);
	/* Canonical start, but the range runs into the hole. */
	PCHECK_EQ(pt_map(&pt, 0x00007ffffffff000ull, 0, 2 * PAGE_SIZE, PTE_W,
			 false), PT_ECANON);
	/* Nothing was allocated by the rejected calls. */
	PCHECK_EQ(ha.n, 1);
	/* The last canonical low page is fine. */
	PCHECK_EQ(pt_map(&pt, 0x00007ffffffff000ull, 0x7000, PAGE_SIZE, PTE_W,
			 false), PT_OK);
	PCHECK(pt_translate(&pt, 0x00007fffffffffffull, &pa, &attr));
	PCHECK_EQ(pa, 0x7fff);
	/* translate refuses non-canonical addresses, even ones whose index
	 * bits select a mapped entry. */
	PCHECK(!pt_translate(&pt, 0xffff7ffffffff000ull, &pa, &attr));
	pt_done();
}

TEST(misaligned_rejected)
{
	START();
	PCHECK_EQ(pt_map(&pt, 0x1001, 0x2000, PAGE_SIZE, PTE_W, false),
		  PT_EALIGN);
	PCHECK_EQ(pt_map(&pt, 0x1000, 0x2800, PAGE_SIZE, PTE_W, false),
		  PT_EALIGN);
	PCHECK_EQ(pt_map(&pt, 0x1000, 0x2000, 0x800, PTE_W, false), PT_EALIGN);
	PCHECK_EQ(pt_map(&pt, 0x1000, 0x2000, PAGE_SIZE + 1, PTE_W, false),
		  PT_EALIGN);
	PCHECK_EQ(pt_unmap(&pt, 0x1004, PAGE_SIZE), PT_EALIGN);
	PCHECK_EQ(pt_unmap(&pt, 0x1000, 0x10), PT_EALIGN);
	PCHECK_EQ(ha.n, 1);
	pt_done();
}

/* ---- remap and unmap ------------------------------------------------------- */

TEST(remap_replaces_frame_and_attributes)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0x400000, 0x10000, 2 * PAGE_SIZE, PTE_W, false),
		  PT_OK);
	PCHECK_EQ(ha.n, 4);
	PCHECK_EQ(pt_map(&pt, 0x401000, 0x90000, PAGE_SIZE, PTE_NX, false),
		  PT_OK);
	PCHECK_EQ(ha.n, 4); /* the existing tables are reused */
	PCHECK(pt_translate(&pt, 0x401010, &pa, &attr));
	PCHECK_EQ(pa, 0x90010);
	PCHECK_EQ(attr, PTE_NX);
	PCHECK(pt_translate(&pt, 0x400000, &pa, &attr));
	PCHECK_EQ(pa, 0x10000);
	PCHECK_EQ(attr, PTE_W);
	pt_done();
}

TEST(remap_large_over_large)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M, PTE_W, true), PT_OK);
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M + PAGE_SIZE_2M, PAGE_SIZE_2M,
			 PTE_NX, true), PT_OK);
	PCHECK_EQ(ha.n, 3);
	PCHECK(pt_translate(&pt, VA_2M + 0x42, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE_2M + 0x42);
	PCHECK_EQ(attr, PTE_NX | PTE_PS);
	pt_done();
}

TEST(unmap_removes_only_the_range)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0x600000, 0x30000, 4 * PAGE_SIZE, PTE_W, false),
		  PT_OK);
	PCHECK_EQ(pt_unmap(&pt, 0x601000, 2 * PAGE_SIZE), PT_OK);
	PCHECK(!pt_translate(&pt, 0x601000, &pa, &attr));
	PCHECK(!pt_translate(&pt, 0x602fff, &pa, &attr));
	PCHECK(pt_translate(&pt, 0x600fff, &pa, &attr));
	PCHECK_EQ(pa, 0x30fff);
	PCHECK(pt_translate(&pt, 0x603000, &pa, &attr));
	PCHECK_EQ(pa, 0x33000);
	/* Unmapping what is not mapped (even with no tables) is fine. */
	PCHECK_EQ(pt_unmap(&pt, 0x601000, PAGE_SIZE), PT_OK);
	PCHECK_EQ(pt_unmap(&pt, 0x7f0000000000ull, 16 * PAGE_SIZE), PT_OK);
	PCHECK_EQ(ha.n, 4); /* structures stay, nothing new created */
	/* Mapping again after unmap works. */
	PCHECK_EQ(pt_map(&pt, 0x601000, 0x77000, PAGE_SIZE, 0, false), PT_OK);
	PCHECK(pt_translate(&pt, 0x601000, &pa, &attr));
	PCHECK_EQ(pa, 0x77000);
	PCHECK_EQ(attr, 0);
	pt_done();
}

TEST(unmap_inside_large_page_conflicts)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M, PTE_W, true), PT_OK);
	PCHECK_EQ(pt_unmap(&pt, VA_2M + PAGE_SIZE, PAGE_SIZE), PT_ECONFLICT);
	PCHECK(pt_translate(&pt, VA_2M + PAGE_SIZE, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + PAGE_SIZE);
	pt_done();
}

/* ---- conflicts ------------------------------------------------------------- */

TEST(map_4k_inside_large_conflicts)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M, PTE_W, true), PT_OK);
	PCHECK_EQ(pt_map(&pt, VA_2M + 0x5000, 0x1000, PAGE_SIZE, 0, false),
		  PT_ECONFLICT);
	PCHECK_EQ(ha.n, 3); /* no page table was created */
	PCHECK(pt_translate(&pt, VA_2M + 0x5000, &pa, &attr));
	PCHECK_EQ(pa, PA_2M + 0x5000);
	PCHECK_EQ(attr, PTE_W | PTE_PS);
	pt_done();
}

TEST(map_large_over_4k_table_conflicts)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, VA_2M + 0x3000, 0x3000, PAGE_SIZE, PTE_W, false),
		  PT_OK);
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M, PTE_W, true),
		  PT_ECONFLICT);
	/* The 4 KiB mapping survives and no large page appeared. */
	PCHECK(pt_translate(&pt, VA_2M + 0x3000, &pa, &attr));
	PCHECK_EQ(pa, 0x3000);
	PCHECK_EQ(attr, PTE_W);
	PCHECK(!pt_translate(&pt, VA_2M, &pa, &attr));
	PCHECK_EQ(ha.n, 4);
	pt_done();
}

/* ---- allocator failure ----------------------------------------------------- */

TEST(enomem_at_each_level_then_recovers)
{
	uint64_t pa, attr;

	/* limit 1..3: root succeeds, PDPT / PD / PT allocation fails. */
	for (unsigned limit = 1; limit < 4; limit++) {
		if (pt_setup(limit) != PT_OK) {
			pt_done();
			UNIT_FAIL("pt_init failed at limit %u", limit);
		}
		PCHECK_EQ(pt_map(&pt, 0x200000, 0x1000, PAGE_SIZE, PTE_W, false),
			  PT_ENOMEM);
		PCHECK_EQ(ha.n, limit);
		PCHECK(!pt_translate(&pt, 0x200000, &pa, &attr));
		/* Give it more memory: the same call now completes, reusing
		 * the tables that were created before the failure. */
		ha.limit = 4;
		PCHECK_EQ(pt_map(&pt, 0x200000, 0x1000, PAGE_SIZE, PTE_W, false),
			  PT_OK);
		PCHECK_EQ(ha.n, 4);
		PCHECK(pt_translate(&pt, 0x200000, &pa, &attr));
		PCHECK_EQ(pa, 0x1000);
		pt_done();
	}

	/* A large mapping needs no page table: 3 blocks are enough. */
	if (pt_setup(3) != PT_OK) {
		pt_done();
		UNIT_FAIL("pt_init failed");
	}
	PCHECK_EQ(pt_map(&pt, VA_2M, PA_2M, PAGE_SIZE_2M, PTE_W, true), PT_OK);
	PCHECK_EQ(pt_map(&pt, VA_2M + PAGE_SIZE_2M, 0, PAGE_SIZE, PTE_W, true),
		  PT_ENOMEM);
	pt_done();
}


/* ---- ranges that must be refused ------------------------------------------- */

TEST(unmap_non_canonical_refused)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0xffff800000000000ull, 0x1000, PAGE_SIZE, PTE_W,
			 false), PT_OK);
	/* Same table indices once bits 63:48 are dropped: must not alias. */
	PCHECK_EQ(pt_unmap(&pt, 0x0000800000000000ull, PAGE_SIZE), PT_ECANON);
	PCHECK(pt_translate(&pt, 0xffff800000000000ull, &pa, &attr));
	pt_done();
}

TEST(map_wrapping_range_refused)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0xfffffffffffff000ull, 0x1000, 2 * PAGE_SIZE,
			 PTE_W, false), PT_ECANON);
	PCHECK(!pt_translate(&pt, 0, &pa, &attr));
	PCHECK_EQ(pt_map(&pt, 0x00007ffffffff000ull, 0x1000, 2 * PAGE_SIZE,
			 PTE_W, false), PT_ECANON);
	pt_done();
}

TEST(physical_address_beyond_52_bits_refused)
{
	uint64_t pa, attr;

	START();
	PCHECK_EQ(pt_map(&pt, 0x1000, (1ull << 63) | 0x1000, PAGE_SIZE, PTE_W,
			 false), PT_ERANGE);
	PCHECK_EQ(pt_map(&pt, 0x1000, (1ull << 52) - PAGE_SIZE, 2 * PAGE_SIZE,
			 PTE_W, false), PT_ERANGE);
	PCHECK(!pt_translate(&pt, 0x1000, &pa, &attr));
	pt_done();
}

TEST(one_gib_pages_when_allowed)
{
	uint64_t pa, attr;

	START();
	pt.allow_1g = true;
	PCHECK_EQ(pt_map(&pt, 0x40000000ull, 0x80000000ull,
			 PAGE_SIZE_1G + PAGE_SIZE_2M, PTE_W, true), PT_OK);
	/* root + PDPT for the 1 GiB page, + PD for the 2 MiB tail */
	PCHECK_EQ(ha.n, 3);
	PCHECK(pt_translate(&pt, 0x40000000ull + 0x12345678, &pa, &attr));
	PCHECK_EQ(pa, 0x80000000ull + 0x12345678);
	PCHECK(attr & PTE_PS);
	PCHECK(pt_translate(&pt, 0x80000000ull + 0x1234, &pa, &attr));
	PCHECK_EQ(pa, 0xc0000000ull + 0x1234);
	pt_done();
}

TEST(no_one_gib_pages_unless_allowed)
{
	START();
	PCHECK_EQ(pt_map(&pt, 0x40000000ull, 0x80000000ull, PAGE_SIZE_1G,
			 PTE_W, true), PT_OK);
	PCHECK_EQ(ha.n, 3); /* root, PDPT, one PD of 512 2 MiB entries */
	pt_done();
}

/* Every table of a tree of 4 KiB, 2 MiB and 1 GiB pages in two PML4
 * slots is freed once, the pages mapped are not touched, and the context
 * starts over. */
TEST(destroy_frees_every_table_once)
{
	START();
	pt.allow_1g = true;
	PCHECK_EQ(pt_map(&pt, 0x40000000ull, 0x80000000ull,
			 PAGE_SIZE_1G + PAGE_SIZE_2M + 2 * PAGE_SIZE, PTE_W,
			 true), PT_OK);
	PCHECK_EQ(pt_map(&pt, 0x8000000000ull, 0x1000, PAGE_SIZE, PTE_W,
			 true), PT_OK);
	/* root; PDPT, PD, PT of the first slot; PDPT, PD, PT of the second */
	PCHECK_EQ(ha.n, 7);
	pt_destroy(&pt);
	PCHECK_EQ(freed, 7);
	PCHECK_EQ(bad_frees, 0);
	PCHECK_EQ(pt.root, 0);
	pt_destroy(&pt); /* nothing left: nothing freed */
	PCHECK_EQ(freed, 7);
	PCHECK_EQ(pt_init(&pt), PT_OK);
	pt_done();
}

UNIT_MAIN("paging")
