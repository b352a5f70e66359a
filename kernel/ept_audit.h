/* The EPT audit: walks one VM's extended page tables the way the CPU
 * would (SDM Vol. 3C 29.3.2) and checks every entry against the rule that
 * makes a VM a VM.  A leaf may map only
 *   (a) the VM's own RAM run, at gpa = hpa - ram_hpa (vm.c maps it so), or
 *   (b) a passthrough BAR of the VM's own functions, at gpa = hpa, that
 *       lies outside all RAM in the host's memory map, or
 *   (c) for a clone, the snapshot copy of RAM it shares, read-only, at
 *       gpa = hpa - shared_hpa (kernel/clone_ram.c);
 * so no frame of the hypervisor (its image, page tables, heap, bitmaps,
 * VMCSs, these very EPT tables) or of another VM can be reached, and the
 * MMIO hole above RAM maps no RAM.  Every entry must also be well formed
 * (no EPT misconfiguration: SDM Vol. 3C 29.3.3.1).
 *
 * Pure logic over a description of the machine and a phys_to_virt
 * callback, so host unit tests audit synthetic EPTs built with
 * arch/paging.c; kernel/vm_audit.c fills the description from the live
 * hypervisor. */
#ifndef KERNEL_EPT_AUDIT_H
#define KERNEL_EPT_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

/* A host-physical range and what it is, for the report. */
struct ept_region {
	uint64_t base, size;
	const char *what;
};

enum ept_problem {
	EPT_MISCONFIG,    /* reserved bits, bad rights or memory type */
	EPT_FOREIGN,      /* maps a frame the VM does not own */
	EPT_RAM_ALIAS,    /* its own RAM, at the wrong guest address */
	EPT_RAM_IN_HOLE,  /* RAM mapped above the VM's RAM (the MMIO hole) */
	EPT_TABLE_PLACE,  /* a paging structure in memory the guest reaches */
};

struct ept_violation {
	enum ept_problem problem;
	int level;         /* 0: 4 KiB leaf or PT entry ... 3: PML4 entry */
	uint64_t gpa;      /* first guest-physical address it covers */
	uint64_t hpa;      /* host-physical address it names */
	uint64_t size;     /* bytes it covers */
	uint64_t entry;    /* the raw entry */
	const char *what;  /* what it hit, or which rule it breaks */
};

struct ept_audit {
	/* The EPT. */
	uint64_t root;                       /* physical address of the PML4 */
	void *(*phys_to_virt)(uint64_t phys);
	uint64_t readable_end;    /* tables at or above this are not read */
	unsigned phys_bits;       /* MAXPHYADDR: address bits above are reserved */
	bool allow_1g;            /* the CPU has 1 GiB EPT pages */
	bool execute_only;        /* the CPU has execute-only EPT entries */
	/* What it may map. */
	uint64_t ram_hpa, ram_size;          /* rule (a) */
	uint64_t shared_hpa;                 /* rule (c); 0: none */
	const struct ept_region *bars;       /* rule (b), page-aligned */
	unsigned nbars;
	/* The host: every RAM range of its memory map, and the ranges worth
	 * naming in a report (other VMs' RAM, the hypervisor's image, ...). */
	const struct ept_region *host_ram;
	unsigned nhost_ram;
	const struct ept_region *named;
	unsigned nnamed;
	/* Called once per violation. */
	void (*report)(void *ctx, const struct ept_violation *v);
	void *ctx;
};

struct ept_audit_result {
	uint64_t leaves, tables, violations;
};

/* Walks the whole EPT; fills *r.  True when no violation was found. */
bool ept_audit_run(const struct ept_audit *a, struct ept_audit_result *r);

/* "misconfigured", "foreign frame", ... */
const char *ept_problem_name(enum ept_problem p);

#endif
