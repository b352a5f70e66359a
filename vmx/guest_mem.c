#include "guest_mem.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../arch/paging.h"
#include "vmcs.h"
#include "vmcs_setup.h"

#define CR4_PSE (1ull << 4)
#define CS_AR_L (1u << 13)

bool guest_is_64bit(void)
{
	return (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) &&
	       (vmcs_read32(GUEST_CS_AR_BYTES) & CS_AR_L);
}

#define RFLAGS_VM (1ull << 17)
#define CS_AR_D (1u << 14)

unsigned guest_code_bits(void)
{
	if (guest_is_64bit())
		return 64;
	if ((vmcs_readn(GUEST_RFLAGS) & RFLAGS_VM) ||
	    !(vmcs_read32(GUEST_CS_AR_BYTES) & CS_AR_D))
		return 16;
	return 32;
}

static bool read_entry(struct vcpu *v, uint64_t gpa, unsigned width,
		       uint64_t *e)
{
	const void *p = vm_gpa_to_hva(v->vm, gpa, width);
	if (!p)
		return false;
	*e = 0;
	memcpy(e, p, width);
	return true;
}

/* Walks levels from the top: PML4 (4-level), PDPT, PD, PT; large pages
 * end the walk early (SDM Vol. 3A 4.3-4.5). */
static bool walk(struct vcpu *v, uint64_t table, uint64_t linear, int top,
		 unsigned width, unsigned index_bits, bool large_ok,
		 uint64_t *gpa)
{
	for (int level = top; level >= 0; level--) {
		unsigned shift = 12 + index_bits * (unsigned)level;
		uint64_t idx = (linear >> shift) & ((1ull << index_bits) - 1);
		uint64_t e;
		if (!read_entry(v, table + idx * width, width, &e) ||
		    !(e & PTE_P))
			return false;
		bool large = large_ok && (level == 1 || level == 2) &&
			     (e & PTE_PS);
		if (level == 0 || large) {
			uint64_t span = 1ull << shift;
			*gpa = (e & PTE_ADDR_MASK & ~(span - 1)) |
			       (linear & (span - 1));
			return true;
		}
		table = e & PTE_ADDR_MASK;
	}
	return false;
}

bool guest_linear_to_phys(struct vcpu *v, uint64_t linear, uint64_t *gpa)
{
	uint64_t cr3 = vmcs_readn(GUEST_CR3);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	if (!(guest_cr0() & CR0_PG)) {
		*gpa = linear;
		return true;
	}
	if (efer & EFER_LMA)
		return walk(v, cr3 & PTE_ADDR_MASK, linear, 3, 8, 9, true, gpa);
	if (guest_cr4() & CR4_PAE) {
		/* PAE: the four PDPTEs come from the VMCS (loaded at entry). */
		static const struct vmcs_f64 pdptes[4] = {
			VMCS_F64(GUEST_PDPTE0), VMCS_F64(GUEST_PDPTE1),
			VMCS_F64(GUEST_PDPTE2), VMCS_F64(GUEST_PDPTE3),
		};
		uint64_t pdpte = vmcs_read_f64(pdptes[(linear >> 30) & 3]);
		if (!(pdpte & PTE_P))
			return false;
		return walk(v, pdpte & PTE_ADDR_MASK, linear, 1, 8, 9, true, gpa);
	}
	/* 32-bit paging: 4 MiB pages only with CR4.PSE. */
	return walk(v, cr3 & 0xfffff000u, (uint32_t)linear, 1, 4, 10,
		    (guest_cr4() & CR4_PSE) != 0, gpa);
}

bool guest_fetch_insn(struct vcpu *v, uint64_t rip, uint8_t *buf, size_t len)
{
	uint64_t linear = rip + (guest_is_64bit() ? 0 : vmcs_readn(GUEST_CS_BASE));
	size_t got = 0;

	while (got < len) {
		uint64_t gpa;
		size_t chunk = PAGE_SIZE - ((linear + got) & (PAGE_SIZE - 1));
		if (chunk > len - got)
			chunk = len - got;
		if (!guest_linear_to_phys(v, linear + got, &gpa))
			break;
		const uint8_t *src = vm_gpa_to_hva(v->vm, gpa, chunk);
		if (!src)
			break;
		memcpy(buf + got, src, chunk);
		got += chunk;
	}
	/* What could not be read reads as zero (only the rest: the common
	 * whole fetch pays no memset). */
	if (got < len)
		memset(buf + got, 0, len - got);
	return got > 0;
}
