"""The boot.* tests: hv.efi itself, before and just after it starts VMs.

boot.no_vtx         on QEMU TCG (no VT-x) the UEFI stage says so and
                    returns to the firmware; the kernel never starts.
boot.selftest       the kernel's self-tests (selftest = yes), the EPT
                    audit's planted-entry proofs among them, then a
                    power-off.
boot.bad_config     a broken hv.cfg line: hv-boot names the line and
                    returns to the firmware.
boot.missing_image  a [vm] whose kernel is not on the ESP: the same.

Each is judged from the UEFI stage's "hv-boot:" lines and the kernel's
"selftest:" lines; none runs a guest.
"""

from __future__ import annotations

from .table import BootTest

TESTS: list[BootTest] = [
    BootTest(
        name="boot.no_vtx",
        platform="qemu-tcg",
        needs_vmx=False,
        cfg="[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n",
        timeout_s=120,
        stop_regex=r"returning to firmware",
        expect=[
            r"hv-boot: error: VT-x not available: .+",
            r"hv-boot: returning to firmware",
        ],
        reject=[r"\[cpu\d+\]", r"panic"],
    ),
    BootTest(
        name="boot.selftest",
        needs_vmx=True,
        cfg=("[hypervisor]\nserial = com1\nlog = info\non_idle = poweroff\n"
             "selftest = yes\n"),
        timeout_s=240,
        stop_regex=r"hv: power off: ",
        expect=[
            r"hv-boot: VT-x ok",
            r"\[cpu0\] info: hv: kernel started",
            r"memory: \d+ MiB usable",
            r"cpus: \d+ ",
            r"selftest: page_alloc: pass",
            r"selftest: heap: pass",
            r"selftest: mapping: pass",
            r"selftest: fault_recovery: pass",
            r"warn: hv: host NMI #1 on cpu0 \(port 0x61 = 0x[0-9a-f]+:.*\); "
            r"going on",
            r"selftest: host_nmi: pass",
            r"selftest: rtc_nmi_mask: pass",
            r"selftest: ept_audit: planted foreign frame caught: .*: "
            r"the neighbour's RAM",
            r"selftest: ept_audit: planted RAM in the MMIO hole caught: .*: "
            r"this EPT's own paging structures",
            r"selftest: ept_audit: planted misconfigured entry caught: .*: "
            r"reserved memory type",
            r"ept audit: vm planted: 512 leaves, ok$",
            r"ept audit: vm planted: RAM in the MMIO hole: gpa 0x40000000 "
            r"-> hpa 0x[0-9a-f]+ \(4 KiB, .*\): the hypervisor's image$",
            r"ept audit: vm planted: 513 leaves, 1 violation\(s\)",
            r"selftest: ept_audit: pass",
            r"selftest: \d+ passed, 0 failed",
            r"hv: power off: ",
        ],
        reject=[r"panic", r"selftest: .*: FAIL", r"exception"],
    ),
    BootTest(
        name="boot.bad_config",
        needs_vmx=True,
        cfg="[hypervisor]\nlog = info\nthis line is broken\n",
        timeout_s=200,
        stop_regex=r"returning to firmware",
        expect=[
            r"hv-boot: error: hv\.cfg:3: ",
            r"hv-boot: returning to firmware",
        ],
        reject=[r"\[cpu\d+\]"],
    ),
    # issue 11: a placement the host's CPUs cannot satisfy is refused by
    # the UEFI stage, with the line, before anything is loaded.
    BootTest(
        name="boot.bad_placement",
        needs_vmx=True,
        cfg=("[hypervisor]\non_idle = poweroff\n[vm a]\n"
             "kernel = \\guests\\ghost.elf\nsched = dedicated\ncpus = 1-3\n"),
        timeout_s=200,
        stop_regex=r"returning to firmware",
        expect=[
            r"hv-boot: error: hv\.cfg:6: \[vm a\] cpus names CPU 2, which the host lacks \(it has CPUs 0-1\)",
            r"returning to firmware",
        ],
        reject=[r"\[cpu\d+\]"],
    ),
    BootTest(
        name="boot.missing_image",
        needs_vmx=True,
        cfg=("[hypervisor]\non_idle = poweroff\n[vm ghost]\n"
             "kernel = \\guests\\ghost.elf\nmemory = 16M\n"),
        timeout_s=200,
        stop_regex=r"returning to firmware",
        expect=[
            r"hv-boot: error: hv\.cfg:4: cannot load '\\guests\\ghost\.elf'",
            r"returning to firmware",
        ],
        reject=[r"\[cpu\d+\]"],
    ),
]
