"""boot.smp4 and the SMP scheduling boots (issue 11).

boot.smp4: four host CPUs started, each in VMX operation and passing its
own self-test.  Bochs runs all CPUs of a machine in one host thread, so
these boots are kept small: tiny VMs.
"""

from __future__ import annotations

from .table import BootTest

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
