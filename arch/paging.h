/* 4-level page-table builder for the two radix trees x86 has: ordinary
 * paging (SDM Vol. 3A 4.5) and EPT (SDM Vol. 3C 29.3.2).  Both index the
 * same address bits and mark large pages with bit 7; they differ only in
 * which bits mean "present" and what a table entry carries, so a struct
 * pt_format names those and one walker does the rest.
 *
 * Pure logic over an allocator callback, so one builder serves the UEFI
 * stage (identity-mapped firmware memory), the kernel (direct map), the
 * guests' EPT and the host unit tests (malloc'd pages). */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE ((uint64_t)4096)
#define PAGE_SIZE_2M ((uint64_t)2 << 20)
#define PAGE_SIZE_1G ((uint64_t)1 << 30)

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* The attribute bits a caller may pass to pt_map. */
#define PTE_ATTR_MASK (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_NX)

struct pt_format {
	uint64_t present;    /* any of these set: the entry maps something */
	uint64_t table_attr; /* bits of an entry pointing to a table */
	uint64_t attr_mask;  /* leaf bits a caller may pass to pt_map */
	uint64_t leaf_fixed; /* bits every leaf gets */
};

/* Ordinary paging: P implied, the caller picks W, U, PWT, PCD, G, NX. */
extern const struct pt_format pt_format_x86;

struct pt_ctx {
	const struct pt_format *fmt; /* NULL means pt_format_x86 */
	uint64_t root; /* physical address of the PML4 */
	/* Returns the physical address of a zeroed, 4 KiB-aligned page for a
	 * paging structure, or 0 when memory is exhausted. */
	uint64_t (*alloc_table)(void *opaque);
	/* Gives back a page alloc_table gave (pt_destroy only). */
	void (*free_table)(void *opaque, uint64_t phys);
	/* How this address space's builder reaches a physical page. */
	void *(*phys_to_virt)(uint64_t phys);
	void *opaque;
	bool allow_1g; /* 1 GiB pages may be used (CPU support checked by the
			* caller: CPUID pdpe1gb, or EPT capability bit 17) */
};

enum pt_error {
	PT_OK = 0,
	PT_ENOMEM = -1,    /* alloc_table failed */
	PT_EALIGN = -2,    /* va, pa or size not 4 KiB aligned */
	PT_ECONFLICT = -3, /* a large page covers part of the range */
	PT_ECANON = -4,    /* va range not canonical, or it wraps */
	PT_ERANGE = -5,    /* pa beyond the 52-bit physical address space */
};

/* Creates the root table.  Returns PT_OK or PT_ENOMEM. */
int pt_init(struct pt_ctx *pt);

/* Maps [va, va+size) to [pa, pa+size) with attr (the format's attr_mask
 * bits; its leaf_fixed bits are added).  Uses 2 MiB pages where va, pa and the remaining size allow and
 * allow_large is set.  Existing 4 KiB mappings are replaced. */
int pt_map(struct pt_ctx *pt, uint64_t va, uint64_t pa, uint64_t size,
	   uint64_t attr, bool allow_large);

/* Frees every paging structure, the root included, through free_table;
 * the pages mapped are the caller's.  The context can then be set up
 * again with pt_init. */
void pt_destroy(struct pt_ctx *pt);
/* Removes 4 KiB mappings in [va, va+size).  Paging structures stay. */
int pt_unmap(struct pt_ctx *pt, uint64_t va, uint64_t size);

/* Walks the tables like the MMU does.  On success stores the physical
 * address and the leaf's attribute bits (with PTE_PS for a large page). */
bool pt_translate(const struct pt_ctx *pt, uint64_t va, uint64_t *pa,
		  uint64_t *attr);

#endif
