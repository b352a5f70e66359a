/* Building a vCPU's VMCS (SDM Vol. 3C chapter 25 for the fields, 27.2-27.3
 * for the checks VM entry makes).  Written in the order of the SDM's
 * sections: controls, host state, guest state. */
/* Set-up writes hundreds of fields once per vCPU: calls, not inline
 * VMWRITEs (vmx/vmcs.h); guest_cr0/guest_cr4, on the exit path, read
 * inline all the same. */
#define VMCS_ACCESS_OUT_OF_LINE
#include "vmcs_setup.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/gdt.h"
#include "../arch/msr.h"
#include "../arch/percpu.h"
#include "../kernel/memory.h"
#include "../kernel/page_alloc.h"
#include "../kernel/panic.h"
#include "vmcs.h"
#include "vmx.h"
#include "vmx_entry.h"
#include "vmx_insn.h"

/* Segment access rights (SDM Vol. 3C 25.4.1, Table 25-2). */
#define AR_CODE32 0xc09b    /* present, code exec/read accessed, D, G */
#define AR_DATA32 0xc093    /* present, data read/write accessed, D/B, G */
#define AR_TSS32_BUSY 0x008b
#define AR_CODE16 0x009b    /* present, code exec/read accessed, 16-bit */
#define AR_DATA16 0x0093
#define AR_LDT 0x0082
#define AR_UNUSABLE 0x10000

#define RFLAGS_FIXED (1ull << 1)
#define VMCS_LINK_NONE 0xffffffffffffffffull
/* PAT power-on value (SDM Vol. 3A 11.12.4). */
#define PAT_DEFAULT 0x0007040600070406ull

uint64_t vmcs_cr0_host_owned(void)
{
	/* Bits fixed to 1 (NE, and PE/PG unless unrestricted guest lets the
	 * guest clear them) plus CD/NW, which a guest must not use to make
	 * the host's memory uncached. */
	uint64_t fixed1 = vmx_ctls.cr0_fixed0 & ~(CR0_PE | CR0_PG);
	return fixed1 | (1ull << 29) | (1ull << 30);
}

uint64_t vmcs_cr4_host_owned(void)
{
	return vmx_ctls.cr4_fixed0 | CR4_VMXE;
}

uint64_t guest_cr0(void)
{
	uint64_t mask = vmcs_cr0_host_owned();
	return (vmcs_readn_inline(GUEST_CR0) & ~mask) |
	       (vmcs_readn_inline(CR0_READ_SHADOW) & mask);
}

uint64_t guest_cr4(void)
{
	uint64_t mask = vmcs_cr4_host_owned();
	return (vmcs_readn_inline(GUEST_CR4) & ~mask) |
	       (vmcs_readn_inline(CR4_READ_SHADOW) & mask);
}

static void setup_controls(struct vcpu *v)
{
	struct vm *vm = v->vm;

	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_ctls.pin);
	v->cpu_ctls = vmx_ctls.cpu;
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, v->cpu_ctls);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_ctls.cpu2);
	vmcs_write32(VM_EXIT_CONTROLS, vmx_ctls.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, vmx_ctls.entry);
	vmcs_write32(EXCEPTION_BITMAP, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(IO_BITMAP_A, vm->io_bitmap);
	vmcs_write64(IO_BITMAP_B, vm->io_bitmap + PAGE_SIZE);
	vmcs_write64(MSR_BITMAP, vm->msr_bitmap);
	vmcs_write64(EPT_POINTER, vm->eptp);
	vmcs_write16(VPID, v->vpid);
	v->tsc_offset = 0;
	vmcs_write64(TSC_OFFSET, v->tsc_offset);
	vmcs_writen(CR0_GUEST_HOST_MASK, vmcs_cr0_host_owned());
	vmcs_writen(CR4_GUEST_HOST_MASK, vmcs_cr4_host_owned());
	vmcs_write64(VMCS_LINK_POINTER, VMCS_LINK_NONE);
}

struct pseudo_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Host state: where every exit lands (SDM Vol. 3C 25.5, 27.2.2-27.2.4). */
static void setup_host_state(void)
{
	struct percpu *cpu = this_cpu();
	struct pseudo_desc gdtr, idtr;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmcs_writen(HOST_CR0, read_cr0());
	vmcs_writen(HOST_CR3, read_cr3());
	vmcs_writen(HOST_CR4, read_cr4());
	vmcs_write16(HOST_CS_SELECTOR, SEL_KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, SEL_KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, SEL_KERNEL_DS);
	vmcs_write16(HOST_ES_SELECTOR, SEL_KERNEL_DS);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, SEL_TSS);
	vmcs_writen(HOST_FS_BASE, 0);
	vmcs_writen(HOST_GS_BASE, (uint64_t)cpu);
	vmcs_writen(HOST_TR_BASE, (uint64_t)&cpu->tables.tss);
	vmcs_writen(HOST_GDTR_BASE, gdtr.base);
	vmcs_writen(HOST_IDTR_BASE, idtr.base);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writen(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writen(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_writen(HOST_RIP, (uint64_t)vmx_exit_entry);
	/* HOST_RSP is written by vmx_enter on every entry. */
}

static void set_segment(enum guest_seg seg, uint16_t selector, uint64_t base,
			uint32_t limit, uint32_t rights)
{
	const struct vmcs_segment *f = &vmcs_guest_segment[seg];

	vmcs_write_f16(f->selector, selector);
	vmcs_write_fn(f->base, base);
	vmcs_write_f32(f->limit, limit);
	vmcs_write_f32(f->rights, rights);
}

void vmcs_set_flat_protected_mode(uint16_t cs, uint16_t ds,
				  uint64_t gdt_base, uint32_t gdt_limit)
{
	for (enum guest_seg s = SEG_ES; s < SEG_COUNT; s++)
		set_segment(s, s == SEG_CS ? cs : ds, 0, 0xffffffff,
			    s == SEG_CS ? AR_CODE32 : AR_DATA32);
	vmcs_writen(GUEST_GDTR_BASE, gdt_base);
	vmcs_write32(GUEST_GDTR_LIMIT, gdt_limit);
}

/* After INIT and a start-up IPI with vector vv, a CPU runs in real mode
 * at vv00:0000 (SDM Vol. 3A 9.4.4.1, Table 10-1); unrestricted guest
 * lets the guest run there as it is. */
void vmcs_set_startup_state(uint8_t vector)
{
	uint64_t cr0 = 1ull << 4; /* ET */

	for (enum guest_seg s = SEG_ES; s < SEG_COUNT; s++) {
		uint16_t sel = s == SEG_CS ? (uint16_t)(vector << 8) : 0;
		set_segment(s, sel, (uint64_t)sel << 4, 0xffff,
			    s == SEG_CS ? AR_CODE16 : AR_DATA16);
	}
	vmcs_writen(GUEST_CR0, (cr0 | vmcs_cr0_host_owned()) &
				       ~(CR0_PE | CR0_PG | (1ull << 29) |
					 (1ull << 30)));
	vmcs_writen(CR0_READ_SHADOW, cr0);
	vmcs_writen(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writen(GUEST_RIP, 0);
}

/* Multiboot's machine state (Multiboot 0.6.96 3.2): 32-bit protected
 * mode, flat 4 GiB segments, paging and interrupts off. */
static void setup_guest_state(void)
{
	uint64_t cr0 = CR0_PE | (1ull << 4) /* ET */;

	vmcs_writen(GUEST_CR0, (cr0 | vmcs_cr0_host_owned()) &
				       ~((1ull << 29) | (1ull << 30)));
	vmcs_writen(CR0_READ_SHADOW, cr0);
	vmcs_writen(GUEST_CR3, 0);
	vmcs_writen(GUEST_CR4, vmcs_cr4_host_owned());
	vmcs_writen(CR4_READ_SHADOW, 0);
	vmcs_set_flat_protected_mode(0x08, 0x10, 0, 0xffff);
	vmcs_write16(GUEST_TR_SELECTOR, 0);
	vmcs_writen(GUEST_TR_BASE, 0);
	vmcs_write32(GUEST_TR_LIMIT, 0x67);
	vmcs_write32(GUEST_TR_AR_BYTES, AR_TSS32_BUSY);
	vmcs_write16(GUEST_LDTR_SELECTOR, 0);
	vmcs_writen(GUEST_LDTR_BASE, 0);
	vmcs_write32(GUEST_LDTR_LIMIT, 0);
	vmcs_write32(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
	vmcs_writen(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
	vmcs_writen(GUEST_DR7, 0x400);
	vmcs_writen(GUEST_RSP, 0);
	vmcs_writen(GUEST_RIP, 0);
	vmcs_writen(GUEST_RFLAGS, RFLAGS_FIXED);
	vmcs_writen(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, PAT_DEFAULT);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writen(GUEST_SYSENTER_ESP, 0);
	vmcs_writen(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
}

/* The VMCS current on this CPU is remembered in its struct percpu, so
 * that loading it again costs nothing; VMCLEAR makes it not current.  A
 * VMCS is active on one CPU at a time (SDM Vol. 3C 25.1): where it was
 * last loaded (v->vmcs_cpu) it stays until vmcs_put clears it there.
 * Loaded on another CPU than before, it gets that CPU's host state (its
 * GS base, TSS, GDT) and that CPU drops whatever it cached for the
 * vCPU's VPID from an earlier stay (SDM Vol. 3C 29.1.1). */
void vmcs_load(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();

	if (cpu->current_vmcs == v->vmcs)
		return;
	if (v->vmcs_cpu != VMCS_NOWHERE && v->vmcs_cpu != cpu->cpu_id)
		panic("vCPU %u of VM %s: VMCS active on CPU %u, loaded on %u",
		      v->id, v->vm->name, v->vmcs_cpu, cpu->cpu_id);
	if (vmptrld(v->vmcs))
		panic("VMPTRLD of vCPU %u of VM %s failed", v->id, v->vm->name);
	cpu->current_vmcs = v->vmcs;
	if (v->vmcs_cpu != cpu->cpu_id) {
		setup_host_state();
		invvpid(INVVPID_SINGLE_CONTEXT, v->vpid);
		v->vmcs_cpu = cpu->cpu_id;
	}
}

void vmcs_put(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();

	if (v->vmcs_cpu == VMCS_NOWHERE)
		return;
	if (v->vmcs_cpu != cpu->cpu_id)
		panic("vCPU %u of VM %s: VMCS put on CPU %u, active on %u",
		      v->id, v->vm->name, cpu->cpu_id, v->vmcs_cpu);
	if (vmclear(v->vmcs))
		panic("VMCLEAR of vCPU %u of VM %s failed", v->id, v->vm->name);
	if (cpu->current_vmcs == v->vmcs)
		cpu->current_vmcs = 0;
	v->vmcs_cpu = VMCS_NOWHERE;
	v->launched = false; /* VMCLEAR made its launch state clear */
}

void vmcs_reset(struct vcpu *v)
{
	struct percpu *cpu = this_cpu();

	if (v->vmcs_cpu != VMCS_NOWHERE && v->vmcs_cpu != cpu->cpu_id)
		panic("vCPU %u of VM %s: VMCS reset on CPU %u, active on %u",
		      v->id, v->vm->name, cpu->cpu_id, v->vmcs_cpu);
	/* An active VMCS's region is the CPU's until VMCLEAR writes it
	 * back and lets go (SDM Vol. 3C 25.11.1: software must not write
	 * an active VMCS's memory); only then is it rewritten. */
	vmcs_put(v);
	memset(phys_to_virt(v->vmcs), 0, PAGE_SIZE);
	*(uint32_t *)phys_to_virt(v->vmcs) = vmx_ctls.revision_id;
	/* VMCLEAR initialises the region's launch state (SDM Vol. 3C 25.11.3). */
	if (vmclear(v->vmcs))
		panic("VMCLEAR of a fresh VMCS failed");
	if (cpu->current_vmcs == v->vmcs)
		cpu->current_vmcs = 0;
	v->vmcs_cpu = VMCS_NOWHERE;
	vmcs_load(v); /* host state, as on any first load on a CPU */
	v->launched = false;
	setup_controls(v);
	setup_guest_state();
}

/* VMCLEAR before the region is given back: the CPU may keep VMCS data
 * cached until then (SDM Vol. 3C 25.11.1). */
void vmcs_destroy(struct vcpu *v)
{
	if (!v->vmcs)
		return;
	vmcs_put(v);
	page_free(v->vmcs, 1);
	v->vmcs = 0;
}

bool vmcs_create(struct vcpu *v)
{
	v->vmcs = page_alloc(1, 1);
	if (!v->vmcs)
		return false;
	v->vmcs_cpu = VMCS_NOWHERE;
	vmcs_reset(v);
	return true;
}
