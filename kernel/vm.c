/* Creating and stopping VMs.  A VM's memory is one contiguous, 2 MiB-
 * aligned run of host pages, zeroed (no data of the hypervisor or of an
 * earlier VM survives into it) and mapped at guest-physical 0 by its own
 * EPT, which maps nothing else: the hypervisor and the other VMs are
 * simply absent from it. */
#include "vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../arch/tsc.h"
#include "../arch/xcr0.h"
#include "../drivers/debug_exit.h"
#include "../drivers/fw_cfg.h"
#include "../drivers/testdev.h"
#include "../drivers/vacpi_pm.h"
#include "../drivers/vioapic.h"
#include "../drivers/vlapic.h"
#include "../drivers/vpci.h"
#include "../drivers/vpic.h"
#include "../drivers/vpit.h"
#include "../drivers/vrtc.h"
#include "../drivers/vuart.h"
#include "../vmx/ept.h"
#include "../vmx/msr.h"
#include "../vmx/vcpu_run.h"
#include "../vmx/vmcs_setup.h"
#include "../vmx/vmx.h"
#include "../vmx/vmx_insn.h"
#include "fpu.h"
#include "log.h"
#include "memory.h"
#include "linux_boot.h"
#include "multiboot.h"
#include "passthrough.h"
#include "page_alloc.h"
#include "vm_audit.h"
#include "vm_console.h"

#define FRAMES_2M (PAGE_SIZE_2M / PAGE_SIZE)

static uint16_t next_vpid = 1; /* VPID 0 is the host's (SDM Vol. 3C 29.1) */

static bool alloc_memory(struct vm *vm)
{
	vm->ram_size = vm->cfg->memory;
	vm->ram_hpa = page_alloc(vm->ram_size / PAGE_SIZE, FRAMES_2M);
	if (!vm->ram_hpa)
		return false;
	memset(phys_to_virt(vm->ram_hpa), 0, vm->ram_size);
	vm->ept = (struct pt_ctx){ .fmt = &pt_format_ept,
				   .alloc_table = page_table_alloc,
				   .phys_to_virt = phys_to_virt };
	/* 1 GiB EPT pages where the CPU has them and the VM is that large. */
	vm->ept.allow_1g = (rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & EPT_CAP_PAGE_1G) != 0;
	if (pt_init(&vm->ept) ||
	    pt_map(&vm->ept, 0, vm->ram_hpa, vm->ram_size,
		   EPT_RWX | EPT_MT_WB, true))
		return false;
	vm->eptp = ept_pointer(vm->ept.root, vmx_ctls.ept_ad);
	/* The EPT's pages may have backed another EPT before. */
	invept(INVEPT_SINGLE_CONTEXT, vm->eptp);
	vm->io_bitmap = page_alloc(2, 1);
	vm->msr_bitmap = page_alloc(1, 1);
	if (!vm->io_bitmap || !vm->msr_bitmap)
		return false;
	/* Every port exits: devices claim theirs through pio_register. */
	memset(phys_to_virt(vm->io_bitmap), 0xff, 2 * PAGE_SIZE);
	msr_bitmap_init(vm);
	return true;
}

static bool create_vcpus(struct vm *vm)
{
	vm->nvcpus = vm->cfg->vcpus < VM_MAX_VCPUS ? vm->cfg->vcpus
						  : VM_MAX_VCPUS;
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = calloc(1, sizeof(*v));
		if (!v)
			return false;
		vm->vcpus[i] = v;
		v->vm = vm;
		v->id = i;
		v->vpid = next_vpid++;
		v->xcr0 = XCR0_X87; /* the reset value */
		v->dr.dr6 = DR6_RESET;
		v->mtrr_def_type = MTRR_DEF_TYPE_WB_ENABLED;
		/* The others wait for the boot vCPU's start-up IPIs. */
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		if (!vlapic_create(v) || !fpu_create(v) || !vmcs_create(v))
			return false;
	}
	return true;
}

/* The guest image, by the VM's type. */
static bool load_image(struct vm *vm, const char **why)
{
	if (vm->cfg->type == CFG_VM_LINUX)
		return linux_load(vm, why);
	return multiboot_load(vm, why);
}

static bool attach_devices(struct vm *vm)
{
	return vuart_attach(vm, VUART_COM1_BASE) && debug_exit_attach(vm) &&
	       fw_cfg_attach(vm) && testdev_attach(vm) && vpic_attach(vm) &&
	       vpit_attach(vm) && vrtc_attach(vm) && vpci_attach(vm) &&
	       vacpi_pm_attach(vm) && vioapic_attach(vm) && vlapic_attach(vm);
}

struct vm *vm_create(const struct vm_config *cfg, unsigned id)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	const char *why = "out of memory";

	if (!vm) {
		log_error("vm %s: not started: out of memory", cfg->name);
		return NULL;
	}
	memcpy(vm->name, cfg->name, sizeof(vm->name));
	vm->cfg = cfg;
	vm->id = id;
	vm->state = VM_RUNNING;
	vm->time_limit_tsc = tsc_from_ms(cfg->time_limit_ms);
	if (alloc_memory(vm) && create_vcpus(vm) && attach_devices(vm) &&
	    passthrough_attach(vm, &why) && load_image(vm, &why) &&
	    vm_audit(vm, &why)) {
		log_info("vm %s: %lu MiB at host %#lx, %u vCPU(s), entry %#lx",
			 vm->name, vm->ram_size >> 20, vm->ram_hpa, vm->nvcpus,
			 vm->entry);
		return vm;
	}
	log_error("vm %s: not started: %s", cfg->name, why);
	vm->state = VM_STOPPED;
	return NULL; /* its pages stay allocated: a leak on a failed start */
}

static void stop_vcpus(struct vm *vm)
{
	vm->state = VM_STOPPED;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i])
			vm->vcpus[i]->state = VCPU_STOPPED;
	passthrough_quiesce(vm);
	vm_console_flush(vm);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	if (vm->state == VM_STOPPED)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	stop_vcpus(vm);
	log_info("vm %s: stopped: %s", vm->name, why);
}

/* A reset is a request that the scheduler carries out between slices,
 * never inside the exit handler that asked for it: zeroing a large VM's
 * RAM in one go would keep every other VM off the CPU for as long as it
 * takes (a guest resetting in a loop would starve them all).  The boot
 * vCPU carries the work in pieces of VM_RESET_CHUNK bytes, one per turn,
 * each charged to its own run time; the other vCPUs wait for a start-up
 * IPI again, as after a real reset. */
static void request_reset(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vm->vcpus[i]->state = i == 0 ? VCPU_RESETTING : VCPU_WAIT_SIPI;
	vm->reset_zeroed = 0;
	vm->generation++; /* an exit in progress must not touch the guest */
}

/* The vCPUs' reset state (SDM Vol. 3A 10.1, Table 10-1): registers,
 * XCR0, FPU/SSE/AVX, the MSRs and debug registers the CPU holds for them
 * (forgotten by the scheduler, so nothing of the old run is saved over
 * or survives), the VMCS; stale EPT and VPID translations flushed (SDM
 * Vol. 3C 29.4.3). */
static bool finish_reset(struct vm *vm, const char **why)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		vcpu_forget(v);
		memset(&v->regs, 0, sizeof(v->regs));
		memset(&v->msrs, 0, sizeof(v->msrs));
		v->dr = (struct dr_context){ .dr6 = DR6_RESET };
		v->xcr0 = XCR0_X87;
		v->mtrr_def_type = MTRR_DEF_TYPE_WB_ENABLED;
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		v->start_pending = v->halted_for_good = false;
		v->tsc_adjust = 0;
		vlapic_reset(v);
		fpu_reset(v);
		vmcs_reset(v);
		invvpid(INVVPID_SINGLE_CONTEXT, v->vpid);
	}
	vioapic_reset(vm->ioapic);
	passthrough_reset(vm);
	invept(INVEPT_SINGLE_CONTEXT, vm->eptp);
	vm->state = VM_RUNNING;
	return load_image(vm, why) && vm_audit(vm, why);
}

void vm_reset_step(struct vm *vm)
{
	uint64_t n = vm->ram_size - vm->reset_zeroed;
	const char *why = "";

	if (n > VM_RESET_CHUNK)
		n = VM_RESET_CHUNK;
	memset((uint8_t *)phys_to_virt(vm->ram_hpa) + vm->reset_zeroed, 0, n);
	vm->reset_zeroed += n;
	if (vm->reset_zeroed == vm->ram_size && !finish_reset(vm, &why))
		vm_stop(vm, "restart failed: %s", why);
}

void vm_restart(struct vm *vm, const char *why)
{
	if (vm->state != VM_RUNNING)
		return;
	vm_console_flush(vm);
	log_info("vm %s: %s; restarting", vm->name, why);
	request_reset(vm);
}

void vm_crash(struct vm *vm, const char *fmt, ...)
{
	char reason[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (vm->cfg->on_crash != CFG_CRASH_RESTART) {
		vm_stop(vm, "%s", reason);
		return;
	}
	if (vm->restarts == VM_MAX_RESTARTS) {
		vm_stop(vm, "%s (crashed %u times; not restarting again)",
			reason, vm->restarts + 1);
		return;
	}
	vm->restarts++;
	vm_console_flush(vm);
	log_info("vm %s: crashed (%s); restarting (%u of %u)", vm->name,
		 reason, vm->restarts, VM_MAX_RESTARTS);
	request_reset(vm);
}

void vm_exit_with_status(struct vm *vm, uint32_t status)
{
	if (vm->state == VM_STOPPED)
		return;
	stop_vcpus(vm);
	vm->has_exit_status = true;
	vm->exit_status = status;
	log_info("vm %s: exited with status %u (unclaimed I/O: %lu reads, "
		 "%lu writes)", vm->name, status, vm->unclaimed_reads,
		 vm->unclaimed_writes);
}

void vm_power_off(struct vm *vm)
{
	if (vm->state == VM_STOPPED)
		return;
	stop_vcpus(vm);
	vm->has_exit_status = true;
	vm->exit_status = 0;
	log_info("vm %s: powered off (ACPI S5)", vm->name);
}

void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return (uint8_t *)phys_to_virt(vm->ram_hpa) + gpa;
}

int pio_register(struct vm *vm, uint16_t base, uint16_t len,
		 const struct pio_ops *ops, void *dev)
{
	if (vm->npio == VM_MAX_PIO || !len || base + len > 0x10000)
		return -1;
	for (unsigned i = 0; i < vm->npio; i++)
		if (base < vm->pio[i].base + vm->pio[i].len &&
		    vm->pio[i].base < base + len)
			return -1; /* overlaps another device */
	vm->pio[vm->npio++] = (struct pio_range){ base, len, ops, dev };
	return 0;
}

int mmio_register(struct vm *vm, uint64_t base, uint64_t len,
		  const struct mmio_ops *ops, void *dev)
{
	if (vm->nmmio == VM_MAX_MMIO || !len || base < vm->ram_size)
		return -1; /* RAM is mapped: an access there never exits */
	vm->mmio[vm->nmmio++] = (struct mmio_range){ base, len, ops, dev };
	return 0;
}

const struct pio_range *pio_find(const struct vm *vm, uint16_t port)
{
	for (unsigned i = 0; i < vm->npio; i++)
		if ((uint16_t)(port - vm->pio[i].base) < vm->pio[i].len)
			return &vm->pio[i];
	return NULL;
}

const struct mmio_range *mmio_find(const struct vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; i < vm->nmmio; i++)
		if (gpa - vm->mmio[i].base < vm->mmio[i].len)
			return &vm->mmio[i];
	return NULL;
}
