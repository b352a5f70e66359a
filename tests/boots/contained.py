"""vms.contained: contained faults (issue 9 item 11).

A guest's mistakes and rarer instructions get the answer hardware gives,
not a stopped VM: real mode's #GP and MMIO, RDPMC, EFER writes, string
port I/O (REP INS/OUTS) both ways, an INIT IPI to itself.  Each guest judges
itself (CHECK lines, RESULT: PASS) and must exit, never be stopped; a
Multiboot neighbour must pass beside them.
"""

from __future__ import annotations

from .helpers import passes, vm
from .table import BootTest, Judge


CONTAINED_GUESTS = ["realmode", "efer_pmc", "strio", "initself", "hello"]

CONTAINED = BootTest(
    name="vms.contained",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + vm("rm_gp", "realmode", extra="cmdline = gp\n")
         + vm("rm_mmio", "realmode", extra="cmdline = mmio\n")
         + vm("pmc", "efer_pmc", extra="cmdline = pmc\n")
         + vm("efer", "efer_pmc", extra="cmdline = efer\n")
         + vm("strio", "strio")
         + vm("initself", "initself", extra="vcpus = 2\n")
         + vm("neighbour", "hello")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf"
           for g in CONTAINED_GUESTS},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 7 exited, 0 stopped, 0 not started"],
    reject=[r"PANIC", r"exception \d+", r"not started:"],
    subtests={
        "contained.realmode_gp": passes("rm_gp"),
        "contained.realmode_mmio": passes("rm_mmio"),
        "contained.rdpmc": passes("pmc"),
        "contained.efer": passes("efer"),
        "contained.strio": Judge(
            expect=[r"^\[strio\] strio: rep outsb forwards$",
                    r"^\[strio\] strio: rep outsb backwards$",
                    r"^\[strio\] RESULT: PASS",
                    r"vm strio: exited with status 1\b"],
            reject=[r"^\[strio\] .*FAIL", r"vm strio: stopped"]),
        "contained.initself": passes("initself"),
        "contained.neighbour": passes("neighbour"),
    },
)


TESTS = [CONTAINED]
