#include "selftest.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/extable.h"
#include "../arch/idt.h"
#include "../arch/lapic.h"
#include "../arch/mmu.h"
#include "../arch/paging.h"
#include "../arch/percpu.h"
#include "../arch/trap.h"
#include "../drivers/vrtc.h"
#include "../vmx/ept.h"
#include "ept_audit.h"
#include "heap.h"
#include "log.h"
#include "memory.h"
#include "page_alloc.h"
#include "vm.h"
#include "vm_audit.h"

#define WHY_MAX 160

extern char __text_start[];

struct selftest {
	const char *name;
	bool (*run)(char *why);
};

static bool fail(char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
	return false;
}

/* Every frame once: each allocated frame is written (it must be real,
 * writable RAM) and chained to the previous one through its first word,
 * so freeing walks the chain and no frame can be handed out twice. */
static bool test_page_alloc(char *why)
{
	uint64_t before = page_alloc_free_frames(), count = 0, head = 0, p;

	while ((p = page_alloc(1, 1)) != 0) {
		uint64_t *page = phys_to_virt(p);
		page[0] = head;
		page[1] = ~p; /* a check word: catches a frame handed out twice */
		head = p;
		count++;
	}
	if (page_alloc_free_frames() != 0)
		return fail(why, "allocator empty but reports %lu free",
			    page_alloc_free_frames());
	if (count != before)
		return fail(why, "allocated %lu frames, expected %lu", count,
			    before);
	for (uint64_t n = 0; head; n++) {
		uint64_t *page = phys_to_virt(head);
		if (page[1] != ~head)
			return fail(why, "frame %lx overwritten (#%lu)", head, n);
		uint64_t next = page[0];
		page_free(head, 1);
		head = next;
	}
	if (page_alloc_free_frames() != before)
		return fail(why, "after freeing all: %lu free, expected %lu",
			    page_alloc_free_frames(), before);
	p = page_alloc(512, 512);
	if (!p || (p & (PAGE_SIZE_2M - 1)))
		return fail(why, "2 MiB-aligned run: got %lx", p);
	page_free(p, 512);
	log_info("selftest: page_alloc: %lu frames allocated and freed", count);
	return page_alloc_free_frames() == before ||
	       fail(why, "2 MiB run leaked");
}

#define HEAP_BLOCKS 256

static bool test_heap(char *why)
{
	static unsigned char *blocks[HEAP_BLOCKS];
	size_t used_before = heap_used();

	for (int i = 0; i < HEAP_BLOCKS; i++) {
		size_t len = 1 + (size_t)(i * 37) % 5000;
		blocks[i] = malloc(len);
		if (!blocks[i])
			return fail(why, "malloc(%zu) failed", len);
		memset(blocks[i], i & 0xff, len);
	}
	for (int i = 0; i < HEAP_BLOCKS; i++) {
		size_t len = 1 + (size_t)(i * 37) % 5000;
		for (size_t j = 0; j < len; j++)
			if (blocks[i][j] != (i & 0xff))
				return fail(why, "block %d byte %zu clobbered", i, j);
	}
	for (int i = 0; i < HEAP_BLOCKS; i += 2)
		free(blocks[i]);
	for (int i = 1; i < HEAP_BLOCKS; i += 2)
		free(blocks[i]);
	unsigned *z = calloc(1000, sizeof(*z));
	for (int i = 0; z && i < 1000; i++)
		if (z[i])
			return fail(why, "calloc memory not zero");
	free(z);
	if (!z)
		return fail(why, "calloc failed");
	if (malloc(heap_size() * 2) != NULL)
		return fail(why, "a request larger than the heap succeeded");
	log_info("selftest: heap: %zu KiB of %zu MiB arena in use",
		 heap_used() / 1024, heap_size() >> 20);
	return heap_used() >= used_before ||
	       fail(why, "heap break moved backwards");
}

/* Maps a scratch address to one page, then another, and checks that the
 * CPU sees each change (invlpg works, the tables are walked as built). */
static bool test_mapping(char *why)
{
	uint64_t a = page_alloc(1, 1), b = page_alloc(1, 1), pa, attr, v;
	volatile uint64_t *win = (volatile uint64_t *)KERNEL_SCRATCH_BASE;
	bool ok = false;

	if (!a || !b)
		return fail(why, "no pages");
	*(uint64_t *)phys_to_virt(a) = 0xaaaa0000aaaa0000ull;
	*(uint64_t *)phys_to_virt(b) = 0xbbbb0000bbbb0000ull;
	if (mmu_map(KERNEL_SCRATCH_BASE, a, PAGE_SIZE, PTE_W | PTE_NX))
		fail(why, "map failed");
	else if (*win != 0xaaaa0000aaaa0000ull)
		fail(why, "window shows %lx, not page A", *win);
	else if (!mmu_translate(KERNEL_SCRATCH_BASE, &pa, &attr) || pa != a ||
		 !(attr & PTE_NX))
		fail(why, "translate gave %lx, expected %lx NX", pa, a);
	else if ((*win = 0x1234, *(uint64_t *)phys_to_virt(a) != 0x1234))
		fail(why, "write through the window missed page A");
	else if (mmu_map(KERNEL_SCRATCH_BASE, b, PAGE_SIZE, PTE_NX) ||
		 *win != 0xbbbb0000bbbb0000ull)
		fail(why, "after remap the window shows %lx, not page B", *win);
	else if (probe_write64(win, 1) ||
		 this_cpu()->last_fault.vector != VEC_PF)
		fail(why, "write to a read-only mapping did not fault");
	else if (mmu_unmap(KERNEL_SCRATCH_BASE, PAGE_SIZE) ||
		 probe_read64(win, &v))
		fail(why, "unmapped window still readable");
	else
		ok = true;
	page_free(a, 1);
	page_free(b, 1);
	return ok;
}

/* Deliberate faults, each absorbed by the exception-table hook; the
 * kernel must come back with the right vector and address recorded. */
static bool test_fault_recovery(char *why)
{
	struct fault_record *f = &this_cpu()->last_fault;
	uint64_t v, probe = 0;

	if (probe_read64((void *)0x1000, &v) || f->vector != VEC_PF ||
	    f->cr2 != 0x1000)
		return fail(why, "read of unmapped 0x1000: vector %lu cr2 %lx",
			    f->vector, f->cr2);
	if (probe_read64((void *)0x8000000000000000ull, &v) ||
	    f->vector != VEC_GP)
		return fail(why, "non-canonical read: vector %lu", f->vector);
	if (probe_write64(__text_start, 0) || f->vector != VEC_PF ||
	    !(f->error_code & 2))
		return fail(why, "write to kernel text: vector %lu err %lx",
			    f->vector, f->error_code);
	if (!probe_read64(&probe, &v) || v != 0)
		return fail(why, "a good read failed after recovery");
	return true;
}

/* A host NMI (here one this CPU sends itself through its local APIC) is
 * logged and survived, and a second one comes too: the first handler's
 * IRET unblocked NMIs again (SDM Vol. 3A 6.7.1). */
static bool test_host_nmi(char *why)
{
	for (uint64_t want = trap_host_nmis() + 1, i = 0; i < 2; i++, want++) {
		lapic_nmi_self();
		for (int spin = 0; spin < 1000000 && trap_host_nmis() < want;
		     spin++)
			cpu_relax();
		if (trap_host_nmis() != want)
			return fail(why, "self-NMI %lu: %lu NMIs seen, expected "
				    "%lu", i + 1, trap_host_nmis(), want);
	}
	return true;
}

/* Every index the virtual RTC writes to host port 0x70 keeps the chipset's
 * NMI sources masked (bit 7) and selects the register asked for; reading
 * the host clock leaves the host CMOS lock free. */
static bool test_rtc_nmi_mask(char *why)
{
	for (unsigned r = 0; r < 0x80; r++) {
		uint8_t idx = vrtc_host_index((uint8_t)r);
		if (!(idx & 0x80) || (idx & 0x7f) != r)
			return fail(why, "register %#x: index byte %#x", r, idx);
	}
	uint8_t sec = vrtc_host_read(0x00), min = vrtc_host_read(0x02);
	(void)vrtc_host_read(0x00); /* would spin forever if the lock leaked */
	log_info("selftest: rtc_nmi_mask: host clock %02x:%02x (BCD)", min,
		 sec);
	return true;
}

/* ---- the EPT audit catches a planted bad entry ----------------------- */

#define AUDIT_TABLES 8

struct audit_pages {
	uint64_t table[AUDIT_TABLES];
	unsigned n;
};

static uint64_t audit_table_alloc(void *opaque)
{
	struct audit_pages *p = opaque;
	uint64_t t;

	if (p->n == AUDIT_TABLES || !(t = page_table_alloc(NULL)))
		return 0;
	return p->table[p->n++] = t;
}

struct audit_seen {
	unsigned n;
	struct ept_violation first;
};

static void audit_record(void *ctx, const struct ept_violation *v)
{
	struct audit_seen *s = ctx;

	if (!s->n++)
		s->first = *v;
}

/* One planted entry must give exactly this one violation. */
static bool audit_catches(struct ept_audit *a, enum ept_problem p,
			  uint64_t gpa, uint64_t hpa, char *why)
{
	struct audit_seen *s = a->ctx;
	struct ept_audit_result r;

	*s = (struct audit_seen){ 0 };
	if (ept_audit_run(a, &r) || r.violations != 1 || s->n != 1)
		return fail(why, "planted %s at gpa %lx: %lu violations",
			    ept_problem_name(p), gpa, r.violations);
	if (s->first.problem != p || s->first.gpa != gpa ||
	    s->first.hpa != hpa)
		return fail(why, "planted %s at gpa %lx: got %s gpa %lx hpa %lx",
			    ept_problem_name(p), gpa,
			    ept_problem_name(s->first.problem), s->first.gpa,
			    s->first.hpa);
	log_info("selftest: ept_audit: planted %s caught: gpa %#lx -> hpa "
		 "%#lx: %s", ept_problem_name(p), gpa, hpa, s->first.what);
	return true;
}

/* A small EPT built like a VM's (vmx/ept.c's format, page_table_alloc
 * pages through the direct map) for a 2 MiB "VM" beside a 2 MiB
 * "neighbour": it must pass, then each planted entry must be caught
 * with the right address, and removing it must make it pass again. */
static bool audit_planted(struct pt_ctx *pt, struct ept_audit *a,
			  uint64_t ram, uint64_t other, char *why)
{
	struct ept_audit_result r;
	uint64_t hole = 0x40000000; /* 1 GiB: far above the 2 MiB of RAM */

	if (pt_init(pt) || pt_map(pt, 0, ram, PAGE_SIZE_2M,
				  EPT_RWX | EPT_MT_WB, false))
		return fail(why, "cannot build the EPT");
	a->root = pt->root;
	if (!ept_audit_run(a, &r) || r.leaves != PAGE_SIZE_2M / PAGE_SIZE)
		return fail(why, "good EPT: %lu violations, %lu leaves",
			    r.violations, r.leaves);
	/* The neighbour's frame, in place of the VM's page 1. */
	pt_map(pt, PAGE_SIZE, other, PAGE_SIZE, EPT_RWX | EPT_MT_WB, false);
	if (!audit_catches(a, EPT_FOREIGN, PAGE_SIZE, other, why))
		return false;
	pt_map(pt, PAGE_SIZE, ram + PAGE_SIZE, PAGE_SIZE, EPT_RWX | EPT_MT_WB,
	       false);
	/* The EPT's own root, readable and writable in the MMIO hole. */
	if (pt_map(pt, hole, pt->root, PAGE_SIZE, EPT_R | EPT_W, false))
		return fail(why, "cannot plant");
	if (!audit_catches(a, EPT_RAM_IN_HOLE, hole, pt->root, why))
		return false;
	/* A reserved memory type (2) on the VM's own page 2. */
	pt_unmap(pt, hole, PAGE_SIZE);
	pt_map(pt, 2 * PAGE_SIZE, ram + 2 * PAGE_SIZE, PAGE_SIZE,
	       EPT_RWX | (2ull << 3), false);
	if (!audit_catches(a, EPT_MISCONFIG, 2 * PAGE_SIZE,
			   ram + 2 * PAGE_SIZE, why))
		return false;
	pt_map(pt, 2 * PAGE_SIZE, ram + 2 * PAGE_SIZE, PAGE_SIZE,
	       EPT_RWX | EPT_MT_WB, false);
	return ept_audit_run(a, &r) ||
	       fail(why, "%lu violations after the plants were removed",
		    r.violations);
}

/* The same EPT audited as a live VM's (kernel/vm_audit.c: the host's real
 * memory map and the hypervisor's own memory) with a page of the
 * hypervisor's text planted in its MMIO hole.  The VM, "planted", is
 * never registered with the scheduler or among the audited VMs (its id
 * is out of range). */
static bool audit_live(struct pt_ctx *pt, uint64_t ram, char *why)
{
	static struct vm planted;
	uint64_t text, attr, hole = 0x40000000;
	const char *err = NULL;

	if (!mmu_translate((uint64_t)__text_start, &text, &attr))
		return fail(why, "kernel text not mapped");
	planted = (struct vm){ .name = "planted", .id = CFG_MAX_VMS,
			       .ram_hpa = ram, .ram_size = PAGE_SIZE_2M,
			       .ept = *pt };
	if (!vm_audit(&planted, &err))
		return fail(why, "live audit of a good EPT failed");
	if (pt_map(pt, hole, text, PAGE_SIZE, EPT_R | EPT_X | EPT_MT_WB,
		   false))
		return fail(why, "cannot plant");
	planted.ept = *pt;
	if (vm_audit(&planted, &err))
		return fail(why, "live audit missed the hypervisor's text at "
			    "gpa %lx", hole);
	pt_unmap(pt, hole, PAGE_SIZE);
	return true;
}

static bool test_ept_audit(char *why)
{
	struct audit_pages pages = { { 0 }, 0 };
	struct audit_seen seen = { 0 };
	uint64_t ram = page_alloc(2 * PAGE_SIZE_2M / PAGE_SIZE, 1);
	struct pt_ctx pt = { .fmt = &pt_format_ept,
			     .alloc_table = audit_table_alloc,
			     .phys_to_virt = phys_to_virt, .opaque = &pages };
	bool ok;

	if (!ram)
		return fail(why, "no pages");
	struct ept_region other = { ram + PAGE_SIZE_2M, PAGE_SIZE_2M,
				    "the neighbour's RAM" };
	struct ept_audit a = {
		.phys_to_virt = phys_to_virt, .readable_end = UINT64_MAX,
		.phys_bits = 0 /* 52: no plant here uses high bits */, .ram_hpa = ram, .ram_size = PAGE_SIZE_2M,
		.named = &other, .nnamed = 1,
		.report = audit_record, .ctx = &seen,
	};
	ok = audit_planted(&pt, &a, ram, ram + PAGE_SIZE_2M, why) &&
	     audit_live(&pt, ram, why);
	for (unsigned i = 0; i < pages.n; i++)
		page_free(pages.table[i], 1);
	page_free(ram, 2 * PAGE_SIZE_2M / PAGE_SIZE);
	return ok;
}

static const struct selftest selftests[] = {
	{ "page_alloc", test_page_alloc },
	{ "heap", test_heap },
	{ "mapping", test_mapping },
	{ "fault_recovery", test_fault_recovery },
	{ "host_nmi", test_host_nmi },
	{ "rtc_nmi_mask", test_rtc_nmi_mask },
	{ "ept_audit", test_ept_audit },
};

unsigned selftest_run_all(unsigned *passed, bool vmx_expected)
{
	unsigned failed = 0;

	*passed = 0;
	for (size_t i = 0; i < sizeof(selftests) / sizeof(selftests[0]); i++) {
		char why[WHY_MAX] = "";
		if (selftests[i].run(why)) {
			log_info("selftest: %s: pass", selftests[i].name);
			(*passed)++;
		} else {
			log_error("selftest: %s: FAIL (%s)", selftests[i].name,
				  why);
			failed++;
		}
	}
	failed += selftest_cpus(vmx_expected, passed);
	log_info("selftest: %u passed, %u failed", *passed, failed);
	return failed;
}
