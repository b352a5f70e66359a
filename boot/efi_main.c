/* The UEFI stage: check VT-x, read hv.cfg, load what it names, describe
 * the machine in a struct boot_info, leave boot services and jump to the
 * kernel.  Every refusal is one clear line on the console and the serial
 * port, followed by a return to the firmware with an error status. */
#include <efi.h>
#include <efilib.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../kernel/config.h"
#include "boot_info.h"
#include "boot_log.h"
#include "boot_paging.h"
#include "file_load.h"
#include "kernel_load.h"
#include "mp_info.h"
#include "vtx_check.h"

#define CONFIG_NAME "hv.cfg"
/* Highest address for the AP start-up page: real-mode code must sit below
 * 1 MiB, and the EBDA/VGA area starts at 0x9f000 on PCs. */
#define TRAMPOLINE_MAX 0x9e000

void handoff_jump(uint64_t cr3, uint64_t entry, uint64_t boot_info)
	__attribute__((noreturn));

static EFI_STATUS alloc_hv_pages(UINTN pages, EFI_ALLOCATE_TYPE how,
				 uint64_t *addr)
{
	EFI_PHYSICAL_ADDRESS a = *addr;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, how,
					  (EFI_MEMORY_TYPE)BOOT_MEMTYPE_HV,
					  pages, &a);
	if (!EFI_ERROR(st)) {
		ZeroMem((void *)a, pages * EFI_PAGE_SIZE);
		*addr = a;
	}
	return st;
}

static EFI_STATUS add_module(struct boot_info *bi, struct boot_volume *vol,
			     const char *path, unsigned line)
{
	struct boot_module *m;
	EFI_STATUS st;

	/* A file several VMs name is loaded once; the kernel finds it by
	 * path (kernel/modules.c) and copies it into each VM. */
	for (unsigned i = 0; i < bi->nmodules; i++)
		if (strcmpa((CHAR8 *)bi->modules[i].path, (CHAR8 *)path) == 0)
			return EFI_SUCCESS;
	if (bi->nmodules == BOOT_MAX_MODULES) {
		boot_log(L"hv-boot: error: hv.cfg:%d: too many files", line);
		return EFI_OUT_OF_RESOURCES;
	}
	m = &bi->modules[bi->nmodules];
	st = file_load(vol, path, &m->phys, &m->size);
	if (EFI_ERROR(st)) {
		boot_log(L"hv-boot: error: hv.cfg:%d: cannot load '%a': %r",
			 line, path, st);
		return st;
	}
	CopyMem(m->path, (void *)path, strlena((CHAR8 *)path) + 1);
	bi->nmodules++;
	return EFI_SUCCESS;
}

/* Refuses a config whose `cpus`/`sched` the host's CPUs cannot satisfy,
 * before anything starts; the kernel checks the same with the same CPUs. */
static EFI_STATUS check_placement(const struct hv_config *cfg,
				  const struct boot_info *bi)
{
	struct config_error err;

	if (config_place(cfg, config_host_cpus(bi->ncpus), NULL, &err) < 0) {
		boot_log(L"hv-boot: error: hv.cfg:%d: %a", err.line, err.msg);
		return EFI_INVALID_PARAMETER;
	}
	return EFI_SUCCESS;
}

/* Reads and checks hv.cfg (its placement against bi's CPUs too), then
 * loads every file it names.  The kernel parses the same text again with
 * the same parser. */
static EFI_STATUS load_config(EFI_HANDLE image, struct boot_info *bi,
			      struct hv_config *cfg)
{
	struct boot_volume vol;
	struct config_error err;
	EFI_STATUS st;

	st = volume_open(image, &vol);
	if (EFI_ERROR(st)) {
		boot_log(L"hv-boot: error: cannot open the boot volume: %r", st);
		return st;
	}
	st = file_load(&vol, CONFIG_NAME, &bi->config_text, &bi->config_size);
	if (EFI_ERROR(st)) {
		boot_log(L"hv-boot: error: cannot read %s\\" CONFIG_NAME ": %r",
			 vol.dir, st);
		return st;
	}
	if (config_parse((const char *)bi->config_text, bi->config_size, cfg,
			 &err) < 0) {
		boot_log(L"hv-boot: error: hv.cfg:%d: %a", err.line, err.msg);
		return EFI_INVALID_PARAMETER;
	}
	st = check_placement(cfg, bi);
	if (EFI_ERROR(st))
		return st;
	for (unsigned i = 0; i < cfg->nvms; i++) {
		const struct vm_config *vm = &cfg->vms[i];
		st = add_module(bi, &vol, vm->kernel, vm->kernel_line);
		if (!EFI_ERROR(st) && vm->initrd[0])
			st = add_module(bi, &vol, vm->initrd, vm->initrd_line);
		for (unsigned m = 0; !EFI_ERROR(st) && m < vm->nmodules; m++)
			st = add_module(bi, &vol, vm->modules[m].path,
					vm->modules[m].line);
		for (unsigned d = 0; !EFI_ERROR(st) && d < vm->ndisks; d++)
			st = add_module(bi, &vol, vm->disks[d].path,
					vm->disks[d].line);
		if (EFI_ERROR(st))
			return st;
	}
	return EFI_SUCCESS;
}

/* Prefer the ACPI 2.0 RSDP (it carries the XSDT) over the 1.0 one. */
static void find_rsdp(struct boot_info *bi)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	void *rsdp = NULL;

	if (EFI_ERROR(LibGetSystemConfigurationTable(&acpi20, &rsdp)))
		LibGetSystemConfigurationTable(&acpi10, &rsdp);
	bi->acpi_rsdp = (uint64_t)rsdp;
}

/* Allocates the memory-map buffer, then fetches the final map into it and
 * leaves boot services.  ExitBootServices fails if the map changed since
 * GetMemoryMap (UEFI 2.10 7.4); then fetch it again and retry. */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, struct boot_info *bi)
{
	UINTN size = 0, key, desc_size;
	UINT32 version;
	uint64_t buf = 0;
	EFI_STATUS st;

	uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &desc_size,
			  &version);
	size += 16 * desc_size;
	st = alloc_hv_pages(EFI_SIZE_TO_PAGES(size), AllocateAnyPages, &buf);
	if (EFI_ERROR(st))
		return st;
	for (int tries = 0; tries < 4; tries++) {
		UINTN len = EFI_SIZE_TO_PAGES(size) * EFI_PAGE_SIZE;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &len,
				       (EFI_MEMORY_DESCRIPTOR *)buf, &key,
				       &desc_size, &version);
		if (EFI_ERROR(st))
			return st;
		bi->mmap = buf;
		bi->mmap_size = len;
		bi->mmap_desc_size = desc_size;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(st))
			return st;
	}
	return st;
}

static EFI_STATUS prepare(EFI_HANDLE image, struct boot_info *bi,
			  struct kernel_image *k)
{
	/* About 40 KiB: in hv's own pages, not the firmware's stack nor a
	 * static that hv.efi would carry as zeros; the kernel takes it as it
	 * is (one parser, in this stage). */
	uint64_t at = 0;
	struct hv_config *cfg;
	EFI_STATUS st;

	st = alloc_hv_pages(EFI_SIZE_TO_PAGES(sizeof(*cfg)), AllocateAnyPages,
			    &at);
	if (EFI_ERROR(st)) {
		boot_log(L"hv-boot: error: no memory for the configuration");
		return st;
	}
	cfg = (struct hv_config *)at;
	mp_info_collect(bi); /* first: the config is checked against it */
	st = load_config(image, bi, cfg);
	if (EFI_ERROR(st))
		return st;
	bi->config_parsed = at;
	bi->config_parsed_size = sizeof(*cfg);
	find_rsdp(bi);
	bi->efi_system_table = (uint64_t)ST;
	bi->efi_reset_system = (uint64_t)ST->RuntimeServices->ResetSystem;
	bi->trampoline_phys = TRAMPOLINE_MAX;
	st = alloc_hv_pages(1, AllocateMaxAddress, &bi->trampoline_phys);
	if (EFI_ERROR(st)) {
		boot_log(L"hv-boot: error: no free page below 1 MiB: %r", st);
		return st;
	}
	st = kernel_load(k);
	if (EFI_ERROR(st))
		return st;
	bi->kernel_phys = k->phys;
	bi->kernel_size = k->size;
	bi->direct_map_size = boot_phys_top();
	st = boot_paging_build(k, bi->direct_map_size, &bi->boot_cr3);
	if (EFI_ERROR(st))
		boot_log(L"hv-boot: error: cannot build page tables: %r", st);
	return st;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	uint64_t start_tsc = rdtsc();
	struct kernel_image k;
	struct boot_info *bi;
	uint64_t bi_phys = 0;
	EFI_STATUS st;

	InitializeLib(image, systab);
	boot_log_init();
	boot_log(L"hv-boot: hv.efi starting");
	st = vtx_check();
	if (!EFI_ERROR(st))
		st = alloc_hv_pages(EFI_SIZE_TO_PAGES(sizeof(*bi)),
				    AllocateAnyPages, &bi_phys);
	if (!EFI_ERROR(st)) {
		bi = (struct boot_info *)bi_phys;
		bi->magic = BOOT_INFO_MAGIC;
		bi->version = BOOT_INFO_VERSION;
		bi->start_tsc = start_tsc;
		st = prepare(image, bi, &k);
	}
	if (EFI_ERROR(st)) {
		boot_log(L"hv-boot: returning to firmware (status: %r)", st);
		return st;
	}
	boot_log(L"hv-boot: %d CPUs, %d files loaded; starting the kernel",
		 bi->ncpus, bi->nmodules);
	boot_log_serial_only();
	st = exit_boot_services(image, bi);
	if (EFI_ERROR(st)) {
		/* Boot services may be half gone: nothing left to return to. */
		boot_log(L"hv-boot: error: ExitBootServices failed: %r", st);
		cpu_halt_forever();
	}
	wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_NXE);
	bi->handoff_tsc = rdtsc();
	handoff_jump(bi->boot_cr3, k.elf.entry, bi_phys);
}
