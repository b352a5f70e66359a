#include "smp.h"

#include "lapic.h"

/* Only the boot CPU runs hypervisor code so far: the APs stay parked by
 * the firmware until the AP start-up issue brings them in. */
static unsigned online = 1;

unsigned smp_online_cpus(void)
{
	return online;
}

void smp_stop_others(void)
{
	if (online > 1)
		lapic_nmi_all_but_self();
}
