"""vms.multiboot: the Multiboot test guests of tests/guests/, all in one boot.

Sixteen VMs run side by side with selftest = yes: guests that
check one area each (CPUID, MSRs, port and MMIO I/O, control registers,
hypercalls, the local APIC), guests that try to read or write outside their
memory, one that crashes (once stopped, once restarted on_crash), one that
spins with interrupts off until its time limit.  Each guest is a subtest
judged from its own CHECK/RESULT lines and the hypervisor's words for its VM
(exited, stopped and why); the EPT audit of every VM is one more.  The boot
as a whole must power off with the expected count of exited and stopped
VMs and no panic.
"""

from __future__ import annotations

from .helpers import ept_audited, passes, vm
from .table import BootTest, Judge


def _escape(name: str, kind: str, addr: str) -> Judge:
    return Judge(expect=[rf"^\[{name}\] CHECK RAM above 2 MiB is all zeros: ok",
                         rf"^\[{name}\] CHECK no other VM's pattern visible: ok",
                         rf"vm {name}: stopped: EPT violation: {kind} at "
                         rf"guest-physical {addr}, outside its memory"],
                 reject=[rf"^\[{name}\] ESCAPED", rf"^\[{name}\] .*FAIL"])


GUESTS = ["hello", "cpuid", "msr", "io", "mmio", "cr", "hypercall",
          "pattern", "escape", "crash", "spin", "apic", "reset"]

MULTIBOOT = BootTest(
    name="vms.multiboot",
    cfg=("[hypervisor]\non_idle = poweroff\nselftest = yes\n"
         + vm("hello", "hello") + vm("cpuid", "cpuid") + vm("msr", "msr")
         + vm("io", "io") + vm("mmio", "mmio") + vm("cr", "cr")
         + vm("hypercall", "hypercall")
         + vm("apic", "apic")
         + vm("pattern", "pattern")
         # unassigned_memory = stop: the probe must end the VM, proof that
         # it reached nothing (vms.pc tests the default, all ones).
         + vm("escape_read", "escape",
              extra="cmdline = r 0x400000\nunassigned_memory = stop\n")
         + vm("escape_write", "escape",
              extra="cmdline = w 0x20000000\nunassigned_memory = stop\n")
         + vm("escape_hpet", "escape",
              extra="cmdline = w 0xfed00000\nunassigned_memory = stop\n")
         + vm("crash", "crash")
         + vm("crash_restart", "crash", extra="on_crash = restart\n")
         + vm("spin", "spin", extra="time_limit = 300ms\n")
         + vm("after_spin", "hello")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf" for g in GUESTS},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; self-tests: \d+ passed, 0 failed; "
            r"VMs: 10 exited, 6 stopped, 0 not started"],
    reject=[r"PANIC", r"exception \d+", r"not started:"],
    subtests={
        "guest.apic": passes("apic"),
        "guest.hello": passes("hello"),
        "guest.cpuid": passes("cpuid"),
        "guest.msr": passes("msr"),
        "guest.io": passes("io"),
        "guest.mmio": passes("mmio"),
        "guest.cr": Judge(expect=[r"^\[cr\] CHECK XSETBV x87\|SSE accepted: ok",
                                  r"^\[cr\] RESULT: PASS",
                                  r"vm cr: exited with status 1\b"],
                          reject=[r"^\[cr\] .*FAIL", r"vm cr: stopped"]),
        "guest.hypercall": Judge(
            expect=[r"^\[hypercall\] written by the console hypercall$",
                    r"^\[hypercall\] RESULT: PASS",
                    r"vm hypercall: exited with status 42\b"],
            reject=[r"^\[hypercall\] .*FAIL"]),
        "guest.pattern": passes("pattern"),
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
        "guest.after_spin": passes("after_spin"),
        "ept_audit.multiboot": ept_audited(
            ["hello", "cpuid", "msr", "io", "mmio", "cr", "hypercall", "apic",
             "pattern", "escape_read", "escape_write", "escape_hpet", "crash",
             "crash_restart", "spin", "after_spin"], {"crash_restart": 3}),
    },
)

MANY_VMS = 64  # CFG_MAX_VMS


def _all_ran(log: str) -> str | None:
    """Every one of the 64 VMs printed its hello and its PASS, and hv
    created each with a few dozen KiB of its own beyond its RAM."""
    import re
    passed = set(re.findall(r"^\[(m\d+)\] RESULT: PASS", log, re.M))
    if len(passed) != MANY_VMS:
        return f"{len(passed)} of {MANY_VMS} VMs passed"
    costs = [int(k) for k in re.findall(
        r"vm m\d+: hv memory (\d+) KiB beyond its RAM", log)]
    if len(costs) != MANY_VMS or max(costs) > 64:
        return f"hv memory per VM: {sorted(set(costs))} KiB"
    return None


# The most VMs hv runs (issue 15): 64 small ones side by side.
MANY = BootTest(
    name="vms.many",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + "".join(vm(f"m{i}", "hello", memory="2M") for i in range(MANY_VMS))),
    files={"guests/hello.elf": "build/guests/hello.elf"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            rf"hv: power off: idle; VMs: {MANY_VMS} exited, 0 stopped, 0 not "
            r"started"],
    reject=[r"not started:", r"panic"],
    subtests={"many.all_ran": Judge(expect=[r"^\[m63\] RESULT: PASS"],
                                    check=_all_ran)},
)

TESTS = [MULTIBOOT, MANY]
