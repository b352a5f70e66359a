#include "vm_audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../drivers/pci_bar.h"
#include "ept_audit.h"
#include "log.h"
#include "memory.h"
#include "passthrough.h"

#define MAX_BARS (CFG_PCI_MAX * PCI_NUM_BARS)
#define MAX_NAMED (CFG_MAX_VMS + 1 + 64)

static const struct boot_info *info;
static bool audits_on;
/* Every VM audited so far, by id: the others' RAM is named in reports. */
static struct vm *vms[CFG_MAX_VMS];
static struct ept_region *host_ram;
static unsigned nhost_ram;

#define FOR_EACH_DESC(bi, d)                                                  \
	for (const struct boot_mem_desc *d = phys_to_virt((bi)->mmap);       \
	     (const uint8_t *)d < (const uint8_t *)phys_to_virt((bi)->mmap) + \
				  (bi)->mmap_size;                           \
	     d = (const void *)((const uint8_t *)d + (bi)->mmap_desc_size))

/* Memory in the host's map, whoever owns it (UEFI 2.10 Table 7-6): what
 * a BAR may not overlap and the MMIO hole may not map. */
static bool memtype_is_ram(uint32_t type)
{
	switch (type) {
	case EFI_MT_LOADER_CODE:
	case EFI_MT_LOADER_DATA:
	case EFI_MT_BS_CODE:
	case EFI_MT_BS_DATA:
	case EFI_MT_RT_CODE:
	case EFI_MT_RT_DATA:
	case EFI_MT_CONVENTIONAL:
	case EFI_MT_ACPI_RECLAIM:
	case EFI_MT_ACPI_NVS:
	case EFI_MT_PERSISTENT:
	case BOOT_MEMTYPE_HV:
		return true;
	default:
		return false;
	}
}

void vm_audit_init(const struct boot_info *bi, bool enabled)
{
	unsigned n = 0;

	info = bi;
	audits_on = enabled;
	if (!enabled)
		return;
	FOR_EACH_DESC(bi, d)
		n++;
	host_ram = calloc(n ? n : 1, sizeof(*host_ram));
	if (!host_ram)
		return; /* vm_audit then refuses every VM */
	FOR_EACH_DESC(bi, d)
		if (memtype_is_ram(d->type))
			host_ram[nhost_ram++] = (struct ept_region){
				d->phys_start, d->pages * PAGE_SIZE,
				"host RAM outside every VM" };
}

static void report(void *ctx, const struct ept_violation *v)
{
	const struct vm *vm = ctx;

	log_error("ept audit: vm %s: %s: gpa %#lx -> hpa %#lx (%lu KiB, "
		  "level %d, entry %#lx): %s", vm->name,
		  ept_problem_name(v->problem), v->gpa, v->hpa, v->size >> 10,
		  v->level, v->entry, v->what);
}

bool vm_audit(struct vm *vm, const char **why)
{
	/* Static: one CPU creates and resets VMs (kernel/sched.c runs them
	 * all on the boot CPU), and the arrays are too large for its stack. */
	static struct ept_region named[MAX_NAMED], bars[MAX_BARS];
	static char vm_names[CFG_MAX_VMS][CFG_NAME_MAX + 16];
	static char bar_names[MAX_BARS][CFG_NAME_MAX + 24];
	struct pci_bar pci[MAX_BARS];
	struct ept_audit_result r;
	unsigned nnamed = 0, nbars;
	uint64_t cap;

	if (!audits_on)
		return true;
	if (!host_ram) {
		*why = "EPT audit: no memory for the host memory map";
		return false;
	}
	if (vm->id < CFG_MAX_VMS)
		vms[vm->id] = vm;
	for (unsigned i = 0; i < CFG_MAX_VMS; i++) {
		if (!vms[i] || vms[i] == vm)
			continue;
		snprintf(vm_names[i], sizeof(vm_names[i]), "vm %s's RAM",
			 vms[i]->name);
		named[nnamed++] = (struct ept_region){ vms[i]->ram_hpa,
			vms[i]->ram_size, vm_names[i] };
	}
	named[nnamed++] = (struct ept_region){ info->kernel_phys,
		info->kernel_size, "the hypervisor's image" };
	FOR_EACH_DESC(info, d)
		if (d->type == BOOT_MEMTYPE_HV && nnamed < MAX_NAMED)
			named[nnamed++] = (struct ept_region){ d->phys_start,
				d->pages * PAGE_SIZE, "hypervisor memory from "
				"the UEFI stage (page tables, boot_info, files)" };
	nbars = passthrough_mapped_bars(vm, pci, MAX_BARS);
	for (unsigned i = 0; i < nbars; i++) {
		snprintf(bar_names[i], sizeof(bar_names[i]),
			 "vm %s's passthrough BAR %#lx", vm->name, pci[i].base);
		bars[i] = (struct ept_region){ pci[i].base, pci[i].size,
					       bar_names[i] };
	}
	cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	struct ept_audit a = {
		.root = vm->ept.root, .phys_to_virt = phys_to_virt,
		.readable_end = info->direct_map_size,
		.phys_bits = cpu_maxphyaddr(),
		.allow_1g = (cap & EPT_CAP_PAGE_1G) != 0,
		.execute_only = (cap & EPT_CAP_EXEC_ONLY) != 0,
		.ram_hpa = vm->ram_hpa, .ram_size = vm->ram_size,
		.shared_hpa = vm->cow_hpa,
		.bars = bars, .nbars = nbars,
		.host_ram = host_ram, .nhost_ram = nhost_ram,
		.named = named, .nnamed = nnamed,
		.report = report, .ctx = vm,
	};
	if (ept_audit_run(&a, &r)) {
		if (vm->resets)
			log_info("ept audit: vm %s: %lu leaves, ok (after reset "
				 "%u)", vm->name, r.leaves, vm->resets);
		else
			log_info("ept audit: vm %s: %lu leaves, ok", vm->name,
				 r.leaves);
		return true;
	}
	log_error("ept audit: vm %s: %lu leaves, %lu violation(s)", vm->name,
		  r.leaves, r.violations);
	*why = "the EPT audit found violations (see above)";
	return false;
}
