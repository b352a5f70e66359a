"""vms.conform_apic: the local APIC, MSRs and delivery modes as the SDM
says (issue 12), one guest per area, each check citing its rule:

  apic_x2conf  x2APIC MSRs (Vol. 3A 11.12: Table 11-6, reserved bits,
               xAPIC-mode #GP), IA32_APIC_BASE transitions (Figure 11-27),
               CPUID.01H:EDX.APIC following EN, the state after
               re-enabling (11.4.7.1)  -- tests/guests/apic_x2conf.c
  msr_conform  IA32_MISC_ENABLE (Vol. 4 Table 2-2), IA32_TSC_ADJUST
               (Vol. 3B 18.17.3), MSRs the vCPU lacks: #GP
               -- tests/guests/msr_conform.c
  apic_lowpri  four vCPUs: lowest-priority delivery by IPI and by I/O APIC
               entry to the lowest PPR (11.6.2.4), ExtINT through the I/O
               APIC, SMI and the ICR's reserved ExtINT mode, with hv's
               once-per-VM log lines  -- tests/guests/apic_lowpri.c
  rm_msr       the same #GP rule in real mode, with no error code pushed
               -- tests/guests/realmode.c (cmdline gp)
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest, Judge

GUESTS = ["apic_x2conf", "msr_conform", "apic_lowpri", "realmode"]


def _checks(name: str, texts: list[str]) -> Judge:
    """The guest passed, and said ok to each of these checks (regexes)."""
    p = passes(name)
    return Judge(expect=[*(rf"^\[{name}\] CHECK {t}: ok$" for t in texts),
                         *p.expect],
                 reject=[*p.reject, *ROOT_FAULT])


CONFORM_APIC = BootTest(
    name="vms.conform_apic",
    cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
         + vm("apic_x2conf", "apic_x2conf")
         + vm("msr_conform", "msr_conform")
         + vm("apic_lowpri", "apic_lowpri", extra="vcpus = 4\n")
         + vm("rm_msr", "realmode", extra="cmdline = gp\n")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf" for g in GUESTS},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 4 exited, 0 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"panic", r"not started:"],
    subtests={
        "conform_apic.x2apic_msrs": _checks("apic_x2conf", [
            r"11\.12\.2: x2APIC MSRs in xAPIC mode: #GP",
            r"11\.12\.1\.2: MSRs Table 11-6 does not list: #GP both ways",
            r"Table 11-6: reading EOI or SELF IPI \(write-only\): #GP",
            r"Table 11-6: writing ID, version, PPR, .*: #GP",
            r"11\.12\.11: SELF IPI bits 31:8 reserved: #GP",
            r"11\.12\.9: ICR reserved bits 12, 13, 16, 20, 31: #GP"]),
        "conform_apic.apic_base": _checks("apic_x2conf", [
            r"11\.4\.3: CPUID\.01H:EDX\.APIC clear while disabled",
            r"11\.12\.5: disabled -> x2APIC: #GP",
            r"11\.12\.5: disabled -> xAPIC allowed",
            r"11\.4\.7\.1: SVR 0xff after re-enabling",
            r"11\.4\.7\.1: LVT entries masked after re-enabling"]),
        "conform_apic.misc_enable": _checks("msr_conform", [
            r"Table 2-2: MISC_ENABLE\[7\] perfmon available = 0, as CPUID\.0AH",
            r"Table 2-2: writes to read-only bits 11, 12 ignored",
            r"Table 2-2: MISC_ENABLE\[16\] without CPUID\.01H:ECX\.EST: #GP",
            r"Table 2-2: MISC_ENABLE\[22\] limits CPUID\.0:EAX to 2"]),
        "conform_apic.tsc_adjust": _checks("msr_conform", [
            r"18\.17\.3: a TSC write moves TSC_ADJUST by as much",
            r"18\.17\.3: a TSC_ADJUST write moves the TSC by the difference"]),
        "conform_apic.absent_msrs": _checks("msr_conform", [
            r"Vol\. 4 2\.1: MSRs this vCPU does not have: #GP on RDMSR and WRMSR",
            r"Vol\. 3A 11\.12\.2: x2APIC MSRs in xAPIC mode: #GP"]),
        "conform_apic.absent_msrs_real_mode": _checks("rm_msr", [
            r"WRMSR of an unknown MSR, RDMSR of FEATURE_CONTROL and of "
            r"x2APIC MSR 0x802 in real mode: #GP through the IVT, each",
            r"real-mode #GP pushed no error code"]),
        "conform_apic.lowest_priority": _checks("apic_lowpri", [
            r"11\.6\.2\.4: lowest-priority IPI to all four: vCPU 2 \(TPR 0x20\), once",
            r"11\.6\.2\.4: then vCPU 3 \(TPR 0x60\) is the lowest, once",
            r"11\.6\.2\.4: lowest-priority I/O APIC entry: vCPU 3, once"]),
        "conform_apic.extint": _checks("apic_lowpri", [
            r"82093AA 3\.2\.4: ExtINT entry: vCPU 0 takes the 8259A's vector 0x20"]),
        "conform_apic.smi_logged": Judge(
            expect=[r"vm apic_lowpri: SMI to vCPU 1 ignored: vCPUs have no "
                    r"SMM \(logged once\)",
                    r"^\[apic_lowpri\] CHECK 11\.6\.1: after an SMI IPI vCPU 1 "
                    r"still takes IPIs: ok$"],
            reject=[r"vm apic_lowpri: SMI[^\n]*\n[\s\S]*vm apic_lowpri: SMI"]),
        "conform_apic.icr_extint_refused": Judge(
            expect=[r"vm apic_lowpri: vCPU 0: ICR delivery mode 7 is "
                    r"reserved; no IPI sent \(logged once\)",
                    r"^\[apic_lowpri\] CHECK 11\.6\.1: ICR delivery mode 111 "
                    r"\(reserved\): no interrupt: ok$"]),
    },
)

TESTS = [CONFORM_APIC]
