"""The boot-test table: each test boots build/hv.efi in an emulator and
judges the serial log (see tests/harness.py for how they run).

Fields of BootTest:
  name       "area.what", unique; `-k SUBSTR` selects on it
  cfg        the text of hv.cfg put beside BOOTX64.EFI
  needs_vmx  True: kvm when the host has VT-x, else Bochs (HV_PLATFORM overrides)
             False: QEMU TCG (fast; no VT-x)
  platform   a fixed platform ("bochs", "kvm", "qemu-tcg"); wins over needs_vmx
             and HV_PLATFORM (for tests about the platform itself)
  files      extra ESP files: {"guests/x.elf": b"bytes" or "host/path"};
             host paths are relative to the repository root
  megs, cpus emulated machine size
  timeout_s  wall-clock limit for the whole boot
  stop_regex stop the emulator once this matches (plus 1 s of trailing output);
             it must match within one line, as must the script's regexes
  expect     regexes that must all match, in this order of appearance
  reject     regexes that must not match anywhere
  subtests   {name: Judge(expect, reject)}: more verdicts read from the same
             log, each counted as a test of its own (one boot runs many VMs)
  script     [(regex, text)]: type text on the serial console once regex has
             matched (in order); the serial port is then a socket

Regexes are Python `re` with MULTILINE, matched against the serial log after
tests/emu.py's clean_log(): ANSI escapes removed, CR LF -> LF.

check_table() checks the whole table when this file is imported (the call
is the file's last statement) and again when the harness starts; run
`python3 tests/boot_tests.py` to check it alone.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Judge:
    expect: list[str]
    reject: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BootTest:
    name: str
    cfg: str
    expect: list[str]
    reject: list[str] = field(default_factory=list)
    needs_vmx: bool = True
    platform: str | None = None
    files: dict = field(default_factory=dict)
    megs: int = 512
    cpus: int = 2
    timeout_s: float = 240.0
    stop_regex: str | None = None
    subtests: dict = field(default_factory=dict)
    script: list = field(default_factory=list)
    # Judge the emulator's own output too, each line as "emu> TEXT": what
    # guests wrote to the host's port 0xe9 (Bochs' port_e9_hack, QEMU's
    # debugcon) appears there.
    emulator_output: bool = False
    # The machine has a PCI e1000 at emu.NIC_BDF (for passthrough_pci).
    nic: bool = False
    # The Bochs CPU model (Bochs only): "corei7_skylake_x" has AVX-512.
    cpu_model: str = "corei7_haswell_4770"


BOOT_TESTS: list[BootTest] = [
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


class TableError(ValueError):
    """The table above has a mistake: see table_problems()."""


_NAME_RE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
_CHAR_CLASS_RE = re.compile(r"\[(?:\\.|[^\\\]])*\]")


def _regex_problems(where: str, regexes, one_line: bool = False) -> list[str]:
    problems = []
    for rx in regexes:
        try:
            re.compile(rx, re.MULTILINE)
        except (re.error, TypeError) as e:
            problems.append(f"{where}: bad regex {rx!r}: {e}")
            continue
        # emu.boot() looks for these a line at a time (emu._Awaited): an
        # LF outside [...] would make a match span lines
        outside_classes = _CHAR_CLASS_RE.sub("", rx)
        if one_line and ("\n" in outside_classes or "\\n" in outside_classes):
            problems.append(f"{where}: regex {rx!r} must match within one line")
    return problems


def _judge_problems(where: str, j) -> list[str]:
    if not j.expect:
        return [f"{where}: no expect regex (the verdict could not fail)"]
    return (_regex_problems(f"{where} expect", j.expect)
            + _regex_problems(f"{where} reject", j.reject))


def _test_problems(t: BootTest) -> list[str]:
    """What is wrong with one test on its own."""
    from emu import BOCHS_CPU_MODELS, PLATFORMS
    problems = _judge_problems(t.name, t)
    if t.stop_regex is not None:
        problems += _regex_problems(f"{t.name} stop_regex", [t.stop_regex], one_line=True)
    for step in t.script:
        if not (isinstance(step, tuple) and len(step) == 2 and isinstance(step[1], str)):
            problems.append(f"{t.name}: script step {step!r} is not (regex, text)")
            continue
        problems += _regex_problems(f"{t.name} script", [step[0]], one_line=True)
    for sub, j in t.subtests.items():
        if not isinstance(j, Judge):
            problems.append(f"{t.name}: subtest {sub} is not a Judge")
        else:
            problems += _judge_problems(f"{t.name} subtest {sub}", j)
    if t.platform is not None and t.platform not in PLATFORMS:
        problems.append(f"{t.name}: unknown platform {t.platform!r}")
    cpu_model = getattr(t, "cpu_model", None)
    if cpu_model is not None and cpu_model not in BOCHS_CPU_MODELS:
        problems.append(f"{t.name}: {cpu_model!r} is no Bochs CPU model")
    for esp_path, content in t.files.items():
        parts = str(esp_path).replace("\\", "/").split("/")
        if not esp_path or parts[0] == "" or ".." in parts:
            problems.append(f"{t.name}: bad ESP path {esp_path!r}")
        if isinstance(content, (bytes, bytearray)):
            continue
        host = Path(str(content))
        if host.is_absolute() or ".." in host.parts or host.parts[:1] not in (("build",), ("tests",)):
            problems.append(f"{t.name}: host file {str(content)!r} for {esp_path} is not "
                            "under build/ or tests/ of the repository")
    if not (t.timeout_s > 0 and t.megs > 0 and t.cpus > 0):
        problems.append(f"{t.name}: timeout_s, megs and cpus must be positive")
    return problems


def table_problems(tests: list[BootTest]) -> list[str]:
    """Every mistake in the table: names ("area.what", unique among tests
    and subtests together), regexes that do not compile, verdicts without
    an expect regex, unknown platforms and Bochs CPU models, host files
    outside build/ and tests/."""
    problems = []
    seen: dict[str, str] = {}
    for t in tests:
        for name, what in [(t.name, "test"), *((s, f"subtest of {t.name}") for s in t.subtests)]:
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
                problems.append(f"{what} name {name!r} is not area.what")
            elif name in seen:
                problems.append(f"duplicate name {name} (a {what}; already a {seen[name]})")
            seen.setdefault(name, what)
        problems += _test_problems(t)
    return problems


def check_table(tests: list[BootTest] | None = None) -> None:
    """Raise TableError listing the table's mistakes, if any."""
    problems = table_problems(BOOT_TESTS if tests is None else tests)
    if problems:
        raise TableError("tests/boot_tests.py: " + "; ".join(problems))


# ---- VMs: the Multiboot test guests (tests/guests/), all in one boot ------

def _vm(name: str, elf: str, memory: str = "4M", extra: str = "") -> str:
    return (f"[vm {name}]\nkernel = \\guests\\{elf}.elf\n"
            f"memory = {memory}\n{extra}")


def _passes(name: str, status: int = 1) -> Judge:
    """A guest that reports CHECK lines and RESULT, then exits."""
    return Judge(expect=[rf"^\[{name}\] RESULT: PASS",
                         rf"vm {name}: exited with status {status}\b"],
                 reject=[rf"^\[{name}\] .*FAIL", rf"vm {name}: stopped"])


def _escape(name: str, kind: str, addr: str) -> Judge:
    return Judge(expect=[rf"^\[{name}\] CHECK RAM above 2 MiB is all zeros: ok",
                         rf"^\[{name}\] CHECK no other VM's pattern visible: ok",
                         rf"vm {name}: stopped: EPT violation: {kind} at "
                         rf"guest-physical {addr}, outside its memory"],
                 reject=[rf"^\[{name}\] ESCAPED", rf"^\[{name}\] .*FAIL"])


def _ept_audited(created: list[str], resets: dict | None = None) -> Judge:
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


GUESTS = ["hello", "cpuid", "msr", "io", "mmio", "cr", "hypercall",
          "pattern", "escape", "crash", "spin", "apic", "reset"]

BOOT_TESTS.append(BootTest(
    name="vms.multiboot",
    cfg=("[hypervisor]\non_idle = poweroff\nselftest = yes\n"
         + _vm("hello", "hello") + _vm("cpuid", "cpuid") + _vm("msr", "msr")
         + _vm("io", "io") + _vm("mmio", "mmio") + _vm("cr", "cr")
         + _vm("hypercall", "hypercall")
         + _vm("apic", "apic")
         + _vm("pattern", "pattern")
         + _vm("escape_read", "escape", extra="cmdline = r 0x400000\n")
         + _vm("escape_write", "escape", extra="cmdline = w 0x20000000\n")
         + _vm("escape_hpet", "escape", extra="cmdline = w 0xfed00000\n")
         + _vm("crash", "crash")
         + _vm("crash_restart", "crash", extra="on_crash = restart\n")
         + _vm("spin", "spin", extra="time_limit = 300ms\n")
         + _vm("after_spin", "hello")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf" for g in GUESTS},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; self-tests: \d+ passed, 0 failed; "
            r"VMs: 10 exited, 6 stopped, 0 not started"],
    reject=[r"PANIC", r"exception \d+", r"not started:"],
    subtests={
        "guest.apic": _passes("apic"),
        "guest.hello": _passes("hello"),
        "guest.cpuid": _passes("cpuid"),
        "guest.msr": _passes("msr"),
        "guest.io": _passes("io"),
        "guest.mmio": _passes("mmio"),
        "guest.cr": Judge(expect=[r"^\[cr\] CHECK XSETBV x87\|SSE accepted: ok",
                                  r"^\[cr\] RESULT: PASS",
                                  r"vm cr: exited with status 1\b"],
                          reject=[r"^\[cr\] .*FAIL", r"vm cr: stopped"]),
        "guest.hypercall": Judge(
            expect=[r"^\[hypercall\] written by the console hypercall$",
                    r"^\[hypercall\] RESULT: PASS",
                    r"vm hypercall: exited with status 42\b"],
            reject=[r"^\[hypercall\] .*FAIL"]),
        "guest.pattern": _passes("pattern"),
        "guest.escape_read": _escape("escape_read", "read", "0x400000"),
        "guest.escape_write": _escape("escape_write", "write", "0x20000000"),
        "guest.escape_hpet": _escape("escape_hpet", "write", "0xfed00000"),
        "guest.crash": Judge(
            expect=[r"^\[crash\] about to triple-fault",
                    r"vm crash: vCPU 0: triple fault",
                    r"vm crash: stopped: triple fault"],
            reject=[r"^\[crash\] RESULT"]),
        "guest.crash_restart": Judge(
            expect=[r"vm crash_restart: crashed \(triple fault\); restarting \(1 of 3\)",
                    r"^\[crash_restart\] about to triple-fault",
                    r"vm crash_restart: crashed \(triple fault\); restarting \(3 of 3\)",
                    r"^\[crash_restart\] about to triple-fault",
                    r"vm crash_restart: stopped: triple fault \(crashed 4 times"]),
        "guest.spin": Judge(
            expect=[r"^\[spin\] spinning with interrupts off",
                    r"vm spin: stopped: time limit reached"]),
        "guest.after_spin": _passes("after_spin"),
        "ept_audit.multiboot": _ept_audited(
            ["hello", "cpuid", "msr", "io", "mmio", "cr", "hypercall", "apic",
             "pattern", "escape_read", "escape_write", "escape_hpet", "crash",
             "crash_restart", "spin", "after_spin"], {"crash_restart": 3}),
    },
))


# ---- Passthrough: a host I/O port given to one VM only -------------------

BOOT_TESTS.append(BootTest(
    name="vms.passthrough",
    cfg=("[hypervisor]\non_idle = poweroff\nselftest = yes\n"
         + _vm("owner", "passthrough",
               extra="cmdline = own\npassthrough_io = 0xe9\n")
         + _vm("other", "passthrough", extra="cmdline = none\n")
         + _vm("console", "hello", extra="passthrough_io = 0x3f8-0x3ff\n")
         + _vm("pic", "hello", extra="passthrough_io = 0x80, 0x20\n")
         + _vm("rtc", "hello", extra="passthrough_io = 0x70-0x71\n")
         + _vm("reset", "reset")
         + _vm("nicowner", "pcidev",
               extra="cmdline = own\npassthrough_pci = 00:03.0\n")
         + _vm("nicother", "pcidev", extra="cmdline = none\n")
         + _vm("isabridge", "hello", extra="passthrough_pci = 00:01.0\n")
         + _vm("nodevice", "hello", extra="passthrough_pci = 00:1f.7\n")
         + _vm("a20", "hello", extra="passthrough_io = 0x92\n")
         + _vm("isadma", "hello", extra="passthrough_io = 0x00-0x0f\n")
         + _vm("smi", "hello", extra="passthrough_io = 0xb2\n")
         + _vm("acpipm", "hello", extra="passthrough_io = 0xb000-0xb003\n")),
    files={"guests/passthrough.elf": "build/guests/passthrough.elf",
           "guests/reset.elf": "build/guests/reset.elf",
           "guests/pcidev.elf": "build/guests/pcidev.elf",
           "guests/hello.elf": "build/guests/hello.elf"},
    timeout_s=240,
    stop_regex=r"hv: power off: ",
    emulator_output=True,
    nic=True,
    expect=[r"vm owner: host ports 0xe9-0xe9 passed through",
            r"vm console: not started: hv\.cfg:\d+: passthrough_io "
            r"0x3f8-0x3ff: the hypervisor's console UART",
            r"vm pic: not started: hv\.cfg:\d+: passthrough_io 0x20-0x20: "
            r"the host's 8259 PIC",
            r"vm rtc: not started: hv\.cfg:\d+: passthrough_io 0x70-0x71: "
            r"a device this VM already emulates there",
            r"vm rtc: page frames free: (\d+) before it, \1 after",
            r"vm nicowner: pci 00:03\.0 interrupt: IRQ \d+ \(GSI \d+, level\) "
            r"forwarded as host vector 0x[0-9a-f]+",
            r"vm nicowner: pci 00:03\.0 BAR0: memory 0x[0-9a-f]+-0x[0-9a-f]+ "
            r"passed through",
            r"vm nicowner: pci 00:03\.0 BAR1: ports 0x[0-9a-f]+-0x[0-9a-f]+ "
            r"passed through",
            r"vm isabridge: not started: hv\.cfg:\d+: passthrough_pci 00:01\.0: "
            r"a host, ISA or other bridge, which the host keeps",
            r"vm nodevice: not started: hv\.cfg:\d+: passthrough_pci 00:1f\.7: "
            r"no such PCI function on this machine",
            # A VM that fails late (RAM, EPT, vCPUs, devices made) leaves
            # no page behind.
            r"vm nodevice: page frames free: (\d+) before it, \1 after",
            r"vm a20: not started: hv\.cfg:\d+: passthrough_io 0x92-0x92: "
            r"the host's fast reset/A20 port",
            r"vm isadma: not started: hv\.cfg:\d+: passthrough_io 0-0xf: "
            r"the host's ISA DMA controller \(DMA into host memory below "
            r"16 MiB\)",
            r"vm smi: not started: hv\.cfg:\d+: passthrough_io 0xb2-0xb2: "
            r"the host's SMI command port",
            # OVMF puts the PIIX4 PM block at 0xb000: Bochs has no FADT
            # (the chip's PMBA says), QEMU's FADT names the PM1a event block.
            r"vm acpipm: not started: hv\.cfg:\d+: passthrough_io "
            r"0xb000-0xb003: the host's ACPI PM1(/GPE blocks \(PIIX4 PMBA\)"
            r"| ?a event block)",
            r"vm nicowner: pci 00:03\.0: SERR#/PERR# enable kept virtual "
            r"\(device: SERR# off, parity response off\)",
            r"^\[nicowner\] \[pcidev\] test device accesses counted: 2 ",
            r"hv: power off: idle; self-tests: \d+ passed, 0 failed; "
            r"VMs: 5 exited, 0 stopped, 9 not started",
            r"^emu> .*E9-PASSTHROUGH-OK"],
    reject=[r"PANIC", r"E9-LEAKED"],
    subtests={
        "passthrough.owner": _passes("owner"),
        "passthrough.other": _passes("other"),
        "passthrough.pci_owner": _passes("nicowner"),
        "passthrough.pci_other": _passes("nicother"),
        "guest.reset": Judge(
            expect=[r"^\[reset\] boot 1: reset through the keyboard controller",
                    r"vm reset: reset through the keyboard controller; restarting",
                    r"^\[reset\] boot 2: reset through port 0xcf9",
                    r"vm reset: reset through port 0xcf9; restarting",
                    r"^\[reset\] CHECK boot 3, after both resets: ok",
                    r"^\[reset\] RESULT: PASS",
                    r"vm reset: exited with status 1\b"],
            reject=[r"^\[reset\] .*FAIL", r"vm reset: stopped"]),
        # nicowner: 4 MiB of RAM in two 2 MiB pages and the e1000's
        # 128 KiB BAR0 in 32 pages of 4 KiB.
        "ept_audit.passthrough": _ept_audited(
            ["owner", "other", "reset", "nicowner", "nicother"],
            {"reset": 2}),
        "ept_audit.passthrough_bar": Judge(
            expect=[r"ept audit: vm nicowner: 34 leaves, ok$"]),
    },
))


# ---- Linux: Debian's own kernel (make linux) with a busybox initramfs ----

def _linux_vm(name: str, extra: str = "") -> str:
    return (f"[vm {name}]\ntype = linux\nkernel = \\guests\\vmlinuz\n"
            f"initrd = \\guests\\initrd.img\nmemory = 128M\n"
            f"cmdline = console=ttyS0 quiet\n{extra}")


def _linux_judge(name: str, cpus: int = 1) -> Judge:
    """/init's report (tests/linux/init), a clean power-off, and a kernel
    log free of what would mean our platform is missing something: no
    warning or error at all (the KLOG lines are the kernel's messages of
    level warning and above, which "quiet" keeps off the console)."""
    p = rf"^\[{name}\] "
    return Judge(
        expect=[p + r"INIT: hello from /init",
                p + r"INIT: kernel 6\.\d+\.\d+-\d+-amd64",
                p + rf"INIT: cpus {cpus}$",
                p + r"INIT: memory \d+ kB",
                p + r"INIT: serial irq IO-APIC 4-edge$",
                p + r"INIT: local timer ticking$",
                p + r"INIT: ls / -> bin dev init proc root sys",
                p + r"INIT: sum 6\*7 = 42",
                p + r"INIT: done, powering off",
                rf"vm {name}: powered off \(ACPI S5\)"],
        reject=[p + r".*Kernel panic", p + r".*Oops", p + r".*BUG:",
                p + r".*(?i:unable to)", p + r".*unchecked MSR",
                p + r".*WARNING:", p + r".*Call Trace", p + r"KLOG: "])


def _linux_reboot_judge(name: str, cpus: int = 1) -> Judge:
    """/init with hv.reboot: the first boot's report, `reboot -f` (the
    kernel resets through the ACPI reset register or the keyboard
    controller, both ending in vm_restart), then a second boot that finds
    its mark in CMOS NVRAM and powers off.  The whole VM starts again
    inside one hv boot, beside its neighbours."""
    p = rf"^\[{name}\] "
    first = _linux_judge(name, cpus)
    return Judge(
        expect=first.expect[:-2]
        + [p + r"INIT: boot 1, rebooting",
           rf"vm {name}: reset through (port 0xcf9|the keyboard controller)"
           r"; restarting",
           p + r"INIT: hello from /init",
           p + rf"INIT: cpus {cpus}$",
           p + r"INIT: sum 6\*7 = 42",
           p + r"INIT: boot 2 after reboot",
           p + r"INIT: done, powering off",
           rf"vm {name}: powered off \(ACPI S5\)"],
        reject=first.reject + [p + r"INIT: reboot -f returned",
                               rf"vm {name}: stopped"])


BOOT_TESTS.append(BootTest(
    name="vms.linux",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _linux_vm("linux0", extra="vcpus = 2\n").replace(
             "quiet", "quiet hv.reboot")
         + _linux_vm("linux1").replace("quiet", "quiet hv.linger=60")
         + _vm("hello", "hello")),
    files={"guests/vmlinuz": "build/linux/vmlinuz",
           "guests/initrd.img": "build/linux/initrd.img",
           "guests/hello.elf": "build/guests/hello.elf"},
    timeout_s=1200,  # three Linux boots
    stop_regex=r"hv: power off: ",
    expect=[r"vm linux0: \d+ MiB at host .*, 2 vCPU\(s\)",
            r"vm linux1: \d+ MiB at host",
            r"hv: power off: idle; VMs: 3 exited, 0 stopped, 0 not started"],
    reject=[r"PANIC", r"exception \d+", r"not started:"],
    subtests={
        "linux.linux0_reboot": _linux_reboot_judge("linux0", cpus=2),
        "linux.linux1": _linux_judge("linux1"),
        # linux1 was still up (booting, or lingering) when linux0 reset:
        # vCPU switches between VMs around a reset happened.
        "linux.reboot_beside_linux": Judge(
            expect=[r"vm linux0: reset through .*; restarting",
                    r"^\[linux1\] INIT: done, powering off"]),
        "linux.beside_multiboot": _passes("hello"),
    },
))


BOOT_TESTS.append(BootTest(
    name="vms.linux_shell",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _linux_vm("shell").replace("console=ttyS0 quiet",
                                      "console=ttyS0 quiet hv.shell")),
    files={"guests/vmlinuz": "build/linux/vmlinuz",
           "guests/initrd.img": "build/linux/initrd.img"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    script=[(r"^\[shell\] INIT: shell ready", "echo answer=$((6*7))\n"),
            (r"^\[shell\] answer=42", "uname -s\n"),
            (r"^\[shell\] Linux$", "exit\n")],
    expect=[r"^\[shell\] INIT: shell ready",
            r"^\[shell\] answer=42$",
            r"^\[shell\] Linux$",
            r"^\[shell\] INIT: shell exited",
            r"vm shell: powered off \(ACPI S5\)"],
    reject=[r"PANIC", r"Kernel panic"],
))


# ---- Isolation under attack (issue 9, items 1-7 and 12) ------------------
# tests/guests/xattack.c's attacks beside tests/guests/honest.c, all on the
# one CPU that runs every vCPU: each attack is a subtest judged from its
# own ATTACK lines (contained, not ESCAPED or WRONG) and, where the attack
# is on another VM's registers or CPU time, from the honest VMs' checks.
# A host panic fails every subtest of the boot.
#
# Starvation (item 7) runs in phases of ISO_PHASE TSC ticks from each VM's
# start: warmup (the other attacks), baseline (one VM spinning through its
# slices), reset_loop (a 256 MiB VM resetting through 0xcf9), console_flood
# (4 KiB console hypercalls), wbinvd (WBINVD in a loop).  honest.c checks
# that the largest gap it sees in each attack phase is below ISO_BOUND times
# the baseline's (about one 2 M-tick slice): a reset or a hypercall that
# holds the CPU in root for more than about five slices fails it.
ISO_PHASE = 300_000_000
ISO_BOUND = 5
_ISO_PHASES = "warmup,baseline,reset_loop,console_flood,wbinvd"


def _attack_vm(name: str, attacks: str, memory: str = "4M") -> str:
    return _vm(name, "xattack", memory,
               extra=f"cmdline = attack={attacks} phase={ISO_PHASE}\n")


def _honest_vm(name: str, args: str) -> str:
    return _vm(name, "honest", extra=f"cmdline = {args}\n")


_ROOT_FAULT = [r"PANIC", r"exception in root", r"\[cpu\d+\] .*exception \d+"]


def _attack_judge(vm: str, attack: str, during: list[str] | None = None,
                  after: list[str] | None = None) -> Judge:
    """The attack's start, what must come `during` it (in order), its
    "contained" line, then what must come `after` it (the honest VMs'
    verdicts, printed when they finish)."""
    p = rf"^\[{vm}\] "
    return Judge(expect=[p + rf"ATTACK {attack}: start", *(during or []),
                         p + rf"ATTACK {attack}: contained", *(after or [])],
                 reject=[p + rf"ATTACK {attack}: (ESCAPED|WRONG)",
                         p + r".*FAIL", p + r"unexpected exception",
                         *_ROOT_FAULT])


def _honest_intact(vm: str, avx: bool = True) -> Judge:
    """Every register the honest VM holds came back its own, round after
    round (its gap checks are the starvation subtests')."""
    what = ["GPRs", "XMM0-7", *(["YMM upper halves"] if avx else []), "MXCSR",
            "x87 control word and stack", "DR0-DR3", "DR7", "DR6", "MSRs"]
    return Judge(expect=[rf"^\[{vm}\] CHECK {w} intact: ok" for w in what],
                 reject=[rf"^\[{vm}\] round \d+: .* changed",
                         rf"^\[{vm}\] unexpected exception", *_ROOT_FAULT])


def _honest_ok(vm: str, *what: str) -> list[str]:
    return [rf"^\[{vm}\] CHECK {w}: ok" for w in what]


def _starve_judge(vm: str, attack: str, phase: str) -> Judge:
    """Judged by the honest VM's gap in the attack's phase (the attack
    itself may be stopped by the hypervisor's limits, which is fine)."""
    return Judge(expect=[rf"^\[{vm}\] ATTACK {attack}: start",
                         r"^\[honest\] CHECK largest gap in phase "
                         rf"{phase} below bound x baseline: ok"],
                 reject=[rf"^\[{vm}\] ATTACK {attack}: (ESCAPED|WRONG)",
                         *_ROOT_FAULT])


_ISO_FILES = {"guests/honest.elf": "build/guests/honest.elf",
              "guests/xattack.elf": "build/guests/xattack.elf"}

BOOT_TESTS.append(BootTest(
    name="vms.isolation",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _honest_vm("honest", f"seed=1 rounds=500 ticks={5 * ISO_PHASE} "
                      f"phase={ISO_PHASE} phases={_ISO_PHASES} base=1 "
                      f"bound={ISO_BOUND}")
         + _honest_vm("honest_sse", f"sse seed=2 rounds=500 ticks={2 * ISO_PHASE}")
         + _attack_vm("xcr0_lowering", "xcr0_lowering")
         + _attack_vm("reset_sse", "reset_sse")
         + _attack_vm("xsetbv", "xsetbv_refused")
         + _attack_vm("leak_xcr0_1", "leak_xcr0_1,clobber_xmm")
         + _attack_vm("leak_fxsave", "leak_fxsave")
         + _attack_vm("leak_ymm", "leak_ymm")
         + _attack_vm("dr", "dr_read,dr_clobber,dr7_exit")
         + _attack_vm("reset_state", "reset_state")
         + _attack_vm("spec", "spec_ctrl")
         + _attack_vm("reset_loop", "reset_loop@2", memory="256M")
         + _attack_vm("starve", "spin_phase@1,console_flood@3,wbinvd_loop@4")),
    files=_ISO_FILES,
    megs=768,
    cpus=1,
    timeout_s=420,
    stop_regex=r"hv: power off: ",
    expect=[r"hv: power off: idle; VMs: 13 exited, 0 stopped, 0 not started"],
    reject=_ROOT_FAULT,
    subtests={
        "isolation.honest": _honest_intact("honest"),
        "isolation.honest_sse": _honest_intact("honest_sse", avx=False),
        "attack.xcr0_lowering": _attack_judge("xcr0_lowering", "xcr0_lowering"),
        "attack.reset_sse": _attack_judge(
            "reset_sse", "reset_sse", during=
            [r"vm reset_sse: reset through the keyboard controller; restarting",
             r"vm reset_sse: reset through port 0xcf9; restarting"]),
        "attack.xsetbv_refused": _attack_judge("xsetbv", "xsetbv_refused"),
        "attack.leak_xcr0_1": _attack_judge("leak_xcr0_1", "leak_xcr0_1"),
        "attack.leak_fxsave": _attack_judge("leak_fxsave", "leak_fxsave"),
        "attack.leak_ymm": _attack_judge("leak_ymm", "leak_ymm"),
        "attack.clobber_xmm": _attack_judge(
            "leak_xcr0_1", "clobber_xmm", after=
            _honest_ok("honest_sse", "XMM0-7 intact", "MXCSR intact")
            + _honest_ok("honest", "XMM0-7 intact", "MXCSR intact")),
        "attack.dr_read": _attack_judge("dr", "dr_read"),
        "attack.dr_clobber": _attack_judge(
            "dr", "dr_clobber", after=_honest_ok("honest", "DR0-DR3 intact", "DR6 intact")),
        "attack.dr7_exit": _attack_judge(
            "dr", "dr7_exit", after=_honest_ok("honest", "DR7 intact")),
        "attack.reset_state": _attack_judge(
            "reset_state", "reset_state", during=
            [r"vm reset_state: reset through the keyboard controller; restarting"]),
        "attack.spec_ctrl": _attack_judge("spec", "spec_ctrl"),
        "attack.reset_loop": _starve_judge("reset_loop", "reset_loop", "reset_loop"),
        "attack.console_flood": _starve_judge("starve", "console_flood", "console_flood"),
        "attack.wbinvd_loop": _starve_judge("starve", "wbinvd_loop", "wbinvd"),
    },
))

# AVX-512 exists only on Bochs's Skylake-X model: XCR0 values with some of
# the opmask/ZMM components but not all (the hypervisor's XSETBV in root
# faulted on them), and the vector-register leaks on that model.
BOOT_TESTS.append(BootTest(
    name="vms.isolation_avx512",
    cpu_model="corei7_skylake_x",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _honest_vm("honest", "seed=3 rounds=300")
         + _attack_vm("xsetbv", "xsetbv_refused")
         + _attack_vm("leak_xcr0_1", "leak_xcr0_1")
         + _attack_vm("leak_ymm", "leak_ymm")),
    files=_ISO_FILES,
    cpus=1,
    timeout_s=300,
    stop_regex=r"hv: power off: ",
    expect=[r"hv: power off: idle; VMs: 4 exited, 0 stopped, 0 not started"],
    reject=_ROOT_FAULT,
    subtests={
        "avx512.honest": _honest_intact("honest"),
        "avx512.xsetbv_refused": _attack_judge(
            "xsetbv", "xsetbv_refused", during=
            [r"^\[xsetbv\] CHECK XSETBV 0x27 \(opmask without ZMM_Hi256 and "
             r"Hi16_ZMM\): #GP: ok",
             r"^\[xsetbv\] CHECK XSETBV 0xe7 \(AVX-512\) accepted: ok"]),
        "avx512.leak_xcr0_1": _attack_judge("leak_xcr0_1", "leak_xcr0_1"),
        "avx512.leak_ymm": _attack_judge("leak_ymm", "leak_ymm"),
    },
))


# ---- Contained faults (issue 9 item 11): a guest's mistakes and rarer
# instructions get the answer hardware gives, not a stopped VM ------------

CONTAINED_GUESTS = ["realmode", "efer_pmc", "strio", "initself", "hello"]

BOOT_TESTS.append(BootTest(
    name="vms.contained",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _vm("rm_gp", "realmode", extra="cmdline = gp\n")
         + _vm("rm_mmio", "realmode", extra="cmdline = mmio\n")
         + _vm("pmc", "efer_pmc", extra="cmdline = pmc\n")
         + _vm("efer", "efer_pmc", extra="cmdline = efer\n")
         + _vm("strio", "strio")
         + _vm("initself", "initself", extra="vcpus = 2\n")
         + _vm("neighbour", "hello")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf"
           for g in CONTAINED_GUESTS},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 7 exited, 0 stopped, 0 not started"],
    reject=[r"PANIC", r"exception \d+", r"not started:"],
    subtests={
        "contained.realmode_gp": _passes("rm_gp"),
        "contained.realmode_mmio": _passes("rm_mmio"),
        "contained.rdpmc": _passes("pmc"),
        "contained.efer": _passes("efer"),
        "contained.strio": Judge(
            expect=[r"^\[strio\] strio: rep outsb forwards$",
                    r"^\[strio\] strio: rep outsb backwards$",
                    r"^\[strio\] RESULT: PASS",
                    r"vm strio: exited with status 1\b"],
            reject=[r"^\[strio\] .*FAIL", r"vm strio: stopped"]),
        "contained.initself": _passes("initself"),
        "contained.neighbour": _passes("neighbour"),
    },
))


# ---- The hostile-guest suite: generic attacks (issue 9, "Tests") ---------
# tests/guests/attack/, one attack per name in "attack=A,B,...", beside the
# honest VM (tests/guests/honest.c).  An attack the guest can judge prints
# "ATTACK NAME: contained (...)" or "ESCAPED (...)"; one that must end its
# VM is judged by the hypervisor's words for that VM.  Every subtest also
# fails on a fault in root or a panic: a VM that brings the host down has
# escaped, whatever it printed.  See docs/ARCHITECTURE.md, "The
# hostile-guest suite".

_GA_ROOT_FAULT = [r"PANIC", r"exception in root", r"\[cpu\d+\] .*exception \d+"]
# A reject pattern that matches (at the start of the log) when the honest
# VM never ended: whichever comes first, the attack or the honest VM's end.
_GA_HONEST_NEVER_ENDED = r"\A(?![\s\S]*^\[cpu\d+\] info: vm honest: exited)"


def _ga_vm(name: str, attacks: str, memory: str = "4M", extra: str = "") -> str:
    return _vm(name, "attack", memory, extra=f"cmdline = attack={attacks}\n{extra}")


def _ga(vm: str, attack: str, also: list[str] | None = None) -> Judge:
    """Judged by the guest itself: it started and found itself contained."""
    p = rf"^\[{vm}\] "
    return Judge(expect=[p + rf"ATTACK {attack}: start",
                         p + rf"ATTACK {attack}: contained", *(also or [])],
                 reject=[p + rf"ATTACK {attack}: (ESCAPED|WRONG)",
                         p + r"unexpected exception", *_GA_ROOT_FAULT])


def _ga_stopped(vm: str, attack: str, why: str) -> Judge:
    """Judged by the hypervisor: it stopped that VM, for that reason."""
    p = rf"^\[{vm}\] "
    return Judge(expect=[p + rf"ATTACK {attack}: start",
                         rf"vm {vm}: stopped: {why}"],
                 reject=[p + rf"ATTACK {attack}: ESCAPED",
                         p + r"unexpected exception", *_GA_ROOT_FAULT])


def _ga_outside(vm: str, attack: str, kind: str, addr: str) -> Judge:
    return _ga_stopped(vm, attack, rf"EPT violation: {kind} at guest-physical "
                       rf"{addr}, outside its memory")


def _ga_honest(vm: str = "honest") -> Judge:
    return Judge(expect=[rf"^\[{vm}\] RESULT: PASS",
                         rf"vm {vm}: exited with status 1\b"],
                 reject=[rf"^\[{vm}\] .*FAIL", rf"vm {vm}: stopped",
                         *_GA_ROOT_FAULT])


# The honest VM checks its registers after every yield (tests/guests/
# honest.c, from the isolation work); where that guest is not in the tree
# yet, hello stands in (it passes the same judge).
_GA_HONEST_ELF = ("honest" if (__import__("pathlib").Path(__file__).parent
                               / "guests" / "honest.c").exists() else "hello")
_GA_FILES = {"guests/attack.elf": "build/guests/attack.elf",
             f"guests/{_GA_HONEST_ELF}.elf": f"build/guests/{_GA_HONEST_ELF}.elf",
             "guests/pattern.elf": "build/guests/pattern.elf"}
_GA_HONEST = _vm("honest", _GA_HONEST_ELF, extra="cmdline = seed=9 rounds=300\n")

BOOT_TESTS.append(BootTest(
    name="vms.attacks",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _GA_HONEST
         + _ga_vm("ram_straddle", "ram_straddle")
         + _ga_vm("exec_outside", "exec_outside")
         + _ga_vm("gpa_4g", "gpa_4g")
         + _ga_vm("gpa_top", "gpa_top")
         + _ga_vm("host_sweep", "host_sweep", extra="on_crash = restart\n")
         + _vm("pattern", "pattern", "16M")
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
    reject=[*_GA_ROOT_FAULT, r"not started:", r"^emu> .*ATTACK-LEAK",
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
                    *_GA_ROOT_FAULT]),
        "attack.sibling_scan": _ga("sibling", "sibling_scan",
                                   [r"^\[pattern\] RESULT: PASS"]),
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
                    *_GA_ROOT_FAULT]),
        "attack.mmio_smc": _ga("mmio", "mmio_smc"),
        "attack.mmio_stale_tlb": _ga("mmio", "mmio_stale_tlb"),
        "attack.mmio_straddle": _ga("mmio", "mmio_straddle"),
        # No instruction at RIP for the decoder: a #PF, or a stop.
        "attack.mmio_vanished_page": Judge(
            expect=[r"^\[vanished\] ATTACK mmio_vanished_page: start",
                    r"(^\[vanished\] ATTACK mmio_vanished_page: contained|"
                    r"vm vanished: stopped: unhandled exit EPT_VIOLATION)"],
            reject=[r"^\[vanished\] ATTACK mmio_vanished_page: ESCAPED",
                    *_GA_ROOT_FAULT]),
        # Not decoded: the VM stops (unhandled exit); or emulated.
        "attack.mmio_rep_movs": Judge(
            expect=[r"^\[rep_movs\] ATTACK mmio_rep_movs: start",
                    r"(^\[rep_movs\] ATTACK mmio_rep_movs: contained|"
                    r"vm rep_movs: stopped: unhandled exit EPT_VIOLATION)"],
            reject=[r"^\[rep_movs\] ATTACK mmio_rep_movs: ESCAPED",
                    *_GA_ROOT_FAULT]),
        "attack.mmio_ram_end": _ga_outside("mmio_ram_end", "mmio_ram_end",
                                           "instruction fetch", "0x400000"),
        "attack.triple_fault": Judge(
            expect=[r"^\[triple\] ATTACK triple_fault: boot 1",
                    r"vm triple: crashed \(triple fault\); restarting \(1 of 3\)",
                    r"^\[triple\] ATTACK triple_fault: boot 4",
                    r"vm triple: stopped: triple fault \(crashed 4 times"],
            reject=[r"^\[triple\] ATTACK triple_fault: (ESCAPED|boot 5)",
                    *_GA_ROOT_FAULT]),
    },
))


# Storms: resets, INIT/SIPI/NMI, spinning with interrupts off, timers at
# their fastest rates.  Judged by the honest VM finishing too.
BOOT_TESTS.append(BootTest(
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
    reject=[*_GA_ROOT_FAULT, r"not started:"],
    subtests={
        "storms.honest": _ga_honest(),
        # The lead is changing reset handling: a cap that stops the VM
        # is as good as the guest giving up by itself after 40.
        **{f"attack.{a}": Judge(
            expect=[rf"^\[{a}\] ATTACK {a}: start",
                    rf"vm {a}: .*; restarting",
                    rf"(^\[{a}\] ATTACK {a}: contained|vm {a}: stopped)"],
            reject=[rf"^\[{a}\] ATTACK {a}: ESCAPED", _GA_HONEST_NEVER_ENDED,
                    *_GA_ROOT_FAULT])
           for a in ["reset_kbd", "reset_cf9"]},
        "attack.spin_smp": Judge(
            expect=[r"^\[spin_smp\] ATTACK spin_smp: spinning on every vCPU",
                    r"vm spin_smp: stopped: time limit reached"],
            reject=[_GA_HONEST_NEVER_ENDED, *_GA_ROOT_FAULT]),
        "attack.init_storm": _ga("init_storm", "init_storm"),
        "attack.nmi_storm": _ga("nmi_storm", "nmi_storm"),
        "attack.pit_storm": _ga("pit_storm", "pit_storm"),
        "attack.rtc_storm": _ga("rtc_storm", "rtc_storm"),
        "attack.lapic_timer_storm": Judge(
            expect=[r"^\[lapic_storm\] ATTACK lapic_timer_storm: start",
                    r"^\[lapic_storm\] ATTACK lapic_timer_storm: contained"],
            reject=[r"^\[lapic_storm\] ATTACK lapic_timer_storm: (ESCAPED|WRONG)",
                    _GA_HONEST_NEVER_ENDED, *_GA_ROOT_FAULT]),
        "attack.tsc_deadline_past": _ga("deadline", "tsc_deadline_past"),
        "attack.exit_flood": _ga("exit_flood", "exit_flood"),
    },
))


# ---- Guest instruction fuzzer (tests/guests/fuzz/; issue 9) -------------
# Fuzz VMs run seeded random privileged and exiting instructions beside an
# honest VM.  Judged: hv never panics or faults in root, each fuzz VM
# finishes ("FUZZ done") or hv says why it stopped it, the honest VM
# passes, and the fuzz VMs took at least FUZZ_SMOKE_EXITS VM exits in all
# (the "vm NAME: N VM exits" lines; the check is a subtest of its own, see
# fuzz_exits_judge).  tests/fuzz_guests.py (make fuzz-guests) runs longer
# ones, one boot per seed.
#
# Classes on here (fuzz.c's on= switches): lme (EFER.LME, then CR0.PG
# without PAE), xsetbv (random XCR0, then SSE/AVX/opmask use across vCPU
# switches: it made XRSTOR #GP in VMX root before issue 9's fix), rdpmc
# and strio (RDPMC and INS/OUTS stopped the VM before their fixes).  Off:
# task (task switches are not emulated: hv stops the VM, saying so) and
# mmioalu (MMIO through ALU instructions, XCHG, TEST, which the decoder
# does not know: hv stops the VM, saying so), which would end a fuzz VM
# early; init (INIT/SIPI/SMI/ExtINT delivery modes), tried on one seed
# only.  HV_FUZZ_ON=a,b overrides the list for one run (an experiment,
# not a test setting).
FUZZ_SEEDS = (0x1, 0xbeef, 0x5eed5)
FUZZ_SMOKE_ITERS = 15000
FUZZ_SMOKE_EXITS = 100_000
FUZZ_SWITCHES = __import__("os").environ.get("HV_FUZZ_ON",
                                             "lme,xsetbv,rdpmc,strio")


def fuzz_vm(name: str, seed: int, iters: int, switches: str = "") -> str:
    on = f" on={switches}" if switches else ""
    return _vm(name, "fuzz", extra=f"cmdline = seed={seed:#x} iters={iters}{on}\n")


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

BOOT_TESTS.append(BootTest(
    name="vms.fuzz",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + "".join(fuzz_vm(n, s, FUZZ_SMOKE_ITERS, FUZZ_SWITCHES)
                   for n, s in zip(FUZZ_NAMES, FUZZ_SEEDS))
         + _honest_vm("honest", "seed=4 rounds=3000")),
    files={"guests/fuzz.elf": "build/guests/fuzz.elf",
           "guests/honest.elf": "build/guests/honest.elf"},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls", r"hv: power off: idle; VMs: "],
    reject=[r"PANIC", r"panic", r"exception \d+", r"not started:"],
    subtests={
        **{f"fuzz.{n}": fuzz_vm_judge(n) for n in FUZZ_NAMES},
        "fuzz.exits": fuzz_exits_judge(FUZZ_NAMES),
        "fuzz.honest": _honest_intact("honest"),
    },
))


# ---- Keep this the last section: the check sees every test added above ----

if __name__ == "__main__":
    # python3 tests/boot_tests.py: check the table, exit 1 if it is wrong
    _problems = table_problems(BOOT_TESTS)
    print(*_problems, sep="\n", file=sys.stderr)
    print(f"boot_tests: {len(BOOT_TESTS)} tests, "
          f"{sum(len(t.subtests) for t in BOOT_TESTS)} subtests, "
          f"{len(_problems)} problem(s)")
    sys.exit(1 if _problems else 0)
check_table()
