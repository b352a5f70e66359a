#include "multiboot2.h"

#include <string.h>

#include "acpi_tables.h"
#include "multiboot.h"
#include "multiboot2_info.h"

/* The image by the address tag ("The address tag of Multiboot2
 * header"), load_addr -1 meaning the file from its start, or else as an
 * ELF file (ELF32 or ELF64, segments at p_paddr), with the entry address
 * tag's entry, when there is one, in place of the ELF entry. */
static bool image(const uint8_t *img, size_t size, uint64_t ram_size,
		  const struct mb2_header *h, struct mb_image *mb,
		  struct elf_info *elf, bool *is_elf, const char **why)
{
	*is_elf = false;
	if (h->has_address) {
		struct mb_load_fields f = h->fields;
		if (f.load_addr == UINT32_MAX) {
			if (f.header_addr < h->offset) {
				*why = "inconsistent Multiboot2 address tag";
				return false;
			}
			f.load_addr = f.header_addr - (uint32_t)h->offset;
		}
		return multiboot_image_fields(size, ram_size, &f, h->offset,
					      mb, why);
	}
	if (!multiboot_image_elf(img, size, ram_size, mb, why) ||
	    elf_parse(img, size, elf, why) ||
	    elf_section_table(img, size, elf, why))
		return false;
	*is_elf = true;
	if (h->has_entry)
		mb->entry = h->entry;
	return true;
}

static uint64_t load_base(const struct mb_image *mb)
{
	uint64_t lo = UINT64_MAX;

	for (unsigned i = 0; i < mb->nchunks; i++)
		if (mb->chunks[i].gpa < lo)
			lo = mb->chunks[i].gpa;
	return lo;
}

/* "Relocatable header tag": hv does not relocate; it loads the image at
 * the address it is linked at, which must then lie in [min_addr,
 * max_addr] and be aligned as the tag asks. */
static bool relocatable_ok(const struct mb2_header *h,
			   const struct mb_image *mb, const char **why)
{
	uint64_t base = load_base(mb);

	if (!h->relocatable)
		return true;
	if (base < h->min_addr || mb->end > (uint64_t)h->max_addr + 1 ||
	    (h->align && base % h->align)) {
		*why = "the relocatable Multiboot2 kernel is not linked inside "
		       "its min_addr-max_addr range (hv loads it where it is "
		       "linked)";
		return false;
	}
	return true;
}

/* The VM's RSDP (kernel/acpi_tables.h), copied into the ACPI tags. */
static const uint8_t *vm_rsdp(struct vm *vm)
{
	const uint8_t *r = vm_gpa_to_hva(vm, ACPI_TABLES_GPA,
					 MB2_RSDP_V2_SIZE);

	return memcmp(r, "RSD PTR ", 8) == 0 ? r : NULL;
}

bool multiboot2_load(struct vm *vm, const uint8_t *img, size_t size,
		     const char **why)
{
	struct mb2_info_module mods[MB_MODS_MAX];
	struct mb2_header h;
	struct mb_boot boot;
	struct mb_layout at;
	struct mb_image mb;
	struct elf_info elf;
	bool is_elf;
	uint64_t n;

	if (!multiboot2_header_parse(img, size, &h, why) ||
	    !image(img, size, vm->ram_size, &h, &mb, &elf, &is_elf, why) ||
	    !relocatable_ok(&h, &mb, why) ||
	    !multiboot_find_modules(vm->cfg, &boot, why))
		return false;
	struct mb2_info_in in = {
		.path = vm->cfg->kernel, .args = vm->cfg->cmdline,
		.nmods = boot.nmods, .mods = mods, .ram_size = vm->ram_size,
		.rsdp = vm_rsdp(vm),
		.load_base = h.relocatable || h.wants_load_base,
		.load_base_addr = (uint32_t)load_base(&mb),
		.elf = is_elf ? img : NULL, .elf_size = size,
		.elf_info = &elf,
	};
	for (unsigned i = 0; i < boot.nmods; i++)
		mods[i] = (struct mb2_info_module){ 0, boot.mod_size[i],
			boot.mod_path[i], boot.mod_args[i] };
	n = mb2_info_size(&in);
	if (!multiboot_place(vm, img, &mb, &boot, n, &at, why))
		return false;
	for (unsigned i = 0; i < boot.nmods; i++) {
		mods[i].start = at.mod_gpa[i];
		mods[i].end = at.mod_gpa[i] + boot.mod_size[i];
	}
	mb2_info_write(vm_gpa_to_hva(vm, at.info_gpa, n), (uint32_t)at.info_gpa,
		       &in);
	multiboot_start(vm, mb.entry, MB2_BOOT_MAGIC, (uint32_t)at.info_gpa);
	return true;
}
