/* The hostile guest: MSR and CPU-state attacks: MSRs, VMX instructions, CR4, XCR0. */
#include "attack.h"

/* ==== MSRs ==== */

static bool gp_on_write(uint32_t msr, uint64_t v) { return !wrmsr_safe(msr, v); }

void a_msr_feature_control(void)
{
	uint64_t v = 0;
	bool readable;

	start();
	readable = rdmsr_safe(MSR_FEATURE_CONTROL, &v);
	if (readable)
		note("reads", v);
	if (!gp_on_write(MSR_FEATURE_CONTROL, 5) || !gp_on_write(MSR_FEATURE_CONTROL, 1))
		escaped("IA32_FEATURE_CONTROL accepted a write (lock/VMX)");
	else if (readable && (v & 4))
		escaped("IA32_FEATURE_CONTROL shows VMX enabled to the guest");
	else
		contained("writes raise #GP");
}

void a_msr_vmx_caps(void)
{
	unsigned readable = 0, writable = 0;
	uint64_t v;

	start();
	for (uint32_t m = MSR_VMX_BASIC; m <= MSR_VMX_LAST; m++) {
		readable += rdmsr_safe(m, &v);
		writable += wrmsr_safe(m, 0);
	}
	note_dec("readable", readable);
	if (readable || writable)
		escaped("VMX capability MSRs answer a guest that has no VMX");
	else
		contained("all 18 raise #GP");
}

void a_msr_efer(void)
{
	uint64_t before = 0, after = 0;
	bool bad = false;

	start();
	rdmsr_safe(MSR_EFER, &before);
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 12)); /* SVME */
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 1));  /* reserved */
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 63));
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 13)); /* LMSLE */
	bad |= !gp_on_write(MSR_EFER, before | (1ull << 15)); /* TCE */
	rdmsr_safe(MSR_EFER, &after);
	if (bad || after != before)
		escaped("EFER took a reserved or hidden bit");
	else
		contained("reserved/SVME/LMSLE/TCE bits raise #GP");
}

void a_msr_apic_base(void)
{
	uint64_t base = 0, after = 0;
	bool bad = false;

	start();
	rdmsr_safe(MSR_APIC_BASE, &base);
	note("base", base);
	bad |= !gp_on_write(MSR_APIC_BASE, (base & 0xfff) | 0xfed00000u); /* over the HPET */
	bad |= !gp_on_write(MSR_APIC_BASE, (base & 0xfff) | 0x00100000u); /* over its own RAM */
	bad |= !gp_on_write(MSR_APIC_BASE, base | (1ull << 40));
	bad |= !gp_on_write(MSR_APIC_BASE, base | (1u << 9));  /* reserved */
	bad |= !gp_on_write(MSR_APIC_BASE, (base & ~(1ull << 11)) | (1u << 10)); /* x2APIC without enable */
	rdmsr_safe(MSR_APIC_BASE, &after);
	if (bad || after != base || (*apic_reg(APIC_ID) >> 24) != 0)
		escaped("the APIC moved or took a reserved bit");
	else
		contained("relocation and reserved bits raise #GP; APIC still at 0xfee00000");
}

void a_msr_pat(void)
{
	static const uint8_t invalid[] = { 2, 3, 8, 0xff };
	uint64_t before = 0, after = 0;
	bool bad = false;

	start();
	rdmsr_safe(MSR_PAT, &before);
	for (unsigned b = 0; b < 8; b++)
		for (unsigned i = 0; i < sizeof(invalid); i++)
			bad |= !gp_on_write(MSR_PAT, (before & ~(0xffull << (8 * b))) |
						     ((uint64_t)invalid[i] << (8 * b)));
	rdmsr_safe(MSR_PAT, &after);
	if (bad || after != before)
		escaped("PAT took an invalid memory type");
	else
		contained("types 2, 3, 8, 0xff raise #GP in every entry");
}

void a_msr_mtrr(void)
{
	bool bad = false;
	uint64_t v;

	start();
	bad |= !gp_on_write(MSR_MTRR_PHYSBASE0, 0x6);
	bad |= !gp_on_write(MSR_MTRR_PHYSBASE0 + 1, 0xfff0000800ull);
	bad |= !gp_on_write(MSR_MTRR_FIX64K, 0x0606060606060606ull);
	bad |= !gp_on_write(MSR_MTRR_DEF_TYPE, 0xc06 | (1ull << 12));
	bad |= !gp_on_write(MSR_MTRR_DEF_TYPE, 1ull << 40);
	if (!wrmsr_safe(MSR_MTRR_DEF_TYPE, 0xc06) || !rdmsr_safe(MSR_MTRR_DEF_TYPE, &v) ||
	    v != 0xc06)
		bad = true;
	if (bad)
		escaped("an MTRR the guest does not have took a write");
	else
		contained("no variable/fixed MTRRs; DEF_TYPE reserved bits raise #GP");
}

/* IA32_BIOS_UPDT_TRIG: on the host it would load "microcode" from the
 * linear address given, in root mode. */
void a_msr_microcode(void)
{
	static uint8_t junk[2048] __attribute__((aligned(16)));
	uint64_t sig = 0;
	bool took;

	start();
	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7);
	took = wrmsr_safe(MSR_BIOS_UPDT_TRIG, (uint32_t)junk);
	wrmsr_safe(0x8b, 0);
	rdmsr_safe(0x8b, &sig);
	note("update signature", sig);
	contained(took ? "write ignored" : "write raises #GP");
}

void a_msr_mc_banks(void)
{
	bool bad = false;
	uint64_t cap = 0;

	start();
	rdmsr_safe(0x179, &cap);
	note("MCG_CAP", cap);
	for (uint32_t m = MSR_MC0_CTL; m < MSR_MC0_CTL + 4 * 10; m++)
		bad |= (cap & 0xff) == 0 && !gp_on_write(m, 0xffffffffffffffffull);
	bad |= !gp_on_write(MSR_MCG_CTL, 0xffffffffffffffffull) && !(cap & (1u << 8));
	wrmsr_safe(0x17a, 0x7); /* MCG_STATUS: MCIP|EIPV|RIPV */
	if (bad)
		escaped("machine-check bank MSRs took writes");
	else
		contained("no banks: writes raise #GP");
}

void a_msr_debugctl(void)
{
	uint64_t v = 0;
	bool took;

	start();
	took = wrmsr_safe(MSR_DEBUGCTL, 0x3); /* LBR | BTF */
	rdmsr_safe(MSR_DEBUGCTL, &v);
	wrmsr_safe(MSR_DEBUGCTL, 0);
	if (!gp_on_write(MSR_DEBUGCTL, 1ull << 40))
		escaped("DEBUGCTL took a reserved bit");
	else
		contained(took ? "LBR|BTF accepted for the guest alone" : "raises #GP");
}

void a_msr_smm(void)
{
	uint64_t v;
	bool bad = false;

	start();
	bad |= rdmsr_safe(MSR_SMBASE, &v);
	bad |= !gp_on_write(MSR_SMBASE, 0x30000);
	bad |= !gp_on_write(MSR_SMM_MONITOR_CTL, 1);
	bad |= !gp_on_write(MSR_SMRR_BASE, 0x6);
	bad |= !gp_on_write(MSR_SMRR_MASK, 0x800);
	if (bad)
		escaped("an SMM MSR answered");
	else
		contained("SMBASE, SMM_MONITOR_CTL and SMRR raise #GP");
}

/* Addresses the hypervisor loads in root on every switch back (the
 * SYSCALL MSRs, KERNEL_GS_BASE) or that live in the VMCS (FS/GS base,
 * SYSENTER): a non-canonical value must be refused at the guest's WRMSR,
 * never reach a root-mode WRMSR. */
void a_msr_canonical(void)
{
	static const uint32_t msrs[] = { 0x175, 0x176, 0xc0000082u,
					 0xc0000083u, 0xc0000100u, 0xc0000101u,
					 0xc0000102u };
	unsigned took = 0;

	start();
	for (unsigned i = 0; i < sizeof(msrs) / 4; i++) {
		uint64_t before = 0, after = 0;
		rdmsr_safe(msrs[i], &before);
		took += !gp_on_write(msrs[i], 0x8000000000000000ull);
		took += !gp_on_write(msrs[i], 0x0000800000000000ull);
		rdmsr_safe(msrs[i], &after);
		if (after != before) {
			note("changed by a refused write:", msrs[i]);
			took++;
		}
	}
	/* TSC and TSC_ADJUST at their extremes: this VM's clock only. */
	wrmsr_safe(0x10, 0xffffffffffffff00ull);
	wrmsr_safe(0x3b, 1ull << 62);
	wrmsr_safe(0x3b, 0);
	wrmsr_safe(0x10, 0);
	note_dec("accepted", took);
	if (took)
		escaped("a non-canonical address was taken for a root-mode reload");
	else
		contained("non-canonical bases and entry points raise #GP");
}

/* x2APIC: interrupts to APIC IDs that do not exist, and every delivery
 * mode to them; then a fixed self-IPI that must arrive. */
void a_msr_x2apic_icr(void)
{
	uint64_t base = 0;

	start();
	if (!cpuid_bit(1, 0, ECX, 21)) {
		contained("no x2APIC in CPUID: not tried");
		return;
	}
	set_gate(2, nmi_stub, 0);
	irq_handler = count_irq;
	irq_count = 0;
	rdmsr_safe(MSR_APIC_BASE, &base);
	if (!wrmsr_safe(MSR_APIC_BASE, base | (1u << 10))) {
		escaped("x2APIC announced but cannot be enabled");
		return;
	}
	static const uint32_t dests[] = { 1, 7, 0xff, 0x1234, 0xfffffffe };
	static const uint32_t modes[] = { 0x4040, 0x4140, 0x4400, 0x4500, 0x4608, 0x4240, 0x4740 };
	unsigned faults = 0;
	for (unsigned d = 0; d < sizeof(dests) / 4; d++)
		for (unsigned m = 0; m < sizeof(modes) / 4; m++) {
			faults += !wrmsr_safe(MSR_X2APIC_ICR,
					      ((uint64_t)dests[d] << 32) | modes[m]);
			faults += !wrmsr_safe(MSR_X2APIC_ICR,
					      ((uint64_t)dests[d] << 32) | modes[m] | (1u << 11));
		}
	wrmsr_safe(0x808, 0); /* TPR */
	wrmsr_safe(0x80f, 0x1ff); /* SVR: enabled */
	eoi_apic = false;
	wrmsr_safe(MSR_X2APIC_ICR, 0x4041 | ICR_SELF);
	__asm__ volatile("sti; nop; nop; cli");
	wrmsr_safe(0x80b, 0); /* EOI */
	/* Back to xAPIC (through disabled: the only legal way). */
	wrmsr_safe(MSR_APIC_BASE, base & ~((1ull << 10) | (1ull << 11)));
	wrmsr_safe(MSR_APIC_BASE, base);
	irq_handler = 0;
	note_dec("rejected ICR writes", faults);
	note_dec("self-IPIs received", irq_count);
	if (irq_count != 1)
		wrong_verdict("the self-IPI did not arrive exactly once");
	else
		contained("IPIs to missing vCPUs dropped; the self-IPI arrived");
}

/* Every MSR index in the low and high ranges read, and written with zero
 * except the few whose zero would hurt this VM itself. */
void a_msr_sweep(void)
{
	static const uint32_t ranges[][2] = {
		{ 0x0, 0x2000 }, { 0x40000000u, 0x40000100u },
		{ 0xc0000000u, 0xc0002000u }, { 0xc0010000u, 0xc0010100u },
		{ 0xfffffff0u, 0xffffffffu },
	};
	unsigned readable = 0, writable = 0;
	uint64_t v;

	start();
	for (unsigned r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (uint32_t m = ranges[r][0]; m < ranges[r][1]; m++) {
			readable += rdmsr_safe(m, &v);
			if (m == 0x10 || m == MSR_APIC_BASE || m == MSR_PAT ||
			    m == MSR_MTRR_DEF_TYPE || m == MSR_EFER || m == 0x6e0)
				continue;
			writable += wrmsr_safe(m, 0);
		}
	note_dec("readable", readable);
	note_dec("writable (zero)", writable);
	contained("every index answered with a value or #GP");
}

/* ==== VMX instructions, CR4, XCR0 ==== */

void a_vmx_insns(void)
{
	static const struct { const char *name; uint8_t b[6]; unsigned n; } insns[] = {
		{ "VMXON", { 0xf3, 0x0f, 0xc7, 0x33 }, 4 },
		{ "VMXOFF", { 0x0f, 0x01, 0xc4 }, 3 },
		{ "VMCLEAR", { 0x66, 0x0f, 0xc7, 0x33 }, 4 },
		{ "VMPTRLD", { 0x0f, 0xc7, 0x33 }, 3 },
		{ "VMPTRST", { 0x0f, 0xc7, 0x3b }, 3 },
		{ "VMREAD", { 0x0f, 0x78, 0xc3 }, 3 },
		{ "VMWRITE", { 0x0f, 0x79, 0xc3 }, 3 },
		{ "VMLAUNCH", { 0x0f, 0x01, 0xc2 }, 3 },
		{ "VMRESUME", { 0x0f, 0x01, 0xc3 }, 3 },
		{ "INVEPT", { 0x66, 0x0f, 0x38, 0x80, 0x03 }, 5 },
		{ "INVVPID", { 0x66, 0x0f, 0x38, 0x81, 0x03 }, 5 },
		{ "VMFUNC", { 0x0f, 0x01, 0xd4 }, 3 },
		{ "GETSEC", { 0x0f, 0x37 }, 2 },
		{ "VMMCALL", { 0x0f, 0x01, 0xd9 }, 3 },
		{ "ENCLS", { 0x0f, 0x01, 0xcf }, 3 },
	};
	unsigned ran = 0;

	start();
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		scratch[0] = 0x1000; /* a "VMCS" address inside its RAM */
		expect_fault(6, insns[i].n);
		run_code(insns[i].b, insns[i].n, 0);
		if (!fault_seen(6)) {
			name_line("ran without #UD: ");
			puts_serial(insns[i].name);
			putc_serial('\n');
			ran++;
		}
	}
	if (ran)
		escaped("a VMX instruction did not raise #UD");
	else
		contained("all 15 raise #UD");
}

/* CR4: a bit CPUID does not announce (or that is reserved) must raise
 * #GP; VMXE and SMXE above all. */
static bool cr4_announced(unsigned bit)
{
	switch (bit) {
	case 0: case 1: return cpuid_bit(1, 0, EDX, 1);  /* VME, PVI */
	case 2: return cpuid_bit(1, 0, EDX, 4);  /* TSD */
	case 3: return cpuid_bit(1, 0, EDX, 2);  /* DE */
	case 4: return cpuid_bit(1, 0, EDX, 3);  /* PSE */
	case 5: return cpuid_bit(1, 0, EDX, 6);  /* PAE */
	case 6: return cpuid_bit(1, 0, EDX, 7);  /* MCE */
	case 7: return cpuid_bit(1, 0, EDX, 13); /* PGE */
	case 8: return true;                      /* PCE */
	case 9: return cpuid_bit(1, 0, EDX, 24); /* OSFXSR */
	case 10: return cpuid_bit(1, 0, EDX, 25); /* OSXMMEXCPT */
	case 11: return cpuid_bit(7, 0, ECX, 2);  /* UMIP */
	case 12: return cpuid_bit(7, 0, ECX, 16); /* LA57 */
	case 13: return cpuid_bit(1, 0, ECX, 5);  /* VMXE */
	case 14: return cpuid_bit(1, 0, ECX, 6);  /* SMXE */
	case 16: return cpuid_bit(7, 0, EBX, 0);  /* FSGSBASE */
	case 17: return false;                    /* PCIDE: only in IA-32e mode */
	case 18: return cpuid_bit(1, 0, ECX, 26); /* OSXSAVE */
	case 19: return cpuid_bit(7, 0, ECX, 23); /* KL */
	case 20: return cpuid_bit(7, 0, EBX, 7);  /* SMEP */
	case 21: return cpuid_bit(7, 0, EBX, 20); /* SMAP */
	case 22: return cpuid_bit(7, 0, ECX, 3);  /* PKE */
	case 23: return false; /* CET: #GP while CR0.WP = 0, as here */
	case 24: return cpuid_bit(7, 0, ECX, 31); /* PKS */
	case 25: return cpuid_bit(7, 0, EDX, 5);  /* UINTR */
	default: return false;
	}
}

void a_cr4_reserved(void)
{
	uint32_t cr4 = read_cr4();
	unsigned wrong = 0;

	start();
	for (unsigned bit = 0; bit < 32; bit++) {
		if (cr4 & (1u << bit))
			continue;
		bool ok = write_cr4_safe(cr4 | (1u << bit));
		if (ok)
			write_cr4(cr4);
		if (ok && !cr4_announced(bit)) {
			note_dec("accepted a bit CPUID does not announce:", bit);
			wrong++;
		}
	}
	if (read_cr4() != cr4)
		wrong++;
	if (wrong)
		wrong_verdict("CR4 took a bit the guest's CPU does not have");
	else
		contained("every unannounced or reserved bit raises #GP");
}

static bool xsetbv_fault(uint32_t index, uint64_t v, unsigned vector)
{
	expect_fault(vector, 3);
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
	return fault_seen(vector);
}

/* XCR0 values no CPU takes: no x87, AVX without SSE, reserved and
 * unsupported bits, XCR1; and XSETBV before CR4.OSXSAVE (#UD).  Only
 * XCR0 = x87 is ever set, so no state of this VM depends on it. */
void a_xcr0_reserved(void)
{
	uint32_t r[4], cr4 = read_cr4();
	uint64_t supported;
	unsigned wrong = 0;

	start();
	if (!cpuid_bit(1, 0, ECX, 26)) {
		contained("no XSAVE in CPUID: not tried");
		return;
	}
	cpuid(0xd, 0, r);
	supported = ((uint64_t)r[3] << 32) | r[0];
	wrong += !xsetbv_fault(0, 1, 6); /* OSXSAVE still clear: #UD */
	write_cr4(cr4 | (1u << 18));
	wrong += !xsetbv_fault(0, 0, 13);
	wrong += !xsetbv_fault(0, 2, 13);
	wrong += !xsetbv_fault(0, 5, 13);
	wrong += !xsetbv_fault(1, 1, 13);
	wrong += !xsetbv_fault(0xffffffffu, 1, 13);
	for (unsigned bit = 2; bit < 64; bit++)
		if (!((supported >> bit) & 1))
			wrong += !xsetbv_fault(0, 3 | (1ull << bit), 13);
	wrong += xsetbv_fault(0, 1, 13); /* x87 alone is valid */
	write_cr4(cr4);
	note("XCR0 supported", supported);
	if (wrong)
		wrong_verdict("XSETBV took a value the CPU refuses");
	else
		contained("reserved, unsupported and inconsistent XCR0 values raise #GP");
}
