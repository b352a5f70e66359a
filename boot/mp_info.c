#include "mp_info.h"

#include <efilib.h>

#include "../arch/cpu.h"
#include "boot_log.h"

/* gnu-efi has no header for MP services; these are the PI spec's layouts,
 * with the calling convention spelled out since we call them directly. */
#define MP_SERVICES_GUID                                                   \
	{ 0x3fdda605, 0xa76e, 0x4f46,                                      \
	  { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

#define PROCESSOR_AS_BSP_BIT 0x1
#define PROCESSOR_ENABLED_BIT 0x2

struct efi_processor_information {
	UINT64 processor_id; /* the APIC ID */
	UINT32 status_flag;
	UINT32 package, core, thread;
};

struct efi_mp_services {
	EFI_STATUS(__attribute__((ms_abi)) *get_number_of_processors)
	(struct efi_mp_services *self, UINTN *count, UINTN *enabled);
	EFI_STATUS(__attribute__((ms_abi)) *get_processor_info)
	(struct efi_mp_services *self, UINTN n,
	 struct efi_processor_information *info);
	/* StartupAllAPs, StartupThisAP, SwitchBSP, EnableDisableAP,
	 * WhoAmI follow; unused. */
};

static void bsp_only(struct boot_info *bi)
{
	bi->ncpus = 1;
	bi->cpus[0].apic_id = cpuid(1, 0).ebx >> 24;
	bi->cpus[0].is_bsp = 1;
}

void mp_info_collect(struct boot_info *bi)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	struct efi_mp_services *mp;
	UINTN count = 0, enabled = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(mp->get_number_of_processors(mp, &count, &enabled))) {
		boot_log(L"hv-boot: no MP services protocol; using the boot "
			 L"CPU only");
		bsp_only(bi);
		return;
	}
	bi->ncpus = 0;
	for (UINTN i = 0; i < count && bi->ncpus < BOOT_MAX_CPUS; i++) {
		struct efi_processor_information info;
		if (EFI_ERROR(mp->get_processor_info(mp, i, &info)) ||
		    !(info.status_flag & PROCESSOR_ENABLED_BIT))
			continue;
		bi->cpus[bi->ncpus].apic_id = (uint32_t)info.processor_id;
		bi->cpus[bi->ncpus].is_bsp =
			(info.status_flag & PROCESSOR_AS_BSP_BIT) != 0;
		bi->ncpus++;
	}
	if (count > BOOT_MAX_CPUS)
		boot_log(L"hv-boot: %d CPUs, using the first %d", (int)count,
			 BOOT_MAX_CPUS);
	if (!bi->ncpus)
		bsp_only(bi);
}
