#include "stacktrace.h"

#include "../kernel/log.h"
#include "extable.h"

#define STACK_TRACE_DEPTH 16

/* Follows saved RBPs (the kernel is built with frame pointers).  Every
 * load is probed, so a corrupt chain ends the trace instead of faulting
 * again inside the handler. */
void print_stack_trace(uint64_t rbp)
{
	log_raw("  stack trace:\n");
	for (int depth = 0; depth < STACK_TRACE_DEPTH && rbp; depth++) {
		uint64_t next, ret;
		if ((rbp & 7) || !probe_read64((void *)rbp, &next) ||
		    !probe_read64((void *)(rbp + 8), &ret) || !ret)
			break;
		log_raw("    #%d %016lx\n", depth, ret);
		if (next <= rbp)
			break; /* stacks grow down: callers live above */
		rbp = next;
	}
}
