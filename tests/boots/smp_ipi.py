"""vms.smp_ipi: fixed IPIs between two vCPUs of one VM on two host CPUs
(issue 11; tests/guests/ipi.c).

The VM has vcpus = 2, cpus = 0-1 and sched = dedicated, so each vCPU owns
one host CPU for the whole boot (no other vCPU there, never moved; the
judge checks hv's placement lines).  vCPU 0 starts vCPU 1;
then 1000 fixed IPIs each way: 0 -> 1 while 1 spins in its guest (no
exits of its own: only a kick delivers at once), 1 -> 0 likewise, both
ways at once, and 0 -> 1 halted (its host CPU asleep).  Each direction:
every IPI arrived, none twice, each at its target, 99% of them within a
quarter of a slice (a kick, not the target's next slice).  Two host CPUs, one
small VM (about 30 s in Bochs).
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest, Judge

_DIRS = {"0to1": "vCPU 0 -> vCPU 1", "1to0": "vCPU 1 -> vCPU 0",
         "crossed_0to1": "crossed vCPU 0 -> vCPU 1",
         "crossed_1to0": "crossed vCPU 1 -> vCPU 0",
         "0to1_halted": "vCPU 0 -> halted vCPU 1"}
_WHAT = {"arrived": "every IPI arrived", "once": "none arrived twice",
         "target": "each arrived at its target",
         "at_once": "99% arrived within a quarter slice"}


def _dir_check(d: str, what: str) -> Judge:
    return Judge(expect=[rf"^\[ipi\] CHECK {d}: {what}: ok$"],
                 reject=[rf"^\[ipi\] CHECK {d}: {what}: FAIL"])


TESTS: list[BootTest] = [BootTest(
    name="vms.smp_ipi",
    cpus=2,
    cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
         + vm("ipi", "ipi",
              extra="vcpus = 2\ncpus = 0-1\nsched = dedicated\n")),
    files={"guests/ipi.elf": "build/guests/ipi.elf"},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vm ipi: vCPU 0 on CPU 0 \(dedicated\)",
            r"vm ipi: vCPU 1 on CPU 1 \(dedicated\)",
            r"^\[ipi\] RESULT: PASS",
            r"vm ipi: exited with status 1\b",
            r"hv: power off: "],
    reject=[r"sched: vm ipi: vCPU \d moved", *ROOT_FAULT, r"panic"],
    subtests={
        "smp_ipi.started": Judge(
            expect=[r"^\[ipi\] vCPU 0 -> vCPU 1: sent "],
            reject=[r"^\[ipi\] CHECK vCPU 1 started \(INIT, SIPI\): FAIL"]),
        **{f"smp_ipi.{k}_{w}": _dir_check(d, text)
           for k, d in _DIRS.items() for w, text in _WHAT.items()},
        "smp_ipi.no_other_irq": Judge(
            expect=[r"^\[ipi\] CHECK no interrupt but the IPIs sent: ok$"]),
        "smp_ipi.passes": passes("ipi"),
    },
)]
