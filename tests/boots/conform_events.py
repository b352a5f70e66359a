"""vms.conform_events: exceptions and events as the SDM has them (issue 12,
"Exceptions and events"); every check in the guests names its rule.

tests/guests/dbg.c: RF set in what a fault hv injects pushes (a refused
WRMSR's and MOV to CR4's #GP, as the CPU's own #GP; SDM Vol. 3A 17.3.1.1),
so an instruction breakpoint on it does not fire again after the IRET;
RF clear after an instruction hv emulated (CPUID, MMIO), so a breakpoint
on the next one fires; TF over CPUID, IN, OUT, RDMSR, WRMSR and MMIO gives
one #DB after the instruction with DR6.BS (18.3.1.4); I/O breakpoints on
emulated IN/OUT (CR4.DE; 18.2.4, 18.2.5, 18.3.1.2); MOV SS and POP SS hold
the single step back until after the next (emulated) instruction (6.8.3);
ICEBP and general detect as the CPU does them.

tests/guests/nmi.c (2 vCPUs): self-NMIs and NMI IPIs from the other vCPU;
one sent while the target is in its NMI handler arrives right after the
handler's IRET, not before, not lost (SDM Vol. 3A 6.7.1; hv's NMI-window
exit, SDM Vol. 3C 26.2, 27.7.6).
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest, Judge

EVENT_GUESTS = ["dbg", "nmi"]


def _check(guest: str, text: str) -> Judge:
    """One CHECK line of a guest, by the start of its text."""
    return Judge(expect=[rf"^\[{guest}\] CHECK {text}[^\n]*: ok$"],
                 reject=[rf"^\[{guest}\] CHECK {text}[^\n]*: FAIL"])


_DBG = {
    "rf_injected_wrmsr_gp": r"17\.3\.1\.1: the #GP hv injects for a refused WRMSR",
    "rf_injected_cr4_gp": r"17\.3\.1\.1: the #GP hv injects for a refused MOV to CR4",
    "rf_cpu_gp": r"17\.3\.1\.1: the #GP the CPU raises itself",
    "rf_no_refault": r"17\.3\.1\.1: after hv's #GP on a WRMSR with an instruction breakpoint",
    "bp_on_cpuid": r"18\.3\.1\.1: an instruction breakpoint on CPUID",
    "rf_clear_cpuid": r"17\.3\.1\.1: RF is clear after an emulated CPUID",
    "rf_clear_mmio": r"17\.3\.1\.1: RF is clear after an emulated MMIO read",
    "step_cpuid": r"18\.3\.1\.4: TF over an emulated CPUID",
    "step_in": r"18\.3\.1\.4: TF over an emulated IN",
    "step_out": r"18\.3\.1\.4: TF over an emulated OUT",
    "step_rdmsr": r"18\.3\.1\.4: TF over an emulated RDMSR",
    "step_wrmsr": r"18\.3\.1\.4: TF over an emulated WRMSR",
    "step_mmio": r"18\.3\.1\.4: TF over an emulated MMIO read",
    "io_bp_out": r"18\.2\.4, 18\.3\.1\.2: an I/O breakpoint on an emulated OUT",
    "io_bp_word": r"18\.2\.5: a word IN whose second byte",
    "io_bp_miss": r"18\.2\.5: an OUT to a port outside",
    "io_bp_no_de": r"18\.2\.4: without CR4\.DE",
    "data_bp_mmio_write": r"18\.2\.4, 18\.3\.1\.2: a write breakpoint on an emulated MMIO write",
    "data_bp_write_only": r"18\.2\.4: RW = 01 breaks on writes only",
    "data_bp_mmio_read": r"18\.2\.5: a read/write breakpoint on a byte of an emulated MMIO",
    "data_bp_miss": r"18\.2\.5: a breakpoint on the bytes after an emulated MMIO read",
    "movss_step": r"6\.8\.3: TF over MOV SS",
    "popss_step": r"6\.8\.3: TF over POP SS",
    "icebp": r"Vol\. 2B INT1: ICEBP",
    "general_detect": r"18\.2\.4, 18\.3\.1\.3: with DR7\.GD",
}

_NMI = {
    "self": r"Vol\. 3A 11\.6\.1: a self-NMI",
    "self_held": r"Vol\. 3A 6\.7\.1: a self-NMI sent in the NMI handler",
    "self_after_iret": r"Vol\. 3A 6\.7\.1: it arrives right after that IRET, before",
    "self_once": r"Vol\. 3A 6\.7\.1: held, not lost",
    "ipi": r"Vol\. 3A 11\.6\.1: an NMI IPI from vCPU 1",
    "ipi_held": r"Vol\. 3A 6\.7\.1: a second NMI IPI",
    "ipi_after_iret": r"Vol\. 3A 6\.7\.1: it arrives right after that IRET, with",
    "ipi_once": r"Vol\. 3A 6\.7\.1: NMI IPIs held",
    "hlt_held": r"Vol\. 2A HLT: in the NMI handler, a held NMI",
    "hlt_after_iret": r"Vol\. 3A 6\.7\.1: the timer handler's IRET ends",
}

CONFORM_EVENTS = BootTest(
    name="vms.conform_events",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + vm("dbg", "dbg")
         + vm("nmi", "nmi", extra="vcpus = 2\n")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf" for g in EVENT_GUESTS},
    timeout_s=300,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 2 exited, 0 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"not started:", r"VM entry failed"],
    subtests={
        **{f"events_dbg.{k}": _check("dbg", t) for k, t in _DBG.items()},
        **{f"events_nmi.{k}": _check("nmi", t) for k, t in _NMI.items()},
        "events_dbg.passes": passes("dbg"),
        "events_nmi.passes": passes("nmi"),
    },
)

TESTS = [CONFORM_EVENTS]
