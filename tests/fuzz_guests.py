#!/usr/bin/env python3
"""make fuzz-guests: long runs of the guest instruction fuzzer
(tests/guests/fuzz/), one boot per seed, each a fuzz VM beside an honest
VM, judged as the boot test vms.fuzz judges its short run (see
tests/boots/fuzz.py), plus at least --min-exits VM exits for the fuzz VM.

    python3 tests/fuzz_guests.py [--seeds 0x1,0x2,...] [--iters N]
        [--on xsetbv,rdpmc,...] [--trace ITER] [--step N] [--min-exits N]

Prints, per seed, the VM exits hv counted, the wall time and exits per
second, the verdict and, for a failure, the command that repeats that seed
(the instruction stream depends on the seed alone).  Logs in
build/fuzz-guests/SEED/.  Exit status 1 if any seed failed.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True

import emu  # noqa: E402
from boots import Judge  # noqa: E402
from boots.fuzz import FUZZ_SWITCHES, fuzz_vm, fuzz_vm_judge  # noqa: E402
from boots.helpers import passes, vm  # noqa: E402
from harness import judge  # noqa: E402

DEFAULT_SEEDS = "0x1,0xbeef,0x5eed5,0xc0ffee"


def workname(seed: int, on: str) -> str:
    """The seed's log folder: no commas (Bochs's config cannot hold them)."""
    return f"{seed:#x}" + (f"-{on.replace(',', '+')}" if on else "")


def run_seed(efi: Path, seed: int, iters: int, on: str, trace: int | None,
             min_exits: int, timeout_s: float,
             step: int | None = None) -> tuple[bool, str, int, float]:
    work = ROOT / "build" / "fuzz-guests" / workname(seed, on)
    cmd = fuzz_vm("fuzz", seed, iters, on)
    if trace is not None:  # the cmdline line is the section's last
        cmd = cmd.rstrip("\n") + f" trace={trace}\n"
    if step is not None:
        cmd = cmd.rstrip("\n") + f" step={step}\n"
    cfg = "[hypervisor]\non_idle = poweroff\n" + cmd + vm("honest", "hello")
    esp = emu.make_esp(work / "esp", efi, cfg,
                       {"guests/fuzz.elf": str(ROOT / "build/guests/fuzz.elf"),
                        "guests/hello.elf": str(ROOT / "build/guests/hello.elf")})
    info: dict = {}
    t0 = time.monotonic()
    log, reason = emu.boot(emu.pick_platform(True), esp, work, timeout_s,
                           r"hv: power off: ", info=info)
    wall = time.monotonic() - t0
    (work / "serial.txt").write_text(log)
    m = re.search(r"vm fuzz: (\d+) VM exits", log)
    exits = int(m.group(1)) if m else 0

    whole = Judge(expect=[r"hv: power off: "],
                  reject=[r"PANIC", r"panic", r"exception \d+", r"not started:"])
    why = (judge(whole, log, reason) or judge(fuzz_vm_judge("fuzz"), log, reason)
           or judge(passes("honest"), log, reason))
    if why is None and not re.search(r"^\[fuzz\] FUZZ done", log, re.M):
        stop = re.search(r"vm fuzz: stopped: .*", log)
        why = f"the fuzz VM did not finish: {stop.group(0) if stop else '?'}"
    if why is None and exits < min_exits:
        why = f"only {exits} VM exits (want {min_exits})"
    return why is None, why or "", exits, wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--efi", default=str(ROOT / "build/hv.efi"))
    ap.add_argument("--seeds", default=DEFAULT_SEEDS,
                    help=f"comma-separated seeds (default {DEFAULT_SEEDS})")
    ap.add_argument("--iters", type=int, default=400000,
                    help="iterations per seed (default 400000: about 3 exits each)")
    ap.add_argument("--on", default=FUZZ_SWITCHES,
                    help="classes to turn on (fuzz.c's on=; default as vms.fuzz)")
    ap.add_argument("--trace", type=int, default=None,
                    help="print every buffer from this iteration on")
    ap.add_argument("--step", type=int, default=None,
                    help="progress line every STEP iterations (to find where a seed fails)")
    ap.add_argument("--min-exits", type=int, default=1_000_000)
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="seconds per boot (default 3600)")
    args = ap.parse_args(argv)

    failed = 0
    for s in args.seeds.split(","):
        seed = int(s, 0)
        ok, why, exits, wall = run_seed(Path(args.efi), seed, args.iters, args.on,
                                        args.trace, args.min_exits, args.timeout,
                                        args.step)
        rate = exits / wall if wall else 0.0
        print(f"{'PASS' if ok else 'FAIL'} seed={seed:#x} iters={args.iters} "
              f"exits={exits} wall={wall:.0f}s ({rate:.0f} exits/s)"
              + (f": {why}" if not ok else ""), flush=True)
        if not ok:
            failed += 1
            repro = ["python3", "tests/fuzz_guests.py", "--seeds", f"{seed:#x}",
                     "--iters", str(args.iters), "--min-exits", str(args.min_exits)]
            if args.on:
                repro += ["--on", args.on]
            print("  repeat: " + " ".join(shlex.quote(a) for a in repro)
                  + "  (--step N finds the iteration, --trace ITER prints the buffers from there)")
            print(f"  log: build/fuzz-guests/{workname(seed, args.on)}/serial.txt")
    print(f"{len(args.seeds.split(',')) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
