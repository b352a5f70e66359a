/* The 32-bit boot protocol: the protected-mode part of the bzImage is
 * copied to its preferred address, a zero page (struct boot_params) holds
 * the setup header, the e820 map, the command line and initrd pointers,
 * and the CPU starts at the kernel's 32-bit entry with ESI = boot_params,
 * paging and interrupts off, and a GDT with flat __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) (boot.rst, "32-bit boot protocol"). */
#include "linux_boot.h"

#include <string.h>

#include "../vmx/vmcs.h"
#include "../vmx/vmcs_setup.h"
#include "acpi_tables.h"
#include "bzimage.h"
#include "modules.h"

/* Offsets into boot_params beyond the setup header (zero-page.rst). */
#define BP_ACPI_RSDP 0x070
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define E820_MAX 128

#define LOADER_UNDEFINED 0xff

/* Guest-physical layout below 1 MiB. */
#define GDT_GPA 0x6000
#define BOOT_PARAMS_GPA 0x7000
#define CMDLINE_GPA 0x20000
#define LOW_MEM_END ACPI_EBDA_GPA /* the EBDA, reserved, follows */
#define BIOS_AREA ACPI_BIOS_AREA /* reserved up to 1 MiB; ACPI tables */
#define ONE_MIB 0x100000

#define E820_RAM 1
#define E820_RESERVED 2

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

static void wr32(uint8_t *p, unsigned off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static void add_e820(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = bp[BP_E820_ENTRIES];
	struct e820_entry e = { addr, size, type };

	if (n < E820_MAX) {
		memcpy(bp + BP_E820_TABLE + n * sizeof(e), &e, sizeof(e));
		bp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
	}
}

static bool load_initrd(struct vm *vm, const struct bzimage *k, uint8_t *bp,
			const char **why)
{
	size_t size;
	const void *data = module_find(vm->cfg->initrd, &size);
	uint64_t at;

	if (!data) {
		*why = "initrd not loaded";
		return false;
	}
	if (!bzimage_initrd_gpa(k, vm->ram_size, size, &at)) {
		*why = "the initrd does not fit in the VM's memory";
		return false;
	}
	memcpy(vm_gpa_to_hva(vm, at, size), data, size);
	wr32(bp, HDR_RAMDISK_IMAGE, (uint32_t)at);
	wr32(bp, HDR_RAMDISK_SIZE, (uint32_t)size);
	return true;
}

static void write_boot_params(struct vm *vm, const struct bzimage *k,
			      uint8_t *bp)
{
	unsigned hdr_end = bzimage_header_end(k);
	size_t max_cmd = bzimage_rd32(k->data, HDR_CMDLINE_SIZE);
	char *cmd = vm_gpa_to_hva(vm, CMDLINE_GPA, CFG_CMDLINE_MAX);

	memset(bp, 0, 4096);
	memcpy(bp + HDR_SETUP_SECTS, k->data + HDR_SETUP_SECTS,
	       hdr_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	/* cmdline_size counts the bytes before the terminating NUL (boot
	 * protocol 2.06): cut there, and always terminate. */
	size_t n = max_cmd < CFG_CMDLINE_MAX - 1 ? max_cmd : CFG_CMDLINE_MAX - 1;
	strncpy(cmd, vm->cfg->cmdline, n);
	cmd[n] = '\0';
	wr32(bp, HDR_CMD_LINE_PTR, CMDLINE_GPA);
	add_e820(bp, 0, LOW_MEM_END, E820_RAM);
	add_e820(bp, LOW_MEM_END, 0xa0000 - LOW_MEM_END, E820_RESERVED);
	add_e820(bp, BIOS_AREA, ONE_MIB - BIOS_AREA, E820_RESERVED);
	add_e820(bp, ONE_MIB, vm->ram_size - ONE_MIB, E820_RAM);
}

/* The boot CPU state the protocol asks for. */
static void set_entry_state(struct vm *vm, uint64_t entry)
{
	uint64_t *gdt = vm_gpa_to_hva(vm, GDT_GPA, 4 * 8);
	struct vcpu *v = vm->vcpus[0];

	gdt[0] = gdt[1] = 0;
	gdt[2] = 0x00cf9a000000ffffull; /* 0x10: __BOOT_CS */
	gdt[3] = 0x00cf92000000ffffull; /* 0x18: __BOOT_DS */
	vmcs_load(v);
	vmcs_set_flat_protected_mode(0x10, 0x18, GDT_GPA, 4 * 8 - 1);
	vmcs_writen(GUEST_RIP, entry);
	memset(v->regs.gpr, 0, sizeof(v->regs.gpr));
	v->regs.gpr[REG_RSI] = BOOT_PARAMS_GPA;
	vm->entry = entry;
}

bool linux_load(struct vm *vm, const char **why)
{
	struct bzimage k = { 0 };
	uint8_t *bp;

	k.data = module_find(vm->cfg->kernel, &k.size);
	if (!k.data) {
		*why = "kernel file not loaded";
		return false;
	}
	if (vm->ram_size > (4ull << 30)) {
		*why = "Linux VMs above 4 GiB of memory are not supported yet";
		return false;
	}
	if (!bzimage_check(&k, vm->ram_size, why))
		return false;
	memcpy(vm_gpa_to_hva(vm, k.load_gpa, k.size - k.setup_len),
	       k.data + k.setup_len, k.size - k.setup_len);
	bp = vm_gpa_to_hva(vm, BOOT_PARAMS_GPA, 4096);
	write_boot_params(vm, &k, bp);
	if (vm->cfg->initrd[0] && !load_initrd(vm, &k, bp, why))
		return false;
	/* Linux finds the RSDP through boot_params (protocol 2.14) or by
	 * scanning 0xe0000-0xfffff (ACPI 6.5 5.2.5.1); the tables are there
	 * already (kernel/vm_lifecycle.c). */
	uint64_t rsdp = ACPI_TABLES_GPA;
	memcpy(bp + BP_ACPI_RSDP, &rsdp, 8);
	set_entry_state(vm, k.load_gpa);
	return true;
}
