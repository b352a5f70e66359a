/* Exception tables: an instruction that may fault on purpose (a probe of
 * an address, an MSR that may not exist) is listed with a fixup address;
 * the exception handler resumes there instead of panicking and records the
 * fault in this CPU's last_fault (Linux's __ex_table, in miniature). */
#ifndef ARCH_EXTABLE_H
#define ARCH_EXTABLE_H

#include <stdbool.h>
#include <stdint.h>

struct extable_entry {
	uint64_t fault_rip;
	uint64_t fixup_rip;
};

/* Returns the fixup for a faulting RIP, or 0. */
uint64_t extable_fixup(uint64_t rip);

/* Reads 8 bytes at addr.  Returns true, or false if the read faulted
 * (the fault is in this_cpu()->last_fault). */
bool probe_read64(const volatile void *addr, uint64_t *val);
/* Writes 8 bytes; same contract. */
bool probe_write64(volatile void *addr, uint64_t val);

#endif
