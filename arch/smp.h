/* Which CPUs run hypervisor code: starting the application processors
 * (APs), waking one, asking one to run a function, and stopping them all
 * when one panics.  CPUs have dense ids 0..smp_online_cpus()-1, 0 being
 * the boot CPU; struct percpu (arch/percpu.h) holds each one's APIC ID. */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <stdbool.h>
#include <stdint.h>

/* CPUs that run our code (the boot CPU alone until smp_start_aps). */
unsigned smp_online_cpus(void);

/* Starts the CPUs of apic_ids[0..n) other than this one, one at a time,
 * with INIT-SIPI-SIPI through the page at trampoline_phys (below 1 MiB,
 * from the UEFI stage).  Each AP gets its GDT/TSS/IDT and GS (percpu),
 * the boot CPU's CR0/CR4/EFER/PAT, its own stack and its local APIC, then
 * calls ap_main, which must not return.  A CPU that does not answer is
 * logged and left out.  Logs "cpus: N online (APIC IDs ...; listed by
 * source)"; returns N.  Needs the TSC calibrated (the IPI timings). */
unsigned smp_start_aps(const uint32_t *apic_ids, unsigned n,
		       uint64_t trampoline_phys, const char *source,
		       void (*ap_main)(void));

/* An AP's rest: HLT with interrupts on, woken by smp_kick (or any
 * interrupt), running what smp_call_on asks of it.  Never spins. */
__attribute__((noreturn)) void smp_ap_idle(void);

/* Has every other online CPU run work() from its idle loop, without
 * waiting for it (the scheduler's loop, which returns when the run is
 * over; the CPU then sleeps again). */
void smp_start_work(void (*work)(void));

/* Sends VECTOR_KICK to CPU cpu: wakes it from HLT (or makes it leave a
 * guest), nothing more. */
void smp_kick(unsigned cpu);
/* The kick's handler (arch/irq.c): counts it in this CPU's percpu. */
void smp_kick_received(void);

/* Runs fn(arg) on CPU cpu, which must be idle in smp_ap_idle (or be this
 * CPU), and waits for it to finish.  False if cpu is not online or did
 * not run it within SMP_CALL_TIMEOUT_MS (then it is logged). */
#define SMP_CALL_TIMEOUT_MS 2000
bool smp_call_on(unsigned cpu, void (*fn)(void *), void *arg);

/* Sends an NMI to every other online CPU, whose NMI handler then calls
 * smp_stopped_here as a panic is in progress (arch/trap.c).  Returns how
 * many were sent. */
unsigned smp_stop_others(void);
__attribute__((noreturn)) void smp_stopped_here(void);
/* CPUs that have stopped in smp_stopped_here. */
unsigned smp_stopped_cpus(void);

#endif
