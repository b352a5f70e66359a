"""vms.attacks and vms.attacks_storms: the hostile-guest suite, generic
attacks (issue 9, "Tests").

tests/guests/attack/, one attack per name in "attack=A,B,...", beside the
honest VM (tests/guests/honest.c).  An attack the guest can judge prints
"ATTACK NAME: contained (...)" or "ESCAPED (...)"; one that must end its
VM is judged by the hypervisor's words for that VM.  Every subtest also
fails on a fault in root or a panic: a VM that brings the host down has
escaped, whatever it printed.  See docs/TESTING.md, "The
hostile-guest suite".

vms.attacks holds the attacks on memory, MSRs, instructions, ports and
MMIO; vms.attacks_storms the storms (resets, INIT/SIPI/NMI, spinning with
interrupts off, timers at their fastest rates), judged by the honest VM
finishing too.
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, honest_vm, vm
from .table import BootTest, Judge


# A reject pattern that matches (at the start of the log) when the honest
# VM never ended: whichever comes first, the attack or the honest VM's end.
_GA_HONEST_NEVER_ENDED = r"\A(?![\s\S]*^\[cpu\d+\] info: vm honest: exited)"


def _ga_vm(name: str, attacks: str, memory: str = "4M", extra: str = "") -> str:
    return vm(name, "attack", memory, extra=f"cmdline = attack={attacks}\n{extra}")


def _ga(vm: str, attack: str, also: list[str] | None = None) -> Judge:
    """Judged by the guest itself: it started and found itself contained."""
    p = rf"^\[{vm}\] "
    return Judge(expect=[p + rf"ATTACK {attack}: start",
                         p + rf"ATTACK {attack}: contained", *(also or [])],
                 reject=[p + rf"ATTACK {attack}: (ESCAPED|WRONG)",
                         p + r"unexpected exception", *ROOT_FAULT])


def _ga_stopped(vm: str, attack: str, why: str) -> Judge:
    """Judged by the hypervisor: it stopped that VM, for that reason."""
    p = rf"^\[{vm}\] "
    return Judge(expect=[p + rf"ATTACK {attack}: start",
                         rf"vm {vm}: stopped: {why}"],
                 reject=[p + rf"ATTACK {attack}: ESCAPED",
                         p + r"unexpected exception", *ROOT_FAULT])


def _ga_outside(vm: str, attack: str, kind: str, addr: str) -> Judge:
    return _ga_stopped(vm, attack, rf"EPT violation: {kind} at guest-physical "
                       rf"{addr}, outside its memory")


def _ga_honest(vm: str = "honest") -> Judge:
    return Judge(expect=[rf"^\[{vm}\] RESULT: PASS",
                         rf"vm {vm}: exited with status 1\b"],
                 reject=[rf"^\[{vm}\] .*FAIL", rf"vm {vm}: stopped",
                         *ROOT_FAULT])


# The honest VM checks its registers after every yield (tests/guests/
# honest.c, from the isolation work).
_GA_FILES = {"guests/attack.elf": "build/guests/attack.elf",
             "guests/honest.elf": "build/guests/honest.elf",
             "guests/pattern.elf": "build/guests/pattern.elf"}
_GA_HONEST = honest_vm("honest", "seed=9 rounds=300")
_STOP = "unassigned_memory = stop\n"


ATTACKS = BootTest(
    name="vms.attacks",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _GA_HONEST
         # The probes beyond RAM must end their VMs (unassigned_memory =
         # stop): proof that they reached nothing.  A fetch there stops
         # the VM whatever the key says (vmx/ept.c).
         + _ga_vm("ram_straddle", "ram_straddle", extra=_STOP)
         + _ga_vm("exec_outside", "exec_outside")
         + _ga_vm("gpa_4g", "gpa_4g", extra=_STOP)
         + _ga_vm("gpa_top", "gpa_top", extra=_STOP)
         + _ga_vm("host_sweep", "host_sweep",
                  extra="on_crash = restart\n" + _STOP)
         + vm("pattern", "pattern", "16M")
         + _ga_vm("sibling", "sibling_scan", "16M")
         + _ga_vm("msr", "msr_feature_control,msr_vmx_caps,msr_efer,"
                  "msr_apic_base,msr_pat,msr_mtrr,msr_microcode,msr_mc_banks,"
                  "msr_debugctl,msr_smm,msr_canonical,msr_x2apic_icr,"
                  "msr_sweep")
         + _ga_vm("cpu", "vmx_insns,cr4_reserved,xcr0_reserved,hypercall_bad,"
                  "hypercall_cpl3")
         + _ga_vm("ports", "pci_config,host_ports")
         + _ga_vm("mmio", "mmio_smc,mmio_straddle,mmio_stale_tlb")
         + _ga_vm("vanished", "mmio_vanished_page")
         + _ga_vm("rep_movs", "mmio_rep_movs")
         + _ga_vm("mmio_ram_end", "mmio_ram_end")
         + _ga_vm("triple", "triple_fault", extra="on_crash = restart\n")),
    files=_GA_FILES,
    cpus=1,
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    emulator_output=True,
    expect=[r"hv: power off: idle"],
    reject=[*ROOT_FAULT, r"not started:", r"^emu> .*ATTACK-LEAK",
            r"CPL3-LEAK"],
    subtests={
        "attacks.honest": _ga_honest(),
        "attack.ram_straddle": _ga_outside("ram_straddle", "ram_straddle",
                                           "write", "0x400000"),
        "attack.exec_outside": _ga_outside("exec_outside", "exec_outside",
                                           "instruction fetch", "0x401000"),
        "attack.gpa_4g": _ga_outside("gpa_4g", "gpa_4g", "write",
                                     "0x100000010"),
        "attack.gpa_top": _ga_outside("gpa_top", "gpa_top", "read",
                                      "0x[0-9a-f]+ff000"),
        "attack.host_sweep": Judge(
            expect=[r"^\[host_sweep\] ATTACK host_sweep: probing 0x1000000",
                    r"vm host_sweep: crashed \(EPT violation: read at "
                    r"guest-physical 0x1000000, outside",
                    r"^\[host_sweep\] ATTACK host_sweep: probing 0x8000000",
                    r"vm host_sweep: crashed \(EPT violation: read at "
                    r"guest-physical 0x8000000, outside",
                    r"^\[host_sweep\] ATTACK host_sweep: probing 0x1f000000",
                    r"vm host_sweep: crashed \(EPT violation: read at "
                    r"guest-physical 0x1f000000, outside",
                    r"^\[host_sweep\] ATTACK host_sweep: probing 0xfffff000",
                    r"vm host_sweep: stopped: EPT violation: read at "
                    r"guest-physical 0xfffff000, outside"],
            reject=[r"^\[host_sweep\] ATTACK host_sweep: ESCAPED",
                    *ROOT_FAULT]),
        # The pattern VM's words stay in host memory after it ends, so
        # the scan needs it to have started, not to be still running:
        # on two host CPUs it may finish first.
        "attack.sibling_scan": Judge(
            expect=[r"vm pattern: \d+ MiB at host",
                    r"^\[sibling\] ATTACK sibling_scan: start",
                    r"^\[sibling\] ATTACK sibling_scan: contained"],
            reject=[r"^\[sibling\] ATTACK sibling_scan: (ESCAPED|WRONG)",
                    r"^\[pattern\] RESULT: FAIL",
                    r"^\[sibling\] unexpected exception", *ROOT_FAULT]),
        **{f"attack.{a}": _ga("msr", a) for a in [
            "msr_feature_control", "msr_vmx_caps", "msr_efer",
            "msr_apic_base", "msr_pat", "msr_mtrr", "msr_microcode",
            "msr_mc_banks", "msr_debugctl", "msr_smm", "msr_canonical",
            "msr_x2apic_icr",
            "msr_sweep"]},
        **{f"attack.{a}": _ga("cpu", a) for a in [
            "vmx_insns", "cr4_reserved", "xcr0_reserved", "hypercall_bad",
            "hypercall_cpl3"]},
        "attack.pci_config": _ga("ports", "pci_config"),
        "attack.host_ports": Judge(
            expect=[r"^\[ports\] ATTACK host_ports: start",
                    r"^\[ports\] ATTACK host_ports: contained"],
            reject=[r"^\[ports\] ATTACK host_ports: ESCAPED",
                    _GA_HONEST_NEVER_ENDED,
                    r"^emu> .*ATTACK-LEAK", r"Shutdown port",
                    *ROOT_FAULT]),
        "attack.mmio_smc": _ga("mmio", "mmio_smc"),
        "attack.mmio_stale_tlb": _ga("mmio", "mmio_stale_tlb"),
        "attack.mmio_straddle": _ga("mmio", "mmio_straddle"),
        # No instruction at RIP for the decoder: a #PF, or a stop.
        "attack.mmio_vanished_page": Judge(
            expect=[r"^\[vanished\] ATTACK mmio_vanished_page: start",
                    r"(^\[vanished\] ATTACK mmio_vanished_page: contained|"
                    r"vm vanished: stopped: unhandled exit EPT_VIOLATION)"],
            reject=[r"^\[vanished\] ATTACK mmio_vanished_page: ESCAPED",
                    *ROOT_FAULT]),
        # Not decoded: the VM stops (unhandled exit); or emulated.
        "attack.mmio_rep_movs": Judge(
            expect=[r"^\[rep_movs\] ATTACK mmio_rep_movs: start",
                    r"(^\[rep_movs\] ATTACK mmio_rep_movs: contained|"
                    r"vm rep_movs: stopped: unhandled exit EPT_VIOLATION)"],
            reject=[r"^\[rep_movs\] ATTACK mmio_rep_movs: ESCAPED",
                    *ROOT_FAULT]),
        "attack.mmio_ram_end": _ga_outside("mmio_ram_end", "mmio_ram_end",
                                           "instruction fetch", "0x400000"),
        "attack.triple_fault": Judge(
            expect=[r"^\[triple\] ATTACK triple_fault: boot 1",
                    r"vm triple: crashed \(triple fault\); restarting \(1 of 3\)",
                    r"^\[triple\] ATTACK triple_fault: boot 4",
                    r"vm triple: stopped: triple fault \(crashed 4 times"],
            reject=[r"^\[triple\] ATTACK triple_fault: (ESCAPED|boot 5)",
                    *ROOT_FAULT]),
    },
)


# Storms: resets, INIT/SIPI/NMI, spinning with interrupts off, timers at
# their fastest rates.  Judged by the honest VM finishing too.
STORMS = BootTest(
    name="vms.attacks_storms",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _GA_HONEST
         + _ga_vm("reset_kbd", "reset_kbd", extra="time_limit = 20s\n")
         + _ga_vm("reset_cf9", "reset_cf9", extra="time_limit = 20s\n")
         + _ga_vm("spin_smp", "spin_smp", extra="vcpus = 2\ntime_limit = 300ms\n")
         + _ga_vm("init_storm", "init_storm", extra="vcpus = 3\n")
         + _ga_vm("nmi_storm", "nmi_storm", extra="vcpus = 2\n")
         + _ga_vm("pit_storm", "pit_storm", extra="time_limit = 20s\n")
         + _ga_vm("rtc_storm", "rtc_storm", extra="time_limit = 20s\n")
         + _ga_vm("lapic_storm", "lapic_timer_storm",
                  extra="time_limit = 20s\n")
         + _ga_vm("deadline", "tsc_deadline_past")
         + _ga_vm("exit_flood", "exit_flood")),
    files=_GA_FILES,
    cpus=1,
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"hv: power off: idle"],
    reject=[*ROOT_FAULT, r"not started:"],
    subtests={
        "storms.honest": _ga_honest(),
        # The lead is changing reset handling: a cap that stops the VM
        # is as good as the guest giving up by itself after 40.
        **{f"attack.{a}": Judge(
            expect=[rf"^\[{a}\] ATTACK {a}: start",
                    rf"vm {a}: .*; restarting",
                    rf"(^\[{a}\] ATTACK {a}: contained|vm {a}: stopped)"],
            reject=[rf"^\[{a}\] ATTACK {a}: ESCAPED", _GA_HONEST_NEVER_ENDED,
                    *ROOT_FAULT])
           for a in ["reset_kbd", "reset_cf9"]},
        "attack.spin_smp": Judge(
            expect=[r"^\[spin_smp\] ATTACK spin_smp: spinning on every vCPU",
                    r"vm spin_smp: stopped: time limit reached"],
            reject=[_GA_HONEST_NEVER_ENDED, *ROOT_FAULT]),
        "attack.init_storm": _ga("init_storm", "init_storm"),
        "attack.nmi_storm": _ga("nmi_storm", "nmi_storm"),
        "attack.pit_storm": _ga("pit_storm", "pit_storm"),
        "attack.rtc_storm": _ga("rtc_storm", "rtc_storm"),
        "attack.lapic_timer_storm": Judge(
            expect=[r"^\[lapic_storm\] ATTACK lapic_timer_storm: start",
                    r"^\[lapic_storm\] ATTACK lapic_timer_storm: contained"],
            reject=[r"^\[lapic_storm\] ATTACK lapic_timer_storm: (ESCAPED|WRONG)",
                    _GA_HONEST_NEVER_ENDED, *ROOT_FAULT]),
        "attack.tsc_deadline_past": _ga("deadline", "tsc_deadline_past"),
        "attack.exit_flood": _ga("exit_flood", "exit_flood"),
    },
)


TESTS = [ATTACKS, STORMS]
