/* Not on the fast paths make bench measures: VMCS accessors out of
 * line, for size (vmx/vmcs.h). */
#define VMCS_ACCESS_OUT_OF_LINE

#include "ept.h"

/* Tables grant RWX so the leaf decides; a leaf carries its own rights and
 * memory type. */
const struct pt_format pt_format_ept = {
	.present = EPT_RWX,
	.table_attr = EPT_RWX,
	.attr_mask = EPT_RWX | (7ull << 3) | EPT_IGNORE_PAT,
	.leaf_fixed = 0,
};

#define EPTP_MT_WB 6ull
#define EPTP_WALK_4 (3ull << 3) /* page-walk length minus one */
#define EPTP_AD (1ull << 6)

uint64_t ept_pointer(uint64_t root, int ad_flags)
{
	return root | EPTP_MT_WB | EPTP_WALK_4 | (ad_flags ? EPTP_AD : 0);
}

/* An EPT violation is either a device access (a registered MMIO range)
 * or a guest touching a guest-physical address with neither RAM nor a
 * device.  The hypervisor's memory and other VMs' memory are simply absent
 * from its EPT, so this is where every escape attempt ends (SDM Vol. 3C
 * 29.3.3.2): nothing is ever mapped or reached here.  Such an access
 * behaves as on a PC's bus, where no one answers (unassigned_memory =
 * ones, the default): the decoded instruction reads all ones and its
 * write goes nowhere; or, with unassigned_memory = stop, the VM stops. */
#include "../kernel/clone_ram.h"
#include "../kernel/log.h"
#include "../kernel/snapshot.h"
#include "event.h"
#include "exit.h"
#include "vmcs.h"

/* What mmio_emulate can complete: a data access by the instruction at
 * RIP.  Not a fetch (the device's bytes would have to be executed), nor
 * a guest page walk or an event delivery, which no instruction decoder
 * sees (SDM Vol. 3C 28.2.1, Table 28-7 bits 7-8, and 28.2.4). */
static bool insn_data_access(const struct exit_info *e)
{
	uint64_t q = e->qualification;

	if (q & EPT_QUAL_FETCH)
		return false;
	if ((q & EPT_QUAL_GLA_VALID) && !(q & EPT_QUAL_GLA_TRANSLATED))
		return false;
	return !(e->idt_vectoring & INTR_INFO_VALID);
}

/* What can be completed as a bus access that no one answers. */
static bool completes_as_ones(const struct vcpu *v, const struct exit_info *e)
{
	return v->vm->cfg->unassigned == CFG_UNASSIGNED_ONES &&
	       insn_data_access(e);
}

enum exit_action handle_ept_violation(struct vcpu *v,
				      const struct exit_info *e)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	uint64_t q = e->qualification;
	const char *kind = (q & EPT_QUAL_WRITE)   ? "write"
			   : (q & EPT_QUAL_FETCH) ? "instruction fetch"
						  : "read";

	if (io_bus_find(&v->vm->mmio, gpa, 1)) {
		if (insn_data_access(e))
			return mmio_emulate(v, e, gpa);
		/* Code, page tables, an IDT or a stack in a device's range:
		 * not emulated (the instruction at RIP is not the access). */
		vm_crash(v->vm, "%s at guest-physical %#lx, in a device's "
			 "range, by %s (guest rip %#lx)", kind, gpa,
			 (q & EPT_QUAL_FETCH) ? "an instruction fetch"
			 : (e->idt_vectoring & INTR_INFO_VALID)
				 ? "an event's delivery" : "a page walk",
			 e->guest_rip);
		return EXIT_STOPPED;
	}
	/* A write to RAM that a copy-on-write snapshot protects: the page's
	 * old contents go to the snapshot first, then the guest writes. */
	if ((q & EPT_QUAL_WRITE) && gpa < v->vm->ram_size &&
	    snapshot_cow_fault(v->vm, gpa))
		return EXIT_RESUME;
	/* A clone writes a page it still shares with its snapshot: it gets
	 * its own copy, then writes. */
	if ((q & EPT_QUAL_WRITE) && gpa < v->vm->ram_size &&
	    clone_ram_fault(v->vm, gpa))
		return EXIT_RESUME;
	/* The EPT allows the access now: the translation this CPU used was
	 * stale, from before a right was given back (a snapshot's copy-on-
	 * write ended, another vCPU's fault made the page writable), which
	 * needs no flush.  The violation itself dropped that translation
	 * (SDM Vol. 3C 29.4.3.1), so the retry uses the EPT as it is.  The
	 * qualification's bits 2:0 (read, write, fetch) line up with a
	 * leaf's R, W, X (Table 28-7, 29.3.2). */
	if (gpa < v->vm->ram_size && ept_allows(v->vm, gpa, q & EPT_RWX))
		return EXIT_RESUME;
	if (completes_as_ones(v, e)) {
		if (!v->vm->unassigned_logged) {
			v->vm->unassigned_logged = true;
			log_warn("vm %s: %s at guest-physical %#lx: no RAM or "
				 "device there; reads return all ones, writes "
				 "are dropped (logged once; guest rip %#lx)",
				 v->vm->name, kind, gpa, e->guest_rip);
		}
		/* No device claims gpa: the emulator reads all ones and
		 * drops the write. */
		return mmio_emulate(v, e, gpa);
	}
	vm_crash(v->vm, "EPT violation: %s at guest-physical %#lx, outside "
		       "its memory (guest rip %#lx)", kind, gpa, e->guest_rip);
	return EXIT_STOPPED;
}

/* Our EPT entries are built by one function with fixed rights and types;
 * a misconfiguration means that builder is wrong: our bug, loudly. */
enum exit_action handle_ept_misconfig(struct vcpu *v,
				      const struct exit_info *e)
{
	log_error("vm %s: EPT MISCONFIGURATION at guest-physical %#lx: a "
		  "hypervisor bug",
		  v->vm->name, vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return exit_unexpected(v, e);
}

/* ---- write protection for copy-on-write snapshots (kernel/snapshot.c) */

/* A walk as the CPU does it (SDM Vol. 3C 29.3.2): bit 7 ends it early
 * at a 1 GiB or 2 MiB page. */
uint64_t *ept_leaf(struct vm *vm, uint64_t gpa, uint64_t *base,
		   uint64_t *size)
{
	uint64_t *table = phys_to_virt(vm->ept.root);

	for (int level = 3; level >= 0; level--) {
		unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t *e = &table[(gpa >> shift) & 511];

		if (!(*e & EPT_RWX))
			return NULL;
		if (level == 0 || (*e & PTE_PS)) {
			*size = 1ull << shift;
			*base = gpa & ~(*size - 1);
			return e;
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return NULL;
}

void ept_ram_set_writable(struct vm *vm, uint64_t gpa, uint64_t len,
			  bool writable)
{
	uint64_t end = gpa + len < vm->ram_size ? gpa + len : vm->ram_size;

	while (gpa < end) {
		uint64_t base, size, *e = ept_leaf(vm, gpa, &base, &size);

		if (!e) {
			gpa = (gpa + PAGE_SIZE) & ~(PAGE_SIZE - 1);
			continue;
		}
		if (writable)
			__atomic_or_fetch(e, EPT_W, __ATOMIC_SEQ_CST);
		else
			__atomic_and_fetch(e, ~EPT_W, __ATOMIC_SEQ_CST);
		gpa = base + size;
	}
}

bool ept_allows(struct vm *vm, uint64_t gpa, uint64_t rights)
{
	uint64_t base, size, *e = ept_leaf(vm, gpa, &base, &size);

	return e && rights && !(rights & ~__atomic_load_n(e, __ATOMIC_ACQUIRE));
}

bool ept_ram_leaf(struct vm *vm, uint64_t gpa, uint64_t *base, uint64_t *size)
{
	return ept_leaf(vm, gpa, base, size) != NULL;
}
