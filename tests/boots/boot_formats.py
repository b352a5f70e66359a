"""vms.boot_formats: the boot protocols and image formats hv accepts
(issue 12, "Multiboot, as GRUB and QEMU do it"; README "Boot protocols
and image formats hv accepts").

One boot, five VMs:
  mb2       tests/guests/mb2info.c, a Multiboot2 kernel (Multiboot
            Specification version 2.0) that asks for the command line,
            modules, basic meminfo, memory map, ELF sections and the ACPI
            old and new RSDP, and checks each tag's content and the
            "I386 machine state"
  elf64     tests/guests/mbinfo.c as an ELF64 Multiboot v1 kernel whose
            virtual addresses lie in the top 2 GiB (tests/guests/
            elf64_high.py): loaded by p_paddr, started at the physical
            entry, as GRUB does (grub-core/loader/multiboot_elfxx.c)
  needfb    a Multiboot2 kernel whose framebuffer header tag is not
            optional: refused, naming header tag 5
  needefi   a Multiboot2 kernel that requires information tag 12 (EFI
            64-bit system table): refused, naming the tag
  neighbour tests/guests/hello.c, running to its end beside the refusals
The kernels linked low and the command line's second word are
vms.contained's multiboot.* subtests.
"""

from __future__ import annotations

import re
from pathlib import Path

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest, Judge

_DATA = Path(__file__).resolve().parents[1] / "guests" / "data"
_LEN = {n: (_DATA / f"module{n}.txt").stat().st_size for n in (1, 2)}

_MB2_CMD = r"\guests\mb2info.elf self=\guests\mb2info.elf mods=2 ram=4096"
_MB2_MODS = [rf"\guests\module1.txt len={_LEN[1]} n=0",
             rf"\guests\module2.txt len={_LEN[2]} n=1 last"]
_ELF64_CMD = (r"\guests\mbinfo64.elf self=\guests\mbinfo64.elf at=100000 "
              r"mods=1")
_ELF64_MODS = [rf"\guests\module2.txt len={_LEN[2]} n=0"]

_GUESTS = ["mb2info", "mbinfo64", "mb2_needfb", "mb2_needefi", "hello"]


def _args(line: str) -> str:
    """The configured arguments: the line without its first word."""
    return line.split(" ", 1)[1]


def _shows(name: str, cmd: str, mods: list[str]) -> Judge:
    """The guest passes, having printed exactly this command line and
    these module strings."""
    lines = [rf"^\[{name}\] cmdline: '{re.escape(cmd)}'$"]
    lines += [rf"^\[{name}\] module {i}: '{re.escape(m)}'$"
              for i, m in enumerate(mods)]
    return Judge(expect=lines + passes(name).expect,
                 reject=passes(name).reject)


def _refused(name: str, why: str) -> Judge:
    """hv refuses the kernel with this reason; nothing of it runs."""
    return Judge(expect=[rf"vm {name}: not started: {re.escape(why)}$"],
                 reject=[rf"^\[{name}\] ", rf"vm {name}: (exited|stopped)"])


BOOT_FORMATS = BootTest(
    name="vms.boot_formats",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + vm("mb2", "mb2info",
              extra=f"cmdline = {_args(_MB2_CMD)}\n"
                    + "".join(f"module = {m}\n" for m in _MB2_MODS))
         + vm("elf64", "mbinfo64",
              extra=f"cmdline = {_args(_ELF64_CMD)}\n"
                    f"module = {_ELF64_MODS[0]}\n")
         + vm("needfb", "mb2_needfb")
         + vm("needefi", "mb2_needefi")
         + vm("neighbour", "hello")),
    files={**{f"guests/{g}.elf": f"build/guests/{g}.elf" for g in _GUESTS},
           "guests/module1.txt": "tests/guests/data/module1.txt",
           "guests/module2.txt": "tests/guests/data/module2.txt"},
    timeout_s=300,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 3 exited, 0 stopped, 2 not started"],
    reject=[*ROOT_FAULT, r"exception \d+"],
    subtests={
        # Multiboot2 spec 2.0: "I386 machine state", "Boot information
        # format" and each requested tag (checked by the guest itself).
        "multiboot2.tags": _shows("mb2", _MB2_CMD, _MB2_MODS),
        # GRUB's ELF64 Multiboot v1: segments at p_paddr, entry converted
        # through its segment; the v1 information as for ELF32 (spec
        # 0.6.96, 3.3).
        "multiboot.elf64_by_physical_address": _shows(
            "elf64", _ELF64_CMD, _ELF64_MODS),
        # Multiboot2 spec 2.0, "General tag structure": a tag without the
        # optional bit that the loader cannot honour fails the boot.
        "multiboot2.required_framebuffer_refused": _refused(
            "needfb", "the kernel requires a framebuffer (Multiboot2 "
                      "header tag 5): hv has none"),
        # "Multiboot2 information request": a requested tag the loader
        # cannot give, the request not optional, fails the boot.
        "multiboot2.required_efi_tag_refused": _refused(
            "needefi", "the kernel requires Multiboot2 information tag 12 "
                       "(EFI 64-bit system table), which hv cannot give"),
        "multiboot2.neighbour_runs": passes("neighbour"),
    },
)


TESTS = [BOOT_FORMATS]
