#include "page_alloc.h"

#include <string.h>

#include "../arch/paging.h"
#include "memory.h"
#include "panic.h"
#include "spinlock.h"

#define LOW_MEMORY_END (1ull << 20)
#define BITS_PER_WORD 64

static struct {
	struct spinlock lock;
	uint64_t *bitmap;     /* through the direct map */
	uint64_t nframes;     /* frames covered: [0, nframes) */
	uint64_t free_frames;
	uint64_t usable_frames;
	/* Free frames promised to page_reserve()'s callers: an allocation
	 * from no reservation leaves at least this many free. */
	uint64_t reserved;
	uint64_t hint;        /* next-fit start */
} pool = { .lock = SPINLOCK_INIT("page_alloc") };

bool memtype_is_usable(uint32_t type)
{
	switch (type) {
	case EFI_MT_CONVENTIONAL:
	case EFI_MT_BS_CODE:
	case EFI_MT_BS_DATA:
	case EFI_MT_LOADER_CODE:
	case EFI_MT_LOADER_DATA:
		return true;
	default:
		return false;
	}
}

static bool frame_used(uint64_t pfn)
{
	return pool.bitmap[pfn / BITS_PER_WORD] & (1ull << (pfn % BITS_PER_WORD));
}

static void mark(uint64_t pfn, uint64_t count, bool used)
{
	for (uint64_t i = pfn; i < pfn + count; i++) {
		uint64_t bit = 1ull << (i % BITS_PER_WORD);
		if (used)
			pool.bitmap[i / BITS_PER_WORD] |= bit;
		else
			pool.bitmap[i / BITS_PER_WORD] &= ~bit;
	}
}

#define FOR_EACH_DESC(bi, d)                                                \
	for (const struct boot_mem_desc *d = phys_to_virt((bi)->mmap);      \
	     (uint64_t)d < (uint64_t)phys_to_virt((bi)->mmap) + (bi)->mmap_size; \
	     d = (const void *)((const uint8_t *)d + (bi)->mmap_desc_size))

/* Usable part of a descriptor, clipped to skip low memory. */
static bool usable_range(const struct boot_mem_desc *d, uint64_t *start,
			 uint64_t *end)
{
	if (!memtype_is_usable(d->type))
		return false;
	*start = d->phys_start < LOW_MEMORY_END ? LOW_MEMORY_END : d->phys_start;
	*end = d->phys_start + d->pages * PAGE_SIZE;
	return *start < *end;
}

static uint64_t place_bitmap(const struct boot_info *bi, uint64_t bytes)
{
	uint64_t start, end;

	FOR_EACH_DESC(bi, d) {
		if (usable_range(d, &start, &end) && end - start >= bytes)
			return start;
	}
	panic("no room for the page bitmap (%lu bytes)", bytes);
}

void page_alloc_init(const struct boot_info *bi)
{
	uint64_t top = 0, start, end, bytes, at;

	FOR_EACH_DESC(bi, d) {
		if (usable_range(d, &start, &end) && end > top)
			top = end;
	}
	pool.nframes = top / PAGE_SIZE;
	bytes = (pool.nframes + BITS_PER_WORD - 1) / BITS_PER_WORD * 8;
	bytes = (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	at = place_bitmap(bi, bytes);
	pool.bitmap = phys_to_virt(at);
	memset(pool.bitmap, 0xff, bytes);
	FOR_EACH_DESC(bi, d) {
		if (!usable_range(d, &start, &end))
			continue;
		mark(start / PAGE_SIZE, (end - start) / PAGE_SIZE, false);
		pool.usable_frames += (end - start) / PAGE_SIZE;
	}
	mark(at / PAGE_SIZE, bytes / PAGE_SIZE, true);
	pool.usable_frames -= bytes / PAGE_SIZE;
	pool.free_frames = pool.usable_frames;
}

/* First run of count free frames at an aligned frame number that ends
 * at or below frame limit, searching from the hint and wrapping once. */
static uint64_t find_run(size_t count, size_t align, uint64_t limit)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t pfn = pass ? 0 : pool.hint;
		pfn = (pfn + align - 1) & ~(uint64_t)(align - 1);
		while (pfn + count <= limit) {
			uint64_t i = 0;
			while (i < count && !frame_used(pfn + i))
				i++;
			if (i == count)
				return pfn;
			/* skip past the used frame, keeping alignment */
			pfn = (pfn + i + align) & ~(uint64_t)(align - 1);
		}
	}
	return 0;
}

/* With the lock held: count frames, from the reservation or from what
 * it leaves. */
static uint64_t alloc_locked(size_t count, size_t align, uint64_t limit_pfn,
			     bool reserved)
{
	uint64_t pfn = 0;

	if (reserved ? pool.reserved >= count
		     : pool.free_frames - pool.reserved >= count)
		pfn = find_run(count, align, limit_pfn);
	if (pfn) {
		mark(pfn, count, true);
		pool.free_frames -= count;
		if (reserved)
			pool.reserved -= count;
		pool.hint = pfn + count;
	}
	return pfn;
}

uint64_t page_alloc_below(size_t count, size_t align, uint64_t limit)
{
	uint64_t pfn, limit_pfn = limit / PAGE_SIZE;

	if (!count || !align || (align & (align - 1)))
		return 0;
	if (limit_pfn > pool.nframes)
		limit_pfn = pool.nframes;
	spin_lock(&pool.lock);
	pfn = alloc_locked(count, align, limit_pfn, false);
	spin_unlock(&pool.lock);
	return pfn * PAGE_SIZE;
}

uint64_t page_alloc(size_t count, size_t align)
{
	return page_alloc_below(count, align, UINT64_MAX);
}

bool page_reserve(uint64_t count)
{
	bool ok;

	spin_lock(&pool.lock);
	ok = pool.free_frames - pool.reserved >= count;
	if (ok)
		pool.reserved += count;
	spin_unlock(&pool.lock);
	return ok;
}

void page_unreserve(uint64_t count)
{
	spin_lock(&pool.lock);
	if (count > pool.reserved)
		panic("page_unreserve of %lu frames, %lu reserved", count,
		      pool.reserved);
	pool.reserved -= count;
	spin_unlock(&pool.lock);
}

uint64_t page_alloc_reserved(void)
{
	uint64_t pfn;

	spin_lock(&pool.lock);
	pfn = alloc_locked(1, 1, pool.nframes, true);
	spin_unlock(&pool.lock);
	return pfn * PAGE_SIZE;
}

static void free_frames(uint64_t phys, size_t count, bool reserved)
{
	uint64_t pfn = phys / PAGE_SIZE;

	if ((phys & (PAGE_SIZE - 1)) || pfn + count > pool.nframes)
		panic("page_free of a bad range %lx+%zu frames", phys, count);
	spin_lock(&pool.lock);
	for (uint64_t i = pfn; i < pfn + count; i++)
		if (!frame_used(i))
			panic("double free of frame %lx", i * PAGE_SIZE);
	mark(pfn, count, false);
	pool.free_frames += count;
	if (reserved)
		pool.reserved += count;
	spin_unlock(&pool.lock);
}

void page_free(uint64_t phys, size_t count)
{
	free_frames(phys, count, false);
}

void page_free_reserved(uint64_t phys)
{
	free_frames(phys, 1, true);
}

uint64_t page_table_alloc(void *opaque)
{
	uint64_t phys = page_alloc(1, 1);
	(void)opaque;
	if (phys)
		memset(phys_to_virt(phys), 0, PAGE_SIZE);
	return phys;
}

void page_table_free(void *opaque, uint64_t phys)
{
	(void)opaque;
	page_free(phys, 1);
}

uint64_t page_alloc_free_frames(void)
{
	return pool.free_frames;
}

uint64_t page_alloc_unreserved_frames(void)
{
	return pool.free_frames - pool.reserved;
}

uint64_t page_alloc_usable_frames(void)
{
	return pool.usable_frames;
}
