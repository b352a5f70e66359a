/* Boot self-tests (hv.cfg: selftest = yes).  Each prints
 * "selftest: NAME: pass" or "selftest: NAME: FAIL (why)". */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

#include <stdbool.h>

/* Runs them all, then the per-CPU check on every online CPU; returns the
 * number that failed.  vmx_expected: every CPU should be in VMX root
 * operation (VMs are configured). */
unsigned selftest_run_all(unsigned *passed, bool vmx_expected);

/* The per-CPU check (kernel/selftest_cpu.c) on each online CPU, each
 * logged "selftest cpu N: ok" or "selftest cpu N: FAIL (why)"; adds to
 * *passed and returns the failures. */
unsigned selftest_cpus(bool vmx_expected, unsigned *passed);

#endif
