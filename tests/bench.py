#!/usr/bin/env python3
"""make bench: boot the bench guest (tests/guests/bench.c) and print the
round-trip cost of each kind of VM exit, in guest TSC ticks.

Under Bochs with `clock: sync=none` the TSC counts emulated instructions, so
the figures repeat exactly from run to run and measure the instructions the
hypervisor executes per exit (plus the emulated VM exit/entry).  Under KVM they
are real cycles.  Not part of `make test`.

The VM has two vCPUs on two host CPUs (cpus = 0-1): after the rows above
the guest starts vCPU 1 and adds the cross-CPU rows (XROWS): CPUID on the
AP, a fixed-IPI round trip between the vCPUs, and the wake-up of a halted
vCPU by an IPI, with a check that the two vCPUs' TSCs agree."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import emu  # noqa: E402
try:  # KVM in the same emulator, beside hv (issue 15): tests/bench_kvm.py
    import bench_kvm  # noqa: E402
except ImportError:
    bench_kvm = None

ROOT = Path(__file__).resolve().parent.parent
CFG = """[hypervisor]
on_idle = poweroff
[vm bench]
kernel = \\guests\\bench.elf
memory = 4M
vcpus = 2
cpus = 0-1
sched = dedicated
"""
# The slice-end row: one vCPU alone on host CPU 0, not dedicated, so its
# slices end by the preemption timer with nothing else to run.
SLICE_CFG = """[hypervisor]
on_idle = poweroff
[vm slice]
kernel = \\guests\\bench.elf
memory = 4M
cmdline = slice
cpus = 0
"""
# The migration row: an honest vCPU pulled back and forth between two
# host CPUs by two hoppers that sleep out of phase (as vms.smp_migrate);
# hv times each move, the sending CPU's half and the receiving one's.
MIGRATE_CFG = """[hypervisor]
on_idle = poweroff
[vm hop0]
kernel = \\guests\\hopper.elf
memory = 4M
cmdline = hop=2000000 rounds=12
cpus = 0
[vm hop1]
kernel = \\guests\\hopper.elf
memory = 4M
cmdline = hop=2000000 rounds=12 late
cpus = 1
[vm mover]
kernel = \\guests\\honest.elf
memory = 4M
cmdline = rounds=1 ticks=48000000 vary seed=1
cpus = 0-1
"""
# The snapshot rows (issue 13): two counting guests, 64 and 256 MiB, on
# CPU 1 (the monitor runs on CPU 0); snapshot, copy-on-write, restore and
# a clone of each, driven through the monitor.
SNAP_CFG = """[hypervisor]
on_idle = poweroff
snapshot_memory = 330M
[vm s64]
kernel = \\guests\\snapcount.elf
memory = 64M
cpus = 1
[vm s256]
kernel = \\guests\\snapcount.elf
memory = 256M
cpus = 1
"""
SNAP_MEGS = 1536
ROWS = [("cpuid", "CPUID (exit, filter, resume)"),
        ("pio_in", "IN from the UART (port I/O exit, device)"),
        ("pio_out", "OUT to port 0x80 (unclaimed: dropped, counted)"),
        ("vmcall", "VMCALL version (hypercall)"),
        ("mmio_read", "MMIO read of the test device (EPT violation, decode)")]
# vCPU 1 on the second host CPU (issue 11), XROUNDS of each.
XROWS = [("cpuid_ap", "CPUID on vCPU 1 (an AP; loop overhead subtracted)"),
         ("ipi_roundtrip", "IPI round trip, vCPU 0 -> vCPU 1 -> vCPU 0"),
         ("ipi_wakeup", "IPI to halted vCPU 1, until its handler runs")]
XROUNDS = 256
# A device interrupt, raised to the guest's handler (issue 15): the local
# APIC timer in TSC-deadline mode, from the deadline to the handler's TSC.
LATENCY_ROWS = [("timer_spin", "APIC timer deadline -> handler, vCPU spinning"),
                ("timer_halt", "APIC timer deadline -> handler, vCPU halted"),
                ("irq_line", "UART interrupt raised (OUT to IER) -> handler")]


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
    rc = cross_cpu(log, figures, work)
    if bench_kvm:
        rc = bench_kvm.run(Path(args.efi), plat, figures) or rc
    rc = footprint(Path(args.efi), log, work) or rc
    rc = stats_off(Path(args.efi), Path(args.guest), plat, figures) or rc
    rc = slice_end(Path(args.efi), Path(args.guest), plat) or rc
    rc = snapshots(Path(args.efi), plat) or rc
    rc = linux_snapshot(Path(args.efi), plat) or rc
    rc = virtio_blk(Path(args.efi), plat) or rc
    rc = linux_io(Path(args.efi), plat) or rc
    return migration(Path(args.efi), plat) or rc


BLK_CFG = """[hypervisor]
on_idle = poweroff
[vm blk]
kernel = \\guests\\vblk.elf
memory = 4M
disk = \\guests\\disk.img
cmdline = tag=1 sectors=128 bench=1
cpus = 0
"""


def virtio_blk(efi: Path, plat: str) -> int:
    """Issue 14: a virtio-blk read's round trip at queue depth 1 from a
    Multiboot driver (tests/guests/vblk.c, bench=1)."""
    work = ROOT / "build/bench-blk"
    shutil.rmtree(work, ignore_errors=True)
    image = bytes((s * 7 + i) & 0xff for s in range(128) for i in range(512))
    esp = emu.make_esp(work / "esp", efi, BLK_CFG, {
        "guests/vblk.elf": str(ROOT / "build/guests/vblk.elf"),
        "guests/disk.img": image})
    log, reason = emu.boot(plat, esp, work, 300, r"hv: power off: ")
    rows = re.findall(r"^\[blk\] BENCH blk_read_(\d+) (\d+) (\d+)$", log, re.M)
    if len(rows) != 2:
        print(f"bench: no virtio-blk figures ({reason}); log in {work}")
        return 1
    print("virtio-blk read at queue depth 1 (notify exit, served in it, used "
          "ring, MSI-X), 256 of each, in TSC ticks:")
    print(f"  {'operation':<55} {'mean':>8} {'best':>8}")
    for size, mean, best in rows:
        what = f"read of {size} bytes, request to completion"
        print(f"  {what:<55} {mean:>8} {best:>8}")
    return 0


LINUX_IO_CFG = """[hypervisor]
on_idle = poweroff
[vm io]
type = linux
kernel = \\guests\\vmlinuz
initrd = \\guests\\initrd.img
memory = 128M
disk = \\guests\\bench.img
net = sw0
cpus = 0
cmdline = console=ttyS0 quiet hv.bench=io,10.0.0.1,10.0.0.2
[vm sink]
type = linux
kernel = \\guests\\vmlinuz
initrd = \\guests\\initrd.img
memory = 128M
net = sw0
cpus = 1
cmdline = console=ttyS0 quiet hv.bench=sink,10.0.0.2,10.0.0.1
"""
# The phases of tests/linux/init's hv.bench=io, in order: (name, what).
LINUX_IO_PHASES = [
    ("seq", "virtio-blk sequential read, 1 MiB O_DIRECT reads (dd)"),
    ("rand", "virtio-blk 4 KiB random read, queue depth 8 (libaio)"),
    ("rand1", "virtio-blk 4 KiB random read, queue depth 1"),
    ("net", "virtio-net TCP, VM to VM on one switch, 8 MiB")]
LINUX_IO_DISK_MIB = 8


def _linux_esp(name: str, efi: Path, cfg: str, files: dict,
               rows: str) -> tuple[Path, Path] | None:
    """build/NAME with an ESP holding hv.efi, cfg, Debian's kernel and
    the test initramfs (make linux), and `files`; None, said, without
    the Linux guest."""
    work = ROOT / "build" / name
    shutil.rmtree(work, ignore_errors=True)
    linux = ROOT / "build/linux"
    if not (linux / "vmlinuz").exists():
        print(f"bench: no Linux guest (make linux); no {rows}")
        return None
    return work, emu.make_esp(work / "esp", efi, cfg, {
        "guests/vmlinuz": str(linux / "vmlinuz"),
        "guests/initrd.img": str(linux / "initrd.img"), **files})


def linux_io(efi: Path, plat: str) -> int:
    """Issue 14: virtio-blk and virtio-net driven by Debian's own drivers
    in a Linux guest (tests/linux/hvbench.c), with hv's exits and root-mode
    ticks per request: the monitor clears the exit counts before each
    phase and reads them after it (`stat reset`, `json stat`)."""
    disk = bytes((i * 2654435761 >> 13) & 0xff
                 for i in range(LINUX_IO_DISK_MIB << 20))
    made = _linux_esp("bench-linux-io", efi, LINUX_IO_CFG,
                      {"guests/bench.img": disk}, "Linux I/O rows")
    if not made:
        return 0
    work, esp = made
    script = []
    for name, _ in LINUX_IO_PHASES:
        script += [(rf"^\[io\] INIT: bench {name} ready", "\x01m")]
        if name == LINUX_IO_PHASES[0][0]:  # first, what the boot cost
            script += [(r"hv monitor: 'help' lists", "json stat io\r"),
                       (r'^\{"ok":true,"stats"', "stat reset\r")]
        else:
            script += [(r"hv monitor: 'help' lists", "stat reset\r")]
        script += [(r"exit statistics cleared", "quit\r"),
                   (r"hv monitor: closed", "go\n"),
                   (rf"^\[io\] INIT: bench {name} done", "\x01m"),
                   (r"hv monitor: 'help' lists", "json stat\r"),
                   (r'^\{"ok":true,"stats"', "quit\r"),
                   (r"hv monitor: closed", "go\n")]
    log, reason = emu.boot(plat, esp, work, 2400, r"hv: power off: ",
                           cpus=2, script=script)
    stats = _answers(log, "stats")
    if len(stats) != len(LINUX_IO_PHASES) + 1:
        print(f"bench: no Linux I/O figures ({reason}); log in {work}")
        return 1
    print("Linux guests (Debian's virtio drivers, tests/linux/hvbench.c), "
          "hv's exits and root-mode TSC ticks per request (net: per "
          "packet, both VMs' exits over both NICs' packets):")
    print(f"  {'load':<55} {'rate':>14} {'requests':>8} {'exits/req':>9} "
          f"{'ticks/req':>9}")
    rc = 0
    boot, stats = stats[0]["stats"][0], stats[1:]
    for (name, what), answer in zip(LINUX_IO_PHASES, stats):
        run = re.search(rf"^\[io\] INIT: HVBENCH \w+ bytes=(\d+) ops=(\d+) "
                        rf"ticks=(\d+) ns=(\d+)\s*$", log[log.find(
                            f"INIT: bench {name} done"):], re.M)
        reqs = re.search(rf"^\[io\] INIT: bench {name} requests (\d+)",
                         log, re.M)
        if not run or not reqs:
            print(f"  {what:<55} no figures")
            rc = 1
            continue
        nbytes, ops, _ticks, ns = (int(v) for v in run.groups())
        requests = int(reqs[1])
        vms = answer["stats"]
        if name == "net":
            sink = re.search(r"^\[sink\] INIT: bench net sink packets "
                             r"(\d+)", log, re.M)
            requests += int(sink[1]) if sink else 0
        else:
            vms = [v for v in vms if v["vm"] == "io"]
        exits = sum(v["exits"] for v in vms)
        ticks = sum(r["ticks"] for v in vms for r in v["reasons"])
        secs = ns / 1e9 if ns else 1
        rate = (f"{ops / secs:.0f} IOPS" if name.startswith("rand")
                else f"{nbytes / secs / 2**20:.1f} MiB/s")
        per = requests or 1
        print(f"  {what:<55} {rate:>14} {requests:>8} {exits / per:>9.2f} "
              f"{ticks // per:>9}")
        by_reason: dict[str, int] = {}
        for v in vms:
            for r in v["reasons"]:
                by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["count"]
        top = sorted(((c, r) for r, c in by_reason.items()), reverse=True)[:4]
        print(f"  {'':<4}exits: " + ", ".join(f"{r} {c}" for c, r in top))
        if name == "rand":
            goal = exits / per <= 1
            print(f"  {'':<4}queue depth 8: {exits / per:.2f} exits per "
                  f"request (goal <= 1): {'met' if goal else 'NOT met'}")
    print("  (rates are in the guest's own clock, which under Bochs runs "
          "with its instruction count)")
    up = re.search(r"^\[io\] INIT: uptime at /init ([\d.]+) s", log, re.M)
    native = bench_kvm.native_uptime if bench_kvm else None
    if up:
        line = (f"Linux uptime at /init under hv (the io VM, beside the "
                f"sink VM): {float(up[1]):.2f} s")
        if native:
            more = (float(up[1]) / native - 1) * 100
            line += (f"; natively (OVMF, EFI stub) {native:.2f} s: "
                     f"{more:+.1f}% (goal <= +3%: "
                     f"{'met' if more <= 3 else 'NOT met'})")
        print(line)
    gap = re.search(r"^\[io\] INIT: longest gap in the kernel log (.*)$", log,
                    re.M)
    if gap:
        print(f"  (under hv, its longest pause: {gap[1]})")
    top = sorted(((r["count"], r["ticks"], r["reason"])
                  for r in boot["reasons"]), reverse=True)[:6]
    total = sum(r["ticks"] for r in boot["reasons"])
    print(f"  the boot's VM exits, to the bench's start (modules loaded): "
          f"{boot['exits']}, {total} ticks in hv ("
          f"{total / 50e6:.2f} emulated s at 50 M/s):")
    print("    " + ", ".join(f"{r} {c} ({t // max(c, 1)} each)"
                             for c, t, r in top))
    return rc


LINUX_SNAP_CFG = """[hypervisor]
on_idle = poweroff
snapshot_memory = 270M
[vm linux]
type = linux
kernel = \\guests\\vmlinuz
initrd = \\guests\\initrd.img
memory = 256M
cmdline = console=ttyS0 quiet hv.shell
"""


def linux_snapshot(efi: Path, plat: str) -> int:
    """Issue 13: the snapshot pause of a 256 MiB Linux at its shell, and
    a restore after it ran a command."""
    made = _linux_esp("bench-linux-snapshot", efi, LINUX_SNAP_CFG, {},
                      "Linux snapshot row")
    if not made:
        return 0
    work, esp = made
    script = [(r"^\[linux\] INIT: shell ready", "echo mark=$((6*7))\n"),
              (r"^\[linux\] mark=42", "\x01m"),
              (r"hv monitor: 'help' lists", "json snapshot linux l\r"),
              (r'"tag":"l"', "quit\r"),
              (r"hv monitor: closed", "ls /proc > /dev/null; echo ran\n"),
              (r"^\[linux\] ran", "\x01m"),
              (r"hv monitor: 'help' lists", "json restore linux l\r"),
              (r'"restore_ticks"', "quit\r"),
              (r"hv monitor: closed", "exit\n")]
    log, reason = emu.boot(plat, esp, work, 900, r"hv: power off: ",
                           megs=SNAP_MEGS, script=script)
    taken = _answers(log, "pause_ticks")
    restored = _answers(log, "restore_ticks")
    if not taken or not restored:
        print(f"bench: no Linux snapshot figures ({reason}); log in {work}")
        return 1
    print("Linux (256 MiB) at its shell, TSC ticks:")
    print(f"  {'snapshot: VM held (goal <= 1 M)':<55} "
          f"{taken[0]['pause_ticks']:>10}")
    print(f"  {'restore after one command: VM held':<55} "
          f"{restored[0]['restore_ticks']:>10}")
    # The same kernel alone, with no virtio device (the io VM of linux_io
    # probes two): a second view of the uptime beside the native boot's.
    up = re.search(r"^\[linux\] INIT: uptime at /init ([\d.]+) s", log, re.M)
    native = bench_kvm.native_uptime if bench_kvm else None
    if up:
        more = (f"; {(float(up[1]) / native - 1) * 100:+.1f}% of the native "
                f"{native:.2f} s" if native else "")
        print(f"Linux uptime at /init under hv, alone, no virtio device: "
              f"{float(up[1]):.2f} s{more}")
    return 0


def stats_off(efi: Path, guest: Path, plat: str, on: dict) -> int:
    """The CPUID row again with the monitor's `stat off`: what the exit
    telemetry costs per exit (issue 13's goal: at most 10 ticks)."""
    work = ROOT / "build/bench-statoff"
    shutil.rmtree(work, ignore_errors=True)
    cfg = CFG + "autostart = no\n"
    esp = emu.make_esp(work / "esp", efi, cfg, {"guests/bench.elf": str(guest)})
    script = [(r"vm bench: created; waits for 'start'", "\x01m"),
              (r"hv monitor: 'help' lists", "stat off\r"),
              (r"exit statistics not counted", "start bench\r"),
              (r"vm bench: start", "quit\r")]
    log, reason = emu.boot(plat, esp, work, 300, r"hv: power off: ",
                           script=script)
    m = re.search(r"^\[bench\] BENCH cpuid (\d+) (\d+)$", log, re.M)
    if not m:
        print(f"bench: no CPUID figure with stat off ({reason}); log in {work}")
        return 1
    off = (int(m[1]), int(m[2]))
    print("Exit telemetry (the monitor's stat), CPUID round trip, TSC ticks:")
    print(f"  {'operation':<55} {'mean':>8} {'best':>8}")
    print(f"  {'CPUID, stat on (the default)':<55} {on['cpuid'][0]:>8} "
          f"{on['cpuid'][1]:>8}")
    print(f"  {'CPUID, stat off':<55} {off[0]:>8} {off[1]:>8}")
    d = on["cpuid"][0] - off[0]
    print(f"  telemetry costs {d} ticks per exit (mean; goal <= 10): "
          f"{'met' if d <= 10 else 'NOT met'}")
    return 0


def _answers(log: str, key: str) -> list[dict]:
    out = []
    for m in re.finditer(r"^\{\"ok\":true.*\}\s*$", log, re.M):
        a = json.loads(m.group(0))
        if key in a:
            out.append(a)
    return out


def snapshots(efi: Path, plat: str) -> int:
    """Snapshot pause and restore of a 64 and a 256 MiB guest, the
    copy-on-write fault per page (the snapshot's, by 2 MiB chunk, and a
    clone's, by 4 KiB page), and how long a clone takes to start."""
    work = ROOT / "build/bench-snapshot"
    shutil.rmtree(work, ignore_errors=True)
    esp = emu.make_esp(work / "esp", efi, SNAP_CFG, {
        "guests/snapcount.elf": str(ROOT / "build/guests/snapcount.elf")})
    line = {n: rf"^\[{n}\] count \d+ sum" for n in ("s64", "s256", "c64", "c256")}
    script = [(r"^\[s256\] count 3 ", "\x01m"),
              (r"hv monitor: 'help' lists", "json snapshot s64 a\r"),
              (r'"tag":"a"', "json snapshot s256 b\r"),
              (r'"tag":"b"', "quit\r"),
              (r"hv monitor: closed", ""),
              *[(line["s256"], "") for _ in range(3)],
              (line["s256"], "\x01m"),
              (r"hv monitor: 'help' lists", "json snapshots\r"),
              (r'"snapshots"', "json restore s64 a\r"),
              (r'"restore_ticks"', "json restore s256 b\r"),
              (r'"tag":"b","restore_ticks"', "json clone a c64\r"),
              (r'"vm":"c64"', "json clone b c256\r"),
              (r'"vm":"c256"', "json clone b d256\r"),
              (r'"vm":"d256"', "quit\r"),
              (r"hv monitor: closed", ""),
              *[(line["c256"], "") for _ in range(3)],
              (line["c256"], "\x01m"),
              (r"hv monitor: 'help' lists", "json vms\r"),
              (r'"vms"', "kill s64\r"),
              (r"vm s64: killed", "kill s256\r"),
              (r"vm s256: killed", "kill c64\r"),
              (r"vm c64: killed", "kill c256\r"),
              (r"vm c256: killed", "kill d256\r"),
              (r"vm d256: killed", "quit\r")]
    log, reason = emu.boot(plat, esp, work, 900, r"hv: power off: ",
                           megs=SNAP_MEGS, script=script)
    taken = {a["vm"]: a for a in _answers(log, "pause_ticks")}
    lists = _answers(log, "snapshots")
    restored = {a["vm"]: a for a in _answers(log, "restore_ticks")}
    vms = _answers(log, "vms")
    clones = {m[1]: int(m[2]) for m in re.finditer(
        r"vm (\w+): cloned .* \(VM created in (\d+) TSC ticks\)", log)}
    if (len(taken) != 2 or not lists or len(restored) != 2 or not vms
            or len(clones) != 3):
        print(f"bench: no snapshot figures ({reason}); log in {work}")
        return 1
    snaps = {x["vm"]: x for x in lists[0]["snapshots"]}
    per_vm = {v["name"]: v for v in vms[-1]["vms"]}
    print("Snapshots (one of each; the monitor's own figures), TSC ticks:")
    print(f"  {'operation':<55} {'64 MiB':>10} {'256 MiB':>10}")
    rows = [("snapshot: VM held (goal <= 1 M)",
             [taken[v]["pause_ticks"] for v in ("s64", "s256")]),
            ("restore: VM held (copies back what it wrote)",
             [restored[v]["restore_ticks"] for v in ("s64", "s256")]),
            ("clone, first of its snapshot (makes the snapshot whole)",
             [clones[v] for v in ("c64", "c256")])]
    for what, (a, b) in rows:
        print(f"  {what:<55} {a:>10} {b:>10}")
    print(f"  {'clone, again of the same snapshot (RAM shared only)':<55} "
          f"{'':>10} {clones['d256']:>10}")
    for v in ("s64", "s256"):
        s = snaps[v]
        if s["cow_copies"]:
            per = s["cow_ticks"] // s["cow_copies"]
            print(f"  snapshot copy-on-write fault, vm {v}: {per} per 2 MiB "
                  f"chunk ({per // 512} per 4 KiB page; {s['cow_copies']} "
                  f"faults)")
    for v in ("c64", "c256"):
        c = per_vm[v]
        if c["cow_copies"]:
            print(f"  clone copy-on-write fault, vm {v}: "
                  f"{c['cow_ticks'] // c['cow_copies']} per 4 KiB page "
                  f"({c['cow_copies']} faults; {c['shared'] >> 10} KiB "
                  f"still shared)")
    met = all(taken[v]["pause_ticks"] <= 1_000_000 for v in taken)
    print(f"  snapshot pause goal (<= 1 M ticks at either size): "
          f"{'met' if met else 'NOT met'}")
    return 0


def slice_end(efi: Path, guest: Path, plat: str) -> int:
    """A slice's end with nothing else runnable, as the guest sees it."""
    work = ROOT / "build/bench-slice"
    shutil.rmtree(work, ignore_errors=True)
    esp = emu.make_esp(work / "esp", efi, SLICE_CFG,
                       {"guests/bench.elf": str(guest)})
    log, reason = emu.boot(plat, esp, work, 300, r"hv: power off: ")
    m = re.search(r"^\[slice\] BENCH slice_end (\d+) (\d+)$", log, re.M)
    fig = (int(m[1]), int(m[2])) if m else None
    if fig is None:
        print(f"bench: no slice-end figure ({reason}); log in {work}")
        return 1
    print("Preemption-timer slice end, nothing else runnable (a lone, "
          "not dedicated vCPU), 64 of them, in TSC ticks:")
    print(f"  {'operation':<55} {'mean':>8} {'best':>8}")
    print(f"  {'slice end: timer exit, scheduler, re-entry':<55} "
          f"{fig[0]:>8} {fig[1]:>8}")
    m = re.search(r"vm slice: hv memory (\d+) KiB beyond its RAM", log)
    if m:
        print(f"hv memory per VM beyond its RAM (vm slice, 4 MiB, 1 vCPU): "
              f"{m[1]} KiB (goal <= 64 KiB plus EPT pages)")
    return 0


EFI_SIZE_GOAL = 256 * 1024  # issue 15: hv.efi <= 256 KiB


def footprint(efi: Path, log: str, work: Path) -> int:
    """hv.efi's size against its goal, and what hv allocates per VM
    beyond its RAM (the line vm_create logs, kernel/vm_lifecycle.c)."""
    size = efi.stat().st_size
    print(f"hv.efi: {size} bytes ({size / 1024:.1f} KiB), goal <= "
          f"{EFI_SIZE_GOAL // 1024} KiB: {'met' if size <= EFI_SIZE_GOAL else 'NOT met'}")
    m = re.search(r"vm bench: hv memory (\d+) KiB beyond its RAM \((.*)\)$",
                  log, re.M)
    if not m:
        print(f"bench: no per-VM memory line; log in {work}")
        return 1
    print(f"hv memory per VM beyond its RAM (vm bench, 4 MiB, 2 vCPUs): "
          f"{m[1]} KiB\n  ({m[2]})")
    s = re.search(r"hv: first guest entry (\d+) TSC ticks after hv\.efi "
                  r"started \(UEFI stage (\d+), kernel (\d+)\)", log)
    if not s:
        print(f"bench: no start-up time line; log in {work}")
        return 1
    print(f"Start-up, hv.efi's first instruction to the first guest entry: "
          f"{int(s[1])} TSC ticks\n  (UEFI stage: VT-x check, hv.cfg, "
          f"loading the files, page tables, {int(s[2])}; kernel: memory, "
          f"CPUs, VMs, {int(s[3])})")
    return 0


def migration(efi: Path, plat: str) -> int:
    """hv's own count and mean cost of the moves of a vCPU between CPUs."""
    work = ROOT / "build/bench-migrate"
    shutil.rmtree(work, ignore_errors=True)
    guests = ROOT / "build/guests"
    esp = emu.make_esp(work / "esp", efi, MIGRATE_CFG,
                       {"guests/hopper.elf": str(guests / "hopper.elf"),
                        "guests/honest.elf": str(guests / "honest.elf")})
    log, reason = emu.boot(plat, esp, work, 300, r"hv: power off: ")
    m = re.search(r"sched: vm mover: vCPU 0 moved (\d+) times, (\d+) TSC "
                  r"ticks per move", log)
    if not m:
        print(f"bench: no migration figure ({reason}); log in {work}")
        return 1
    print(f"vCPU migration between host CPUs, mean of {m[1]} moves, in TSC "
          "ticks (hv's count):")
    print(f"  {'VMCLEAR + state save, requeue; VMPTRLD + host state there':<55}"
          f" {m[2]:>8}")
    return 0


def signed_figures(log: str, key: str) -> tuple[int, int] | None:
    m = re.search(rf"^\[bench\] BENCH {key} (-?\d+) (-?\d+)$", log, re.M)
    return (int(m[1]), int(m[2])) if m else None


def cross_cpu(log: str, figures: dict, work: Path) -> int:
    """The rows of vCPU 1 on the second host CPU: where hv put the two
    vCPUs, whether their TSCs agree (the wake-up row compares one vCPU's
    TSC with the other's), then the rows."""
    placed = dict(re.findall(r"vm bench: vCPU (\d) on CPU (\d+) ", log))
    skew = signed_figures(log, "tsc_skew")
    missing = [k for k, _ in XROWS if k not in figures]
    if missing or skew is None or len(placed) != 2:
        print(f"bench: no cross-CPU figures ({', '.join(missing) or 'tsc_skew'} "
              f"missing); log in {work}")
        print("\n".join(ln for ln in log.splitlines() if "BENCH" in ln))
        return 1
    print(f"Cross-CPU, vCPU 0 on host CPU {placed['0']}, vCPU 1 on host CPU "
          f"{placed['1']}, {XROUNDS} of each (CPUID: 2048), in TSC ticks:")
    if placed["0"] == placed["1"]:
        print("  (both vCPUs on one host CPU: these are not cross-CPU figures)")
    # hv's balancer may move a shared vCPU (when one halts, say): then not
    # every round ran with the two vCPUs on two CPUs.
    for vcpu, moves in re.findall(r"vm bench: vCPU (\d) moved (\d+) times", log):
        print(f"  (vCPU {vcpu} moved {moves} times between host CPUs during the run)")
    in_step = skew[0] >= 0 and skew[1] >= 0
    print(f"  TSCs: vCPU 1's minus vCPU 0's is within [-{skew[0]}, {skew[1]}]"
          if in_step else
          f"  TSCs NOT in step (ping-pong minima {skew[0]}, {skew[1]}): the "
          "wake-up row compares two clocks that disagree")
    print(f"  {'operation':<55} {'mean':>8} {'best':>8}")
    for key, what in XROWS:
        print(f"  {what:<55} {figures[key][0]:>8} {figures[key][1]:>8}")
    print(f"Interrupt latency on vCPU 0, {XROUNDS} of each, in TSC ticks:")
    if not all(k in figures for k, _ in LATENCY_ROWS):
        print(f"bench: no interrupt-latency figures; log in {work}")
        return 1
    for key, what in LATENCY_ROWS:
        print(f"  {what:<55} {figures[key][0]:>8} {figures[key][1]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
