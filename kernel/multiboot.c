#include "multiboot.h"

#include <string.h>

#include "../vmx/vmcs.h"
#include "../vmx/vmcs_setup.h"
#include "acpi_tables.h"
#include "modules.h"
#include "multiboot_image.h"

#define MB_BOOT_MAGIC 0x2badb002u

#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)

/* Where the boot information goes in guest memory: low memory, below
 * anything a Multiboot kernel may load at (they start at 1 MiB). */
#define MBI_BASE 0x8000u
#define LOW_MEM_END 0x9fc00u   /* conventional memory ends, EBDA begins */
#define BIOS_AREA ACPI_BIOS_AREA /* reserved: the VM's ACPI tables */
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

#define MB_MEM_AVAILABLE 1
#define MB_MEM_RESERVED 2

static void add_mmap(struct mb_mmap_entry *m, unsigned *n, uint64_t addr,
		     uint64_t len, uint32_t type)
{
	m[(*n)++] = (struct mb_mmap_entry){ 20, addr, len, type };
}

/* Writes the information structure, command line, memory map and module
 * list into [MBI_BASE, MBI_END). */
static uint32_t write_info(struct vm *vm, const struct mb_module *mod)
{
	uint8_t *base = vm_gpa_to_hva(vm, MBI_BASE, MBI_END - MBI_BASE);
	struct mb_info *mbi = (void *)base;
	struct mb_mmap_entry *mmap = (void *)(base + 0x100);
	struct mb_module *mods = (void *)(base + 0x200);
	char *cmdline = (char *)(base + 0x300);
	unsigned n = 0;

	add_mmap(mmap, &n, 0, LOW_MEM_END, MB_MEM_AVAILABLE);
	add_mmap(mmap, &n, LOW_MEM_END, 0xa0000 - LOW_MEM_END, MB_MEM_RESERVED);
	add_mmap(mmap, &n, BIOS_AREA, ONE_MIB - BIOS_AREA, MB_MEM_RESERVED);
	add_mmap(mmap, &n, ONE_MIB, vm->ram_size - ONE_MIB, MB_MEM_AVAILABLE);
	memset(mbi, 0, sizeof(*mbi));
	mbi->flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_MODS;
	mbi->mem_lower = LOW_MEM_END / 1024;
	mbi->mem_upper = (uint32_t)((vm->ram_size - ONE_MIB) / 1024);
	mbi->mmap_addr = MBI_BASE + 0x100;
	mbi->mmap_length = n * sizeof(*mmap);
	strncpy(cmdline, vm->cfg->cmdline, CFG_CMDLINE_MAX - 1);
	mbi->cmdline = MBI_BASE + 0x300;
	mbi->mods_addr = MBI_BASE + 0x200;
	if (mod) {
		mods[0] = *mod;
		mods[0].string = mbi->cmdline; /* named after the VM's cmdline */
		mbi->mods_count = 1;
	}
	return MBI_BASE;
}

static bool load_initrd(struct vm *vm, uint64_t kernel_end,
			struct mb_module *mod, const char **why)
{
	size_t size;
	const void *data = module_find(vm->cfg->initrd, &size);
	uint64_t at = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	if (!data || !multiboot_fits(vm->ram_size, at, size)) {
		*why = data ? "the initrd does not fit in the VM's memory"
			    : "initrd not loaded";
		return false;
	}
	if (multiboot_in_bios_area(at, size)) {
		*why = MB_BIOS_AREA_WHY;
		return false;
	}
	memcpy(vm_gpa_to_hva(vm, at, size), data, size);
	*mod = (struct mb_module){ (uint32_t)at, (uint32_t)(at + size), 0, 0 };
	return true;
}

bool multiboot_load(struct vm *vm, const char **why)
{
	struct mb_module mod, *modp = NULL;
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
	if (!multiboot_image_parse(img, size, vm->ram_size, &mb, why))
		return false;
	/* RAM is zero here, so the bss needs no clearing. */
	for (unsigned i = 0; i < mb.nchunks; i++) {
		const struct mb_chunk *c = &mb.chunks[i];
		memcpy(vm_gpa_to_hva(vm, c->gpa, c->memsz), img + c->offset,
		       c->filesz);
	}
	if (vm->cfg->initrd[0]) {
		if (!load_initrd(vm, mb.end, &mod, why))
			return false;
		modp = &mod;
	}
	vm->entry = mb.entry;
	vmcs_load(vm->vcpus[0]);
	vm->vcpus[0]->regs.gpr[REG_RAX] = MB_BOOT_MAGIC;
	vm->vcpus[0]->regs.gpr[REG_RBX] = write_info(vm, modp);
	vmcs_writen(GUEST_RIP, mb.entry);
	return true;
}
