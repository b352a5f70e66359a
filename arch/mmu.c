#include "mmu.h"

#include <string.h>

#include "../kernel/memory.h"
#include "../kernel/page_alloc.h"
#include "../kernel/panic.h"
#include "../kernel/spinlock.h"
#include "cpu.h"
#include "paging.h"

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[],
	__data_start[], __data_end[], __kernel_start[];

static struct pt_ctx kernel_pt;
static struct spinlock mmu_lock = SPINLOCK_INIT("mmu");

static void map_or_panic(uint64_t va, uint64_t pa, uint64_t size,
			 uint64_t attr, bool large)
{
	int err = pt_map(&kernel_pt, va, pa, size, attr, large);
	if (err)
		panic("kernel mapping %lx+%lx failed (%d)", va, size, err);
}

static void map_kernel_section(const struct boot_info *bi, char *start,
			       char *end, uint64_t attr)
{
	/* Sections start on page boundaries (linker.ld); the last page of
	 * each is shared with nothing else, so round the end up. */
	uint64_t off = (uint64_t)start - (uint64_t)__kernel_start;
	uint64_t len = ((uint64_t)(end - start) + PAGE_SIZE - 1) &
		       ~(PAGE_SIZE - 1);
	map_or_panic((uint64_t)start, bi->kernel_phys + off, len,
		     attr | PTE_G, false);
}

void mmu_init(const struct boot_info *bi)
{
	kernel_pt = (struct pt_ctx){ .alloc_table = page_table_alloc,
				     .phys_to_virt = phys_to_virt };
	if (pt_init(&kernel_pt))
		panic("no memory for the kernel page tables");
	map_or_panic(DIRECT_MAP_BASE, 0, bi->direct_map_size,
		     PTE_W | PTE_NX | PTE_G, true);
	map_kernel_section(bi, __text_start, __text_end, 0);
	map_kernel_section(bi, __rodata_start, __rodata_end, PTE_NX);
	map_kernel_section(bi, __data_start, __data_end, PTE_W | PTE_NX);
	/* WP: the kernel, too, faults on writes to read-only pages (rodata,
	 * text), so a wild write is caught rather than silently done. */
	write_cr0(read_cr0() | CR0_WP);
	write_cr3(kernel_pt.root);
}

int mmu_map(uint64_t va, uint64_t pa, uint64_t size, uint64_t attr)
{
	spin_lock(&mmu_lock);
	int err = pt_map(&kernel_pt, va, pa, size, attr, false);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		invlpg(va + off);
	spin_unlock(&mmu_lock);
	return err;
}

int mmu_unmap(uint64_t va, uint64_t size)
{
	spin_lock(&mmu_lock);
	int err = pt_unmap(&kernel_pt, va, size);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		invlpg(va + off);
	spin_unlock(&mmu_lock);
	return err;
}

bool mmu_translate(uint64_t va, uint64_t *pa, uint64_t *attr)
{
	return pt_translate(&kernel_pt, va, pa, attr);
}

uint64_t mmu_root(void)
{
	return kernel_pt.root;
}
