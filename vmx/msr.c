/* Not on the fast paths make bench measures: VMCS accessors out of
 * line, for size (vmx/vmcs.h). */
#define VMCS_ACCESS_OUT_OF_LINE

#include "msr.h"

#include <string.h>

#include "../arch/cpu.h"
#include "../arch/idt.h"
#include "../arch/msr.h"
#include "../arch/spec_ctrl.h"
#include "../drivers/vlapic.h"
#include "../kernel/memory.h"
#include "event.h"
#include "exit.h"
#include "vmcs.h"
#include "vmcs_setup.h"

#define EFER_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)

static const uint32_t swapped_msrs[MSR_SWAP_COUNT] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE,
	MSR_TSC_AUX,
};

/* Pass-through MSRs: state that lives in the VMCS guest area (FS/GS base,
 * SYSENTER) or is swapped per vCPU (above). */
static const uint32_t passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
	MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

/* Bitmap layout (SDM Vol. 3C 25.6.9): four 1 KiB quarters, read-low,
 * read-high, write-low, write-high; low = 0..0x1fff, high =
 * 0xc0000000..0xc0001fff. */
void msr_intercept_clear(struct vm *vm, uint32_t msr, enum msr_access acc)
{
	uint8_t *bm = phys_to_virt(vm->msr_bitmap);
	unsigned off;

	if (msr <= 0x1fff)
		off = 0;
	else if (msr - 0xc0000000u <= 0x1fff)
		off = 1024;
	else
		return;
	msr &= 0x1fff;
	if (acc & MSR_READ)
		bm[off + msr / 8] &= (uint8_t)~(1u << (msr % 8));
	if (acc & MSR_WRITE)
		bm[off + 2048 + msr / 8] &= (uint8_t)~(1u << (msr % 8));
}

void msr_bitmap_init(struct vm *vm)
{
	memset(phys_to_virt(vm->msr_bitmap), 0xff, 4096);
	for (size_t i = 0; i < sizeof(passthrough_msrs) / sizeof(uint32_t); i++)
		msr_intercept_clear(vm, passthrough_msrs[i],
				    MSR_READ | MSR_WRITE);
	/* The speculation controls the CPU has are the guest's own: the
	 * hardware checks their reserved bits (#GP in the guest, no exit);
	 * SPEC_CTRL is switched per vCPU, the other two are commands. */
	if (spec_caps.spec_ctrl)
		msr_intercept_clear(vm, MSR_IA32_SPEC_CTRL,
				    MSR_READ | MSR_WRITE);
	if (spec_caps.ibpb)
		msr_intercept_clear(vm, MSR_IA32_PRED_CMD, MSR_WRITE);
	if (spec_caps.l1d_flush)
		msr_intercept_clear(vm, MSR_IA32_FLUSH_CMD, MSR_WRITE);
}

void msr_context_switch(struct msr_context *save, const struct msr_context *load)
{
	for (int i = 0; i < MSR_SWAP_COUNT; i++) {
		if (save)
			save->val[i] = rdmsr(swapped_msrs[i]);
		if (load)
			wrmsr(swapped_msrs[i], load->val[i]);
	}
	if (!spec_caps.spec_ctrl)
		return;
	if (save)
		save->spec_ctrl = rdmsr(MSR_IA32_SPEC_CTRL);
	if (load)
		wrmsr(MSR_IA32_SPEC_CTRL, load->spec_ctrl);
}

/* Each memory type in the PAT must be 0, 1, 4, 5, 6 or 7 (SDM Vol. 3A
 * 11.12.2), or WRMSR raises #GP. */
static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));
		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static bool emulate_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_IA32_EFER:
		*val = vmcs_read64(GUEST_IA32_EFER);
		return true;
	case MSR_IA32_PAT:
		*val = vmcs_read64(GUEST_IA32_PAT);
		return true;
	case MSR_IA32_TSC:
		*val = rdtsc() + v->tsc_offset;
		return true;
	case MSR_IA32_TSC_ADJUST:
		*val = v->tsc_adjust;
		return true;
	case MSR_IA32_MISC_ENABLE:
		*val = v->misc_enable;
		return true;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_MTRRCAP: /* no variable or fixed ranges, no WC */
	case MSR_MCG_CAP: /* machine check with no banks: nothing to report */
	case MSR_MCG_STATUS:
		*val = 0;
		return true;
	case MSR_MTRR_DEF_TYPE:
		*val = v->mtrr_def_type;
		return true;
	case MSR_IA32_ARCH_CAPABILITIES:
		/* The host's answer (the guest's CPU is the host's), with
		 * ITS_NO where the host is not affected (arch/spec_ctrl.h);
		 * CPUID always shows the MSR.  Read-only: a write is #GP. */
		*val = spec_caps.guest_arch_caps;
		return true;
	default:
		return vlapic_msr_read(v, msr, val);
	}
}

/* IA32_EFER: reserved bits #GP; LMA is read-only status, the CPU's to
 * set, so a written value is ignored (SDM Vol. 3A 2.2.1 Table 2-1); LME
 * cannot change while CR0.PG = 1: #GP(0) (SDM Vol. 3A 4.1.2).  Taking
 * that change would leave LME != LMA with paging on, which fails the next
 * VM entry (SDM Vol. 3C 27.3.1.1). */
static bool write_efer(struct vcpu *v, uint64_t val)
{
	uint64_t cur = vmcs_read64(GUEST_IA32_EFER);

	if (val & ~(EFER_WRITABLE | EFER_LMA))
		return false;
	/* With XD disabled, CPUID.80000001H:EDX.NX reads 0 and NXE is a
	 * reserved bit (SDM Vol. 4 Table 2-2, IA32_MISC_ENABLE[34]). */
	if ((val & EFER_NXE) && !(cur & EFER_NXE) &&
	    (v->misc_enable & MISC_ENABLE_XD_DISABLE))
		return false;
	if ((guest_cr0() & CR0_PG) && ((val ^ cur) & EFER_LME))
		return false;
	vmcs_write64(GUEST_IA32_EFER, (val & EFER_WRITABLE) | (cur & EFER_LMA));
	return true;
}

/* IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2; reset value MISC_ENABLE_RESET
 * in msr.h).  Writable: fast strings (0), automatic thermal control (3,
 * kept, with no circuit behind it), limit CPUID maxval (22, which
 * vmx/exit_cpuid.c honours) and XD disable (34, where the CPU has NX; it
 * hides NX from CPUID and EFER).  Read-only, a write leaves them:
 * performance monitoring available (7), BTS and PEBS unavailable (11,
 * 12), xTPR message disable (23: CPUID.01H:ECX[14] = 0 says it cannot be
 * changed), and MONITOR FSM (18: R/W on the CPU, but these vCPUs have no
 * MONITOR/MWAIT, so it stays 0 with the CPUID flag it controls).  Every
 * other bit is reserved, Enhanced SpeedStep (16) too since CPUID.01H:
 * ECX.EST is hidden: setting one raises #GP. */
#define MISC_ENABLE_WRITABLE                                               \
	(MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_TCC | MISC_ENABLE_LIMIT_CPUID | \
	 MISC_ENABLE_XD_DISABLE)
#define MISC_ENABLE_READ_ONLY                                              \
	(MISC_ENABLE_PERFMON | MISC_ENABLE_BTS_UNAVAIL |                       \
	 MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XTPR_DISABLE |                 \
	 MISC_ENABLE_MONITOR)
#define CPUID_EXT1_EDX_NX (1u << 20)

static bool write_misc_enable(struct vcpu *v, uint64_t val)
{
	uint64_t writable = MISC_ENABLE_WRITABLE;

	if (!(cpuid(0x80000001u, 0).edx & CPUID_EXT1_EDX_NX))
		writable &= ~MISC_ENABLE_XD_DISABLE;
	if (val & ~(writable | MISC_ENABLE_READ_ONLY))
		return false;
	v->misc_enable = (v->misc_enable & ~writable) | (val & writable);
	return true;
}

/* The VMCS's TSC_OFFSET and its copy in the vCPU, which devices (the
 * local APIC's TSC deadline) read. */
static void set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	v->tsc_offset = offset;
	vmcs_write64(TSC_OFFSET, offset);
}

static bool emulate_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	uint64_t cur;

	switch (msr) {
	case MSR_IA32_EFER:
		return write_efer(v, val);
	case MSR_IA32_PAT:
		if (!pat_valid(val))
			return false;
		vmcs_write64(GUEST_IA32_PAT, val);
		return true;
	case MSR_IA32_TSC:
		/* A TSC write moves TSC_ADJUST by as much (SDM Vol. 3B
		 * 18.17.3): the guest's TSC is the host's plus the offset,
		 * so the change of the offset is the change of the TSC. */
		cur = v->tsc_offset;
		set_tsc_offset(v, val - rdtsc());
		v->tsc_adjust += v->tsc_offset - cur;
		return true;
	case MSR_IA32_TSC_ADJUST:
		set_tsc_offset(v, v->tsc_offset + val - v->tsc_adjust);
		v->tsc_adjust = val;
		return true;
	case MSR_IA32_MISC_ENABLE:
		return write_misc_enable(v, val);
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_MCG_STATUS:
		return true; /* ignored */
	case MSR_MTRR_DEF_TYPE:
		/* Only the default type and the enable bit exist here; EPT
		 * decides the real memory type anyway (SDM Vol. 3C 29.3.7). */
		if (val & ~0xcffull)
			return false;
		v->mtrr_def_type = val;
		return true;
	default:
		return vlapic_msr_write(v, msr, val);
	}
}

enum exit_action handle_rdmsr(struct vcpu *v, const struct exit_info *e)
{
	uint64_t *gpr = v->regs.gpr, val;

	if (!emulate_read(v, (uint32_t)gpr[REG_RCX], &val)) {
		vcpu_inject_exception(VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	gpr[REG_RAX] = (uint32_t)val;
	gpr[REG_RDX] = val >> 32;
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}

enum exit_action handle_wrmsr(struct vcpu *v, const struct exit_info *e)
{
	uint64_t *gpr = v->regs.gpr;
	uint64_t val = (gpr[REG_RDX] << 32) | (uint32_t)gpr[REG_RAX];

	if (!emulate_write(v, (uint32_t)gpr[REG_RCX], val)) {
		vcpu_inject_exception(VEC_GP, true, 0);
		return EXIT_RESUME;
	}
	vcpu_skip_instruction(e);
	return EXIT_RESUME;
}
