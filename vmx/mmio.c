/* MMIO emulation: the faulting instruction is decoded just far enough to
 * know the access size, direction and register (vmx/insn_decode.c), then
 * the registered device handles it. */
#include "../arch/cpu.h"
#include "ept.h"
#include "exit.h"
#include "guest_mem.h"
#include "insn_decode.h"
#include "vmcs.h"


static uint64_t read_operand(struct vcpu *v, const struct mmio_insn *in)
{
	uint64_t r;

	if (in->has_imm)
		return in->imm;
	r = in->reg == REG_RSP ? vmcs_readn(GUEST_RSP) : v->regs.gpr[in->reg];
	return in->high8 ? r >> 8 : r;
}

/* Writing a register follows the x86 rules: 32-bit results clear bits
 * 63:32, 8- and 16-bit results leave the rest alone (SDM Vol. 1 3.4.1.1).
 * RSP lives in the VMCS, not in v->regs (SPL with REX, SP, ESP, RSP). */
static void write_register(struct vcpu *v, const struct mmio_insn *in,
			   uint64_t val)
{
	bool rsp = in->reg == REG_RSP && !in->high8;
	unsigned size = in->zero_extend ? in->dest_size : in->size;
	uint64_t r = val;

	if (size < 4) {
		unsigned shift = in->high8 ? 8 : 0;
		uint64_t mask = ((1ull << (8 * size)) - 1) << shift;
		uint64_t old = rsp ? vmcs_readn(GUEST_RSP) : v->regs.gpr[in->reg];
		r = (old & ~mask) | ((val << shift) & mask);
	}
	if (rsp)
		vmcs_writen(GUEST_RSP, r);
	else
		v->regs.gpr[in->reg] = r;
}

enum exit_action mmio_emulate(struct vcpu *v, const struct exit_info *e,
			      uint64_t gpa)
{
	struct mmio_insn in;
	struct exit_info done = *e;
	uint8_t bytes[15];
	uint64_t val = 0;
	enum io_result r;

	if (!guest_fetch_insn(v, e->guest_rip, bytes, sizeof(bytes)) ||
	    !mmio_decode(bytes, sizeof(bytes),
			 (enum insn_mode)guest_code_bits(), &in))
		return exit_unexpected(v, e);
	/* The bus hands a device only accesses wholly inside its range
	 * (kernel/io_bus.h); one that runs past the end reads all ones and
	 * its write is dropped. */
	if (in.is_write) {
		val = read_operand(v, &in);
		r = io_bus_write(&v->vm->mmio, v, gpa, in.size, val);
		if (r == IO_UNHANDLED)
			v->vm->unclaimed_writes++;
	} else {
		r = io_bus_read(&v->vm->mmio, v, gpa, in.size, &val);
		if (r == IO_UNHANDLED) {
			v->vm->unclaimed_reads++;
			val = ~0ull;
		}
		if (in.size < 8)
			val &= (1ull << (8 * in.size)) - 1;
		if (in.sign_extend) {
			/* MOVSX: the sign copied up; a 32-bit destination then
			 * takes the low half, zeroing 63:32 (SDM Vol. 1
			 * 3.4.1.1). */
			unsigned shift = 64 - 8 * in.size;
			val = (uint64_t)((int64_t)(val << shift) >> shift);
			if (in.dest_size == 4)
				val &= 0xffffffffull;
		}
		write_register(v, &in, val);
	}
	/* An EPT violation reports no instruction length (SDM Vol. 3C
	 * 28.2.5): the decoder's is the one.  Its guest-linear address is
	 * valid when bit 7 of the qualification says so (Table 28-7): the
	 * data breakpoints the access may hit are checked against it. */
	done.insn_len = in.len;
	if (e->qualification & EPT_QUAL_GLA_VALID) {
		done.data_linear = vmcs_readn(GUEST_LINEAR_ADDRESS);
		done.data_size = in.size;
		done.data_write = in.is_write;
	}
	vcpu_skip_instruction(&done);
	if (vm_has_request(v->vm))
		return EXIT_STOPPED;
	/* Unassigned space (all ones, writes dropped), or a device that said
	 * IO_HANDLED_QUIET, touched nothing the event check looks at. */
	return r == IO_HANDLED ? EXIT_RESUME : EXIT_RESUME_QUIET;
}
