/* Not on the fast paths make bench measures: VMCS accessors out of
 * line, for size (vmx/vmcs.h). */
#define VMCS_ACCESS_OUT_OF_LINE

/* Control registers.  The host owns the CR0 and CR4 bits that VMX
 * operation pins (CR0.NE, CR4.VMXE; plus CR0.CD/NW); the guest sees its own
 * values through the read shadows and exits only when it changes one of
 * those bits (SDM Vol. 3C 26.1.3, 25.6.6).  CR8 always exits: it is the
 * virtual APIC's.  CR3 never exits: EPT and
 * unrestricted guest let guests own their paging. */
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/extable.h"
#include "../arch/idt.h"
#include "../arch/msr.h"
#include "../arch/paging.h"
#include "../drivers/vlapic.h"
#include "../kernel/fpu.h"
#include "event.h"
#include "exit.h"
#include "guest_mem.h"
#include "vmcs.h"
#include "vmcs_setup.h"
#include "vmx.h"

/* Exit qualification for control-register accesses (SDM Vol. 3C
 * Table 28-3). */
#define CR_QUAL_NUM(q) ((q) & 0xf)
#define CR_QUAL_TYPE(q) (((q) >> 4) & 3)
#define CR_QUAL_GPR(q) (((q) >> 8) & 0xf)
#define CR_QUAL_LMSW_DATA(q) (((q) >> 16) & 0xffff)
enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };

#define CR0_CD (1ull << 30)
#define CR0_NW (1ull << 29)
#define CR0_TS (1ull << 3)

static uint64_t gpr_value(struct vcpu *v, unsigned n)
{
	return n == REG_RSP ? vmcs_readn(GUEST_RSP) : v->regs.gpr[n];
}

/* The CPU sets EFER.LMA and the IA-32e entry control itself when a guest
 * turns paging on with EFER.LME set; an emulated CR0 write must do the
 * same (SDM Vol. 3A 10.8.5). */
static void update_long_mode(uint64_t old_cr0, uint64_t new_cr0)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);
	uint32_t entry = vmcs_read32(VM_ENTRY_CONTROLS);

	if ((new_cr0 & CR0_PG) && !(old_cr0 & CR0_PG) && (efer & EFER_LME)) {
		vmcs_write64(GUEST_IA32_EFER, efer | EFER_LMA);
		vmcs_write32(VM_ENTRY_CONTROLS, entry | ENTRY_IA32E_MODE);
	} else if (!(new_cr0 & CR0_PG) && (old_cr0 & CR0_PG)) {
		vmcs_write64(GUEST_IA32_EFER, efer & ~EFER_LMA);
		vmcs_write32(VM_ENTRY_CONTROLS, entry & ~ENTRY_IA32E_MODE);
	}
}

/* The CR0 bits that exist (SDM Vol. 3A 2.5): PE, MP, EM, TS, ET, NE, WP,
 * AM, NW, CD, PG.  Writes to the other bits of 31:0 are ignored, as the
 * CPU ignores them; ET reads as 1 on every CPU since the i486. */
#define CR0_DEFINED 0xe005003full
#define CR0_ET (1ull << 4)
#define CR4_PCIDE (1ull << 17)
#define CR4_CET (1ull << 23)
#define CR4_LA57 (1ull << 12)

static bool in_ia32e_mode(void)
{
	return (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) != 0;
}

/* PAE paging's four PDPTEs, which the CPU loads from CR3 when a MOV to
 * CR0 turns paging on, or changes CD or NW, with CR4.PAE and without
 * IA-32e mode (SDM Vol. 3A 4.4.1); with EPT, VM entry then takes them
 * from the VMCS (Vol. 3C 27.3.2.4), so an emulated MOV must put them
 * there.  A present one with a reserved bit set (bits 2:1, 8:5, and
 * from MAXPHYADDR up: Table 4-8) makes the MOV #GP, as do PDPTEs
 * outside the VM's RAM. */
#define PDPTE_RESERVED_LOW 0x1e6ull

static bool load_pdptes(struct vcpu *v)
{
	static const struct vmcs_f64 field[4] = {
		VMCS_F64(GUEST_PDPTE0), VMCS_F64(GUEST_PDPTE1),
		VMCS_F64(GUEST_PDPTE2), VMCS_F64(GUEST_PDPTE3),
	};
	unsigned maxphy = cpu_maxphyaddr();
	const uint8_t *p = vm_gpa_to_hva(v->vm, vmcs_readn(GUEST_CR3) &
						       0xffffffe0u, 32);
	uint64_t e[4];

	if (!p)
		return false;
	memcpy(e, p, sizeof(e));
	for (int i = 0; i < 4; i++)
		if ((e[i] & PTE_P) && ((e[i] & PDPTE_RESERVED_LOW) ||
				       (e[i] >> maxphy)))
			return false;
	for (int i = 0; i < 4; i++)
		vmcs_write_f64(field[i], e[i]);
	return true;
}

/* MOV to CR0 faults where the hardware would (SDM Vol. 2B MOV CR, Vol. 3A
 * 2.5, 10.8.5): bits 63:32 set, PG without PE, NW without CD, paging
 * turned on with EFER.LME but without CR4.PAE (IA-32e mode needs PAE
 * paging), paging turned off in 64-bit code or with CR4.PCIDE, WP
 * cleared with CR4.CET, or PAE paging's PDPTEs bad (load_pdptes).
 * Otherwise the next VM entry would fail on the inconsistent state (LMA
 * without PAE) and the VM would stop where the hardware gives #GP. */
static bool set_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = guest_cr0();
	bool paging_on = (val & CR0_PG) && !(old & CR0_PG);
	bool paging_off = !(val & CR0_PG) && (old & CR0_PG);
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER);

	if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return false;
	if (paging_on && (efer & EFER_LME) && !(guest_cr4() & CR4_PAE))
		return false;
	if (paging_off && (guest_is_64bit() || (guest_cr4() & CR4_PCIDE)))
		return false;
	if (!(val & CR0_WP) && (guest_cr4() & CR4_CET))
		return false;
	if ((val & CR0_PG) && (guest_cr4() & CR4_PAE) && !(efer & EFER_LME) &&
	    (paging_on || ((val ^ old) & (CR0_CD | CR0_NW))) && !load_pdptes(v))
		return false;
	val = (val & CR0_DEFINED) | CR0_ET;
	update_long_mode(old, val);
	vmcs_writen(CR0_READ_SHADOW, val);
	vmcs_writen(GUEST_CR0,
		    (val | vmcs_cr0_host_owned()) & ~(CR0_CD | CR0_NW));
	return true;
}

/* MOV to CR4 (SDM Vol. 2B MOV CR): #GP for a bit the CPU lacks or that we
 * hide (VMXE), for clearing PAE or changing LA57 in IA-32e mode, and for
 * setting PCIDE outside IA-32e mode or with CR3[11:0] not 0. */
static bool set_cr4(uint64_t val)
{
	uint64_t old = guest_cr4();

	if (val & CR4_VMXE)
		return false; /* VMX is hidden from guests */
	if ((val | vmx_ctls.cr4_fixed0 | CR4_VMXE) & ~vmx_ctls.cr4_fixed1)
		return false; /* a bit this CPU does not have */
	if (in_ia32e_mode() &&
	    (!(val & CR4_PAE) || ((val ^ old) & CR4_LA57)))
		return false;
	if ((val & CR4_PCIDE) && !(old & CR4_PCIDE) &&
	    (!in_ia32e_mode() || (vmcs_readn(GUEST_CR3) & 0xfff)))
		return false;
	vmcs_writen(CR4_READ_SHADOW, val);
	vmcs_writen(GUEST_CR4, val | vmcs_cr4_host_owned());
	return true;
}

/* CR8 is the local APIC's TPR (SDM Vol. 3A 11.8.6); without the exits
 * a guest would write the physical CPU's.  Bits 63:4 are reserved. */
static bool set_cr8(struct vcpu *v, uint64_t val)
{
	if (val >> 4)
		return false;
	vlapic_write_cr8(v, val);
	return true;
}

enum exit_action handle_cr_access(struct vcpu *v, const struct exit_info *e)
{
	uint64_t q = e->qualification;
	bool ok;

	switch (CR_QUAL_TYPE(q)) {
	case CR_MOV_TO:
		if (CR_QUAL_NUM(q) == 0)
			ok = set_cr0(v, gpr_value(v, CR_QUAL_GPR(q)));
		else if (CR_QUAL_NUM(q) == 4)
			ok = set_cr4(gpr_value(v, CR_QUAL_GPR(q)));
		else if (CR_QUAL_NUM(q) == 8)
			ok = set_cr8(v, gpr_value(v, CR_QUAL_GPR(q)));
		else
			return exit_unexpected(v, e);
		break;
	case CR_MOV_FROM: /* only CR8 exits on reads */
		if (CR_QUAL_NUM(q) != 8)
			return exit_unexpected(v, e);
		if (CR_QUAL_GPR(q) == REG_RSP)
			vmcs_writen(GUEST_RSP, vlapic_read_cr8(v));
		else
			v->regs.gpr[CR_QUAL_GPR(q)] = vlapic_read_cr8(v);
		ok = true;
		break;
	case CR_CLTS:
		ok = set_cr0(v, guest_cr0() & ~CR0_TS);
		break;
	case CR_LMSW: /* loads CR0[3:0] but cannot clear PE */
		ok = set_cr0(v, (guest_cr0() & ~0xeull) |
					(CR_QUAL_LMSW_DATA(q) & 0xf));
		break;
	default:
		return exit_unexpected(v, e);
	}
	if (!ok) {
		vcpu_inject_exception(VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}

/* XSETBV (SDM Vol. 2C): #UD without CR4.OSXSAVE; #GP for an XCR other
 * than 0 or a value the CPU refuses (arch/xcr0.h has every rule), decided
 * before the hypervisor's own XSETBV runs.  That XSETBV also sits under an
 * exception-table fixup: a rule this CPU adds that we do not know yet
 * becomes the guest's #GP, not a fault in VMX root.  The CPU holds this
 * vCPU's XCR0 while it runs; kernel/fpu.c reloads it at every switch. */
enum exit_action handle_xsetbv(struct vcpu *v, const struct exit_info *e)
{
	uint64_t *gpr = v->regs.gpr;
	uint64_t val = (gpr[REG_RDX] << 32) | (uint32_t)gpr[REG_RAX];

	if (!(guest_cr4() & CR4_OSXSAVE)) {
		vcpu_inject_exception(VEC_UD, false, 0);
		return EXIT_RESUME;
	}
	if ((uint32_t)gpr[REG_RCX] != 0 || !fpu_xcr0_allowed(val) ||
	    !xsetbv_safe(0, val)) {
		vcpu_inject_exception(VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	v->xcr0 = val;
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}
