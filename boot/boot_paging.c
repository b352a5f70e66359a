#include "boot_paging.h"

#include <efilib.h>

#include "boot_info.h"

static uint64_t alloc_table(void *opaque)
{
	EFI_PHYSICAL_ADDRESS addr;
	(void)opaque;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4,
					AllocateAnyPages,
					(EFI_MEMORY_TYPE)BOOT_MEMTYPE_HV, 1,
					&addr)))
		return 0;
	ZeroMem((void *)addr, EFI_PAGE_SIZE);
	return addr;
}

/* Firmware memory is identity-mapped while boot services run. */
static void *identity(uint64_t phys)
{
	return (void *)phys;
}

uint64_t boot_phys_top(void)
{
	UINTN entries, key, desc_size;
	UINT32 desc_version;
	EFI_MEMORY_DESCRIPTOR *map, *d;
	uint64_t top = 4ull << 30;

	map = LibMemoryMap(&entries, &key, &desc_size, &desc_version);
	if (!map)
		return top;
	d = map;
	for (UINTN i = 0; i < entries; i++) {
		uint64_t end = d->PhysicalStart + d->NumberOfPages * EFI_PAGE_SIZE;
		if (end > top)
			top = end;
		d = NextMemoryDescriptor(d, desc_size);
	}
	FreePool(map);
	return (top + PAGE_SIZE_1G - 1) & ~(PAGE_SIZE_1G - 1);
}

EFI_STATUS boot_paging_build(const struct kernel_image *k, uint64_t phys_top,
			     uint64_t *cr3)
{
	struct pt_ctx pt = { .alloc_table = alloc_table,
			     .phys_to_virt = identity };

	if (pt_init(&pt) ||
	    pt_map(&pt, 0, 0, phys_top, PTE_W, true) ||
	    pt_map(&pt, DIRECT_MAP_BASE, 0, phys_top, PTE_W | PTE_NX, true) ||
	    kernel_map(k, &pt))
		return EFI_OUT_OF_RESOURCES;
	*cr3 = pt.root;
	return EFI_SUCCESS;
}
