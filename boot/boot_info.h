/* struct boot_info: the single contract between the UEFI stage (boot/) and
 * the kernel.  Everything the kernel learns about the machine and about its
 * configuration arrives here; the kernel never calls UEFI boot services.
 *
 * All addresses are physical.  The structure, and everything it points to,
 * lives in pages of type BOOT_MEMTYPE_HV in the memory map, which the
 * kernel's page allocator never hands out. */
#ifndef BOOT_BOOT_INFO_H
#define BOOT_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC 0x4856424f4f54494eull /* "HVBOOTIN" */
#define BOOT_INFO_VERSION 3

/* OS-defined UEFI memory type (UEFI 2.10 7.2: 0x80000000..0xFFFFFFFF are
 * reserved for OS loaders) marking memory the kernel owns from the start:
 * its image, page tables, boot_info, loaded guest files, trampoline. */
#define BOOT_MEMTYPE_HV 0x80000048u

/* Virtual layout set up by the UEFI stage and kept by the kernel. */
#define KERNEL_VBASE 0xffffffff80000000ull
#define DIRECT_MAP_BASE 0xffff800000000000ull

#define BOOT_MAX_CPUS 64
#define BOOT_MAX_MODULES 32
#define BOOT_PATH_MAX 128

/* Same layout as EFI_MEMORY_DESCRIPTOR (UEFI 2.10 7.2); the stride between
 * entries is mmap_desc_size, which may be larger than this struct. */
struct boot_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t pages;
	uint64_t attribute;
};

/* UEFI memory types the kernel cares about (UEFI 2.10 Table 7-5). */
enum boot_efi_memtype {
	EFI_MT_RESERVED = 0,
	EFI_MT_LOADER_CODE = 1,
	EFI_MT_LOADER_DATA = 2,
	EFI_MT_BS_CODE = 3,
	EFI_MT_BS_DATA = 4,
	EFI_MT_RT_CODE = 5,
	EFI_MT_RT_DATA = 6,
	EFI_MT_CONVENTIONAL = 7,
	EFI_MT_UNUSABLE = 8,
	EFI_MT_ACPI_RECLAIM = 9,
	EFI_MT_ACPI_NVS = 10,
	EFI_MT_MMIO = 11,
	EFI_MT_MMIO_PORT = 12,
	EFI_MT_PAL_CODE = 13,
	EFI_MT_PERSISTENT = 14,
};

/* A file the UEFI stage loaded because hv.cfg names it. */
struct boot_module {
	char path[BOOT_PATH_MAX]; /* as written in hv.cfg */
	uint64_t phys;            /* page-aligned copy of the file */
	uint64_t size;            /* bytes */
};

struct boot_cpu {
	uint32_t apic_id;
	uint32_t is_bsp;
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t ncpus;

	/* Memory map as returned by the final GetMemoryMap. */
	uint64_t mmap;            /* phys of the first descriptor */
	uint64_t mmap_size;       /* bytes */
	uint64_t mmap_desc_size;  /* stride */

	/* The kernel image: loaded at kernel_phys, linked at KERNEL_VBASE. */
	uint64_t kernel_phys;
	uint64_t kernel_size;

	/* Page tables the UEFI stage built: identity map + direct map +
	 * kernel.  Kept so that UEFI runtime services, which expect an
	 * identity map, can be called (SDM-free fact: UEFI 2.10 2.3.4). */
	uint64_t boot_cr3;
	uint64_t direct_map_size; /* bytes of physical space mapped */

	uint64_t efi_system_table; /* phys; runtime services stay usable */
	/* Physical address of the UEFI runtime ResetSystem (an ms_abi
	 * function); call it only on boot_cr3, which identity-maps it. */
	uint64_t efi_reset_system;
	uint64_t acpi_rsdp;        /* phys, 0 when the firmware has none */
	uint64_t trampoline_phys;  /* page below 1 MiB for AP start-up */

	uint64_t config_text;      /* phys of hv.cfg's bytes */
	uint64_t config_size;
	/* phys of hv.cfg as the UEFI stage parsed and checked it: a struct
	 * hv_config (kernel/config.h), plain data, of config_parsed_size
	 * bytes (the kernel checks it is its own struct's size: one build). */
	uint64_t config_parsed;
	uint64_t config_parsed_size;
	/* The TSC when hv.efi started and when it handed over to the kernel:
	 * the start-up time `make bench` reports (to the first guest entry,
	 * which the kernel logs). */
	uint64_t start_tsc;
	uint64_t handoff_tsc;

	uint32_t nmodules;
	uint32_t pad;
	struct boot_module modules[BOOT_MAX_MODULES];
	struct boot_cpu cpus[BOOT_MAX_CPUS];
};

#endif
