#!/usr/bin/env python3
"""Where one VM exit's instructions go: trace it in Bochs, count by function.

Boots hv in Bochs with the bench guest (build/guests/bench.elf) in its
`trace` mode: each operation of `make bench`'s exit rows (CPUID, IN, OUT,
VMCALL, MMIO read) runs twice to warm up, then once between two magic
breakpoints (XCHG BX, BX).  Bochs's debugger traces every instruction
between them (`trace on`), and this script maps each instruction's address
to the function it lies in (hv's build/kernel.elf, or the guest's ELF) and
prints, per operation, the runs of consecutive instructions in one
function: the path of one exit, step by step, in instructions.  Under
`clock: sync=none` the TSC counts instructions, so the total is the bench
row's figure plus the guest's own few instructions.

Used for docs/ARCHITECTURE.md's table of what one exit costs (issue 15).
Not part of `make test` or `make bench`: run it by hand,
  python3 tests/exit_trace.py [--efi build/hv.efi] [--raw]
"""
import argparse
import bisect
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import emu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OPS = ["cpuid", "pio_in (IN 0x3ff)", "pio_out (OUT 0x80)", "vmcall", "mmio_read",
       "timer_spin (WRMSR deadline, spin, interrupt)",
       "timer_halt (WRMSR deadline, HLT, interrupt)"]
CFG = """[hypervisor]
on_idle = poweroff
[vm bench]
kernel = \\\\guests\\\\bench.elf
memory = 4M
cmdline = trace
cpus = 0
sched = dedicated
""".replace("\\\\", "\\")
# Bochs's trace lines: "(0).[ticks] [0xPHYS] SEL:LINEAR (...): insn ; bytes".
TRACE_RE = re.compile(r"^\(\d+\)\.\[\d+\] \[0x[0-9a-f]+\] [0-9a-f]{4}:([0-9a-f]+) "
                      r"\(([^)]*)\): (.*?)\s*;", re.M)
MAGIC_RE = re.compile(r"xchg bx, bx|Next at|magic", re.I)


def symbols(elf: Path):
    """Sorted (address, name) of the ELF's functions."""
    out = subprocess.run(["nm", "-n", "--defined-only", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def lookup(syms, keys, addr: int) -> str:
    i = bisect.bisect_right(keys, addr) - 1
    return syms[i][1] if i >= 0 else f"?{addr:x}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--efi", default=str(ROOT / "build/hv.efi"))
    ap.add_argument("--kernel", default=str(ROOT / "build/kernel.elf"))
    ap.add_argument("--guest", default=str(ROOT / "build/guests/bench.elf"))
    ap.add_argument("--raw", action="store_true", help="print every traced instruction")
    ap.add_argument("--reuse", action="store_true",
                    help="read the last run's build/exit-trace/bochs.out again")
    args = ap.parse_args()

    work = ROOT / "build/exit-trace"
    if not args.reuse and run_bochs(work, args) != 0:
        return 1
    text = (work / "bochs.out").read_text(errors="replace")
    return report(text, args)


def run_bochs(work: Path, args) -> int:
    shutil.rmtree(work, ignore_errors=True)
    esp = emu.make_esp(work / "esp", Path(args.efi), CFG,
                       {"guests/bench.elf": args.guest})
    argv, env = emu.bochs_command(esp, work)
    with open(work / "bochsrc", "a") as f:
        f.write("magic_break: enabled=1\n")
    # Run to the first break; then per operation trace to the next break,
    # and run untraced to the one after.
    (work / "bochs.rc").write_text(
        "c\n" + "trace on\nc\ntrace off\nc\n" * len(OPS) + "quit\n")
    (work / "serial.log").touch()
    with open(work / "bochs.out", "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=str(work),
                                start_new_session=True)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            print(f"exit_trace: Bochs did not finish in 300 s; see {work}")
            return 1
    return 0


def report(text: str, args) -> int:
    hsyms = symbols(Path(args.kernel)) + symbols(Path(args.guest))
    hsyms.sort()
    keys = [a for a, _ in hsyms]
    # Traced stretches: split where tracing is enabled (each begins one op).
    chunks = text.split("Tracing enabled")[1:]
    if len(chunks) < len(OPS):
        print(f"exit_trace: {len(chunks)} traced stretches, expected {len(OPS)}; "
              f"see build/exit-trace/bochs.out")
        return 1
    for name, chunk in zip(OPS, chunks):
        insns = TRACE_RE.findall(chunk.split("Tracing disabled")[0])
        print(f"== {name}: {len(insns)} instructions")
        runs = []
        for addr, _, insn in insns:
            fn = lookup(hsyms, keys, int(addr, 16))
            if args.raw:
                print(f"    {fn:<32} {insn}")
            if runs and runs[-1][0] == fn:
                runs[-1][1] += 1
            else:
                runs.append([fn, 1])
        for fn, n in runs:
            print(f"  {n:>5}  {fn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
