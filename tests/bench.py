#!/usr/bin/env python3
"""make bench: boot the bench guest (tests/guests/bench.c) and print the
round-trip cost of each kind of VM exit, in guest TSC ticks.

Under Bochs with `clock: sync=none` the TSC counts emulated instructions, so
the figures repeat exactly from run to run and measure the instructions the
hypervisor executes per exit (plus the emulated VM exit/entry).  Under KVM they
are real cycles.  Not part of `make test`."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import emu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CFG = """[hypervisor]
on_idle = poweroff
[vm bench]
kernel = \\guests\\bench.elf
memory = 4M
"""
ROWS = [("cpuid", "CPUID (exit, filter, resume)"),
        ("pio_in", "IN from the UART (port I/O exit, device)"),
        ("vmcall", "VMCALL version (hypercall)"),
        ("mmio_read", "MMIO read of the test device (EPT violation, decode)")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--efi", default=str(ROOT / "build/hv.efi"))
    ap.add_argument("--guest", default=str(ROOT / "build/guests/bench.elf"))
    args = ap.parse_args()
    work = ROOT / "build/bench"
    shutil.rmtree(work, ignore_errors=True)
    esp = emu.make_esp(work / "esp", Path(args.efi), CFG,
                       {"guests/bench.elf": args.guest})
    plat = emu.pick_platform(True)
    log, reason = emu.boot(plat, esp, work, 300, r"hv: power off: ")
    figures = {k: (int(mean), int(best)) for k, mean, best in re.findall(
        r"^\[bench\] BENCH (\w+) (\d+) (\d+)$", log, re.M)}
    if not all(k in figures for k, _ in ROWS):
        print(f"bench: the guest did not report ({reason}); log in {work}")
        print("\n".join(log.splitlines()[-20:]))
        return 1
    empty = figures.get("empty", (0, 0))
    print(f"VM-exit round trips on {plat}, 2048 of each, in TSC ticks, loop "
          f"overhead (mean {empty[0]}, best {empty[1]}) subtracted:")
    print(f"  {'operation':<55} {'mean':>8} {'best':>8}")
    for key, what in ROWS:
        print(f"  {what:<55} {figures[key][0]:>8} {figures[key][1]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
