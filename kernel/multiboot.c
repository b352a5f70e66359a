#include "multiboot.h"

#include <string.h>

#include "../vmx/vmcs.h"
#include "../vmx/vmcs_setup.h"
#include "elf.h"
#include "modules.h"

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH_LEN 8192
#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_KNOWN_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO)

#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)

/* Where the boot information goes in guest memory: low memory, below
 * anything a Multiboot kernel may load at (they start at 1 MiB). */
#define MBI_BASE 0x8000u
#define MBI_END 0x10000u
#define LOW_MEM_END 0x9fc00u   /* conventional memory ends, EBDA begins */
#define BIOS_AREA 0xf0000u
#define ONE_MIB 0x100000u

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry;
};

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

static const struct mb_header *find_header(const uint8_t *img, size_t size,
					   size_t *offset)
{
	for (size_t off = 0; off + sizeof(struct mb_header) <= size &&
			     off < MB_SEARCH_LEN; off += 4) {
		const struct mb_header *h = (const void *)(img + off);
		if (h->magic == MB_HEADER_MAGIC &&
		    h->magic + h->flags + h->checksum == 0) {
			*offset = off;
			return h;
		}
	}
	return NULL;
}

/* A kernel byte range must lie in RAM above the boot information. */
static bool fits(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	return gpa >= MBI_END && gpa <= vm->ram_size &&
	       len <= vm->ram_size - gpa;
}

static bool load_elf(struct vm *vm, const uint8_t *img, size_t size,
		     uint64_t *entry, uint64_t *end, const char **why)
{
	struct elf_info elf;

	if (elf_parse(img, size, &elf, why))
		return false;
	if (elf.bits != 32) {
		*why = "Multiboot kernels are 32-bit ELF files";
		return false;
	}
	*end = 0;
	for (unsigned i = 0; i < elf.nsegments; i++) {
		const struct elf_segment *s = &elf.segments[i];
		if (!fits(vm, s->paddr, s->memsz)) {
			*why = "a segment lies outside the VM's memory";
			return false;
		}
		uint8_t *dst = vm_gpa_to_hva(vm, s->paddr, s->memsz);
		memcpy(dst, img + s->offset, s->filesz);
		if (s->paddr + s->memsz > *end)
			*end = s->paddr + s->memsz;
	}
	*entry = elf.entry;
	return true;
}

/* The a.out kludge: the header's address fields say what to load where. */
static bool load_aout(struct vm *vm, const uint8_t *img, size_t size,
		      const struct mb_header *h, size_t hoff, uint64_t *entry,
		      uint64_t *end, const char **why)
{
	uint64_t file_start = hoff - (uint64_t)(h->header_addr - h->load_addr);
	uint64_t load_len = h->load_end_addr ? h->load_end_addr - h->load_addr
					     : size - file_start;
	uint64_t bss_end = h->bss_end_addr ? h->bss_end_addr
					   : h->load_addr + load_len;

	if (h->header_addr < h->load_addr || file_start > size ||
	    load_len > size - file_start || bss_end < h->load_addr + load_len ||
	    !fits(vm, h->load_addr, bss_end - h->load_addr)) {
		*why = "inconsistent Multiboot address fields";
		return false;
	}
	memcpy(vm_gpa_to_hva(vm, h->load_addr, load_len), img + file_start,
	       load_len);
	*entry = h->entry;
	*end = bss_end;
	return true;
}

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

	if (!data || !fits(vm, at, size)) {
		*why = data ? "the initrd does not fit in the VM's memory"
			    : "initrd not loaded";
		return false;
	}
	memcpy(vm_gpa_to_hva(vm, at, size), data, size);
	*mod = (struct mb_module){ (uint32_t)at, (uint32_t)(at + size), 0, 0 };
	return true;
}

bool multiboot_load(struct vm *vm, const char **why)
{
	struct mb_module mod, *modp = NULL;
	const struct mb_header *h;
	uint64_t entry, end;
	size_t size, hoff;
	const uint8_t *img = module_find(vm->cfg->kernel, &size);

	if (!img) {
		*why = "kernel file not loaded";
		return false;
	}
	if (vm->ram_size < 2 * ONE_MIB || vm->ram_size > (4ull << 30)) {
		*why = "Multiboot VMs need 2 MiB to 4 GiB of memory";
		return false;
	}
	if (!(h = find_header(img, size, &hoff))) {
		*why = "no Multiboot header in the first 8 KiB";
		return false;
	}
	if ((h->flags & 0xffff) & ~MB_KNOWN_REQUIRED) {
		*why = "the kernel requires unknown Multiboot features";
		return false;
	}
	if (!((h->flags & MB_FLAG_AOUT_KLUDGE)
		      ? load_aout(vm, img, size, h, hoff, &entry, &end, why)
		      : load_elf(vm, img, size, &entry, &end, why)))
		return false;
	if (vm->cfg->initrd[0]) {
		if (!load_initrd(vm, end, &mod, why))
			return false;
		modp = &mod;
	}
	vm->entry = entry;
	vmcs_load(vm->vcpus[0]);
	vm->vcpus[0]->regs.gpr[REG_RAX] = MB_BOOT_MAGIC;
	vm->vcpus[0]->regs.gpr[REG_RBX] = write_info(vm, modp);
	vmcs_writen(GUEST_RIP, entry);
	return true;
}
