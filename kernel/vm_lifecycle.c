/* Creating and stopping VMs.  A VM's memory is one contiguous, 2 MiB-
 * aligned run of host pages, zeroed (no data of the hypervisor or of an
 * earlier VM survives into it) and mapped at guest-physical 0 by its own
 * EPT, which maps nothing else: the hypervisor and the other VMs are
 * simply absent from it. */
#include "vm_lifecycle.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../arch/tsc.h"
#include "../arch/xcr0.h"
#include "../drivers/vioapic.h"
#include "../drivers/vlapic.h"
#include "../vmx/ept.h"
#include "../vmx/exit_stats.h"
#include "../vmx/msr.h"
#include "../vmx/vcpu_run.h"
#include "../vmx/vmcs_setup.h"
#include "../vmx/vmx.h"
#include "../vmx/vmx_insn.h"
#include "acpi_tables.h"
#include "clone_ram.h"
#include "fpu.h"
#include "log.h"
#include "memory.h"
#include "linux_boot.h"
#include "multiboot.h"
#include "multiboot_image.h"
#include "passthrough.h"
#include "page_alloc.h"
#include "snapshot.h"
#include "vm_audit.h"
#include "vm_console.h"
#include "vm_devices.h"

#define FRAMES_2M (PAGE_SIZE_2M / PAGE_SIZE)

static uint16_t next_vpid = 1; /* VPID 0 is the host's (SDM Vol. 3C 29.1) */

/* shared_hpa: a clone's, whose RAM starts as the snapshot's copy there
 * (kernel/clone_ram.c): its own pages are not cleared, as none is mapped
 * before it is filled from that copy. */
static bool alloc_memory(struct vm *vm, uint64_t shared_hpa)
{
	vm->ram_size = vm->cfg->memory;
	vm->ram_hpa = page_alloc(vm->ram_size / PAGE_SIZE, FRAMES_2M);
	if (!vm->ram_hpa)
		return false;
	/* RAM is mapped: an access there never exits, so no device may
	 * claim it. */
	io_bus_init(&vm->mmio, vm->ram_size, ~0ull);
	if (!shared_hpa)
		memset(phys_to_virt(vm->ram_hpa), 0, vm->ram_size);
	vm->ept = (struct pt_ctx){ .fmt = &pt_format_ept,
				   .alloc_table = page_table_alloc,
				   .free_table = page_table_free,
				   .phys_to_virt = phys_to_virt };
	/* 1 GiB EPT pages where the CPU has them and the VM is that large. */
	vm->ept.allow_1g = (rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & EPT_CAP_PAGE_1G) != 0;
	if (pt_init(&vm->ept))
		return false;
	if (shared_hpa ? !clone_ram_map(vm, shared_hpa)
		       : pt_map(&vm->ept, 0, vm->ram_hpa, vm->ram_size,
				EPT_RWX | EPT_MT_WB, true))
		return false;
	vm->eptp = ept_pointer(vm->ept.root, vmx_ctls.ept_ad);
	/* The EPT's pages may have backed another EPT before: every CPU
	 * flushes it before it first enters the VM (vmx/vcpu_run.c). */
	vm->ept_gen = 1;
	vm->io_bitmap = page_alloc(2, 1);
	vm->msr_bitmap = page_alloc(1, 1);
	if (!vm->io_bitmap || !vm->msr_bitmap)
		return false;
	/* Every port exits: devices claim theirs on vm->pio. */
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
		v->misc_enable = MISC_ENABLE_RESET;
		/* The others wait for the boot vCPU's start-up IPIs. */
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		v->stats = calloc(1, sizeof(*v->stats));
		if (!v->stats || !vlapic_create(v) || !fpu_create(v) ||
		    !vmcs_create(v))
			return false;
	}
	return true;
}

/* The guest image, by the VM's type, after the firmware tables a PC has
 * whatever it boots: the ACPI tables in the BIOS area, where an OS that
 * scans for the RSDP finds them (ACPI 6.5 5.2.5.1), and the EBDA with a
 * copy of the RSDP, the other place it looks.  The loaders keep
 * the area free and mark it reserved in their memory maps. */
/* Both memory maps end low RAM where the EBDA starts. */
_Static_assert(MB_LOW_MEM_END == ACPI_EBDA_GPA &&
	       ACPI_EBDA_GPA + ACPI_EBDA_SIZE == 0xa0000,
	       "the EBDA is the reserved KiB below 640 KiB");

static bool load_image(struct vm *vm, const char **why)
{
	if (vm->ram_size < ACPI_BIOS_AREA_END) {
		*why = "a VM needs at least 1 MiB of memory";
		return false;
	}
	acpi_build(vm_gpa_to_hva(vm, ACPI_TABLES_GPA, ACPI_TABLES_MAX),
		   ACPI_TABLES_GPA, vm->nvcpus, vm->ram_size);
	acpi_build_ebda(vm_gpa_to_hva(vm, 0, ACPI_EBDA_GPA + ACPI_EBDA_SIZE),
			vm_gpa_to_hva(vm, ACPI_TABLES_GPA, ACPI_TABLES_MAX));
	if (vm->cfg->type == CFG_VM_LINUX)
		return linux_load(vm, why);
	return multiboot_load(vm, why);
}

static void destroy_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (!v)
			continue;
		vcpu_forget(v);
		vmcs_destroy(v);
		fpu_destroy(v);
		vlapic_destroy(v);
		free(v->stats);
		free(v);
		vm->vcpus[i] = NULL;
	}
}

/* Undoes a vm_create that failed at any step: every piece above is
 * either made or still zero. */
static void vm_destroy(struct vm *vm)
{
	passthrough_detach(vm);
	vm_devices_detach(vm);
	destroy_vcpus(vm);
	if (vm->msr_bitmap)
		page_free(vm->msr_bitmap, 1);
	if (vm->io_bitmap)
		page_free(vm->io_bitmap, 2);
	if (vm->eptp) /* nothing may translate through freed tables */
		invept(INVEPT_SINGLE_CONTEXT, vm->eptp);
	pt_destroy(&vm->ept);
	if (vm->ram_hpa)
		page_free(vm->ram_hpa, vm->ram_size / PAGE_SIZE);
	free(vm);
}

/* What hv itself holds at one moment: page frames in use and bytes of
 * heap in use (newlib's mallinfo), for the per-VM cost that vm_create
 * logs and `make bench` reads. */
struct mem_mark {
	uint64_t frames_free;
	size_t heap_used;
};

static struct mem_mark mem_mark(void)
{
	return (struct mem_mark){ page_alloc_free_frames(),
				  (size_t)mallinfo().uordblks };
}

static unsigned long kib_between(struct mem_mark a, struct mem_mark b)
{
	return (unsigned long)(((a.frames_free - b.frames_free) * PAGE_SIZE +
				(b.heap_used - a.heap_used)) >> 10);
}

/* One line per VM: what hv allocated for it beyond its RAM, by part.
 * m[0] is before anything, m[1] after the RAM, its EPT and the bitmaps,
 * m[2] after the vCPUs, m[3] after devices and the loaded image. */
static void log_hv_memory(const struct vm *vm, const struct mem_mark m[4])
{
	unsigned long ram_kib = (unsigned long)(vm->ram_size >> 10);
	unsigned long bitmaps_kib = 3 * PAGE_SIZE / 1024; /* I/O 2, MSR 1 */
	unsigned long ept_kib = kib_between(m[0], m[1]) - ram_kib - bitmaps_kib;
	unsigned long vcpus_kib = kib_between(m[1], m[2]);
	unsigned long total_kib = kib_between(m[0], m[3]) - ram_kib;

	log_info("vm %s: hv memory %lu KiB beyond its RAM (EPT %lu KiB, I/O "
		 "and MSR bitmaps %lu KiB, vCPUs %lu KiB: VMCS, XSAVE, APIC, "
		 "state and exit stats %lu KiB; VM and devices %lu KiB)",
		 vm->name, total_kib, ept_kib, bitmaps_kib, vcpus_kib,
		 (unsigned long)(vm->nvcpus * sizeof(struct exit_stats) >> 10),
		 total_kib - ept_kib - bitmaps_kib - vcpus_kib);
}

/* A clone (shared_hpa set) gets no image: the snapshot's state is put
 * in it next (kernel/snapshot.c). */
static struct vm *create(const struct vm_config *cfg, unsigned id,
			 uint64_t shared_hpa)
{
	struct mem_mark mark[4] = { mem_mark() };
	struct vm *vm = calloc(1, sizeof(*vm));
	const char *why = "out of memory";
	/* Unreserved: a reservation left behind shows too. */
	uint64_t free_before = page_alloc_unreserved_frames();
	bool ok;

	if (!vm) {
		log_error("vm %s: not started: out of memory", cfg->name);
		return NULL;
	}
	memcpy(vm->name, cfg->name, sizeof(vm->name));
	vm->cfg = cfg;
	vm->id = id;
	vm->state = VM_RUNNING;
	vm->time_limit_tsc = tsc_from_ms(cfg->time_limit_ms);
	io_bus_init(&vm->pio, 0, 0x10000);
	spin_init(&vm->lifecycle, "vm lifecycle");
	spin_init(&vm->cow_lock, "clone copy-on-write");
	spin_init(&vm->irq_share_lock, "shared irq lines");
	ok = alloc_memory(vm, shared_hpa);
	mark[1] = mem_mark();
	ok = ok && create_vcpus(vm);
	mark[2] = mem_mark();
	if (ok && vm_devices_attach(vm, &why) && passthrough_attach(vm, &why) &&
	    (shared_hpa || load_image(vm, &why)) && vm_audit(vm, &why)) {
		mark[3] = mem_mark();
		/* Set up here, on the boot CPU; each vCPU runs on the CPU
		 * the scheduler gives it, which loads it there. */
		for (unsigned i = 0; i < vm->nvcpus; i++)
			vmcs_put(vm->vcpus[i]);
		log_info("vm %s: %lu MiB at host %#lx, %u vCPU(s), entry %#lx",
			 vm->name, vm->ram_size >> 20, vm->ram_hpa, vm->nvcpus,
			 vm->entry);
		log_hv_memory(vm, mark);
		return vm;
	}
	log_error("vm %s: not started: %s", cfg->name, why);
	vm_destroy(vm);
	/* Nothing of it remains: the boot tests compare the two. */
	log_info("vm %s: page frames free: %lu before it, %lu after", cfg->name,
		 free_before, page_alloc_unreserved_frames());
	return NULL;
}

struct vm *vm_create(const struct vm_config *cfg, unsigned id)
{
	return create(cfg, id, 0);
}

struct vm *vm_create_clone(const struct vm_config *cfg, unsigned id,
			   uint64_t shared_hpa)
{
	return create(cfg, id, shared_hpa);
}

/* Also reports how many VM exits the VM took over its whole life (resets
 * included): the guest fuzzer's test reads it. */
static void stop_vcpus(struct vm *vm)
{
	uint64_t exits = 0, used = 0, life = rdtsc() - vm->start_tsc;

	vm->state = VM_STOPPED;
	vm->paused = vm->waits_for_start = false;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i]) {
			vm->vcpus[i]->state = VCPU_STOPPED;
			exits += vm->vcpus[i]->exits;
			used += vm->vcpus[i]->tsc_used;
		}
	passthrough_quiesce(vm);
	vm_console_flush(vm);
	log_info("vm %s: %lu VM exits", vm->name, exits);
	/* hv's own accounting of the CPU time its vCPUs got (the share
	 * tests compare it with the guests' count), in permille of one CPU
	 * over the VM's life. */
	if (vm->start_tsc && life >= 1000)
		log_info("vm %s: CPU time %lu TSC ticks over %lu (%lu permille "
			 "of a CPU)", vm->name, used, life, used / (life / 1000));
}

static void stop_now(struct vm *vm, const char *why)
{
	stop_vcpus(vm);
	log_info("vm %s: stopped: %s", vm->name, why);
}

/* A reset is carried out by the scheduler between slices, never inside
 * the exit handler that asked for it: zeroing a large VM's
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
	vm->resets++;
}

/* The vCPUs' reset state (SDM Vol. 3A 10.1, Table 10-1): registers and
 * the local APIC here; XCR0, FPU/SSE/AVX, the MSRs and debug registers
 * the CPU holds for them (forgotten, so nothing of the old run is saved
 * over them or survives), the VMCS and the VPID's TLB entries by the CPU
 * that runs each vCPU (vcpu_reset_local, vmx/vcpu_run.c): this one for
 * the boot vCPU, whose turn this is, at once, as its image is loaded into
 * its VMCS next; the others' CPUs before they next run them.  Stale EPT
 * translations (SDM Vol. 3C 29.4.3): every CPU flushes before it next
 * enters the VM (ept_gen). */
static bool finish_reset(struct vm *vm, const char **why)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		memset(&v->regs, 0, sizeof(v->regs));
		v->mtrr_def_type = MTRR_DEF_TYPE_WB_ENABLED;
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		v->start_pending = v->halted_for_good = false;
		v->hlt_nmi_blocked = false;
		v->tsc_adjust = 0;
		v->misc_enable = MISC_ENABLE_RESET;
		vlapic_reset(v);
		__atomic_store_n(&v->reset_pending, true, __ATOMIC_SEQ_CST);
	}
	vcpu_reset_local(vm->vcpus[0]);
	vioapic_reset(vm->ioapic);
	vm_devices_reset(vm);
	passthrough_reset(vm);
	__atomic_add_fetch(&vm->ept_gen, 1, __ATOMIC_SEQ_CST);
	vm->state = VM_RUNNING;
	return load_image(vm, why) && vm_audit(vm, why);
}

void vm_reset_step(struct vm *vm)
{
	uint64_t n = vm->ram_size - vm->reset_zeroed;
	const char *why = "";

	if (n > VM_RESET_CHUNK)
		n = VM_RESET_CHUNK;
	/* A clone starts again from its image, as any VM: its RAM is all
	 * its own from now on (cleared next, not copied). */
	if (!vm->reset_zeroed)
		clone_ram_unshare(vm, false);
	/* A snapshot sharing this RAM copy-on-write copies it first. */
	snapshot_host_write(vm, vm->reset_zeroed, n);
	memset((uint8_t *)phys_to_virt(vm->ram_hpa) + vm->reset_zeroed, 0, n);
	vm->reset_zeroed += n;
	if (vm->reset_zeroed == vm->ram_size && !finish_reset(vm, &why)) {
		char reason[160];
		snprintf(reason, sizeof(reason), "restart failed: %s", why);
		stop_now(vm, reason);
	}
}

/* A stopped or exited VM starts again from its image, as after a reset:
 * its RAM is cleared and reloaded by its boot vCPU's turns. */
bool vm_start_again(struct vm *vm)
{
	if (!spin_trylock(&vm->lifecycle))
		return false;
	if (vm->state != VM_STOPPED) {
		spin_unlock(&vm->lifecycle);
		return false;
	}
	vm->has_exit_status = false;
	vm->restarts = 0;
	vm->state = VM_RUNNING;
	request_reset(vm);
	spin_unlock(&vm->lifecycle);
	log_info("vm %s: starting again", vm->name);
	vcpu_notify(vm->vcpus[0]);
	return true;
}

static void restart_now(struct vm *vm, const char *why)
{
	vm_console_flush(vm);
	log_info("vm %s: %s; restarting", vm->name, why);
	request_reset(vm);
}

static void crash_now(struct vm *vm, const char *reason)
{
	char why[260];

	if (vm->cfg->on_crash != CFG_CRASH_RESTART) {
		stop_now(vm, reason);
		return;
	}
	if (vm->restarts == VM_MAX_RESTARTS) {
		snprintf(why, sizeof(why),
			 "%s (crashed %u times; not restarting again)", reason,
			 vm->restarts + 1);
		stop_now(vm, why);
		return;
	}
	vm->restarts++;
	vm_console_flush(vm);
	log_info("vm %s: crashed (%s); restarting (%u of %u)", vm->name,
		 reason, vm->restarts, VM_MAX_RESTARTS);
	request_reset(vm);
}

static void end_now(struct vm *vm, uint32_t status)
{
	stop_vcpus(vm);
	vm->has_exit_status = true;
	vm->exit_status = status;
}

static void carry_out(struct vm *vm, enum vm_request req);

/* Until no vCPU of the VM runs: each leaves its guest at its next exit,
 * and the kick vm_request.c sent makes that exit come at once. */
static void wait_vcpus_out(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++)
		while (__atomic_load_n(&vm->vcpus[i]->running, __ATOMIC_SEQ_CST))
			cpu_relax();
}

/* Whichever CPU gets here first carries the request out, once no vCPU
 * of the VM runs; the others find it taken (or done) and go on. */
void vm_handle_request(struct vm *vm)
{
	enum vm_request req;

	if (!spin_trylock(&vm->lifecycle))
		return;
	req = __atomic_load_n(&vm->request, __ATOMIC_SEQ_CST);
	if (req == VM_REQ_NONE) {
		spin_unlock(&vm->lifecycle);
		return;
	}
	wait_vcpus_out(vm);
	carry_out(vm, req);
	__atomic_store_n(&vm->request, VM_REQ_NONE, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->request_claimed, false, __ATOMIC_SEQ_CST);
	spin_unlock(&vm->lifecycle);
	/* A reset is carried by the boot vCPU's turns, on its CPU. */
	if (vm->vcpus[0]->state == VCPU_RESETTING)
		vcpu_notify(vm->vcpus[0]);
}

static void carry_out(struct vm *vm, enum vm_request req)
{
	switch (req) {
	case VM_REQ_NONE:
		break;
	case VM_REQ_STOP:
		stop_now(vm, vm->request_why);
		break;
	case VM_REQ_CRASH:
		crash_now(vm, vm->request_why);
		break;
	case VM_REQ_RESTART:
		restart_now(vm, vm->request_why);
		break;
	case VM_REQ_EXIT:
		end_now(vm, vm->request_status);
		log_info("vm %s: exited with status %u (unclaimed I/O: %lu "
			 "reads, %lu writes)", vm->name, vm->request_status,
			 vm->unclaimed_reads, vm->unclaimed_writes);
		break;
	case VM_REQ_POWER_OFF:
		end_now(vm, 0);
		log_info("vm %s: powered off (ACPI S5)", vm->name);
		break;
	case VM_REQ_PAUSE:
		__atomic_store_n(&vm->paused, true, __ATOMIC_SEQ_CST);
		vm_console_flush(vm);
		log_info("vm %s: paused", vm->name);
		break;
	}
}
