/* CPUID as the hypervisor filters it, and VMX instructions giving #UD. */
#include "guest.h"

int guest_main(uint32_t magic, uint32_t info)
{
	uint32_t r[4];
	char sig[13];

	(void)magic, (void)info;
	cpuid(1, 0, r);
	check(r[2] & (1u << 31), "leaf 1 ECX.hypervisor set");
	check(!(r[2] & (1u << 5)), "leaf 1 ECX.VMX clear");
	check(!(r[2] & (1u << 3)), "leaf 1 ECX.MONITOR clear");
	check((r[1] >> 24) == 0, "initial APIC ID is vCPU 0");
	cpuid(0x40000000, 0, r);
	__builtin_memcpy(sig, &r[1], 4);
	__builtin_memcpy(sig + 4, &r[2], 4);
	__builtin_memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	puts_serial("signature: ");
	puts_serial(sig);
	puts_serial("\n");
	check(__builtin_memcmp(sig, "HvSmallVisor", 12) == 0, "signature HvSmallVisor");
	check(r[0] >= 0x40000001, "max hypervisor leaf");
	cpuid(0x40000001, 0, r);
	check(r[0] == 0x00010000, "interface version 1.0");
	cpuid(0, 0, r);
	check(r[0] >= 1, "leaf 0 passes through");
	/* Leaves past the last basic, the last extended, and ours: zeros,
	 * not the host's last basic leaf (an x2APIC ID among them) nor what
	 * a hypervisor below answers. */
	{
		uint32_t max_ext, probe[3], zero = 0;
		cpuid(0x80000000, 0, r);
		max_ext = r[0];
		probe[0] = 0x40000100;
		probe[1] = max_ext + 1;
		probe[2] = 0xc0000000;
		for (unsigned i = 0; i < 3; i++) {
			cpuid(probe[i], 0, r);
			zero |= r[0] | r[1] | r[2] | r[3];
		}
		check(max_ext >= 0x80000001 && zero == 0,
		      "SDM Vol. 2A CPUID: leaves past the last extended one and "
		      "past the hypervisor's answer nothing");
	}
	/* VMXOFF (0f 01 c4) and VMXON [eax] (f3 0f c7 30): #UD, not VMX. */
	expect_fault(6, 3);
	__asm__ volatile(".byte 0x0f, 0x01, 0xc4");
	check(fault_seen(6), "VMXOFF raises #UD");
	expect_fault(6, 4);
	__asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0x30" ::"a"(0x200000) : "memory");
	check(fault_seen(6), "VMXON raises #UD");
	return verdict();
}
