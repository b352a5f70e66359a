#include "debug_exit.h"

static enum io_result debug_exit_write(void *dev, uint16_t port,
				       unsigned size, uint32_t val)
{
	(void)port, (void)size;
	vm_exit_with_status(dev, (val << 1) | 1);
	return IO_HANDLED;
}

/* Reads of an isa-debug-exit port return nothing useful in QEMU either. */
static const struct pio_ops debug_exit_ops = { .write = debug_exit_write };

bool debug_exit_attach(struct vm *vm)
{
	/* QEMU is commonly run with iosize=4: claim all four ports. */
	return pio_register(vm, DEBUG_EXIT_PORT, 4, &debug_exit_ops, vm) == 0;
}
