#include "guest_mem.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/msr.h"
#include "../arch/paging.h"
#include "../kernel/snapshot.h"
#include "vmcs.h"
#include "vmcs_setup.h"

#define CR4_PSE (1ull << 4)
#define CR4_SMAP (1ull << 21)
#define RFLAGS_AC (1ull << 18)
#define CS_AR_L (1u << 13)
#define AR_DPL(ar) (((ar) >> 5) & 3)
/* #PF error code (SDM Vol. 3A 4.7). */
#define PF_PROTECTION (1u << 0)
#define PF_WRITE (1u << 1)
#define PF_USER (1u << 2)

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

/* Sets flags in the entry at gpa, as the CPU's locked update does (SDM
 * Vol. 3A 4.8); a snapshot sharing the page copies it first. */
static void set_entry_flags(struct vcpu *v, uint64_t gpa, unsigned width,
			    uint32_t flags)
{
	uint32_t *p = vm_gpa_to_hva(v->vm, gpa, width);

	/* Set already (the common case): no write, no snapshot copy. */
	if (!p || (__atomic_load_n(p, __ATOMIC_RELAXED) & flags) == flags)
		return;
	snapshot_host_write(v->vm, gpa, width);
	__atomic_fetch_or(p, flags, __ATOMIC_SEQ_CST);
}

/* CPL 3: the guest's SS.DPL (SDM Vol. 3A 5.5). */
static bool guest_user_mode(void)
{
	return AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES)) == 3;
}

/* A #PF's error code for this access, P aside. */
static uint32_t pf_error_for(unsigned access)
{
	return ((access & GUEST_WALK_WRITE) ? PF_WRITE : 0) |
	       (guest_user_mode() ? PF_USER : 0);
}

/* Whether a data access with these rights in every entry of the walk is
 * allowed (SDM Vol. 3A 4.6.1): at CPL 3 each entry needs U/S, a write
 * needs R/W in each unless a supervisor write with CR0.WP clear; a
 * supervisor access to a user page faults under SMAP unless RFLAGS.AC
 * allows it. */
static bool rights_allow(unsigned access, bool all_w, bool all_u)
{
	bool write = access & GUEST_WALK_WRITE;

	if (guest_user_mode())
		return all_u && (!write || all_w);
	if (write && !all_w && (guest_cr0() & CR0_WP))
		return false;
	return !(all_u && (guest_cr4() & CR4_SMAP) &&
		 !(vmcs_readn(GUEST_RFLAGS) & RFLAGS_AC));
}

/* Walks levels from the top: PML4 (4-level), PDPT, PD, PT; large pages
 * end the walk early (SDM Vol. 3A 4.3-4.5).  For a data access, then
 * checks the rights and sets the accessed flags (the dirty flag too in
 * the last entry, for a write). */
static bool walk(struct vcpu *v, uint64_t table, uint64_t linear, int top,
		 unsigned width, unsigned index_bits, bool large_ok,
		 unsigned access, uint64_t *gpa, uint32_t *pf_error)
{
	uint64_t at[4];
	bool all_w = true, all_u = true;
	int last = top;

	for (int level = top; level >= 0; level--) {
		unsigned shift = 12 + index_bits * (unsigned)level;
		uint64_t idx = (linear >> shift) & ((1ull << index_bits) - 1);
		uint64_t e;
		at[level] = table + idx * width;
		if (!read_entry(v, at[level], width, &e) || !(e & PTE_P)) {
			*pf_error = pf_error_for(access);
			return false;
		}
		all_w = all_w && (e & PTE_W);
		all_u = all_u && (e & PTE_U);
		bool large = large_ok && (level == 1 || level == 2) &&
			     (e & PTE_PS);
		if (level == 0 || large) {
			uint64_t span = 1ull << shift;
			*gpa = (e & PTE_ADDR_MASK & ~(span - 1)) |
			       (linear & (span - 1));
			last = level;
			break;
		}
		table = e & PTE_ADDR_MASK;
	}
	if (!(access & GUEST_WALK_DATA))
		return true;
	if (!rights_allow(access, all_w, all_u)) {
		*pf_error = pf_error_for(access) | PF_PROTECTION;
		return false;
	}
	for (int level = top; level >= last; level--)
		set_entry_flags(v, at[level], width,
				(uint32_t)(PTE_A | (level == last &&
						    (access & GUEST_WALK_WRITE)
						    ? PTE_D : 0)));
	return true;
}

bool guest_linear_to_phys(struct vcpu *v, uint64_t linear, unsigned access,
			  uint64_t *gpa, uint32_t *pf_error)
{
	uint64_t cr3 = vmcs_readn(GUEST_CR3);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	*pf_error = 0;
	if (!(guest_cr0() & CR0_PG)) {
		*gpa = linear;
		return true;
	}
	if (efer & EFER_LMA)
		return walk(v, cr3 & PTE_ADDR_MASK, linear, 3, 8, 9, true,
			    access, gpa, pf_error);
	if (guest_cr4() & CR4_PAE) {
		/* PAE: the four PDPTEs come from the VMCS (loaded at entry). */
		static const struct vmcs_f64 pdptes[4] = {
			VMCS_F64(GUEST_PDPTE0), VMCS_F64(GUEST_PDPTE1),
			VMCS_F64(GUEST_PDPTE2), VMCS_F64(GUEST_PDPTE3),
		};
		uint64_t pdpte = vmcs_read_f64(pdptes[(linear >> 30) & 3]);
		if (!(pdpte & PTE_P)) {
			*pf_error = pf_error_for(access);
			return false;
		}
		/* A PDPTE has no R/W or U/S (SDM Vol. 3A 4.4.1). */
		return walk(v, pdpte & PTE_ADDR_MASK, linear, 1, 8, 9, true,
			    access, gpa, pf_error);
	}
	/* 32-bit paging: 4 MiB pages only with CR4.PSE. */
	return walk(v, cr3 & 0xfffff000u, (uint32_t)linear, 1, 4, 10,
		    (guest_cr4() & CR4_PSE) != 0, access, gpa, pf_error);
}

bool guest_fetch_insn(struct vcpu *v, uint64_t rip, uint8_t *buf, size_t len)
{
	uint64_t linear = rip + (guest_is_64bit() ? 0 : vmcs_readn(GUEST_CS_BASE));
	size_t got = 0;

	while (got < len) {
		uint64_t gpa;
		uint32_t pf_error;
		size_t chunk = PAGE_SIZE - ((linear + got) & (PAGE_SIZE - 1));
		if (chunk > len - got)
			chunk = len - got;
		if (!guest_linear_to_phys(v, linear + got, 0, &gpa, &pf_error))
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
