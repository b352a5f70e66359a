#include "panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "../arch/cpu.h"
#include "../arch/percpu.h"
#include "../arch/smp.h"
#include "../arch/stacktrace.h"
#include "console.h"
#include "log.h"
#include "power.h"

static volatile int panicking;
static bool poweroff_after_panic;

bool panic_in_progress(void)
{
	return __atomic_load_n(&panicking, __ATOMIC_RELAXED) != 0;
}

void panic_set_poweroff(bool poweroff)
{
	poweroff_after_panic = poweroff;
}

void panic(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
		cpu_halt_forever(); /* another CPU is already reporting */
	smp_stop_others();
	/* The CPUs just stopped may have held the console lock. */
	console_break_lock();
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_raw("\n[cpu%u] PANIC: %s\n", this_cpu_id(), why);
	print_stack_trace((uint64_t)__builtin_frame_address(0));
	if (poweroff_after_panic)
		power_off("hypervisor panic");
	log_raw("[cpu%u] hv: halted after panic\n", this_cpu_id());
	cpu_halt_forever();
}
