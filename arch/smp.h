/* Which CPUs run hypervisor code, and stopping them. */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

/* CPUs that run our code (the boot CPU alone until APs are started). */
unsigned smp_online_cpus(void);

/* Sends an NMI to every other online CPU; their NMI handler halts them
 * when a panic is in progress (arch/trap.c). */
void smp_stop_others(void);

#endif
