/* Boot self-tests (hv.cfg: selftest = yes).  Each prints
 * "selftest: NAME: pass" or "selftest: NAME: FAIL (why)". */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

/* Runs them all; returns the number that failed. */
unsigned selftest_run_all(unsigned *passed);

#endif
