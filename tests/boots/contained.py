"""vms.contained: contained faults (issue 9 item 11).

A guest's mistakes and rarer instructions get the answer hardware gives,
not a stopped VM: real mode's #GP and MMIO, RDPMC, EFER writes, string
port I/O (REP INS/OUTS) both ways, an INIT IPI to itself.  Each guest judges
itself (CHECK lines, RESULT: PASS) and must exit, never be stopped; a
Multiboot neighbour must pass beside them.
"""

from __future__ import annotations

import re
from pathlib import Path

from .helpers import passes, vm
from .table import BootTest, Judge


CONTAINED_GUESTS = ["realmode", "efer_pmc", "strio", "initself", "hello",
                    "mbinfo", "mbinfo_low"]

# Multiboot as GRUB and QEMU do it (tests/guests/mbinfo.c): the boot
# information clear of a kernel linked at 0x8000, the command line as
# "PATH ARGS" (an empty `cmdline =`: the path alone), `module` lines in
# order, each with its string "PATH ARGS".
_DATA = Path(__file__).resolve().parents[1] / "guests" / "data"
_LEN = {n: (_DATA / f"module{n}.txt").stat().st_size for n in (1, 2)}
_MB_LOW_CMD = r"\guests\mbinfo_low.elf self=\guests\mbinfo_low.elf at=8000 mods=1"
_MB_LOW_MOD0 = rf"\guests\module2.txt len={_LEN[2]} n=0"
_MB_MODS_CMD = r"\guests\mbinfo.elf self=\guests\mbinfo.elf at=100000 mods=2"
_MB_MODS_MOD0 = rf"\guests\module1.txt len={_LEN[1]}  n=0 first"
_MB_MODS_MOD1 = rf"\guests\module2.txt len={_LEN[2]} n=1"


def _after_path(line: str) -> str:
    """The configured arguments: the line without its first word."""
    return line.split(" ", 1)[1]


def _mbinfo(name: str, cmd: str, mods: list[str]) -> Judge:
    lines = [rf"^\[{name}\] cmdline: '{re.escape(cmd)}'$"]
    lines += [rf"^\[{name}\] module {i}: '{re.escape(m)}'$"
              for i, m in enumerate(mods)]
    return Judge(expect=lines + passes(name).expect,
                 reject=passes(name).reject)

CONTAINED = BootTest(
    name="vms.contained",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + vm("rm_gp", "realmode", extra="cmdline = gp\n")
         + vm("rm_mmio", "realmode", extra="cmdline = mmio\n")
         + vm("pmc", "efer_pmc", extra="cmdline = pmc\n")
         + vm("efer", "efer_pmc", extra="cmdline = efer\n")
         + vm("strio", "strio")
         + vm("initself", "initself", extra="vcpus = 2\n")
         + vm("neighbour", "hello")
         + vm("mb_low", "mbinfo_low",
              extra=f"cmdline = {_after_path(_MB_LOW_CMD)}\n"
                    f"module = {_MB_LOW_MOD0}\n")
         + vm("mb_mods", "mbinfo",
              extra=f"cmdline = {_after_path(_MB_MODS_CMD)}\n"
                    f"module = {_MB_MODS_MOD0}\n"
                    f"module = {_MB_MODS_MOD1}   # a comment\n")
         + vm("mb_noargs", "mbinfo", extra="cmdline =\n")),
    files={**{f"guests/{g}.elf": f"build/guests/{g}.elf"
              for g in CONTAINED_GUESTS},
           "guests/module1.txt": "tests/guests/data/module1.txt",
           "guests/module2.txt": "tests/guests/data/module2.txt"},
    timeout_s=400,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 10 exited, 0 stopped, 0 not started"],
    reject=[r"PANIC", r"exception \d+", r"not started:"],
    subtests={
        "contained.realmode_gp": passes("rm_gp"),
        "contained.realmode_mmio": passes("rm_mmio"),
        "contained.rdpmc": passes("pmc"),
        "contained.efer": passes("efer"),
        "contained.strio": Judge(
            expect=[r"^\[strio\] strio: rep outsb forwards$",
                    r"^\[strio\] strio: rep outsb backwards$",
                    r"^\[strio\] RESULT: PASS",
                    r"vm strio: exited with status 1\b"],
            reject=[r"^\[strio\] .*FAIL", r"vm strio: stopped"]),
        "contained.initself": passes("initself"),
        "contained.neighbour": passes("neighbour"),
        "multiboot.info_clear_of_low_kernel": _mbinfo(
            "mb_low", _MB_LOW_CMD, [_MB_LOW_MOD0]),
        "multiboot.modules_in_order": _mbinfo(
            "mb_mods", _MB_MODS_CMD, [_MB_MODS_MOD0, _MB_MODS_MOD1]),
        "multiboot.empty_cmdline": _mbinfo(
            "mb_noargs", r"\guests\mbinfo.elf", []),
    },
)


TESTS = [CONTAINED]
