/* Host unit tests for the EPT audit (kernel/ept_audit.c).
 *
 * A synthetic machine: a VM with 64 MiB of RAM at host 4 GiB, a
 * neighbour's RAM just above it, the "hypervisor's image" at 16 MiB, a
 * passthrough BAR in the 32-bit MMIO hole.  Its EPT is built with
 * arch/paging.c exactly as vm.c and passthrough.c build a real one; the
 * paging structures are aligned_alloc'd pages whose host pointer is their
 * "physical address".  The good EPT must pass with every leaf counted;
 * each planted bad entry must be reported, once, with the right gpa, hpa,
 * problem and what it hit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../arch/paging.h"
#include "../../kernel/ept_audit.h"
#include "../../vmx/ept.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define RAM_HPA (4 * GiB)
#define RAM_SIZE (64 * MiB)
#define OTHER_HPA (RAM_HPA + RAM_SIZE)
#define HV_IMAGE (16 * MiB)
#define BAR_BASE 0xfebc0000ull
#define BAR_SIZE 0x20000ull
#define FREE_RAM (6 * GiB) /* host RAM nobody was given */

/* vmx/ept.c's pt_format_ept, repeated: that file also holds the kernel's
 * exit handlers. */
static const struct pt_format ept_format = {
	.present = EPT_RWX,
	.table_attr = EPT_RWX,
	.attr_mask = EPT_RWX | (7ull << 3) | EPT_IGNORE_PAT,
	.leaf_fixed = 0,
};

#define MAX_BLOCKS 64
static void *blocks[MAX_BLOCKS];
static unsigned nblocks;

static uint64_t host_alloc_table(void *opaque)
{
	(void)opaque;
	if (nblocks == MAX_BLOCKS)
		return 0;
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p)
		abort();
	memset(p, 0, PAGE_SIZE);
	blocks[nblocks++] = p;
	return (uint64_t)(uintptr_t)p;
}

static void *host_phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)phys;
}

static const struct ept_region host_ram[] = {
	{ 1 * MiB, 3 * GiB - 1 * MiB, "host RAM below 3 GiB" },
	{ 4 * GiB, 4 * GiB, "host RAM above 4 GiB" },
};
static const struct ept_region named[] = {
	{ OTHER_HPA, RAM_SIZE, "vm other's RAM" },
	{ HV_IMAGE, 2 * MiB, "the hypervisor's image" },
};
static const struct ept_region bars[] = {
	{ BAR_BASE, BAR_SIZE, "vm test's pci 00:03.0 BAR0" },
};

#define MAX_SEEN 8
static struct ept_violation seen[MAX_SEEN];
static unsigned nseen;

static void record(void *ctx, const struct ept_violation *v)
{
	(void)ctx;
	if (nseen < MAX_SEEN)
		seen[nseen] = *v;
	nseen++;
}

static struct pt_ctx ept;
static struct ept_audit audit;
static struct ept_audit_result res;

/* The EPT vm.c and passthrough.c build: RAM in 2 MiB pages, WB; the BAR
 * 1:1 in 4 KiB pages, uncached. */
static int build_good(void)
{
	for (unsigned i = 0; i < nblocks; i++)
		free(blocks[i]);
	nblocks = 0;
	nseen = 0;
	ept = (struct pt_ctx){ .fmt = &ept_format,
			       .alloc_table = host_alloc_table,
			       .phys_to_virt = host_phys_to_virt };
	if (pt_init(&ept) ||
	    pt_map(&ept, 0, RAM_HPA, RAM_SIZE, EPT_RWX | EPT_MT_WB, true) ||
	    pt_map(&ept, BAR_BASE, BAR_BASE, BAR_SIZE,
		   EPT_R | EPT_W | EPT_MT_UC, true))
		return -1;
	audit = (struct ept_audit){
		.root = ept.root, .phys_to_virt = host_phys_to_virt,
		.readable_end = UINT64_MAX, .phys_bits = 48,
		.ram_hpa = RAM_HPA, .ram_size = RAM_SIZE,
		.bars = bars, .nbars = 1,
		.host_ram = host_ram, .nhost_ram = 2,
		.named = named, .nnamed = 2,
		.report = record,
	};
	return 0;
}

/* The entry for gpa at `level` (0 = PT ... 3 = PML4), following the
 * tables the builder made. */
static uint64_t *entry_at(uint64_t gpa, int level)
{
	uint64_t *t = host_phys_to_virt(ept.root);

	for (int l = 3; l > level; l--)
		t = host_phys_to_virt(t[(gpa >> (12 + 9 * l)) & 511] &
				      PTE_ADDR_MASK);
	return &t[(gpa >> (12 + 9 * level)) & 511];
}

/* Exactly one violation, with these values. */
#define CHECK_ONE(prob, gpa_, hpa_, what_) do {                             \
		CHECK(!ept_audit_run(&audit, &res));                        \
		CHECK_EQ_U64(res.violations, 1);                            \
		CHECK_EQ_U64(nseen, 1);                                     \
		CHECK_EQ_U64(seen[0].problem, prob);                        \
		CHECK_EQ_U64(seen[0].gpa, gpa_);                            \
		CHECK_EQ_U64(seen[0].hpa, hpa_);                            \
		CHECK_STR(seen[0].what, what_);                             \
	} while (0)

TEST(good_ept_passes)
{
	CHECK(build_good() == 0);
	CHECK(ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 0);
	CHECK_EQ_U64(nseen, 0);
	/* 32 pages of 2 MiB, 32 of 4 KiB */
	CHECK_EQ_U64(res.leaves, RAM_SIZE / PAGE_SIZE_2M + BAR_SIZE / PAGE_SIZE);
	/* PML4, one PDPT, a PD for RAM, a PD and a PT for the BAR */
	CHECK_EQ_U64(res.tables, 5);
}

TEST(frame_of_another_vm)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(2 * MiB, 1);
	*e = (*e & ~PTE_ADDR_MASK) | (OTHER_HPA + 2 * MiB);
	CHECK_ONE(EPT_FOREIGN, 2 * MiB, OTHER_HPA + 2 * MiB, "vm other's RAM");
	CHECK_EQ_U64(seen[0].size, PAGE_SIZE_2M);
}

TEST(frame_of_the_hypervisor)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(4 * MiB, 1);
	*e = (*e & ~PTE_ADDR_MASK) | HV_IMAGE;
	CHECK_ONE(EPT_FOREIGN, 4 * MiB, HV_IMAGE, "the hypervisor's image");
}

TEST(free_host_ram)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(0, 1);
	*e = (*e & ~PTE_ADDR_MASK) | FREE_RAM;
	CHECK_ONE(EPT_FOREIGN, 0, FREE_RAM, "host RAM outside this VM");
}

/* A leaf that reaches the EPT itself: the guest would rewrite its own
 * translations.  The 2 MiB page around the root table is mapped. */
TEST(own_paging_structure)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(6 * MiB, 1);
	uint64_t page = ept.root & ~(PAGE_SIZE_2M - 1);
	*e = (*e & ~PTE_ADDR_MASK) | page;
	CHECK_ONE(EPT_FOREIGN, 6 * MiB, page,
		  "this EPT's own paging structures");
}

TEST(ram_in_mmio_hole)
{
	CHECK(build_good() == 0);
	CHECK(pt_map(&ept, 3 * GiB, FREE_RAM, PAGE_SIZE, EPT_RWX | EPT_MT_WB,
		     false) == PT_OK);
	CHECK_ONE(EPT_RAM_IN_HOLE, 3 * GiB, FREE_RAM,
		  "host RAM outside this VM");
}

TEST(own_ram_twice_in_mmio_hole)
{
	CHECK(build_good() == 0);
	CHECK(pt_map(&ept, 0xd0000000, RAM_HPA, PAGE_SIZE, EPT_RWX, false) ==
	      PT_OK);
	CHECK_ONE(EPT_RAM_IN_HOLE, 0xd0000000, RAM_HPA, "this VM's RAM");
}

TEST(own_ram_at_wrong_address)
{
	CHECK(build_good() == 0);
	uint64_t *a = entry_at(0, 1), *b = entry_at(2 * MiB, 1), t = *a;
	*a = *b;
	*b = t;
	CHECK(!ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 2);
	CHECK_EQ_U64(seen[0].problem, EPT_RAM_ALIAS);
	CHECK_EQ_U64(seen[0].gpa, 0);
	CHECK_EQ_U64(seen[0].hpa, RAM_HPA + 2 * MiB);
	CHECK_EQ_U64(seen[1].gpa, 2 * MiB);
	CHECK_EQ_U64(seen[1].hpa, RAM_HPA);
}

TEST(bar_at_another_address)
{
	CHECK(build_good() == 0);
	CHECK(pt_map(&ept, 0xe0000000, BAR_BASE, PAGE_SIZE, EPT_R | EPT_W,
		     false) == PT_OK);
	CHECK_ONE(EPT_FOREIGN, 0xe0000000, BAR_BASE,
		  "a BAR of this VM, away from its own address");
}

/* Host MMIO that is no BAR of this VM (another VM's device, the host's
 * local APIC). */
TEST(mmio_not_ours)
{
	CHECK(build_good() == 0);
	CHECK(pt_map(&ept, 0xfee00000, 0xfee00000, PAGE_SIZE, EPT_R | EPT_W,
		     false) == PT_OK);
	CHECK_ONE(EPT_FOREIGN, 0xfee00000, 0xfee00000,
		  "host space that is neither RAM nor a BAR of this VM");
}

/* A "BAR" the host's memory map says is RAM: rule (b) wants both. */
TEST(bar_over_host_ram)
{
	static const struct ept_region two_bars[] = {
		{ BAR_BASE, BAR_SIZE, "vm test's pci 00:03.0 BAR0" },
		{ FREE_RAM, BAR_SIZE, "a BAR over RAM" },
	};
	CHECK(build_good() == 0);
	audit.bars = two_bars;
	audit.nbars = 2;
	CHECK(pt_map(&ept, FREE_RAM, FREE_RAM, PAGE_SIZE, EPT_R | EPT_W,
		     false) == PT_OK);
	CHECK_ONE(EPT_FOREIGN, FREE_RAM, FREE_RAM, "host RAM above 4 GiB");
}

TEST(misconfigured_memory_type)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(8 * MiB, 1);
	*e = (*e & ~(7ull << 3)) | (2ull << 3);
	CHECK_ONE(EPT_MISCONFIG, 8 * MiB, RAM_HPA + 8 * MiB,
		  "reserved memory type");
}

TEST(misconfigured_write_only)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(BAR_BASE, 0);
	*e &= ~EPT_R;
	CHECK_ONE(EPT_MISCONFIG, BAR_BASE, BAR_BASE,
		  "writable but not readable");
}

TEST(misconfigured_address_bits)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(10 * MiB, 1);
	*e |= 1ull << 50; /* above MAXPHYADDR 48 */
	CHECK(!ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 1);
	CHECK_EQ_U64(seen[0].problem, EPT_MISCONFIG);
	CHECK_STR(seen[0].what, "address bits above MAXPHYADDR set");
}

TEST(misconfigured_table_entry)
{
	CHECK(build_good() == 0);
	*entry_at(0, 3) |= 1ull << 4; /* bits 7:3 of a PML4E are reserved */
	CHECK(!ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 1);
	CHECK_EQ_U64(seen[0].problem, EPT_MISCONFIG);
	CHECK_EQ_U64(seen[0].level, 3);
	CHECK_STR(seen[0].what, "reserved bits 7:3 set in a table entry");
	CHECK_EQ_U64(res.leaves, 0); /* nothing below it was trusted */
}

TEST(misconfigured_large_page_bits)
{
	CHECK(build_good() == 0);
	*entry_at(12 * MiB, 1) |= 0x1000; /* bit 12 of a 2 MiB leaf */
	CHECK(!ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 1);
	CHECK_STR(seen[0].what, "reserved address bits set in a large page");
}

TEST(one_gib_page_without_support)
{
	CHECK(build_good() == 0);
	/* A PDPT entry for gpa 1 GiB made a 1 GiB leaf of this VM's RAM. */
	*entry_at(1 * GiB, 2) = RAM_HPA | PTE_PS | EPT_RWX | EPT_MT_WB;
	CHECK_ONE(EPT_MISCONFIG, 1 * GiB, RAM_HPA,
		  "a 1 GiB page on a CPU without them");
	audit.allow_1g = true;
	nseen = 0;
	/* Allowed now, but it maps this VM's RAM (and 960 MiB past it)
	 * again above its RAM. */
	CHECK_ONE(EPT_RAM_IN_HOLE, 1 * GiB, RAM_HPA, "this VM's RAM");
}

/* A table pointer into the guest's own RAM: the guest could write its
 * own EPT.  Reported, and not followed. */
TEST(table_inside_guest_ram)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(0, 2);
	*e = (*e & ~PTE_ADDR_MASK) | (RAM_HPA + 0x1000);
	CHECK_ONE(EPT_TABLE_PLACE, 0, RAM_HPA + 0x1000, "inside this VM's RAM");
	CHECK_EQ_U64(res.leaves, BAR_SIZE / PAGE_SIZE);
}

TEST(table_in_hypervisor_image)
{
	CHECK(build_good() == 0);
	uint64_t *e = entry_at(BAR_BASE, 1);
	*e = (*e & ~PTE_ADDR_MASK) | HV_IMAGE;
	CHECK_ONE(EPT_TABLE_PLACE, BAR_BASE & ~(PAGE_SIZE_2M - 1), HV_IMAGE,
		  "the hypervisor's image");
}

/* A clone (kernel/clone_ram.c): its first 2 MiB still the snapshot's
 * copy, read-only, page by page; rule (c). */
#define SHARED_HPA (5 * GiB)
static int build_clone(void)
{
	if (build_good())
		return -1;
	*entry_at(0, 1) = 0; /* the first 2 MiB page goes, */
	if (pt_map(&ept, 0, SHARED_HPA, 2 * MiB, EPT_R | EPT_X | EPT_MT_WB,
		   false) ||
	    pt_map(&ept, 0x1000, RAM_HPA + 0x1000, PAGE_SIZE,
		   EPT_RWX | EPT_MT_WB, false))
		return -1;
	audit.shared_hpa = SHARED_HPA;
	return 0;
}

TEST(clone_shares_read_only)
{
	CHECK(build_clone() == 0);
	CHECK(ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 0);
	/* The same EPT without the clone's rule: every shared page is a
	 * foreign frame. */
	audit.shared_hpa = 0;
	CHECK(!ept_audit_run(&audit, &res));
	CHECK_EQ_U64(res.violations, 2 * MiB / PAGE_SIZE - 1);
}

TEST(clone_shared_page_writable)
{
	CHECK(build_clone() == 0);
	uint64_t *e = entry_at(0x5000, 0);
	*e |= EPT_W;
	CHECK_ONE(EPT_FOREIGN, 0x5000, SHARED_HPA + 0x5000,
		  "host RAM outside this VM");
}

TEST(clone_shared_page_elsewhere)
{
	CHECK(build_clone() == 0);
	uint64_t *e = entry_at(0x5000, 0);
	*e = (*e & ~PTE_ADDR_MASK) | (SHARED_HPA + 0x6000);
	CHECK_ONE(EPT_FOREIGN, 0x5000, SHARED_HPA + 0x6000,
		  "host RAM outside this VM");
}

TEST(unreadable_root)
{
	CHECK(build_good() == 0);
	audit.readable_end = ept.root; /* the direct map ends below it */
	CHECK_ONE(EPT_TABLE_PLACE, 0, ept.root,
		  "beyond the memory the hypervisor can read");
	for (unsigned i = 0; i < nblocks; i++)
		free(blocks[i]);
	nblocks = 0;
}

UNIT_MAIN("ept_audit")
