/* I/O instructions.  Every port exits (the I/O bitmaps are all ones: deny
 * by default) and goes to the device that registered it; an unclaimed
 * port behaves like an empty ISA bus: reads give all ones, writes vanish,
 * and both are counted.  String I/O (INS/OUTS, REP or not) is emulated
 * here too, a bounded number of elements per exit. */
#include "exit.h"

#include "../arch/cpu.h"
#include "../arch/idt.h"
#include "../arch/msr.h"
#include "../kernel/log.h"
#include "guest_mem.h"
#include "guest_walk.h"
#include "vmcs.h"

/* The exit qualification's fields are in exit.h (IO_QUAL_*). */

/* VM-exit instruction information for INS/OUTS (SDM Vol. 3C Table
 * 28-8): the address size (0: 16, 1: 32, 2: 64 bits) and, for OUTS, the
 * segment; INS always writes through ES.  The CPU reports it when
 * IA32_VMX_BASIC bit 54 is set (SDM Vol. 3D A.1). */
#define IO_INFO_ADDR_SIZE(i) (((i) >> 7) & 7)
#define IO_INFO_SEG(i) (((i) >> 15) & 7)
#define VMX_BASIC_INS_OUTS_INFO (1ull << 54)

#define RFLAGS_DF (1ull << 10)

/* Elements of a REP INS/OUTS emulated per exit: then the guest resumes
 * at the same instruction with RCX, RSI/RDI as far as they got, so that
 * interrupts come in between, as they do between iterations on the CPU
 * (SDM Vol. 2B REP), and one exit stays short. */
#define STRING_IO_MAX_PER_EXIT 64

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* Both return whether the access may have raised an event (a device
 * claimed it and did not say IO_HANDLED_QUIET): an unclaimed port reads
 * all ones, drops writes, and is counted. */
static bool port_read(struct vcpu *v, uint16_t port, unsigned size,
		      uint32_t *out)
{
	uint64_t val = 0xffffffffu;
	enum io_result r = io_bus_read(&v->vm->pio, v, port, size, &val);

	if (r == IO_UNHANDLED) {
		v->vm->unclaimed_reads++;
		val = 0xffffffffu;
	}
	*out = (uint32_t)val & size_mask(size);
	return r == IO_HANDLED;
}

static bool port_write(struct vcpu *v, uint16_t port, unsigned size,
		       uint32_t val)
{
	enum io_result r = io_bus_write(&v->vm->pio, v, port, size,
					val & size_mask(size));

	if (r == IO_UNHANDLED)
		v->vm->unclaimed_writes++;
	return r == IO_HANDLED;
}

static bool port_in(struct vcpu *v, uint16_t port, unsigned size)
{
	uint32_t val;
	bool eventful = port_read(v, port, size, &val);
	uint64_t *rax = &v->regs.gpr[REG_RAX];

	/* IN to EAX zero-extends into RAX; to AL/AX keeps the rest. */
	if (size == 4)
		*rax = val;
	else
		*rax = (*rax & ~(uint64_t)size_mask(size)) | val;
	return eventful;
}

static bool port_out(struct vcpu *v, uint16_t port, unsigned size)
{
	return port_write(v, port, size, (uint32_t)v->regs.gpr[REG_RAX]);
}

/* Writes a register as an instruction with this address size does: 16
 * bits keep the rest, 32 bits clear bits 63:32 (SDM Vol. 1 3.4.1.1). */
static void set_addr_reg(uint64_t *r, uint64_t val, unsigned addr_bytes)
{
	if (addr_bytes == 2)
		*r = (*r & ~0xffffull) | (val & 0xffff);
	else if (addr_bytes == 4)
		*r = (uint32_t)val;
	else
		*r = val;
}

static uint64_t addr_mask(unsigned addr_bytes)
{
	return addr_bytes == 8 ? ~0ull : (1ull << (8 * addr_bytes)) - 1;
}

/* Whether the CPU reports INS/OUTS instruction information; without it
 * the address size and segment would need the instruction decoded. */
static bool have_ins_outs_info(void)
{
	static int known = -1;

	if (known < 0)
		known = (rdmsr(MSR_IA32_VMX_BASIC) &
			 VMX_BASIC_INS_OUTS_INFO) != 0;
	return known;
}

/* One element of INS or OUTS at seg:offset. */
static enum guest_access string_io_element(struct vcpu *v, bool in,
					   uint16_t port, unsigned size,
					   enum guest_seg seg, uint64_t offset,
					   uint64_t *gpa)
{
	enum guest_access acc;
	uint64_t linear;
	uint32_t val = 0;

	acc = guest_seg_linear(seg, offset, size, &linear);
	if (acc != GUEST_ACCESS_OK)
		return acc;
	if (!in) {
		acc = guest_linear_copy(v, linear, &val, size, COPY_FROM_GUEST,
					gpa);
		if (acc == GUEST_ACCESS_OK)
			port_write(v, port, size, val);
		return acc;
	}
	/* The destination is checked before the read, whose side effects
	 * (a FIFO, fw_cfg's offset) cannot be undone. */
	acc = guest_linear_copy(v, linear, NULL, size, CHECK_WRITABLE, gpa);
	if (acc != GUEST_ACCESS_OK)
		return acc;
	(void)port_read(v, port, size, &val);
	guest_linear_copy(v, linear, &val, size, COPY_TO_GUEST, gpa);
	return GUEST_ACCESS_OK;
}

/* INS/OUTS (SDM Vol. 2B): element by element between the port and
 * seg:RSI (OUTS) or ES:RDI (INS), RSI/RDI moving by the element size,
 * down when RFLAGS.DF = 1; with REP, RCX elements (RCX, RSI and RDI as
 * wide as the address size).  A fault is injected where the CPU would
 * raise it, with the registers as far as they got. */
static enum exit_action string_io(struct vcpu *v, const struct exit_info *e)
{
	uint64_t q = e->qualification, *gpr = v->regs.gpr;
	uint32_t info = vmcs_read32(VMX_INSTRUCTION_INFO);
	unsigned size = IO_QUAL_SIZE(q), addr_bytes, done = 0;
	bool in = q & IO_QUAL_IN, rep = q & IO_QUAL_REP;
	enum guest_seg seg = in ? SEG_ES : (enum guest_seg)IO_INFO_SEG(info);
	uint64_t *index = &gpr[in ? REG_RDI : REG_RSI];
	bool down = vmcs_readn(GUEST_RFLAGS) & RFLAGS_DF;
	uint64_t count, gpa = 0;

	if (!have_ins_outs_info() || IO_INFO_ADDR_SIZE(info) > 2 ||
	    seg > SEG_GS || (size != 1 && size != 2 && size != 4))
		return exit_unexpected(v, e);
	addr_bytes = 2u << IO_INFO_ADDR_SIZE(info);
	count = rep ? gpr[REG_RCX] & addr_mask(addr_bytes) : 1;
	while (count && done < STRING_IO_MAX_PER_EXIT) {
		enum guest_access acc = string_io_element(
			v, in, IO_QUAL_PORT(q), size, seg,
			*index & addr_mask(addr_bytes), &gpa);

		if (acc == GUEST_ACCESS_FAULTED)
			return EXIT_RESUME;
		if (acc == GUEST_ACCESS_NOT_RAM) {
			/* A device's memory as the string: no guest of ours
			 * does it, and it would need MMIO inside port I/O. */
			vm_crash(v->vm, "%s with guest-physical %#lx, which "
				 "is not RAM (guest rip %#lx)",
				 in ? "INS" : "OUTS", gpa, e->guest_rip);
			return EXIT_STOPPED;
		}
		set_addr_reg(index, down ? *index - size : *index + size,
			     addr_bytes);
		count--;
		done++;
		if (rep)
			set_addr_reg(&gpr[REG_RCX], count, addr_bytes);
		if (vm_has_request(v->vm))
			return EXIT_STOPPED; /* a device asked for a reset, ... */
	}
	if (count) {
		/* Resume at the same instruction for the rest; after an
		 * iteration, STI/MOV-SS blocking has run out. */
		uint32_t intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
		if (intr & 3)
			vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~3u);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}

enum exit_action handle_io(struct vcpu *v, const struct exit_info *e)
{
	uint64_t q = e->qualification;
	unsigned size = IO_QUAL_SIZE(q);
	bool eventful;

	if (q & IO_QUAL_STRING)
		return string_io(v, e);
	if (size != 1 && size != 2 && size != 4)
		return exit_unexpected(v, e);
	eventful = q & IO_QUAL_IN ? port_in(v, IO_QUAL_PORT(q), size)
				  : port_out(v, IO_QUAL_PORT(q), size);
	if (vm_has_request(v->vm))
		return EXIT_STOPPED; /* the device asked to end or reset the VM */
	vcpu_skip_instruction(e);
	/* A port no device claims (POST codes to 0x80, Linux's I/O delay),
	 * or one whose device said IO_HANDLED_QUIET, touched nothing the
	 * event check looks at. */
	return eventful ? EXIT_RESUME : EXIT_RESUME_QUIET;
}
