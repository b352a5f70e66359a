/* A clone's RAM, copy-on-write from its snapshot (see clone_ram.h).
 *
 * The EPT maps each page of a clone's RAM either to the snapshot's copy
 * (R and X only) or to the clone's own page at ram_hpa + gpa (RWX), both
 * at 4 KiB, so a first write copies one page.  Making a page the clone's
 * own changes the host-physical address a present translation names,
 * so no CPU may keep using the old one: another vCPU of the clone could
 * otherwise go on reading the snapshot's page after this one wrote its
 * own (SDM Vol. 3C 29.4.3.1 lists when a CPU may use cached EPT
 * translations).  Each change is therefore followed by vm_ept_shootdown
 * before the writer goes on, as Linux's KVM flushes remote TLBs when it
 * breaks a shared page. */
#include "clone_ram.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../vmx/ept.h"
#include "../vmx/vcpu_run.h"
#include "memory.h"
#include "vm.h"

/* Its own page for the one at gpa, if that is still shared; true if it
 * was.  Under vm->cow_lock. */
static bool own_page(struct vm *vm, uint64_t gpa, bool copy)
{
	uint64_t base, size, *e = ept_leaf(vm, gpa, &base, &size);
	uint64_t own = vm->ram_hpa + base;

	if (!e || (*e & EPT_W))
		return false;
	if (copy)
		memcpy(phys_to_virt(own), phys_to_virt(vm->cow_hpa + base), size);
	__atomic_store_n(e, (*e & ~PTE_ADDR_MASK) | EPT_W | own,
			 __ATOMIC_SEQ_CST);
	vm->cow_shared -= size / PAGE_SIZE;
	return true;
}

bool clone_ram_map(struct vm *vm, uint64_t shared_hpa)
{
	if (pt_map(&vm->ept, 0, shared_hpa, vm->ram_size,
		   EPT_R | EPT_X | EPT_MT_WB, false))
		return false;
	vm->cow_shared = vm->ram_size / PAGE_SIZE;
	__atomic_store_n(&vm->cow_hpa, shared_hpa, __ATOMIC_RELEASE);
	return true;
}

bool clone_ram_fault(struct vm *vm, uint64_t gpa)
{
	uint64_t t0 = rdtsc(), flags, base, size;
	bool owned;

	if (!__atomic_load_n(&vm->cow_hpa, __ATOMIC_ACQUIRE))
		return false;
	flags = spin_lock_irqsave(&vm->cow_lock);
	if (!vm->cow_hpa) { /* unshared meanwhile: retry with the new map */
		spin_unlock_irqrestore(&vm->cow_lock, flags);
		return ept_leaf(vm, gpa, &base, &size) != NULL;
	}
	owned = own_page(vm, gpa, true);
	if (owned) {
		vm_ept_shootdown(vm);
		vm->cow_copies++;
		vm->cow_ticks += rdtsc() - t0;
	}
	spin_unlock_irqrestore(&vm->cow_lock, flags);
	/* Not owned now: another vCPU made it the clone's first, and this
	 * one's translation was stale (the violation dropped it), or gpa is
	 * not RAM at all (false). */
	return owned || ept_leaf(vm, gpa, &base, &size) != NULL;
}

void clone_ram_own(struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t flags, end = gpa + len;
	bool any = false;

	flags = spin_lock_irqsave(&vm->cow_lock);
	if (vm->cow_hpa) {
		for (uint64_t p = gpa & ~(PAGE_SIZE - 1); p < end; p += PAGE_SIZE)
			any |= own_page(vm, p, true);
		if (any)
			vm_ept_shootdown(vm);
	}
	spin_unlock_irqrestore(&vm->cow_lock, flags);
}

void clone_ram_unshare(struct vm *vm, bool copy)
{
	uint64_t flags = spin_lock_irqsave(&vm->cow_lock);

	if (vm->cow_hpa) {
		for (uint64_t p = 0; p < vm->ram_size; p += PAGE_SIZE)
			own_page(vm, p, copy);
		vm_ept_shootdown(vm);
		__atomic_store_n(&vm->cow_hpa, 0, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&vm->cow_lock, flags);
}
