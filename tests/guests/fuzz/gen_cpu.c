/* The fuzzer's item generators for CPU state: control and debug
 * registers, MSRs, XCR0, VMX instructions, HLT and the rest. */
#include "fuzz.h"

void cr_item(void)
{
	unsigned r = rreg();
	uint32_t v;

	switch (below(9)) {
	case 0: /* MOV to CR0: random bits, PE kept, PG off */
		v = (rnd() | 1) & ~0x80000000u;
		mov_imm(r, v);
		e3(0x0f, 0x22, 0xc0 | r);
		break;
	case 1: /* CR0.PE cleared for one instruction */
		e1(0xfa);
		mov_imm(r, (fz_cr0 & ~1u) ^ (chance(2) ? 0x60000000u : 0));
		e3(0x0f, 0x22, 0xc0 | r);
		mov_imm(r, fz_cr0);
		e3(0x0f, 0x22, 0xc0 | r);
		break;
	case 2: /* paging on, through the identity map */
		mov_imm(r, rnd() & ~((1u << 5) | (1u << 13) | (1u << 17) | (1u << 12)));
		e3(0x0f, 0x22, 0xe0 | r); /* CR4 without PAE, VMXE, PCIDE, LA57 */
		mov_imm(r, (uint32_t)idmap_pd);
		e3(0x0f, 0x22, 0xd8 | r);
		if ((switches & SW_LME) && chance(2)) {
			mov_imm(1, 0xc0000080u);
			mov_imm(0, 1u << 8);
			mov_imm(2, 0);
			e2(0x0f, 0x30);
		}
		mov_imm(r, rnd() | 0x80000001u);
		e3(0x0f, 0x22, 0xc0 | r);
		e1(0x90);
		break;
	case 3: /* MOV to CR4: random */
		v = rnd_value() | (chance(2) ? rnd() : 0);
		if (!chance(8))
			v &= ~(1u << 13);
		mov_imm(r, v);
		e3(0x0f, 0x22, 0xe0 | r);
		break;
	case 4: /* MOV to CR3 / CR2 */
		mov_imm(r, rnd());
		e3(0x0f, 0x22, (chance(2) ? 0xd8 : 0xd0) | r);
		break;
	case 5: /* MOV from CR0/2/3/4, and the undefined CR1, CR5-7 (#UD) */
		e3(0x0f, 0x20, 0xc0 | (below(8) << 3) | r);
		break;
	case 6: /* MOV to CR1/5/6/7, and LOCK MOV CR0 (AMD's CR8): #UD */
		if (chance(2)) {
			e1(0xf0);
			e3(0x0f, 0x22, 0xc0 | r);
		} else {
			static const uint8_t bad[] = { 1, 5, 6, 7 };
			e3(0x0f, 0x22, 0xc0 | (bad[below(4)] << 3) | r);
		}
		break;
	case 7: /* CLTS, LMSW, SMSW */
		if (chance(3)) {
			e2(0x0f, 0x06);
		} else if (chance(2)) {
			mov_imm(r, rnd());
			e3(0x0f, 0x01, 0xf0 | r);
		} else {
			e3(0x0f, 0x01, 0xe0 | r);
		}
		break;
	default: /* MOV to CR0 touching only the bits hv owns (CD, NW, NE) */
		v = (fz_cr0 & ~0x60000020u) | (below(4) << 29) | (chance(2) ? 0x20 : 0);
		mov_imm(r, v);
		e3(0x0f, 0x22, 0xc0 | r);
		break;
	}
}

void dr_item(void)
{
	unsigned r = rreg(), n = below(8);

	if (chance(2)) {
		uint32_t v = rnd_value();
		if (n == 7 && chance(2))
			v = (uint32_t)scratch | (rnd() & 0xffff0000u); /* enable some */
		if (n < 4 && chance(2))
			v = scratch_addr(4);
		mov_imm(r, v);
		e3(0x0f, 0x23, 0xc0 | (n << 3) | r);
	} else {
		e3(0x0f, 0x21, 0xc0 | (n << 3) | r);
	}
}

static uint32_t rnd_msr(void)
{
	static const uint32_t interesting[] = {
		0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x8b, 0x9b, 0xfe, 0x10a, 0x10b,
		0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x277, 0x2ff,
		0x6e0, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x4b564d00,
		0x4b564d01, 0x40000000, 0x40000001, 0x40000070, 0x808, 0x80b,
		0x830, 0x838, 0x83f, 0x802, 0x803,
	};
	switch (below(8)) {
	case 0: return below(0x2000);
	case 1: return 0xc0000000u + below(0x2000);
	case 2: return 0x40000000u + below(0x200);
	case 3: return 0x800 + below(0x100);
	case 4: return 0x480 + below(0x12);
	case 5: return rnd();
	default: return interesting[below(sizeof(interesting) / sizeof(interesting[0]))];
	}
}

void msr_item(void)
{
	uint32_t msr = rnd_msr();

	mov_imm(1, msr);
	if (chance(2)) {
		e2(0x0f, 0x32);
		return;
	}
	uint32_t lo = rnd_value(), hi = chance(2) ? 0 : rnd_value();
	if (msr == 0x1b) /* APIC base: mostly legal values */
		lo = 0xfee00000u | (chance(2) ? 0x900 : chance(2) ? 0xd00 : rnd() & 0xf00);
	if (msr == 0x830 && !(switches & SW_INIT)) /* x2APIC ICR */
		lo &= ~0x300u;
	if (msr >= 0x832 && msr <= 0x837 && !(switches & SW_INIT))
		lo &= ~0x300u; /* LVT: fixed or NMI (and the reserved 3) */
	mov_imm(0, lo);
	mov_imm(2, hi);
	e2(0x0f, 0x30);
	dirty_msr = true;
	dirty_apic = true;
}

void xcr_item(void)
{
	/* XGETBV needs CR4.OSXSAVE (else #UD): set it first most times. */
	if (!chance(4)) {
		e3(0x0f, 0x20, 0xe0);         /* mov cr4, eax */
		e1(0x0d); e32(1u << 18);      /* or $OSXSAVE, eax */
		e3(0x0f, 0x22, 0xe0);
	}
	mov_imm(1, chance(4) ? rnd_value() : chance(2));
	if ((switches & SW_XSETBV) && chance(2)) {
		/* Mostly values a CPU may accept: x87|SSE|AVX and the
		 * AVX-512, MPX and AMX groups, whole or split. */
		static const uint32_t xcr0s[] = {
			1, 3, 7, 7, 3, 5, 0x1f, 0x27, 0xe7, 0x207, 0x60007,
			0x1b, 0x67,
		};
		mov_imm(0, chance(4) ? rnd_value() : xcr0s[below(sizeof(xcr0s) / 4)]);
		mov_imm(2, chance(8) ? rnd_value() : 0);
		e3(0x0f, 0x01, 0xd1);
		/* Then use the state XCR0 may have turned on (CR4.OSFXSR for
		 * SSE): registers in use across a vCPU switch are what hv's
		 * XSAVE/XRSTOR must get right.  #UD when not enabled. */
		e3(0x0f, 0x20, 0xe0);
		e1(0x0d); e32(1u << 9);
		e3(0x0f, 0x22, 0xe0);
		switch (below(4)) {
		case 0: e3(0x0f, 0x57, 0xc0); break;             /* xorps */
		case 1: e2(0xc5, 0xf5); e2(0x74, 0xc9); break;   /* vpcmpeqb ymm1 */
		case 2: e3(0x36, 0xc5, 0xfe); e2(0x6f, 0x15);    /* vmovdqu m, ymm2 */
			e32(scratch_addr(32)); break;
		default: e2(0xc5, 0xf8); e2(0x93, 0xc1); break;  /* kmovw k1, eax */
		}
		e2(0xf3, 0x90); /* PAUSE: let another vCPU run */
	} else {
		e3(0x0f, 0x01, 0xd0);
	}
}

/* A port for IN; for OUT the ones that end the VM (debug exit, resets,
 * ACPI sleep) and our own UART are avoided. */

void vmx_item(void)
{
	uint32_t a = scratch_addr(16);
	unsigned r = rreg();

	a = gen_slot();
	*(uint32_t *)a = rnd_value();
	*(uint32_t *)(a + 4) = rnd_value();
	switch (below(14)) {
	case 0: e3(0x36, 0xf3, 0x0f); e1(0xc7); mem_abs(6, a); break; /* VMXON */
	case 1: e3(0x36, 0x66, 0x0f); e1(0xc7); mem_abs(6, a); break; /* VMCLEAR */
	case 2: e2(0x36, 0x0f); e1(0xc7); mem_abs(6, a); break;       /* VMPTRLD */
	case 3: e2(0x36, 0x0f); e1(0xc7); mem_abs(7, a); break;       /* VMPTRST */
	case 4: mov_imm(r, rnd()); e3(0x0f, 0x78, 0xc0 | (r << 3) | rreg()); break;
	case 5: mov_imm(r, rnd()); e3(0x0f, 0x79, 0xc0 | (rreg() << 3) | r); break;
	case 6: e3(0x0f, 0x01, 0xc2 + below(3)); break; /* VMLAUNCH/RESUME/VMXOFF */
	case 7: /* INVEPT, INVVPID */
		mov_imm(r, below(4));
		e3(0x36, 0x66, 0x0f); e2(0x38, 0x80 + below(2)); mem_abs(r, a);
		break;
	case 8: mov_imm(0, below(4)); e3(0x0f, 0x01, 0xd4); break; /* VMFUNC */
	case 9: e2(0x0f, 0x37); break; /* GETSEC */
	default: { /* VMCALL: random numbers and arguments, never HC_EXIT */
		static const uint32_t nrs[] = { 0, 1, 3, 0xffffffffu, 0x80000000u };
		uint32_t nr = chance(4) ? rnd() : nrs[below(5)];
		if (nr == 2)
			nr = 0;
		mov_imm(0, nr);
		if (nr == 1) {
			switch (below(4)) {
			case 0: /* a whole line */
				mov_imm(3, (uint32_t)console_text);
				mov_imm(1, sizeof(console_text) - 1);
				break;
			case 1: /* outside RAM, or across its end */
				mov_imm(3, chance(2) ? 0x400000u - 0x10 + below(0x20) : rnd() | 0x80000000u);
				mov_imm(1, below(64));
				break;
			case 2: /* too long */
				mov_imm(3, (uint32_t)console_text);
				mov_imm(1, 4097 + below(0x10000) + (chance(2) ? rnd() : 0));
				break;
			default: /* length 0 anywhere */
				mov_imm(3, rnd());
				mov_imm(1, 0);
				break;
			}
		} else {
			mov_imm(3, rnd()); mov_imm(1, rnd()); mov_imm(2, rnd());
		}
		e3(0x0f, 0x01, 0xc1);
		break;
	}
	}
}

void hlt_item(void)
{
	/* Whatever the items before did to the APIC, the timer must wake HLT:
	 * back to xAPIC mode, enabled, TPR 0, a one-shot timer armed. */
	put_apic_restore();
	mmio_w32(0xf0, 0x1ff);
	mmio_w32(0x80, 0);
	mmio_w32(0x3e0, 0xb);
	mmio_w32(0x320, 0x40);
	mmio_w32(0x380, 200 + below(2000));
	if (chance(3)) {
		e1(0xfb); e1(0x90); e1(0x90); e1(0xfa); /* an interrupt window */
	} else {
		e1(0xfb); e1(0xf4); e1(0xfa);
	}
}

void misc_item(void)
{
	unsigned r = rreg();

	switch (below(16)) {
	case 0: case 1: case 2: /* CPUID */
		switch (below(5)) {
		case 0: mov_imm(0, below(0x20)); break;
		case 1: mov_imm(0, 0x80000000u + below(0x20)); break;
		case 2: mov_imm(0, 0x40000000u + below(0x10)); break;
		case 3: mov_imm(0, 0xd); break;
		default: mov_imm(0, rnd()); break;
		}
		mov_imm(1, chance(2) ? below(4) : rnd());
		e2(0x0f, 0xa2);
		break;
	case 3: e2(0x0f, 0x31); break;               /* RDTSC */
	case 4: e3(0x0f, 0x01, 0xf9); break;         /* RDTSCP */
	case 5: /* RDPMC (an exit hv does not handle: on=rdpmc) */
		if (switches & SW_RDPMC) {
			mov_imm(1, chance(2) ? below(8) : rnd());
			e2(0x0f, 0x33);
		} else {
			e3(0x0f, 0xc7, 0xf0 | r); /* RDRAND */
		}
		break;
	case 6: e3(0x0f, 0xc7, (chance(2) ? 0xf0 : 0xf8) | r); break; /* RDRAND/RDSEED */
	case 7: e2(0x0f, chance(2) ? 0x09 : 0x08); break; /* WBINVD/INVD */
	case 8: case 9: e2(0xf3, 0x90); break; /* PAUSE */
	case 10: e2(0x36, 0x0f); e1(0x01); mem_abs(7, scratch_addr(1)); break; /* INVLPG */
	case 11: /* INVPCID */
		mov_imm(r, below(5));
		e3(0x36, 0x66, 0x0f); e2(0x38, 0x82); mem_abs(r, scratch_addr(16));
		break;
	case 12: /* MONITOR / MWAIT */
		mov_imm(0, scratch_addr(1));
		mov_imm(1, 0); mov_imm(2, 0);
		e3(0x0f, 0x01, chance(2) ? 0xc8 : 0xc9);
		break;
	case 13: e2(0x0f, 0xaa); break; /* RSM: #UD outside SMM */
	case 14: e2(0x0f, chance(2) ? 0x05 : 0x07); break; /* SYSCALL/SYSRET: #UD */
	default: /* XGETBV (the draw is kept: it is part of every seed's stream) */
		(void)below(2);
		e3(0x0f, 0x01, 0xd0);
		break;
	}
}

/* An MMIO access to the local APIC, I/O APIC or test device page, at a
 * random offset (page ends included) with a random size. */
