"""vms.linux and vms.linux_shell: Debian's own kernel (make linux) with a
busybox initramfs (tests/linux/init) as guests.

vms.linux boots two Linux VMs beside a Multiboot guest: linux0 (2 vCPUs)
reboots itself once (`reboot -f`, hv.reboot) and must come back and power
off; linux1 lingers so that the reset happens while it runs.  Each Linux VM
is judged from /init's "INIT:" report, its ACPI S5 power-off, and a kernel
log free of warnings, errors and oopses (the KLOG lines).  The machine has
3 CPUs: linux0's two vCPUs run on CPUs 1 and 2, one each, and its second
boot times two busy loops against one (hv.parallel): both vCPUs really run
at once.
vms.linux_shell boots `make run`'s configuration (examples/hv.cfg: linux0
with a shell, beside the hello and cpuid guests), checks hv's three-line
console hint, types commands on the serial console (the BootTest's script),
opens the monitor with Ctrl-A m between them, and judges the answers.  The
shell runs on Linux's virtio console, hvc0 (Debian's virtio_console module
driving hv's device, `console = virtio`): `tty` must say so, and the typed
keys reach it through hv's console input.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .helpers import passes, vm
from .smp import int_range
from .table import BootTest, Judge


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
                p + r"INIT: ls / -> bin dev init lib proc root sys",
                p + r"INIT: sum 6\*7 = 42",
                p + r"INIT: done, powering off",
                rf"vm {name}: powered off \(ACPI S5\)"],
        reject=[p + r".*Kernel panic", p + r".*Oops", p + r".*BUG:",
                p + r".*(?i:unable to)", p + r".*unchecked MSR",
                p + r".*WARNING:", p + r".*Call Trace",
                # One warning every conventional-PCI PC prints (QEMU's
                # i440fx too): its host bridge has no MCFG, so no
                # extended configuration space.  Any other is rejected.
                p + r"KLOG: (?!<4>\[ *[\d.]+\] acpi PNP0A03:00: fail to add "
                    r"MMCONFIG information, can't access extended PCI "
                    r"configuration space under this bridge\.$)"])


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


# hv.parallel=N: linux0's /init times a busy loop of N shell steps alone,
# then two at once (tests/linux/init), in its second boot.  About 1.8 s
# of guest time each in Bochs (20000 steps took 5.9 s).
PARALLEL_STEPS = 6000


# The test disk (make linux: build/linux/disk.img, an ext2 file system
# made from tests/linux/disk/), on linux0 and linux1 alike.
_DISK = "disk = \\guests\\disk.img\n"
_HELLO_MD5 = hashlib.md5((Path(__file__).resolve().parents[1] / "linux" / "disk"
                          / "hello.txt").read_bytes()).hexdigest()


def _disk_judge(name: str) -> Judge:
    """Debian's virtio modules load from the initramfs, the ext2 disk
    mounts, its file has the known checksum, a write reads back after a
    remount, no other VM's (or earlier boot's) mark is seen on the image
    it shares, and the queue interrupts are MSI-X."""
    p = rf"^\[{name}\] INIT: "
    return Judge(
        expect=[rf"vm {name}: virtio-blk 0 at pci 00:04\.0: \\guests\\disk\.img",
                p + rf"disk hello md5 {_HELLO_MD5}\s*$",
                p + r"disk marks before: \.\s*$",
                p + rf"disk read back: marked by {name}\s*$",
                p + rf"disk marks after: mark-{name} \.\s*$",
                # The function has only MSI-X (no MSI capability); Linux
                # 6.1 names either kind's chip "PCI-MSI".
                p + r"disk irqs: .*PCI-MSI.*virtio0-req\.0"],
        reject=[p + r"insmod \w+ failed", p + r"disk mount failed"])


def _parallel_judge(name: str) -> Judge:
    """Two busy loops on the guest's two vCPUs, each vCPU on a host CPU of
    its own, take about the time of one: within 40% of it (time-sliced on
    one host CPU they take twice as long, ratio 200%)."""
    return Judge(
        expect=[rf"vm {name}: vCPU 0 on CPU 1 ",
                rf"vm {name}: vCPU 1 on CPU 2 ",
                rf"^\[{name}\] INIT: parallel one \d+ ms two \d+ ms "
                rf"ratio {int_range(90, 140)}%$"])


LINUX = BootTest(
    name="vms.linux",
    # linux0 alone on CPUs 1 and 2 (one vCPU each), its neighbours on 0.
    cpus=3,
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _linux_vm("linux0", extra="vcpus = 2\ncpus = 1-2\n" + _DISK).replace(
             "quiet", f"quiet hv.reboot hv.parallel={PARALLEL_STEPS} "
                      "hv.disk=linux0")
         + _linux_vm("linux1", extra="cpus = 0\n" + _DISK).replace(
             "quiet", "quiet hv.linger=60 hv.disk=linux1")
         + vm("hello", "hello", extra="cpus = 0\n")),
    files={"guests/vmlinuz": "build/linux/vmlinuz",
           "guests/initrd.img": "build/linux/initrd.img",
           "guests/hello.elf": "build/guests/hello.elf",
           "guests/disk.img": "build/linux/disk.img"},
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
        "linux.beside_multiboot": passes("hello"),
        "linux.parallel_vcpus": _parallel_judge("linux0"),
        "linux.disk_linux1": _disk_judge("linux1"),
        "linux.disk_linux0_both_boots": Judge(
            expect=[*_disk_judge("linux0").expect,
                    r"^\[linux0\] INIT: boot 1, rebooting",
                    *_disk_judge("linux0").expect[1:],
                    r"^\[linux0\] INIT: boot 2 after reboot"]),
    },
)


# `make run`'s own configuration (examples/hv.cfg), so the first thing a
# user sees is tested: only on_idle differs (the test must end).
_FIRST_RUN_CFG = (Path(__file__).resolve().parents[2] / "examples" / "hv.cfg"
                  ).read_text().replace("on_idle = halt", "on_idle = poweroff")

LINUX_SHELL = BootTest(
    name="vms.linux_shell",
    cfg=_FIRST_RUN_CFG,
    files={"guests/vmlinuz": "build/linux/vmlinuz",
           "guests/initrd.img": "build/linux/initrd.img",
           "guests/hello.elf": "build/guests/hello.elf",
           "guests/cpuid.elf": "build/guests/cpuid.elf"},
    timeout_s=600,
    stop_regex=r"hv: power off: ",
    script=[(r"^\[linux0\] INIT: shell ready", "echo answer=$((6*7))\n"),
            (r"^\[linux0\] answer=42", "\x01m"),
            (r"hv monitor: 'help' lists", "vms\r"),
            (r"^ ?3 cpuid ", "quit\r"),
            (r"hv monitor: closed", "uname -s\n"),
            (r"^\[linux0\] Linux", "tty\n"),
            (r"^\[linux0\] /dev/", "exit\n")],
    expect=[r"vm linux0: virtio-console at pci 00:0a\.0",
            r"console: what you type goes to vm linux0; Ctrl-A n moves it",
            r"console: Ctrl-A m opens hv's monitor",
            r"console: to leave, stop the machine",
            r"^\[linux0\] INIT: shell ready on hvc0",
            r"^\[linux0\] answer=42\s*$",
            r"^ ?1 linux0 +(running|halted) +vcpus 1",
            r"^\[linux0\] Linux\s*$",
            r"^\[linux0\] /dev/hvc0\s*$",
            r"^\[linux0\] INIT: shell exited",
            r"vm linux0: powered off \(ACPI S5\)",
            r"hv: power off: idle; VMs: 3 exited, 0 stopped, 0 not started"],
    reject=[r"PANIC", r"Kernel panic", r"not started:"],
    subtests={"first_run.hello": passes("hello"),
              "first_run.cpuid": passes("cpuid")},
)


def _net_vm(name: str, me: str, peer: str, role: str, cpu: int) -> str:
    return _linux_vm(name, extra=f"cpus = {cpu}\nnet = sw0\n").replace(
        "quiet", f"quiet hv.net={me},{peer},{role}")


def _net_moved(log: str) -> str | None:
    """The receiver got as many bytes as the sender sent, with the same
    MD5: 2 MiB of random bytes over TCP through hv's switch."""
    sent = re.search(r"^\[lnet1\] INIT: net sending (\d+) bytes md5 (\w+)",
                     log, re.M)
    got = re.search(r"^\[lnet0\] INIT: net received (\d+) bytes md5 (\w+)",
                    log, re.M)
    if not sent or not got:
        return "no 'net sending' or 'net received' line"
    if sent.groups() != got.groups() or int(sent[1]) != 2 << 20:
        return f"sent {sent.groups()}, received {got.groups()}"
    return None


def _net_judge(name: str, mac: str) -> Judge:
    """Debian's virtio_net from the initramfs drives hv's NIC: its MAC is
    hv's default, the peer answers pings, and the queues' interrupts are
    MSI-X."""
    p = rf"^\[{name}\] INIT: "
    return Judge(
        expect=[rf"vm {name}: virtio-net 0 at pci 00:08\.0 on switch sw0, "
                rf"mac {mac}",
                p + rf"net eth0 {mac} 10\.0\.0\.\d",
                p + r"net ping 3 packets received",
                p + r"net irqs: .*PCI-MSI.*virtio0-input\.0.*"
                    r"virtio0-output\.0"],
        reject=[p + r"net eth0 failed"])


# Two Linux VMs on switch sw0 (issue 14): ping, then 2 MiB by nc; a
# Multiboot guest alone on sw1 hears none of their traffic (ARP
# broadcasts included) and reaches no one.
LINUX_NET = BootTest(
    name="vms.linux_net",
    cpus=3,
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _net_vm("lnet0", "10.0.0.1", "10.0.0.2", "receive", 1)
         + _net_vm("lnet1", "10.0.0.2", "10.0.0.1", "send", 2)
         + vm("lone", "vnet", extra="net = sw1, mac=52:54:00:00:00:03\n"
                                    "cmdline = me=3 alone=1\ncpus = 0\n")),
    files={"guests/vmlinuz": "build/linux/vmlinuz",
           "guests/initrd.img": "build/linux/initrd.img",
           "guests/vnet.elf": "build/guests/vnet.elf"},
    timeout_s=1200,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 3 exited, 0 stopped, 0 not started"],
    subtests={
        "linux_net.lnet0": _linux_judge("lnet0"),
        "linux_net.lnet1": _linux_judge("lnet1"),
        "linux_net.nic_lnet0": _net_judge("lnet0", "52:54:00:68:00:00"),
        "linux_net.nic_lnet1": _net_judge("lnet1", "52:54:00:68:01:00"),
        "linux_net.nc_2mib": Judge(
            expect=[r"^\[lnet0\] INIT: net received"], check=_net_moved),
        "linux_net.sw1_alone": passes("lone"),
    },
)

TESTS = [LINUX, LINUX_SHELL, LINUX_NET]
