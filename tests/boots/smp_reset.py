"""vms.smp_reset: a VM reset and crashed from one host CPU while its other
vCPU runs on another (issue 11).

Three host CPUs.  rsmp (tests/guests/reset_smp.c, vcpus = 2, cpus = 1-2,
sched = dedicated, on_crash = restart) has one vCPU on each of CPUs 1
and 2, for good: shared vCPUs move between CPUs (the balancer), dedicated
ones never do, and no slice ends their turn, so a vCPU spinning with
interrupts off leaves its guest only when hv kicks its CPU for the VM's
request.  An honest VM (tests/guests/honest.c) runs on CPU 0.  rsmp ends
three boots while vCPU 1 counts in a busy loop: vCPU 0 resets the VM
through port 0xcf9, vCPU 0 triple-faults, vCPU 1 triple-faults (hv logs
each from the CPU of the vCPU that did it).  Each boot, the fourth too,
checks that it starts on a clean machine: RAM zeroed, STAR and DR0 of both
vCPUs at their reset values, vCPU 1 waiting for a start-up IPI (it runs
nothing before one, and one alone starts it), and vCPU 1 counting while
vCPU 0 runs.  The honest VM runs through all of it and finds its
registers intact.
"""

from __future__ import annotations

import re

from .helpers import ROOT_FAULT, honest_intact, honest_vm, passes, vm
from .table import BootTest, Judge

# Dedicated vCPUs take the CPUs of their set in order (kernel/sched_place.c).
_VCPU0_CPU, _VCPU1_CPU = 1, 2

_P = r"^\[rsmp\] "

_CLEAN = ["RAM zeroed (no mark of an earlier boot)",
          "vCPU 0: STAR at its reset value 0",
          "vCPU 0: DR0 at its reset value 0",
          "vCPU 1 runs nothing before a SIPI",
          "vCPU 1 waited for SIPI: a SIPI alone started it",
          "vCPU 1: STAR at its reset value 0",
          "vCPU 1: DR0 at its reset value 0",
          "vCPU 1 counts while vCPU 0 runs"]


def _boot(n: int) -> list[str]:
    """Boot n of rsmp found a clean machine and vCPU 1 running."""
    return [_P + rf"boot {n}: checking for a clean machine$",
            *(_P + rf"CHECK {re.escape(what)}: ok$" for what in _CLEAN)]


_NO_FAIL = [_P + r".*FAIL", r"vm rsmp: stopped", *ROOT_FAULT]
_LAST_CRASH = r"vm rsmp: crashed \(triple fault\); restarting \(2 of 3\)$"

TESTS: list[BootTest] = [BootTest(
    name="vms.smp_reset",
    cpus=3,
    cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
         + honest_vm("honest", "seed=5 rounds=300 ticks=300000000")
         + "cpus = 0\n"
         + vm("rsmp", "reset_smp",
              extra="vcpus = 2\ncpus = 1-2\nsched = dedicated\n"
                    "on_crash = restart\n")),
    files={"guests/honest.elf": "build/guests/honest.elf",
           "guests/reset_smp.elf": "build/guests/reset_smp.elf"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    expect=[r"vm rsmp: 4 MiB at host .*, 2 vCPU\(s\)",
            rf"vm rsmp: vCPU 0 on CPU {_VCPU0_CPU} \(dedicated\)",
            rf"vm rsmp: vCPU 1 on CPU {_VCPU1_CPU} \(dedicated\)",
            r"hv: power off: idle; VMs: 2 exited, 0 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"restart failed"],
    subtests={
        # vCPU 0 resets the VM while vCPU 1 runs on the other CPU.
        "smp_reset.reset": Judge(
            expect=[*_boot(1),
                    _P + r"boot 1: vCPU 0 resets the VM \(port 0xcf9\)",
                    r"vm rsmp: reset through port 0xcf9; restarting$",
                    *_boot(2)],
            reject=_NO_FAIL),
        # vCPU 0 crashes; on_crash = restart.
        "smp_reset.crash_vcpu0": Judge(
            expect=[_P + r"boot 2: vCPU 0 triple-faults while vCPU 1 counts",
                    rf"^\[cpu{_VCPU0_CPU}\] error: vm rsmp: vCPU 0: triple "
                    r"fault at guest rip",
                    r"vm rsmp: crashed \(triple fault\); restarting "
                    r"\(1 of 3\)$",
                    *_boot(3)],
            reject=_NO_FAIL),
        # vCPU 1 crashes on its own CPU; the reset itself is vCPU 0's
        # CPU's work.
        "smp_reset.crash_vcpu1": Judge(
            expect=[_P + r"boot 3: vCPU 1 triple-faults while vCPU 0 spins",
                    rf"^\[cpu{_VCPU1_CPU}\] error: vm rsmp: vCPU 1: triple "
                    r"fault at guest rip",
                    _LAST_CRASH,
                    *_boot(4),
                    _P + r"CHECK vCPU 1's crash stopped vCPU 0 at once: ok$",
                    _P + r"CHECK boot 4, after a reset and two crashes: ok$",
                    _P + r"RESULT: PASS",
                    r"vm rsmp: exited with status 1\b"],
            reject=_NO_FAIL),
        # The neighbour was still running when the last crash came, and
        # finished its own work unharmed.
        "smp_reset.neighbour": Judge(
            expect=[_LAST_CRASH, *passes("honest").expect],
            reject=passes("honest").reject),
        "smp_reset.neighbour_intact": honest_intact("honest"),
    },
)]
