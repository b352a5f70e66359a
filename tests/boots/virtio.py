"""vms.virtio: virtio-blk disks (issue 14), driven by hand from a
Multiboot guest (tests/guests/vblk.c) that checks the device against the
Virtio 1.2 specification, each check citing its section.

Three VMs on one image (a 128-sector file the test makes: byte i of
sector s is (7 s + i) mod 256): vblk_a and vblk_b write different patterns
to sector 5 at about the same time and must each read back only their own
(a copy-on-write layer per VM); vblk_ro has the disk read-only.  Every
guest also tries what a hostile driver does (a queue size that is not a
power of two, a notification before DRIVER_OK, a buffer outside its RAM)
and checks the device's answer; a neighbour VM without a disk runs beside.
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest

SECTORS = 128


def _image() -> bytes:
    return bytes((s * 7 + i) & 0xff for s in range(SECTORS) for i in range(512))


def _disk(name: str, args: str, ro: bool = False) -> str:
    return vm(name, "vblk",
              extra=(f"disk = \\guests\\disk.img{', ro' if ro else ''}\n"
                     f"cmdline = {args} sectors={SECTORS}\n"))


VIRTIO = BootTest(
    name="vms.virtio",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _disk("vblk_a", "tag=17")
         + _disk("vblk_b", "tag=99")
         + _disk("vblk_ro", "tag=5 ro=1", ro=True)
         + vm("neighbour", "hello")),
    files={"guests/vblk.elf": "build/guests/vblk.elf",
           "guests/hello.elf": "build/guests/hello.elf",
           "guests/disk.img": _image()},
    timeout_s=300,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"vm vblk_a: virtio-blk 0 at pci 00:04\.0: \\guests\\disk\.img, "
            rf"{SECTORS} sectors",
            r"vm vblk_ro: virtio-blk 0 at pci 00:04\.0: .*, read-only",
            r"hv: power off: idle; VMs: 4 exited, 0 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"not started:"],
    subtests={
        "virtio.blk_a": passes("vblk_a"),
        "virtio.blk_b": passes("vblk_b"),
        "virtio.blk_ro": passes("vblk_ro"),
        "virtio.neighbour": passes("neighbour"),
    },
)

TESTS = [VIRTIO]
