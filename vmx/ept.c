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
 * or a guest touching memory it does not have, which stops the VM: the
 * hypervisor's memory and other VMs' memory are simply absent from its
 * EPT, so this is where every escape attempt ends (SDM Vol. 3C 29.3.3.2). */
#include "../kernel/log.h"
#include "exit.h"
#include "vmcs.h"

enum exit_action handle_ept_violation(struct vcpu *v,
				      const struct exit_info *e)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	uint64_t q = e->qualification;
	const char *kind = (q & EPT_QUAL_WRITE)   ? "write"
			   : (q & EPT_QUAL_FETCH) ? "instruction fetch"
						  : "read";

	if (io_bus_find(&v->vm->mmio, gpa, 1))
		return mmio_emulate(v, e, gpa);
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
