/* Extended page tables: each VM's guest-physical -> host-physical map
 * (SDM Vol. 3C 29.3).  Built with the generic walker in arch/paging.c. */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/paging.h"

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
/* Leaf memory type, bits 5:3 (SDM Vol. 3C 29.3.7). */
#define EPT_MT_UC (0ull << 3)
#define EPT_MT_WB (6ull << 3)
#define EPT_IGNORE_PAT (1ull << 6)

extern const struct pt_format pt_format_ept;

/* EPTP: WB paging structures, 4-level walk, A/D flags when asked
 * (SDM Vol. 3C 25.6.11). */
uint64_t ept_pointer(uint64_t root, int ad_flags);

/* EPT-violation exit qualification bits (SDM Vol. 3C Table 28-7). */
#define EPT_QUAL_READ (1ull << 0)
#define EPT_QUAL_WRITE (1ull << 1)
#define EPT_QUAL_FETCH (1ull << 2)
#define EPT_QUAL_GLA_VALID (1ull << 7)
/* With GLA_VALID: the access was to the linear address's translation,
 * not to one of its guest paging-structure entries. */
#define EPT_QUAL_GLA_TRANSLATED (1ull << 8)

/* Copy-on-write snapshots (kernel/snapshot.c): the W right of every EPT
 * leaf that maps RAM in [gpa, gpa+len), set or cleared (a leaf larger
 * than the range is changed whole); and the guest-physical range of the
 * leaf that maps gpa.  Taking W away needs an INVEPT on every CPU before
 * the guest runs again (vm->ept_gen); giving it back does not (a stale
 * read-only translation only faults once more, and an EPT violation
 * drops the translations it used: SDM Vol. 3C 29.4.3.1). */
struct vm;
void ept_ram_set_writable(struct vm *vm, uint64_t gpa, uint64_t len,
			  bool writable);
bool ept_ram_leaf(struct vm *vm, uint64_t gpa, uint64_t *base, uint64_t *size);
/* Whether the leaf that maps gpa has every right in `rights` (EPT_R,
 * EPT_W, EPT_X). */
bool ept_allows(struct vm *vm, uint64_t gpa, uint64_t rights);
/* The leaf entry that maps gpa, and the guest-physical range it maps;
 * NULL where nothing is mapped (kernel/clone_ram.c rewrites a clone's). */
uint64_t *ept_leaf(struct vm *vm, uint64_t gpa, uint64_t *base,
		   uint64_t *size);

#endif
