/* The hostile guest (issue 9): one attack on the hypervisor per name on
 * its command line, "attack=NAME[,NAME...]", run in that order.  Each
 * prints "ATTACK NAME: start", then, where the guest itself can judge,
 * "ATTACK NAME: contained (...)" or "ATTACK NAME: ESCAPED (...)".  Attacks
 * that must end their VM (memory outside RAM, a triple fault, an
 * unemulated MMIO instruction) end it; tests/boots/attacks.py judges those
 * from the hypervisor's log ("vm X: stopped: ...").  See the list in
 * docs/TESTING.md, "The hostile-guest suite". */
#include "attack.h"

const char *current;
uint32_t ram_end;

/* ==== the command line ==== */

static const struct { const char *name; void (*fn)(void); } attacks[] = {
	{ "ram_straddle", a_ram_straddle },
	{ "exec_outside", a_exec_outside },
	{ "gpa_4g", a_gpa_4g },
	{ "gpa_top", a_gpa_top },
	{ "host_sweep", a_host_sweep },
	{ "sibling_scan", a_sibling_scan },
	{ "msr_feature_control", a_msr_feature_control },
	{ "msr_vmx_caps", a_msr_vmx_caps },
	{ "msr_efer", a_msr_efer },
	{ "msr_apic_base", a_msr_apic_base },
	{ "msr_pat", a_msr_pat },
	{ "msr_mtrr", a_msr_mtrr },
	{ "msr_microcode", a_msr_microcode },
	{ "msr_mc_banks", a_msr_mc_banks },
	{ "msr_debugctl", a_msr_debugctl },
	{ "msr_smm", a_msr_smm },
	{ "msr_canonical", a_msr_canonical },
	{ "msr_x2apic_icr", a_msr_x2apic_icr },
	{ "msr_sweep", a_msr_sweep },
	{ "vmx_insns", a_vmx_insns },
	{ "cr4_reserved", a_cr4_reserved },
	{ "xcr0_reserved", a_xcr0_reserved },
	{ "pci_config", a_pci_config },
	{ "host_ports", a_host_ports },
	{ "hypercall_bad", a_hypercall_bad },
	{ "hypercall_cpl3", a_hypercall_cpl3 },
	{ "mmio_straddle", a_mmio_straddle },
	{ "mmio_smc", a_mmio_smc },
	{ "mmio_stale_tlb", a_mmio_stale_tlb },
	{ "mmio_vanished_page", a_mmio_vanished_page },
	{ "mmio_rep_movs", a_mmio_rep_movs },
	{ "exit_flood", a_exit_flood },
	{ "mmio_ram_end", a_mmio_ram_end },
	{ "triple_fault", a_triple_fault },
	{ "reset_kbd", a_reset_kbd },
	{ "reset_cf9", a_reset_cf9 },
	{ "init_storm", a_init_storm },
	{ "nmi_storm", a_nmi_storm },
	{ "spin_smp", a_spin_smp },
	{ "pit_storm", a_pit_storm },
	{ "rtc_storm", a_rtc_storm },
	{ "lapic_timer_storm", a_lapic_timer_storm },
	{ "tsc_deadline_past", a_tsc_deadline_past },
};

static bool word_is(const char *s, const char *name)
{
	while (*name && *s == *name)
		s++, name++;
	return !*name && (*s == ',' || *s == ' ' || *s == '=' || *s == 0);
}

int guest_main(uint32_t magic, uint32_t info)
{
	const uint32_t *mbi = (const uint32_t *)info;
	const char *cmd = cmdline(info);

	(void)magic;
	ram_end = (mbi[2] + 1024) * 1024;
	while (*cmd == ' ')
		cmd++;
	if (!word_is(cmd, "attack")) {
		puts_serial("usage: attack=NAME[,NAME...]\n");
		return 0;
	}
	cmd += 7;
	while (*cmd && *cmd != ' ') {
		bool found = false;
		current = cmd;
		for (unsigned i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
			if (word_is(cmd, attacks[i].name)) {
				attacks[i].fn();
				found = true;
				break;
			}
		if (!found)
			name_line("no such attack\n");
		while (*cmd && *cmd != ',' && *cmd != ' ')
			cmd++;
		if (*cmd == ',')
			cmd++;
	}
	puts_serial("attacks done\n");
	return 0;
}
