"""Pieces of hv.cfg and verdicts that several boots share.

vm() writes a [vm] section for a Multiboot guest of tests/guests/;
passes() judges a guest that reports CHECK lines and RESULT, then exits;
ept_audited() judges the EPT audit (selftest = yes) over a boot's VMs;
honest_vm() and honest_intact() are the honest VM (tests/guests/honest.c)
that runs beside attackers and fuzzers and checks its own registers;
ROOT_FAULT is what no boot may print: a panic or a fault in VMX root.
"""

from __future__ import annotations

from .table import Judge

ROOT_FAULT = [r"PANIC", r"exception in root", r"\[cpu\d+\] .*exception \d+"]


def vm(name: str, elf: str, memory: str = "4M", extra: str = "") -> str:
    return (f"[vm {name}]\nkernel = \\guests\\{elf}.elf\n"
            f"memory = {memory}\n{extra}")


def passes(name: str, status: int = 1) -> Judge:
    """A guest that reports CHECK lines and RESULT, then exits."""
    return Judge(expect=[rf"^\[{name}\] RESULT: PASS",
                         rf"vm {name}: exited with status {status}\b"],
                 reject=[rf"^\[{name}\] .*FAIL", rf"vm {name}: stopped"])


def ept_audited(created: list[str], resets: dict | None = None) -> Judge:
    """selftest = yes: the EPT audit (kernel/vm_audit.c) passed every VM
    when it was created, in creation order, and again after each reset;
    no violation anywhere."""
    ok = r"\d+ leaves, ok"
    expect = [rf"ept audit: vm {n}: {ok}$" for n in created]
    for n, count in (resets or {}).items():
        expect += [rf"ept audit: vm {n}: {ok} \(after reset {i}\)$"
                   for i in range(1, count + 1)]
    return Judge(expect=expect,
                 # "vm planted" is the self-test's, caught on purpose.
                 reject=[r"ept audit: vm (?!planted:).*violation",
                         r"ept audit: vm (?!planted:).*gpa ",
                         r"not started: the EPT audit"])


def honest_vm(name: str, args: str, extra: str = "") -> str:
    return vm(name, "honest", extra=f"cmdline = {args}\n{extra}")


def honest_intact(vm: str, avx: bool = True) -> Judge:
    """Every register the honest VM holds came back its own, round after
    round (its gap checks are the starvation subtests')."""
    what = ["GPRs", "XMM0-7", *(["YMM upper halves"] if avx else []), "MXCSR",
            "x87 control word and stack", "DR0-DR3", "DR7", "DR6", "MSRs"]
    return Judge(expect=[rf"^\[{vm}\] CHECK {w} intact: ok" for w in what],
                 reject=[rf"^\[{vm}\] round \d+: .* changed",
                         rf"^\[{vm}\] unexpected exception", *ROOT_FAULT])
