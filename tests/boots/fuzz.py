"""vms.fuzz: the guest instruction fuzzer (tests/guests/fuzz/; issue 9).

Fuzz VMs run seeded random privileged and exiting instructions beside an
honest VM.  Judged: hv never panics or faults in root, each fuzz VM
finishes ("FUZZ done") or hv says why it stopped it, the honest VM
passes, and the fuzz VMs took at least FUZZ_SMOKE_EXITS VM exits in all
(the "vm NAME: N VM exits" lines; the check is a subtest of its own, see
fuzz_exits_judge).  tests/fuzz_guests.py (make fuzz-guests) runs longer
ones, one boot per seed.

Classes on here (fuzz.c's on= switches): lme (EFER.LME, then CR0.PG
without PAE), xsetbv (random XCR0, then SSE/AVX/opmask use across vCPU
switches: it made XRSTOR #GP in VMX root before issue 9's fix), rdpmc
and strio (RDPMC and INS/OUTS stopped the VM before their fixes).  Off:
task (task switches are not emulated: hv stops the VM, saying so) and
mmioalu (MMIO through ALU instructions, XCHG, TEST, which the decoder
does not know: hv stops the VM, saying so), which would end a fuzz VM
early; init (INIT/SIPI/SMI/ExtINT delivery modes), tried on one seed
only.  HV_FUZZ_ON=a,b overrides the list for one run (an experiment,
not a test setting).
"""

from __future__ import annotations

import os

from .helpers import honest_intact, honest_vm, vm
from .table import BootTest, Judge


FUZZ_SEEDS = (0x1, 0xbeef, 0x5eed5)
FUZZ_SMOKE_ITERS = 15000
FUZZ_SMOKE_EXITS = 100_000
FUZZ_SWITCHES = os.environ.get("HV_FUZZ_ON", "lme,xsetbv,rdpmc,strio")


def fuzz_vm(name: str, seed: int, iters: int, switches: str = "") -> str:
    on = f" on={switches}" if switches else ""
    return vm(name, "fuzz", extra=f"cmdline = seed={seed:#x} iters={iters}{on}\n")


def fuzz_vm_judge(name: str) -> Judge:
    """Finished, or stopped by hv with a reason; never a guest-side FAIL
    (the fuzzer's own state restore failing, or its own fault)."""
    return Judge(expect=[rf"^\[{name}\] FUZZ seed=0x[0-9a-f]+ iters=\d+",
                         rf"(^\[{name}\] FUZZ done seed=0x[0-9a-f]+ iters=\d+"
                         rf"(.|\n)*^\[{name}\] RESULT: PASS"
                         rf"(.|\n)*vm {name}: \d+ VM exits"
                         rf"|vm {name}: \d+ VM exits\n(.|\n)*?"
                         rf"vm {name}: stopped: \S.*)"],
                 reject=[rf"^\[{name}\] .*FAIL", rf"^\[{name}\] FUZZ fatal"])


def at_least(n: int) -> str:
    """A regex for a decimal integer >= n (no leading zeros)."""
    d = str(n)
    alts = [rf"[1-9]\d{{{len(d)},}}", d]
    for i, c in enumerate(d):
        if c != "9":
            alts.append(rf"{d[:i]}[{int(c) + 1}-9]\d{{{len(d) - i - 1}}}")
    return "(?:" + "|".join(alts) + ")"


def fuzz_exits_judge(names) -> Judge:
    """At least FUZZ_SMOKE_EXITS exits in all: each fuzz VM its share."""
    share = -(-FUZZ_SMOKE_EXITS // len(names))
    # one regex of lookaheads: the VMs end in any order
    return Judge(expect=[r"\A" + "".join(
        rf"(?=[\s\S]*^\[cpu\d+\] info: vm {n}: {at_least(share)} VM exits$)"
        for n in names)])


FUZZ_NAMES = [f"fuzz{i}" for i in range(len(FUZZ_SEEDS))]

FUZZ = BootTest(
    name="vms.fuzz",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + "".join(fuzz_vm(n, s, FUZZ_SMOKE_ITERS, FUZZ_SWITCHES)
                   for n, s in zip(FUZZ_NAMES, FUZZ_SEEDS))
         + honest_vm("honest", "seed=4 rounds=3000")),
    files={"guests/fuzz.elf": "build/guests/fuzz.elf",
           "guests/honest.elf": "build/guests/honest.elf"},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls", r"hv: power off: idle; VMs: "],
    reject=[r"PANIC", r"panic", r"exception \d+", r"not started:"],
    subtests={
        **{f"fuzz.{n}": fuzz_vm_judge(n) for n in FUZZ_NAMES},
        "fuzz.exits": fuzz_exits_judge(FUZZ_NAMES),
        "fuzz.honest": honest_intact("honest"),
    },
)


TESTS = [FUZZ]
