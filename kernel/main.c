/* The kernel's start: from the UEFI stage's hand-off to the idle policy.
 * The order matters: per-CPU data and exception handling first (so that
 * any fault is reported), then the console, memory, and the rest. */
#include <stdio.h>
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/ioapic.h"
#include "../arch/lapic.h"
#include "../arch/mmu.h"
#include "../arch/paging.h"
#include "../arch/percpu.h"
#include "../arch/smp.h"
#include "../arch/spec_ctrl.h"
#include "../arch/tsc.h"
#include "../boot/boot_info.h"
#include "../vmx/vcpu_run.h"
#include "../drivers/pci.h"
#include "../drivers/pic8259.h"
#include "../vmx/vmx.h"
#include "acpi.h"
#include "acpi_madt.h"
#include "config.h"
#include "console.h"
#include "cpu_list.h"
#include "heap.h"
#include "log.h"
#include "memory.h"
#include "modules.h"
#include "monitor.h"
#include "page_alloc.h"
#include "panic.h"
#include "passthrough.h"
#include "power.h"
#include "sched.h"
#include "selftest.h"
#include "snapshot.h"
#include "vm_audit.h"
#include "vm_console.h"
#include "vm_lifecycle.h"

void kmain(uint64_t boot_info_phys);

static struct hv_config config;

static uint32_t bsp_apic_id(const struct boot_info *bi)
{
	for (unsigned i = 0; i < bi->ncpus; i++)
		if (bi->cpus[i].is_bsp)
			return bi->cpus[i].apic_id;
	return cpuid(1, 0).ebx >> 24;
}

/* The UEFI stage already accepted this text; a failure here means the two
 * disagree, which is our bug. */
/* hv.cfg as the UEFI stage parsed and checked it (the parser lives there
 * alone; the kernel does not carry a second copy). */
static void load_config(const struct boot_info *bi)
{
	if (bi->config_parsed_size != sizeof(config))
		panic("boot_info: parsed hv.cfg of %lu bytes, expected %zu",
		      bi->config_parsed_size, sizeof(config));
	memcpy(&config, phys_to_virt(bi->config_parsed), sizeof(config));
	console_init(config.serial_port);
	log_set_level(config.log);
	panic_set_poweroff(config.on_idle == CFG_IDLE_POWEROFF);
}

/* The host's I/O APIC, for forwarding passed-through devices' lines:
 * the MADT says where it is; without one, the PC's standard place. */
static void ioapic_setup(const struct boot_info *bi)
{
	const uint8_t *madt = acpi_find_madt(bi->acpi_rsdp);
	struct acpi_madt_info info;
	uint32_t len;

	if (madt) {
		memcpy(&len, madt + 4, sizeof(len));
		if (acpi_madt_parse(madt, len, &info) && ioapic_init(&info)) {
			log_info("ioapic: MADT: at %#x, GSIs %u-%u",
				 info.ioapic_addr, info.ioapic_gsi_base,
				 info.ioapic_gsi_base + ioapic_npins() - 1);
			return;
		}
	}
	if (ioapic_init_pc_default())
		log_info("ioapic: no MADT; version %#x at %#x, GSIs 0-%u",
			 ioapic_version(), IOAPIC_PC_BASE, ioapic_npins() - 1);
	else
		log_info("ioapic: none found; device interrupts are not "
			 "forwarded");
}

static void print_summary(const struct boot_info *bi)
{
	uint64_t usable = page_alloc_usable_frames() * PAGE_SIZE;
	uint64_t free_b = page_alloc_free_frames() * PAGE_SIZE;

	log_info("memory: %lu MiB usable, %lu MiB free after start-up, "
		 "direct map %lu GiB, kernel %lu KiB at %lx",
		 usable >> 20, free_b >> 20, bi->direct_map_size >> 30,
		 bi->kernel_size >> 10, bi->kernel_phys);
	log_info("tsc: %lu kHz", tsc_calibrate() / 1000);
	log_info("acpi: %s", bi->acpi_rsdp ? "RSDP found" : "no RSDP");
	pci_log_devices();
	for (unsigned i = 0; i < bi->nmodules; i++)
		log_info("file %s: %lu bytes at %lx", bi->modules[i].path,
			 bi->modules[i].size, bi->modules[i].phys);
}

/* What each AP runs once it is set up (arch/smp.c).  The scheduler's
 * per-CPU loop belongs here; until then the AP sleeps in HLT and runs
 * what the boot CPU asks of it (smp_call_on). */
static void ap_main(void)
{
	smp_ap_idle();
}

static void start_cpus(const struct boot_info *bi)
{
	uint32_t ids[MAX_CPUS];
	const char *source;
	unsigned n = cpu_list_collect(bi, lapic_id(), ids, MAX_CPUS, &source);

	smp_start_aps(ids, n, bi->trampoline_phys, source, ap_main);
}

static void vmx_on_here(void *ok)
{
	*(bool *)ok = vmx_cpu_enable();
	if (*(bool *)ok)
		log_info("cpu %u: vmx on", this_cpu_id());
}

/* VMX root operation on every CPU: the boot CPU first (its line gives
 * the controls every CPU's VMCSs use), then each AP in turn, which logs
 * "cpu N: vmx on" itself.  False if the boot CPU cannot; an AP that
 * cannot is logged (its percpu says vmx_on = false). */
static bool vmx_start_all(void)
{
	/* Static: an AP that answers after the timeout still writes into a
	 * live variable. */
	static bool ok[MAX_CPUS];

	if (!vmx_controls_init() || !vmx_cpu_enable()) {
		log_error("vmx: cannot enter VMX operation; no VM runs");
		return false;
	}
	log_info("vmx: on; controls pin %#x cpu %#x cpu2 %#x exit %#x entry "
		 "%#x", vmx_ctls.pin, vmx_ctls.cpu, vmx_ctls.cpu2,
		 vmx_ctls.exit, vmx_ctls.entry);
	for (unsigned cpu = 0; cpu < smp_online_cpus(); cpu++) {
		if (!smp_call_on(cpu, vmx_on_here, &ok[cpu]) || !ok[cpu])
			log_error("cpu %u: cannot enter VMX operation", cpu);
	}
	return true;
}

static struct vm *vms[CFG_MAX_VMS];
static bool vmx_ready;

/* Where each VM's vCPUs run, from hv.cfg and the CPUs in VMX operation.
 * The UEFI stage checked the file against the CPUs the firmware listed;
 * a CPU that did not start, or cannot enter VMX operation, may still
 * make it fail here, and then no VM starts (the line says why). */
static bool place_vms(struct cfg_placement *p)
{
	uint64_t host = 0;
	struct config_error err;

	for (unsigned cpu = 0; cpu < smp_online_cpus(); cpu++)
		if (percpu_of(cpu)->vmx_on)
			host |= 1ull << cpu;
	if (config_place(&config, host, p, &err) == 0)
		return true;
	log_error("hv.cfg:%u: %s (CPUs in VMX operation: %#lx); no VM runs",
		  err.line, err.msg, host);
	return false;
}

/* Three lines for whoever sits at the console (`make run`): where typing
 * goes, the keys, and how to leave. */
static void console_hint(void)
{
	const char *focus = vm_console_focused();

	if (!focus)
		return;
	log_info("console: what you type goes to vm %s; Ctrl-A n moves it to "
		 "the next VM, Ctrl-A 1-9 to VM 1-9", focus);
	log_info("console: Ctrl-A m opens hv's monitor ('help' lists its "
		 "commands, 'quit' closes it)");
	log_info("console: to leave, stop the machine (make run: Ctrl-C in "
		 "Bochs, Ctrl-T x in QEMU)");
}

/* Creates every configured VM and runs them until none can run.  A VM
 * that cannot be created is reported and skipped. */
static void run_vms(void)
{
	static struct cfg_placement placement;
	char line[256]; /* spec_ctrl_describe's line, ~190 characters */

	if (!config.nvms || !vmx_ready)
		return;
	spec_ctrl_init();
	spec_ctrl_describe(line, sizeof(line));
	log_info("speculation: %s", line);
	if (!place_vms(&placement))
		return;
	sched_init(smp_online_cpus());
	/* With on_idle = halt hv stays up for the operator after the last
	 * vCPU stops: the monitor can start a VM again. */
	monitor_init(vms, config.nvms, config.on_idle != CFG_IDLE_POWEROFF);
	snapshot_init(config.snapshot_memory);
	for (unsigned i = 0; i < config.nvms; i++) {
		const struct vm_config *c = &config.vms[i];
		bool dedicated = c->sched == CFG_SCHED_DEDICATED;

		vms[i] = vm_create(c, i);
		if (vms[i] && !c->autostart) {
			/* Created, waiting for the monitor's `start`. */
			vms[i]->paused = vms[i]->waits_for_start = true;
			log_info("vm %s: created; waits for 'start' (Ctrl-A m "
				 "opens the monitor)", c->name);
		}
		for (unsigned j = 0; vms[i] && j < vms[i]->nvcpus; j++)
			sched_add(vms[i]->vcpus[j],
				  dedicated ? 1ull << placement.vcpu_cpu[i][j]
					    : placement.cpus[i],
				  dedicated, -1);
	}
	console_hint();
	/* Every CPU runs its share; the run ends when none has work. */
	smp_start_work(sched_run);
	sched_run();
}

static void vm_outcome(char *buf, size_t len)
{
	unsigned exited = 0, stopped = 0, failed = 0;

	for (unsigned i = 0; i < config.nvms; i++) {
		if (!vms[i])
			failed++;
		else if (vms[i]->has_exit_status)
			exited++;
		else
			stopped++;
	}
	snprintf(buf, len, "; VMs: %u exited, %u stopped, %u not started",
		 exited, stopped, failed);
}

static void idle(void)
{
	unsigned passed = 0, failed = 0;
	char outcome[160] = "idle";
	size_t n;

	if (config.nvms)
		vmx_ready = vmx_start_all();
	if (config.selftest)
		failed = selftest_run_all(&passed, vmx_ready);
	run_vms();
	if (config.on_idle == CFG_IDLE_POWEROFF) {
		n = strlen(outcome);
		if (config.selftest)
			n += (size_t)snprintf(outcome + n, sizeof(outcome) - n,
					      "; self-tests: %u passed, %u failed",
					      passed, failed);
		if (config.nvms)
			vm_outcome(outcome + n, sizeof(outcome) - n);
		power_off(outcome);
	}
	log_info("hv: idle; halting the boot CPU");
	cpu_halt_forever();
}

void kmain(uint64_t boot_info_phys)
{
	const struct boot_info *bi = phys_to_virt(boot_info_phys);

	percpu_init(0, bsp_apic_id(bi));
	console_init(0x3f8);
	vm_console_init();
	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION)
		panic("boot_info magic/version mismatch (%lx v%u)", bi->magic,
		      bi->version);
	load_config(bi);
	log_info("hv: kernel started (boot_info at %lx)", boot_info_phys);
	vcpu_run_boot_times(bi->start_tsc, bi->handoff_tsc);
	page_alloc_init(bi);
	mmu_init(bi);
	heap_init();
	lapic_init();
	pic_disable();
	ioapic_setup(bi);
	power_init(bi);
	passthrough_init(bi->acpi_rsdp);
	modules_init(bi);
	vm_audit_init(bi, config.selftest);
	print_summary(bi);
	start_cpus(bi);
	idle();
}
