#include "debug_exit.h"

static enum io_result debug_exit_write(void *dev, struct vcpu *v,
				       uint64_t port, unsigned size,
				       uint64_t val)
{
	(void)dev, (void)port, (void)size;
	vm_exit_with_status(v->vm, (uint32_t)(val << 1) | 1);
	return IO_HANDLED;
}

/* Reads of an isa-debug-exit port return nothing useful in QEMU either. */
static const struct io_ops debug_exit_ops = { .write = debug_exit_write };

bool debug_exit_attach(struct vm *vm, void **state)
{
	(void)state; /* none: the write ends the accessing vCPU's VM */
	/* QEMU is commonly run with iosize=4: claim all four ports. */
	return io_bus_register(&vm->pio, DEBUG_EXIT_PORT, 4, &debug_exit_ops,
			       NULL) == 0;
}
