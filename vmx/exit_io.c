/* I/O instructions.  Every port exits (the I/O bitmaps are all ones: deny
 * by default) and goes to the device that registered it; an unclaimed
 * port behaves like an empty ISA bus: reads give all ones, writes vanish,
 * and both are counted. */
#include "exit.h"

#include "../kernel/log.h"

/* Exit qualification for I/O instructions (SDM Vol. 3C Table 28-5). */
#define IO_QUAL_SIZE(q) (((q) & 7) + 1)
#define IO_QUAL_IN (1ull << 3)
#define IO_QUAL_STRING (1ull << 4)
#define IO_QUAL_PORT(q) ((uint16_t)((q) >> 16))

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void port_in(struct vcpu *v, uint16_t port, unsigned size)
{
	const struct pio_range *r = pio_find(v->vm, port);
	uint32_t val = 0xffffffffu;
	uint64_t *rax = &v->regs.gpr[REG_RAX];

	if (!r || !r->ops->read ||
	    r->ops->read(r->dev, port, size, &val) != IO_HANDLED) {
		v->vm->unclaimed_reads++;
		val = 0xffffffffu;
	}
	val &= size_mask(size);
	/* IN to EAX zero-extends into RAX; to AL/AX keeps the rest. */
	if (size == 4)
		*rax = val;
	else
		*rax = (*rax & ~(uint64_t)size_mask(size)) | val;
}

static void port_out(struct vcpu *v, uint16_t port, unsigned size)
{
	const struct pio_range *r = pio_find(v->vm, port);
	uint32_t val = (uint32_t)v->regs.gpr[REG_RAX] & size_mask(size);

	if (!r || !r->ops->write ||
	    r->ops->write(r->dev, port, size, val) != IO_HANDLED)
		v->vm->unclaimed_writes++;
}

enum exit_action handle_io(struct vcpu *v, const struct exit_info *e)
{
	uint64_t q = e->qualification;
	unsigned size = IO_QUAL_SIZE(q);
	unsigned generation = v->vm->generation;

	if (q & IO_QUAL_STRING)
		return exit_unexpected(v, e); /* INS/OUTS: not emulated yet */
	if (size != 1 && size != 2 && size != 4)
		return exit_unexpected(v, e);
	if (q & IO_QUAL_IN)
		port_in(v, IO_QUAL_PORT(q), size);
	else
		port_out(v, IO_QUAL_PORT(q), size);
	if (v->vm->state != VM_RUNNING)
		return EXIT_STOPPED; /* the write ended the VM (debug exit) */
	if (v->vm->generation != generation)
		return EXIT_YIELD; /* it reset the VM: start afresh */
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}
