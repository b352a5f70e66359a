/* AP start-up follows the universal algorithm of SDM Vol. 3A 10.4.4.1
 * (and the MP specification's timings, B.4): INIT, 10 ms, STARTUP,
 * 200 us, STARTUP; one AP at a time, each answering before the next is
 * started, so start-up is deterministic and its log in order.
 *
 * The STARTUP IPI leaves the AP in real mode in the trampoline page; the
 * trampoline (arch/ap_trampoline.S) must load CR3 while still in 32-bit
 * mode, so its page tables must lie below 4 GiB, and it runs at its
 * physical address, which the kernel's tables do not map.  So the start-up
 * tables are built here: a PML4 below 4 GiB that maps the trampoline page
 * at its physical address and shares the kernel's upper half (direct map,
 * kernel image), freed once every AP has started.  ap_entry switches to
 * the kernel's own tables at once. */
#include "smp.h"

#include <stdio.h>
#include <string.h>

#include "../kernel/log.h"
#include "../kernel/memory.h"
#include "../kernel/page_alloc.h"
#include "../kernel/panic.h"
#include "../kernel/spinlock.h"
#include "ap_trampoline.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "msr.h"
#include "paging.h"
#include "percpu.h"
#include "tsc.h"
#include "vectors.h"

#define AP_STACK_PAGES 8       /* 32 KiB, as the boot CPU's (entry.S) */
#define INIT_DELAY_US 10000    /* INIT -> first STARTUP (SDM 10.4.4.1) */
#define STARTUP_DELAY_US 200   /* after each STARTUP */
#define AP_ANSWER_MS 1000      /* STARTUP -> the AP's "online" */
#define STOP_WAIT_MS 100       /* NMI -> the other CPUs halted */
#define LOW_4G (1ull << 32)
#define REAL_MODE_TOP (1ull << 20)
#define PML4_KERNEL_FIRST 256  /* the upper half's first PML4 slot */
#define PML4_ENTRIES 512

static unsigned online = 1;
static unsigned stopped;

/* What the AP being started reads once it runs C (the boot CPU waits for
 * its answer before changing any of it). */
static struct {
	unsigned cpu;
	uint32_t apic_id;
	uint64_t cr0, cr4, efer, pat;
	void (*main)(void);
	int answered;
} ap_boot;

/* Read by ap_entry (arch/ap_trampoline.S). */
uint64_t smp_ap_cr3;
void smp_ap_start(void);

unsigned smp_online_cpus(void)
{
	return online;
}

static uint64_t low_table_alloc(void *opaque)
{
	uint64_t phys = page_alloc_below(1, 1, LOW_4G);
	(void)opaque;
	if (phys)
		memset(phys_to_virt(phys), 0, PAGE_SIZE);
	return phys;
}

static bool startup_tables_build(struct pt_ctx *pt, uint64_t tramp)
{
	const uint64_t *kroot = phys_to_virt(mmu_root());
	uint64_t *root;

	*pt = (struct pt_ctx){ .alloc_table = low_table_alloc,
			       .free_table = page_table_free,
			       .phys_to_virt = phys_to_virt };
	if (pt_init(pt))
		return false;
	/* Read-only, executable: the trampoline only reads its page. */
	if (pt_map(pt, tramp, tramp, PAGE_SIZE, 0, false)) {
		pt_destroy(pt);
		return false;
	}
	root = phys_to_virt(pt->root);
	for (unsigned i = PML4_KERNEL_FIRST; i < PML4_ENTRIES; i++)
		root[i] = kroot[i];
	return true;
}

static void startup_tables_free(struct pt_ctx *pt)
{
	uint64_t *root = phys_to_virt(pt->root);

	/* The upper half is the kernel's: not ours to free. */
	for (unsigned i = PML4_KERNEL_FIRST; i < PML4_ENTRIES; i++)
		root[i] = 0;
	pt_destroy(pt);
}

static struct ap_trampoline_params *trampoline_install(uint64_t tramp,
						       uint64_t cr3)
{
	uint8_t *page = phys_to_virt(tramp);
	size_t len = (size_t)(ap_trampoline_end - ap_trampoline_start);
	struct ap_trampoline_params *p;

	memcpy(page, ap_trampoline_start, len);
	p = (void *)(page + (ap_trampoline_params - ap_trampoline_start));
	*p = (struct ap_trampoline_params){
		.gdt_limit = (uint16_t)(ap_trampoline_gdt_end -
					ap_trampoline_gdt - 1),
		.gdt_base = (uint32_t)(tramp + (ap_trampoline_gdt -
						ap_trampoline_start)),
		.pm32_offset = (uint32_t)(tramp + (ap_trampoline_pm32 -
						   ap_trampoline_start)),
		.pm32_sel = APT_SEL_CODE32,
		.lm64_offset = (uint32_t)(tramp + (ap_trampoline_lm64 -
						   ap_trampoline_start)),
		.lm64_sel = APT_SEL_CODE64,
		.cr3 = (uint32_t)cr3,
		.entry = (uint64_t)ap_entry,
	};
	return p;
}

static bool ap_stack(struct percpu *p)
{
	uint64_t base;

	if (p->stack_top)
		return true; /* kept from an AP that did not answer */
	base = page_alloc(AP_STACK_PAGES, 1);
	if (!base)
		return false;
	p->stack_top = (uint64_t)phys_to_virt(base) + AP_STACK_PAGES * PAGE_SIZE;
	return true;
}

static bool start_ap(unsigned cpu, uint32_t apic_id, uint64_t tramp,
		     struct ap_trampoline_params *params)
{
	struct percpu *p = percpu_of(cpu);
	uint64_t deadline;

	if (!ap_stack(p)) {
		log_error("cpus: no memory for the stack of APIC ID %u; left "
			  "out", apic_id);
		return false;
	}
	params->stack = p->stack_top;
	ap_boot.cpu = cpu;
	ap_boot.apic_id = apic_id;
	__atomic_store_n(&ap_boot.answered, 0, __ATOMIC_RELEASE);

	lapic_send_init(apic_id);
	tsc_delay_us(INIT_DELAY_US);
	for (int i = 0; i < 2; i++) {
		lapic_send_startup(apic_id, (uint8_t)(tramp >> 12));
		tsc_delay_us(STARTUP_DELAY_US);
	}
	deadline = rdtsc() + tsc_from_ms(AP_ANSWER_MS);
	while (!__atomic_load_n(&ap_boot.answered, __ATOMIC_ACQUIRE) &&
	       (int64_t)(rdtsc() - deadline) < 0)
		cpu_relax();
	if (__atomic_load_n(&ap_boot.answered, __ATOMIC_ACQUIRE))
		return true;
	/* Back to wait-for-SIPI, so a late AP cannot run on with what the
	 * next one is given. */
	lapic_send_init(apic_id);
	log_warn("cpus: APIC ID %u did not answer INIT-SIPI-SIPI within %u "
		 "ms; left out", apic_id, AP_ANSWER_MS);
	return false;
}

/* "0-3", "0-1, 4, 6-7": sorted, runs joined. */
static void format_ids(char *buf, size_t len, const uint32_t *ids,
		       unsigned n)
{
	uint32_t s[MAX_CPUS];
	size_t at = 0;

	memcpy(s, ids, n * sizeof(*s));
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--) {
			uint32_t t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	buf[0] = '\0';
	for (unsigned i = 0; i < n && at < len; i++) {
		unsigned j = i;
		while (j + 1 < n && s[j + 1] == s[j] + 1)
			j++;
		at += (size_t)snprintf(buf + at, len - at, "%s%u", i ? ", " : "",
				       s[i]);
		if (j > i && at < len)
			at += (size_t)snprintf(buf + at, len - at, "-%u", s[j]);
		i = j;
	}
}

unsigned smp_start_aps(const uint32_t *apic_ids, unsigned n,
		       uint64_t trampoline_phys, const char *source,
		       void (*ap_main)(void))
{
	uint32_t ids[MAX_CPUS];
	uint32_t self = lapic_id();
	char list[8 * MAX_CPUS];
	struct ap_trampoline_params *params;
	struct pt_ctx pt;
	unsigned next = 1;

	static const struct panic_cpu_ops panic_ops = {
		smp_stop_others, smp_stopped_cpus, smp_stopped_here,
	};

	panic_set_cpu_ops(&panic_ops);
	ids[0] = self;
	this_cpu()->online = true;
	if (n > 1 && (!trampoline_phys || trampoline_phys >= REAL_MODE_TOP ||
		      (trampoline_phys & (PAGE_SIZE - 1)))) {
		log_error("cpus: no start-up page below 1 MiB (%lx); the APs "
			  "stay off", trampoline_phys);
		n = 0;
	} else if (n > 1 && !startup_tables_build(&pt, trampoline_phys)) {
		log_error("cpus: no memory below 4 GiB for the start-up page "
			  "tables; the APs stay off");
		n = 0;
	}
	if (n > 1) {
		params = trampoline_install(trampoline_phys, pt.root);
		smp_ap_cr3 = mmu_root();
		ap_boot.cr0 = read_cr0();
		ap_boot.cr4 = read_cr4() & ~CR4_VMXE;
		ap_boot.efer = rdmsr(MSR_IA32_EFER);
		ap_boot.pat = rdmsr(MSR_IA32_PAT);
		ap_boot.main = ap_main;
		for (unsigned i = 0; i < n; i++) {
			if (apic_ids[i] == self)
				continue;
			if (next == MAX_CPUS) {
				log_warn("cpus: only %u are used; APIC ID %u "
					 "and later stay off", MAX_CPUS,
					 apic_ids[i]);
				break;
			}
			if (start_ap(next, apic_ids[i], trampoline_phys,
				     params)) {
				ids[next++] = apic_ids[i];
				__atomic_store_n(&online, next,
						 __ATOMIC_RELEASE);
			}
		}
		startup_tables_free(&pt);
	}
	format_ids(list, sizeof(list), ids, next);
	log_info("cpus: %u online (APIC IDs %s; listed by %s)", next, list,
		 source);
	return next;
}

/* The AP's first C, on its own stack, on the kernel's page tables; GS is
 * not set yet, so percpu_init comes before anything that may log. */
void smp_ap_start(void)
{
	unsigned cpu = ap_boot.cpu;

	percpu_init(cpu, ap_boot.apic_id);
	wrmsr(MSR_IA32_EFER, ap_boot.efer);
	wrmsr(MSR_IA32_PAT, ap_boot.pat);
	write_cr0(ap_boot.cr0);
	write_cr4(ap_boot.cr4);
	lapic_init();
	this_cpu()->online = true;
	__atomic_store_n(&ap_boot.answered, 1, __ATOMIC_RELEASE);
	ap_boot.main();
	panic("cpu %u: its main function returned", cpu);
}

void smp_ap_idle(void)
{
	struct percpu *p = this_cpu();

	for (;;) {
		void (*fn)(void *);

		irq_disable();
		fn = __atomic_load_n(&p->call_fn, __ATOMIC_ACQUIRE);
		if (fn) {
			fn(p->call_arg);
			__atomic_store_n(&p->call_fn, NULL, __ATOMIC_RELEASE);
			continue;
		}
		void (*work)(void) = __atomic_exchange_n(&p->work, NULL,
							 __ATOMIC_ACQ_REL);
		if (work) {
			work();
			continue;
		}
		/* STI's one-instruction shadow (SDM Vol. 2B STI): a kick
		 * that arrives after the check above is taken in HLT, so
		 * it is never lost between the check and the sleep. */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

void smp_kick(unsigned cpu)
{
	if (cpu < online && percpu_of(cpu)->online)
		lapic_send_fixed(percpu_of(cpu)->apic_id, VECTOR_KICK);
}

void smp_kick_received(void)
{
	this_cpu()->kicks++;
}

void smp_start_work(void (*work)(void))
{
	for (unsigned i = 0; i < online; i++) {
		if (i == this_cpu_id() || !percpu_of(i)->online)
			continue;
		__atomic_store_n(&percpu_of(i)->work, work, __ATOMIC_RELEASE);
		smp_kick(i);
	}
}

static struct spinlock call_lock = SPINLOCK_INIT("smp_call");

bool smp_call_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct percpu *p;
	uint64_t deadline;
	bool done;

	if (cpu == this_cpu_id()) {
		fn(arg);
		return true;
	}
	if (cpu >= online || !percpu_of(cpu)->online)
		return false;
	p = percpu_of(cpu);
	spin_lock(&call_lock);
	if (__atomic_load_n(&p->call_fn, __ATOMIC_ACQUIRE)) {
		spin_unlock(&call_lock);
		log_error("smp: cpu %u still has an unfinished call", cpu);
		return false;
	}
	p->call_arg = arg;
	__atomic_store_n(&p->call_fn, fn, __ATOMIC_RELEASE);
	smp_kick(cpu);
	deadline = rdtsc() + tsc_from_ms(SMP_CALL_TIMEOUT_MS);
	while (!(done = !__atomic_load_n(&p->call_fn, __ATOMIC_ACQUIRE)) &&
	       (int64_t)(rdtsc() - deadline) < 0)
		cpu_relax();
	spin_unlock(&call_lock);
	if (!done)
		log_error("smp: cpu %u did not run a call within %u ms", cpu,
			  SMP_CALL_TIMEOUT_MS);
	return done;
}

/* One NMI per online CPU by APIC ID, not the all-but-self shorthand:
 * CPUs that were never started (or were left out) still run firmware
 * code or wait for SIPI, and must not be sent anything. */
unsigned smp_stop_others(void)
{
	unsigned me = this_cpu_id(), sent = 0;
	uint64_t deadline;

	for (unsigned i = 0; i < online; i++) {
		if (i == me || !percpu_of(i)->online)
			continue;
		lapic_nmi(percpu_of(i)->apic_id);
		sent++;
	}
	if (!sent)
		return 0;
	deadline = rdtsc() + tsc_from_ms(STOP_WAIT_MS);
	while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) < sent &&
	       (int64_t)(rdtsc() - deadline) < 0)
		cpu_relax();
	return sent;
}

/* Counted once per CPU: a CPU that panicked second stops here and may
 * then take the first one's NMI too. */
void smp_stopped_here(void)
{
	struct percpu *p = this_cpu();

	if (!p->stopped) {
		p->stopped = true;
		__atomic_add_fetch(&stopped, 1, __ATOMIC_RELEASE);
	}
	cpu_halt_forever();
}

unsigned smp_stopped_cpus(void)
{
	return __atomic_load_n(&stopped, __ATOMIC_ACQUIRE);
}
