#include "panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "../arch/cpu.h"
#include "../arch/percpu.h"
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

static const struct panic_cpu_ops *cpu_ops;

void panic_set_cpu_ops(const struct panic_cpu_ops *ops)
{
	cpu_ops = ops;
}

void panic_set_poweroff(bool poweroff)
{
	poweroff_after_panic = poweroff;
}

void panic(const char *fmt, ...)
{
	char why[256];
	va_list ap;

	unsigned others;

	irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST)) {
		if (cpu_ops)
			cpu_ops->stop_here(); /* another CPU is reporting */
		cpu_halt_forever();
	}
	/* Every other CPU halts in its NMI handler (arch/trap.c), so none
	 * runs a guest or touches shared state while this one reports. */
	others = cpu_ops ? cpu_ops->stop_others() : 0;
	/* The CPUs just stopped may have held the console lock. */
	console_break_lock();
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_raw("\n[cpu%u] PANIC on cpu %u: %s\n", this_cpu_id(),
		this_cpu_id(), why);
	if (others)
		log_raw("[cpu%u] hv: %u of %u other CPUs stopped\n",
			this_cpu_id(), cpu_ops->stopped(), others);
	print_stack_trace((uint64_t)__builtin_frame_address(0));
	if (poweroff_after_panic)
		power_off("hypervisor panic");
	log_raw("[cpu%u] hv: halted after panic\n", this_cpu_id());
	cpu_halt_forever();
}
