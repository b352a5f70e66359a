"""boot.smp4 and the SMP scheduling boots (issue 11).

boot.smp4: four host CPUs started, each in VMX operation and passing its
own self-test.  Bochs runs all CPUs of a machine in one host thread, so
these boots are kept small: tiny VMs.
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, honest_intact, honest_vm, passes, vm
from .table import BootTest, Judge

_CPUS = 4

TESTS: list[BootTest] = [
    BootTest(
        name="boot.smp4",
        cpus=_CPUS,
        cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
             "selftest = yes\n"
             "[vm hello]\nkernel = \\guests\\hello.elf\nmemory = 4M\n"),
        files={"guests/hello.elf": "build/guests/hello.elf"},
        timeout_s=300,
        stop_regex=r"hv: power off: ",
        expect=[
            rf"cpus: {_CPUS} online \(APIC IDs 0-{_CPUS - 1}; listed by ",
            r"vmx: on; controls",
            # Each AP says it itself: the line carries its own [cpuN].
            *[rf"^\[cpu{n}\] info: cpu {n}: vmx on$" for n in range(_CPUS)],
            *[rf"selftest cpu {n}: ok$" for n in range(_CPUS)],
            r"selftest: \d+ passed, 0 failed",
            r"^\[hello\] RESULT: PASS",
            r"vm hello: exited with status 1\b",
            r"hv: power off: ",
        ],
        reject=[r"PANIC", r"panic", r"FAIL", r"did not answer",
                r"cannot enter VMX", r"exception \d+", r"did not run"],
    ),
]


def int_range(lo: int, hi: int) -> str:
    """A regex matching the decimal integers lo..hi and nothing else."""
    return "(?:" + "|".join(str(n) for n in range(lo, hi + 1)) + ")"


def _share_vm(name: str, extra: str) -> str:
    return (f"[vm {name}]\nkernel = \\guests\\share.elf\nmemory = 4M\n"
            + extra)


def _share(name: str, lo: int, hi: int) -> Judge:
    """The VM's share of a host CPU, in permille, both as the guest counted
    it (over its window) and as hv accounted it (CPU time its vCPU got over
    the VM's life, from its first turn to its exit)."""
    p = rf"^\[{name}\] "
    return Judge(expect=[p + rf"SHARE permille {int_range(lo, hi)}$",
                         rf"vm {name}: CPU time \d+ TSC ticks over \d+ "
                         rf"\({int_range(lo, hi)} permille of a CPU\)",
                         rf"vm {name}: exited with status 1\b"],
                 reject=[r"panic", r"PANIC"])


# Four host CPUs: CPUs 1 and 2 each owned by a dedicated VM (the one on
# CPU 1 spins with interrupts off), CPUs 0 and 3 shared by four VMs of
# weights 100, 100, 200, 200.  Each VM measures its share of a CPU over a
# 60 M-tick window (tests/guests/share.c).  The dedicated ones get all of
# theirs at the same time (time-sliced on one CPU they would get half
# each); each shared CPU holds a weight-100 and a weight-200 VM, so those
# get 1/3 and 2/3 (within 5%; without weights both would get 1/2).
TESTS.append(BootTest(
    name="vms.smp",
    cpus=_CPUS,
    cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
         + _share_vm("ded1", "cmdline = cli\nsched = dedicated\ncpus = 1\n")
         + _share_vm("ded2", "sched = dedicated\ncpus = 2\n")
         + _share_vm("w100a", "weight = 100\ncpus = 0,3\n")
         + _share_vm("w100b", "weight = 100\ncpus = 0,3\n")
         + _share_vm("w200a", "weight = 200\ncpus = 0,3\n")
         + _share_vm("w200b", "weight = 200\ncpus = 0,3\n")),
    files={"guests/share.elf": "build/guests/share.elf"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    expect=[r"vm ded1: vCPU 0 on CPU 1 \(dedicated\)",
            r"vm ded2: vCPU 0 on CPU 2 \(dedicated\)",
            r"hv: power off: "],
    reject=[r"PANIC", r"panic"],
    subtests={
        "smp.dedicated_cli": _share("ded1", 980, 1000),
        "smp.dedicated": _share("ded2", 980, 1000),
        "smp.weight100a": _share("w100a", 316, 350),
        "smp.weight100b": _share("w100b", 316, 350),
        "smp.weight200a": _share("w200a", 634, 700),
        "smp.weight200b": _share("w200b", 634, 700),
    },
))


# Migration: an honest VM (tests/guests/honest.c with `vary`: GPRs,
# x87, SSE, AVX, debug registers and MSRs loaded with new patterns every
# round, checked after every PAUSE) on two host CPUs, beside two hoppers
# (tests/guests/hopper.c), one pinned to each CPU, that spin for 2 M
# ticks and sleep for 2 M out of phase.  Whichever CPU's hopper sleeps
# pulls the honest vCPU while it waits behind the other hopper
# (kernel/sched_place.c), so it moves again and again: the CPU it leaves
# saves its state and VMCLEARs it, the new one loads it (hv counts the
# moves).  It must find all its state intact after every round, and move
# at least ten times.
_MOVERS = ("mover",)
_HOP = "hop=2000000 rounds=25"
TESTS.append(BootTest(
    name="vms.smp_migrate",
    cpus=2,
    cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
         + vm("hop0", "hopper", extra=f"cmdline = {_HOP}\ncpus = 0\n")
         + vm("hop1", "hopper", extra=f"cmdline = {_HOP} late\ncpus = 1\n")
         + "".join(honest_vm(n, f"rounds=1 ticks=100000000 vary seed={i + 1}",
                             extra="cpus = 0-1\n")
                   for i, n in enumerate(_MOVERS))),
    files={"guests/honest.elf": "build/guests/honest.elf",
           "guests/hopper.elf": "build/guests/hopper.elf"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    expect=[r"hv: power off: idle; VMs: 3 exited"],
    reject=[*ROOT_FAULT, r"panic"],
    subtests={
        "smp.hopper0": passes("hop0"),
        "smp.hopper1": passes("hop1"),
        **{f"smp.migrate_intact_{n}": honest_intact(n) for n in _MOVERS},
        # At least ten moves each: a two-digit count (or more).
        **{f"smp.migrate_moved_{n}": Judge(
            expect=[rf"sched: vm {n}: vCPU 0 moved [1-9]\d+ times, \d+ "
                    r"TSC ticks per move"]) for n in _MOVERS},
    },
))


# Three equal shared VMs on two host CPUs: no placement is fair (one CPU
# holds two: 500/500/1000 permille), so only moving vCPUs gives each its
# 2/3 of a CPU.  hv's accounting over each VM's life must be within 5% of
# 667; the guests' own count over their 60 M-tick window (30 slices per
# CPU) within 7%: the balancer lets a vCPU trail by up to one slice (33
# permille of that window) before it moves it.
TESTS.append(BootTest(
    name="vms.smp_three_on_two",
    cpus=2,
    cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
         + "".join(_share_vm(n, "cpus = 0-1\n") for n in ("eq1", "eq2", "eq3"))),
    files={"guests/share.elf": "build/guests/share.elf"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    expect=[r"hv: power off: "],
    reject=[r"PANIC", r"panic"],
    subtests={f"smp.three_on_two_{n}": Judge(
        expect=[rf"^\[{n}\] SHARE permille {int_range(620, 713)}$",
                rf"vm {n}: CPU time \d+ TSC ticks over \d+ "
                rf"\({int_range(633, 700)} permille of a CPU\)",
                rf"vm {n}: exited with status 1\b"])
              for n in ("eq1", "eq2", "eq3")},
))
