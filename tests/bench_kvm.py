#!/usr/bin/env python3
"""KVM beside hv, in one run (issue 15): the bench guest's exit round
trips under Linux's KVM in the same emulator, and the native Linux boot
time to /init.

Debian's stock kernel (build/linux/vmlinuz) boots natively in Bochs
through OVMF (build/kvm/linux_chain.efi starts it with a command line),
its /init (tests/kvm/init) loads kvm_intel and runs build/guests/bench.elf
("solo": the single-vCPU rows) under our VMM (tests/kvm/kvm_vmm.c).
Bochs with `clock: sync=none` counts emulated instructions in the TSC, as
in hv's own run, so the two columns are the same unit: instructions per
round trip, the emulated VM exit and entry included.

Not like for like in one respect, which the table says: KVM handles
CPUID and VMCALL in the kernel, but port I/O and MMIO to devices it does
not emulate go out to the user-space VMM (KVM_EXIT_IO, KVM_EXIT_MMIO) and
back, as they would to QEMU; hv serves them in its own exit handler.

Used by tests/bench.py (run()) and alone:
    python3 tests/bench_kvm.py                  # boots hv's bench too
    python3 tests/bench_kvm.py --hv cpuid=M,B pio_in=M,B ...
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import emu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KVM_DIR = ROOT / "build/kvm"
LINUX_DIR = ROOT / "build/linux"
WORK = ROOT / "build/bench-kvm"
TIMEOUT_S = 900
MEGS = 512
# The machine hv's bench runs in: the emulator's two CPUs (Bochs runs
# them in turns and, with two, advances the TSC a quantum at a time, so
# a one-CPU machine would measure with a finer clock than hv's).  Linux
# uses only the first: OVMF under Bochs gives it no ACPI or MP tables.
CPUS = emu.DEFAULT_CPUS
# The emulator's default CPU model (corei7_haswell_4770) has VMX with EPT
# and unrestricted guest, which kvm_intel needs.
CPU_MODEL = emu.DEFAULT_CPU_MODEL
CMDLINE_NOTE = "console=ttyS0 quiet (tests/kvm/linux_chain.c)"
KEYS = ("empty", "cpuid", "pio_in", "pio_out", "vmcall", "mmio_read")
ROWS = [("cpuid", "CPUID", "in KVM"),
        ("pio_in", "IN from the UART scratch register", "to our VMM"),
        ("pio_out", "OUT to port 0x80", "to our VMM"),
        ("vmcall", "VMCALL (unknown hypercall)", "in KVM"),
        ("mmio_read", "MMIO read of the test device", "to our VMM")]


def artifacts() -> dict[str, Path]:
    return {"efi": KVM_DIR / "linux_chain.efi",
            "initrd": KVM_DIR / "initrd.img",
            "kernel": LINUX_DIR / "vmlinuz"}


def boot_kvm(plat: str) -> tuple[str, str]:
    """Boot Linux natively with the KVM initramfs; (log, reason)."""
    a = artifacts()
    shutil.rmtree(WORK, ignore_errors=True)
    esp = emu.make_esp(WORK / "esp", a["efi"], "", {
        "vmlinuz": str(a["kernel"]), "kvm-initrd.img": str(a["initrd"])})
    return emu.boot(plat, esp, WORK, TIMEOUT_S, r"^KVMINIT: done",
                    megs=MEGS, cpus=CPUS, cpu_model=CPU_MODEL)


def parse(log: str) -> tuple[dict, float | None, str | None]:
    """The KVM guest's figures (loop overhead already subtracted by the
    guest, as in hv's run), the uptime at /init and where the kernel
    paused longest on its way there."""
    figures = {k: (int(m), int(b)) for k, m, b in re.findall(
        r"^\[kvm\] BENCH (\w+) (\d+) (\d+)\s*$", log, re.M)}
    m = re.search(r"^KVMINIT: uptime at /init ([\d.]+) s", log, re.M)
    gap = re.search(r"^KVMINIT: longest gap in the kernel log ([\d.]+ s), "
                    r"before: \[ *[\d.]+\] (.*)$", log, re.M)
    return (figures, float(m[1]) if m else None,
            f"{gap[1]}, before '{gap[2].strip()}'" if gap else None)


W = 48  # the operation column


def table(plat: str, hv: dict, kvm: dict, uptime: float | None,
          gap: str | None) -> None:
    ke, he = kvm.get("empty", (0, 0)), hv.get("empty", (0, 0))
    print(f"hv beside Linux {kernel_release()}'s KVM (kvm_intel + our VMM), "
          f"both in {plat} ({CPU_MODEL}),\n"
          f"the same guest (bench.elf), 2048 of each, TSC ticks, loop "
          f"overhead subtracted (hv {he[0]}, KVM {ke[0]}):")
    print(f"  {'operation':<{W}} {'hv':>8} {'KVM':>8} {'KVM/hv':>7}"
          f"   {'best: hv':>8} {'KVM':>8}")
    for key, what, where in ROWS:
        h, k = hv.get(key), kvm.get(key)
        if h is None or k is None:
            print(f"  {what:<{W}} {'-' if h is None else h[0]:>8} "
                  f"{'-' if k is None else k[0]:>8}")
            continue
        ratio = f"{k[0] / h[0]:.2f}" if h[0] else "-"
        label = f"{what} ({where})"
        print(f"  {label:<{W}} {h[0]:>8} {k[0]:>8} {ratio:>7}"
              f"   {h[1]:>8} {k[1]:>8}")
    print("  (means; KVM: 'to our VMM' rows leave the kernel for the "
          "user-space VMM and back, as with QEMU)")
    print("Linux boot, the same kernel, emulated seconds (Bochs ips=50M, "
          "sync=none: instructions / 50 M):")
    up = f"{uptime:.2f} s" if uptime is not None else "not reported"
    print(f"  {'Linux uptime at /init, native (OVMF, EFI stub)':<{W}} {up:>8}")
    if gap:
        print(f"  (its longest pause between two kernel messages: {gap})")


def kernel_release() -> str:
    """The release the bzImage names in its header (the version string
    its setup code carries uncompressed)."""
    kernel = artifacts()["kernel"]
    head = kernel.read_bytes()[:1 << 16] if kernel.exists() else b""
    m = re.search(rb"(\d+\.\d+\.\d+-\d+-amd64)", head)
    return m[1].decode() if m else "(release unknown)"


def run(efi: Path, plat: str, figures: dict) -> int:
    """tests/bench.py's hook: hv's figures in, the KVM column out."""
    del efi  # hv.efi plays no part: this boot is Linux alone
    if plat != "bochs":
        print(f"bench: no KVM column (on {plat} the TSC is not an "
              "instruction count: only Bochs makes the two comparable); "
              "hv's figures only")
        return 0
    missing = [os.path.relpath(p, ROOT) for p in artifacts().values()
               if not p.exists()]
    if missing:
        print(f"bench: no KVM column ({', '.join(missing)} missing: "
              "make kvm-bench); hv's figures only")
        return 0
    log, reason = boot_kvm(plat)
    kvm, uptime, gap = parse(log)
    if not all(k in kvm for k in KEYS):
        print(f"bench: the KVM boot did not report ({reason}); log in "
              f"{WORK / 'serial.log'}")
        tail = [ln for ln in log.splitlines()
                if ln.startswith(("KVMINIT", "KLOG", "[kvm]", "kvm_vmm"))]
        print("\n".join(tail[-30:] or log.splitlines()[-20:]))
        return 1
    table(plat, figures, kvm, uptime, gap)
    global native_uptime
    native_uptime = uptime
    return 0


# The native boot's uptime at /init, for tests/bench.py's row beside hv's.
native_uptime: float | None = None


def hv_figures(efi: Path, guest: Path, plat: str) -> dict | None:
    """Boot hv's bench guest as tests/bench.py does (its config)."""
    import bench  # tests/bench.py: its CFG
    work = ROOT / "build/bench-kvm-hv"
    shutil.rmtree(work, ignore_errors=True)
    esp = emu.make_esp(work / "esp", efi, bench.CFG,
                       {"guests/bench.elf": str(guest)})
    log, reason = emu.boot(plat, esp, work, 300, r"hv: power off: ")
    figures = {k: (int(m), int(b)) for k, m, b in re.findall(
        r"^\[bench\] BENCH (\w+) (\d+) (\d+)$", log, re.M)}
    if not all(k in figures for k in KEYS):
        print(f"bench: hv's bench guest did not report ({reason}); log in "
              f"{work}")
        return None
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--efi", default=str(ROOT / "build/hv.efi"))
    ap.add_argument("--guest", default=str(ROOT / "build/guests/bench.elf"))
    ap.add_argument("--hv", nargs="*", metavar="KEY=MEAN,BEST",
                    help="hv's figures (skips hv's boot)")
    args = ap.parse_args()
    plat = emu.pick_platform(True)
    if args.hv is not None:
        figures = {}
        for item in args.hv:
            key, _, val = item.partition("=")
            mean, _, best = val.partition(",")
            figures[key] = (int(mean), int(best or mean))
    else:
        figures = hv_figures(Path(args.efi), Path(args.guest), plat)
        if figures is None:
            return 1
    return run(Path(args.efi), plat, figures)


if __name__ == "__main__":
    sys.exit(main())
