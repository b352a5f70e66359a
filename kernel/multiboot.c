#include "multiboot.h"

#include <string.h>

#include "../vmx/vmcs.h"
#include "../vmx/vmcs_setup.h"
#include "acpi_tables.h"
#include "modules.h"
#include "multiboot2.h"

#define MB_BOOT_MAGIC 0x2badb002u

#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)

#define ONE_MIB 0x100000u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

struct mb_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
};

/* The information block, in this order: the structure (its spec 3.3
 * size, 88 bytes, zeroed beyond our fields), memory map, module list,
 * the kernel's command line, each module's string. */
#define INFO_STRUCT_SIZE 88u
#define INFO_MMAP_OFF INFO_STRUCT_SIZE
#define INFO_MODS_OFF (INFO_MMAP_OFF + \
		       MB_MAP_REGIONS * sizeof(struct mb_mmap_entry))

static uint64_t info_size(const struct vm_config *cfg,
			  const struct mb_boot *boot)
{
	uint64_t n = INFO_MODS_OFF + boot->nmods * sizeof(struct mb_module) +
		     multiboot_string_size(cfg->kernel, cfg->cmdline);

	for (unsigned i = 0; i < boot->nmods; i++)
		n += multiboot_string_size(boot->mod_path[i],
					   boot->mod_args[i]);
	return n;
}

/* Writes the information block at gpa (boot->info_size bytes, placed by
 * multiboot_layout) and returns its address, for EBX. */
static uint32_t write_info(struct vm *vm, const struct mb_boot *boot,
			   const struct mb_layout *at)
{
	uint32_t gpa = (uint32_t)at->info_gpa;
	uint8_t *base = vm_gpa_to_hva(vm, gpa, info_size(vm->cfg, boot));
	struct mb_region map[MB_MAP_REGIONS];
	struct mb_info *mbi = (void *)base;
	struct mb_mmap_entry *mmap = (void *)(base + INFO_MMAP_OFF);
	struct mb_module *mods = (void *)(base + INFO_MODS_OFF);
	size_t off = INFO_MODS_OFF + boot->nmods * sizeof(*mods);
	unsigned n = multiboot_memory_map(vm->ram_size, map);

	memset(base, 0, INFO_STRUCT_SIZE);
	/* size excludes the size field itself (spec 3.3). */
	for (unsigned i = 0; i < n; i++)
		mmap[i] = (struct mb_mmap_entry){ sizeof(*mmap) - 4,
			map[i].addr, map[i].len, map[i].type };
	mbi->flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_MODS;
	mbi->mem_lower = MB_LOW_MEM_END / 1024;
	mbi->mem_upper = (uint32_t)((vm->ram_size - ONE_MIB) / 1024);
	mbi->mmap_addr = gpa + INFO_MMAP_OFF;
	mbi->mmap_length = n * sizeof(*mmap);
	mbi->cmdline = gpa + (uint32_t)off;
	off += multiboot_put_string((char *)base + off, vm->cfg->kernel,
				    vm->cfg->cmdline);
	mbi->mods_addr = gpa + INFO_MODS_OFF;
	mbi->mods_count = boot->nmods;
	for (unsigned i = 0; i < boot->nmods; i++) {
		mods[i] = (struct mb_module){
			(uint32_t)at->mod_gpa[i],
			(uint32_t)(at->mod_gpa[i] + boot->mod_size[i]),
			gpa + (uint32_t)off, 0 };
		off += multiboot_put_string((char *)base + off,
					    boot->mod_path[i],
					    boot->mod_args[i]);
	}
	return gpa;
}

bool multiboot_find_modules(const struct vm_config *cfg, struct mb_boot *boot,
			    const char **why)
{
	size_t size;

	boot->nmods = 0;
	if (cfg->initrd[0]) {
		boot->mod_path[0] = cfg->initrd;
		boot->mod_args[0] = "";
		boot->nmods = 1;
	}
	for (unsigned i = 0; i < cfg->nmodules; i++) {
		boot->mod_path[boot->nmods] = cfg->modules[i].path;
		boot->mod_args[boot->nmods] = cfg->modules[i].args;
		boot->nmods++;
	}
	for (unsigned i = 0; i < boot->nmods; i++) {
		boot->mod_data[i] = module_find(boot->mod_path[i], &size);
		if (!boot->mod_data[i]) {
			*why = i == 0 && cfg->initrd[0] ? "initrd not loaded"
							: "module not loaded";
			return false;
		}
		boot->mod_size[i] = size;
	}
	return true;
}

bool multiboot_place(struct vm *vm, const uint8_t *img,
		     const struct mb_image *mb, const struct mb_boot *boot,
		     uint64_t info_size, struct mb_layout *at,
		     const char **why)
{
	if (!multiboot_layout(vm->ram_size, mb->end, boot->mod_size,
			      boot->nmods, info_size, at, why))
		return false;
	/* RAM is zero here, so the bss needs no clearing. */
	for (unsigned i = 0; i < mb->nchunks; i++) {
		const struct mb_chunk *c = &mb->chunks[i];
		memcpy(vm_gpa_to_hva(vm, c->gpa, c->memsz), img + c->offset,
		       c->filesz);
	}
	for (unsigned i = 0; i < boot->nmods; i++)
		memcpy(vm_gpa_to_hva(vm, at->mod_gpa[i], boot->mod_size[i]),
		       boot->mod_data[i], boot->mod_size[i]);
	return true;
}

void multiboot_start(struct vm *vm, uint64_t entry, uint32_t magic,
		     uint32_t info_gpa)
{
	vm->entry = entry;
	vmcs_load(vm->vcpus[0]);
	vm->vcpus[0]->regs.gpr[REG_RAX] = magic;
	vm->vcpus[0]->regs.gpr[REG_RBX] = info_gpa;
	vmcs_writen(GUEST_RIP, entry);
}

bool multiboot_load(struct vm *vm, const char **why)
{
	struct mb_boot boot;
	struct mb_layout at;
	struct mb_image mb;
	size_t size;
	const uint8_t *img = module_find(vm->cfg->kernel, &size);

	if (!img) {
		*why = "kernel file not loaded";
		return false;
	}
	if (vm->ram_size < 2 * ONE_MIB || vm->ram_size > (4ull << 30)) {
		*why = "Multiboot VMs need 2 MiB to 4 GiB of memory";
		return false;
	}
	switch (multiboot2_detect(img, size)) {
	case MB2_FOUND:
		return multiboot2_load(vm, img, size, why);
	case MB2_BAD_CHECKSUM:
		if (!multiboot_image_parse(img, size, vm->ram_size, &mb, why)) {
			*why = "the Multiboot2 header's checksum is wrong "
			       "(and there is no valid Multiboot v1 header)";
			return false;
		}
		break;
	case MB2_NONE:
		if (!multiboot_image_parse(img, size, vm->ram_size, &mb, why))
			return false;
		break;
	}
	if (!multiboot_find_modules(vm->cfg, &boot, why) ||
	    !multiboot_place(vm, img, &mb, &boot, info_size(vm->cfg, &boot),
			     &at, why))
		return false;
	multiboot_start(vm, mb.entry, MB_BOOT_MAGIC, write_info(vm, &boot, &at));
	return true;
}
