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

In the same boot, virtio-net (tests/guests/vnet.c): net_a and net_b on
switch sw0 exchange broadcasts and acknowledged unicast frames, net_c alone
on sw1 must hear nothing, and net_a's spoofed frame (net_b's MAC as
source) must be dropped by the switch.  And a virtio console (vcon.c):
its lines reach the host log, and a line typed at the host console (after
the monitor's `console vcon`) reaches its receive queue.
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest, Judge

SECTORS = 512  # over hv's one-request bound (248 KiB), for vblk.c


def _image(sectors: int = SECTORS) -> bytes:
    return bytes((s * 7 + i) & 0xff for s in range(sectors) for i in range(512))


# One sector more than disk.img: its end is inside a 4 KiB block.
ODD_SECTORS = SECTORS + 1


def _disk(name: str, args: str, ro: bool = False, size: int = 0,
          img: str = "disk.img", img_sectors: int = SECTORS) -> str:
    """size: the disk's size in bytes (`, size=`), past the image's."""
    opts = (", ro" if ro else "") + (f", size={size}" if size else "")
    geometry = (f"sectors={size // 512} image={img_sectors}" if size
                else f"sectors={SECTORS}")
    return vm(name, "vblk",
              extra=(f"disk = \\guests\\{img}{opts}\n"
                     f"cmdline = {args} {geometry}\n"))


def _nic(name: str, switch: str, args: str) -> str:
    me = args.split()[0].split("=")[1]
    return vm(name, "vnet", extra=(f"net = {switch}, mac=52:54:00:00:00:0{me}\n"
                                   f"cmdline = {args}\n"))


VIRTIO = BootTest(
    name="vms.virtio",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + _disk("vblk_a", "tag=17")
         + _disk("vblk_b", "tag=99")
         # A read-only disk far larger than the host's memory: it
         # needs no copy-on-write budget, so it starts.
         + _disk("vblk_ro", "tag=5 ro=1", ro=True, size=1 << 40)
         # Twice its image, which ends inside a 4 KiB block: writable
         # to its end, and a read across the image's end.
         + _disk("vblk_grow", "tag=33", size=2 * SECTORS * 512,
                 img="disk_odd.img", img_sectors=ODD_SECTORS)
         # Writable, 1 TiB: its budget cannot be set aside, so it is
         # not started, and takes nothing from the others.
         + _disk("vblk_huge", "tag=44", size=1 << 40)
         + vm("neighbour", "hello")
         + _nic("net_a", "sw0", "me=1 peer=2")
         + _nic("net_b", "sw0", "me=2 peer=1")
         + _nic("net_c", "sw1", "me=3 alone=1")
         + vm("vcon", "vcon", extra="console = virtio\n")),
    files={"guests/vblk.elf": "build/guests/vblk.elf",
           "guests/vnet.elf": "build/guests/vnet.elf",
           "guests/vcon.elf": "build/guests/vcon.elf",
           "guests/hello.elf": "build/guests/hello.elf",
           "guests/disk.img": _image(),
           "guests/disk_odd.img": _image(ODD_SECTORS)},
    timeout_s=300,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"vm vblk_a: virtio-blk 0 at pci 00:04\.0: \\guests\\disk\.img, "
            rf"{SECTORS} sectors",
            r"vm vblk_ro: virtio-blk 0 at pci 00:04\.0: .*, 2147483648 "
            r"sectors, read-only",
            r"vm vblk_grow: virtio-blk 0 at pci 00:04\.0: .*disk_odd\.img, "
            rf"{2 * SECTORS} sectors$",
            r"vm net_a: virtio-net 0 at pci 00:08\.0 on switch sw0, mac "
            r"52:54:00:00:00:01",
            r"vm vcon: virtio-console at pci 00:0a\.0",
            r"hv: power off: idle; VMs: 9 exited, 0 stopped, 1 not started"],
    # Typed at the host console, after moving input to vcon.
    script=[(r"^\[vcon\] virtio-console ready for input", "\x01m"),
            (r"hv monitor: 'help' lists the commands", "console vcon\r"),
            (r"hv monitor: closed", "ping 42\r")],
    reject=[*ROOT_FAULT, r"vm (?!vblk_huge:)\S+: not started:"],
    subtests={
        "virtio.blk_a": passes("vblk_a"),
        "virtio.blk_b": passes("vblk_b"),
        "virtio.blk_ro": passes("vblk_ro"),
        "virtio.blk_size": passes("vblk_grow"),
        # A writable disk's copy-on-write frames are set aside when its
        # VM is created (drivers/virtio_blk.c), so a guest writing all
        # of its disk takes no memory the others need; one that cannot
        # be set aside stops its VM's creation, and frees what it took.
        "virtio.blk_budget": Judge(
            expect=[r"vm vblk_huge: disk \\guests\\disk\.img: cannot set "
                    r"aside the 1073741824 KiB its writes may take",
                    r"vm vblk_huge: not started: its virtio-blk disks could "
                    r"not be attached",
                    r"vm vblk_huge: page frames free: (\d+) before it, \1 "
                    r"after"]),
        "virtio.neighbour": passes("neighbour"),
        # virtio-net on a switch between VMs: net_a and net_b exchange
        # broadcasts and acknowledged unicasts on sw0; net_c, alone on
        # sw1, hears nothing; net_a's frame with net_b's MAC as source
        # is dropped (logged once).
        "virtio.net_a": passes("net_a"),
        "virtio.net_b": passes("net_b"),
        "virtio.net_c": passes("net_c"),
        # virtio-console: its lines on the VM's console, typed input.
        "virtio.console": Judge(
            expect=[r"^\[vcon\] virtio-console says hello$",
                    r"^\[vcon\] typed over virtio-console: ping 42$",
                    r"^\[vcon\] RESULT: PASS"],
            reject=[r"^\[vcon\] .*FAIL"]),
        "virtio.net_spoof": Judge(
            expect=[r"switch sw0: vm net_a's virtio-net 0 sent frames with "
                    r"vm net_b's virtio-net 0's MAC as source: dropped"]),
    },
)

TESTS = [VIRTIO]
