"""SMP boot tests (issue 11): host CPUs started, each in VMX operation,
each passing its own self-test.  SMP_BOOT_TESTS is a list of BootTest
for tests/boot_tests.py's table (wired in there); run alone with
`python3 tests/boots_smp.py [--efi build/hv.efi]`.

Bochs runs all CPUs of a machine in one host thread, so these boots are
kept small: one tiny VM, which makes VMX go on everywhere."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from boot_tests import BootTest  # noqa: E402

_CPUS = 4

SMP_BOOT_TESTS: list[BootTest] = [
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


if __name__ == "__main__":
    import argparse

    import harness

    ap = argparse.ArgumentParser(description="Run the SMP boot tests alone.")
    ap.add_argument("--efi", default="build/hv.efi")
    ap.add_argument("--runs-dir", default="build/test-runs")
    args = ap.parse_args()
    p, f = harness.run_boot(SMP_BOOT_TESTS, Path(args.efi), Path(args.runs_dir), 1)
    print(f"{p} passed, {f} failed")
    sys.exit(1 if f else 0)
