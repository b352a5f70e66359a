#include "kernel_load.h"

#include <efilib.h>

#include "boot_info.h"
#include "boot_log.h"

/* boot/kernel_blob.S wraps the kernel ELF into hv.efi's data. */
extern const uint8_t kernel_elf_start[], kernel_elf_end[];

EFI_STATUS kernel_load(struct kernel_image *k)
{
	size_t len = (size_t)(kernel_elf_end - kernel_elf_start);
	EFI_PHYSICAL_ADDRESS addr;
	const char *why;
	uint64_t lo, hi;
	EFI_STATUS st;

	if (elf_parse(kernel_elf_start, len, &k->elf, &why)) {
		boot_log(L"hv-boot: error: embedded kernel is broken: %a", why);
		return EFI_LOAD_ERROR;
	}
	elf_vaddr_span(&k->elf, &lo, &hi);
	k->vbase = lo & ~(PAGE_SIZE - 1);
	k->size = (hi - k->vbase + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
			       (EFI_MEMORY_TYPE)BOOT_MEMTYPE_HV,
			       EFI_SIZE_TO_PAGES(k->size), &addr);
	if (EFI_ERROR(st))
		return st;
	k->phys = addr;
	ZeroMem((void *)addr, k->size);
	for (unsigned i = 0; i < k->elf.nsegments; i++) {
		const struct elf_segment *s = &k->elf.segments[i];
		CopyMem((void *)(addr + (s->vaddr - k->vbase)),
			(void *)(kernel_elf_start + s->offset), s->filesz);
	}
	return EFI_SUCCESS;
}

int kernel_map(const struct kernel_image *k, struct pt_ctx *pt)
{
	for (unsigned i = 0; i < k->elf.nsegments; i++) {
		const struct elf_segment *s = &k->elf.segments[i];
		uint64_t va = s->vaddr & ~(PAGE_SIZE - 1);
		uint64_t end = (s->vaddr + s->memsz + PAGE_SIZE - 1) &
			       ~(PAGE_SIZE - 1);
		uint64_t attr = PTE_G;
		if (s->flags & ELF_PF_W)
			attr |= PTE_W;
		if (!(s->flags & ELF_PF_X))
			attr |= PTE_NX;
		int err = pt_map(pt, va, k->phys + (va - k->vbase), end - va,
				 attr, false);
		if (err)
			return err;
	}
	return 0;
}
