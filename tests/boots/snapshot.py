"""vms.snapshot: the monitor's snapshots and restores (issue 13).

One boot, typed at through the serial socket (a BootTest script):
  snapcount  tests/guests/snapcount.c, 64 MiB: prints "count N sum S tsc T"
             every 4 M guest TSC ticks; S checksums a RAM region that each
             count rewrites from its old contents, T is the guest's TSC;
  ticker     a second VM, for the refusals;
(snapcount runs on CPU 1 and ticker on CPU 0, where the monitor runs: the
snapshot's CPU-local half is asked of another CPU;)
  pt         hello with a passed-through port (autostart = no);
  cowsmp     tests/guests/cowsmp.c, 2 vCPUs (CPUs 2 and 3) passing a token
             through RAM pages, for a clone of an SMP guest.
snapshot_memory = 66M: snapcount's snapshot (64 MiB and a few KiB) fits,
a second one of ticker (4 MiB more) does not.
The script snapshots snapcount once count 4 is out, tries the refusals
(over budget, a snapshot of another VM, an unknown tag, a VM with
passthrough), lets it count on, restores it, lets it count on, restores
it from the same snapshot again (in JSON), drops the snapshot and ends.
The snapshot is copy-on-write: the VM is held for at most 1 M TSC ticks
(a 64 MiB copy takes 20 M in Bochs), and it lists the chunks that the
guest's writes copied since.
Judged: the counts after each restore go back to the same N (after the
snapshot's count 4), with for every N the sum the first run printed, the
first line one count period of guest TSC after the snapshot's last line,
and both restores alike: RAM, registers and guest time continue exactly
from the snapshot, twice.  Then `clone s1 snapc2` starts a fourth VM
from the snapshot: it counts on from the same count with the same sums
beside snapcount, shares most of its RAM with the snapshot (json vms),
and goes on counting after `drop s1` gives it its own copies.  vms.monitor checks
the refusal without a budget.

vms.snapshot_linux: Linux (128 MiB) at its busybox shell: snapshot, make
/root/made-after, restore: the file is gone, the shell answers, and two
readings of /proc/uptime around `sleep 1` are about a second apart.  Then
`clone l1 shell2`: a second Linux from the snapshot answers its own
console beside the first, and a file each makes the other does not see.
"""

from __future__ import annotations

import json
import re

from .helpers import ROOT_FAULT, vm
from .table import BootTest, Judge

_MON = r"hv monitor: 'help' lists the commands"
_JSON = re.compile(r"^\{\"ok\".*\}\s*$", re.MULTILINE)
_COUNT = re.compile(r"^\[snapcount\] count (\d+) sum (\d+) tsc (\d+)\s*$",
                    re.MULTILINE)
COUNT_TSC = 4_000_000


def _runs(log: str) -> list[list[tuple[int, int, int]]]:
    """snapcount's lines, split where the count goes back (a restore)."""
    runs: list[list[tuple[int, int, int]]] = []
    for m in _COUNT.finditer(log):
        n, s, t = (int(g) for g in m.groups())
        if not runs or n <= runs[-1][-1][0]:
            runs.append([])
        runs[-1].append((n, s, t))
    return runs


def _continues(log: str) -> str | None:
    """Three runs: the first from 1, then two that start at the same count
    K > 4 (count 4 was out before the snapshot) and no later than where
    the first had got, each line with the sum the first run printed for
    that count, the first line one count period (by the guest's TSC) after
    the first run's line before it, and the two restores' lines alike (the
    TSC within a quarter of a count)."""
    runs = _runs(log)
    if len(runs) != 3:
        return (f"expected 3 runs of the count (boot, two restores), got "
                f"{len(runs)}: {[(r[0][0], r[-1][0]) for r in runs]}")
    first = {n: (s, t) for n, s, t in runs[0]}
    if runs[0][0][0] != 1 or sorted(first) != list(range(1, len(first) + 1)):
        return f"the first run is not 1..N: {sorted(first)[:20]}"
    k = runs[1][0][0]
    if runs[2][0][0] != k:
        return f"the restores continued at {k} and at {runs[2][0][0]}"
    if not 5 <= k <= max(first):
        return f"the restore continued at count {k}, not after the snapshot's"
    for i, r in enumerate(runs[1:], 1):
        if len(r) < 4 or [n for n, _, _ in r] != list(range(k, k + len(r))):
            return f"run {i + 1} does not count on from {k}: {r[:10]}"
        for n, s, t in r:
            if n in first and first[n][0] != s:
                return (f"run {i + 1}: count {n} has sum {s}, the first run "
                        f"had {first[n][0]}")
        # The guest's TSC goes on from the snapshot's: the first line
        # after the restore comes one count after the line before the
        # snapshot, as the guest's own clock measures it.  (The first
        # run's later lines are later still by the time the snapshot held
        # the VM: its TSC ran on meanwhile, as it does while paused.)
        n, _, t = r[0]
        if n - 1 not in first or not (
                COUNT_TSC * 3 // 4 < t - first[n - 1][1] < COUNT_TSC * 5 // 4):
            return (f"run {i + 1}: count {n} at guest TSC {t}, count {n - 1} "
                    f"of the first run at {first.get(n - 1, (0, 0))[1]}: "
                    f"guest time did not continue from the snapshot's")
    # The first six lines of each: later, the clone (snapc2) shares
    # snapcount's CPU in the second, and its counts take longer.
    for (n1, s1, t1), (n2, s2, t2) in zip(runs[1][:6], runs[2][:6]):
        if (n1, s1) != (n2, s2) or abs(t1 - t2) > COUNT_TSC // 4:
            return (f"the two restores differ: count {n1} sum {s1} tsc {t1}, "
                    f"then count {n2} sum {s2} tsc {t2}")
    return None


def _clone_smp_kicked(log: str) -> str | None:
    """The last `json vms`: cowsmp2 copied pages, and its shootdowns
    kicked the other CPU out of its guest (its vCPUs were on two CPUs)."""
    vms = None
    for m in _JSON.finditer(log):
        a = json.loads(m.group(0))
        if "vms" in a:
            vms = {v["name"]: v for v in a["vms"]}
    c = (vms or {}).get("cowsmp2")
    if not c or c["cow_copies"] < 64 or c["ept_kicks"] < 1:
        return f"json vms: cowsmp2 copied few pages or kicked no CPU: {c}"
    return None


def _json_answers(log: str) -> str | None:
    """`json snapshots` lists s1 of snapcount (64 MiB and more, within the
    budget); `json restore` answers ok with the VM running; after `drop`
    the list is empty and nothing is used."""
    answers = []
    for m in _JSON.finditer(log):
        try:
            answers.append(json.loads(m.group(0)))
        except ValueError as e:
            return f"monitor printed bad JSON {m.group(0)!r}: {e}"
    lists = [a for a in answers if "snapshots" in a]
    if len(lists) != 2:
        return f"expected two 'json snapshots' answers, got {len(lists)}"
    a, b = lists
    s = a["snapshots"]
    if (len(s) != 1 or s[0]["tag"] != "s1" or s[0]["vm"] != "snapcount"
            or not 64 << 20 < s[0]["bytes"] <= a["budget"]
            or a["used"] != s[0]["bytes"] or a["budget"] != 66 << 20):
        return f"json snapshots: {a}"
    # Copy-on-write: the snapshot shares RAM with the VM, and the VM was
    # held for far less than a copy of its 64 MiB takes (20 M ticks here):
    # the goal, at most 1 M TSC ticks.
    if not s[0]["shares_ram"] or s[0]["pause_ticks"] > 1_000_000:
        return f"json snapshots: not copy-on-write, or held too long: {s[0]}"
    if b["snapshots"] or b["used"] != 0:
        return f"after 'drop s1' json snapshots still shows {b}"
    restores = [x for x in answers if "restore_ticks" in x]
    if (len(restores) != 1 or restores[0]["vm"] != "snapcount"
            or restores[0]["state"] != "running"):
        return f"json restore: {restores}"
    return None


_CMD = "\r"
_LINE = r"^\[snapcount\] count \d+ sum"
_CLONE_LINE = r"^\[snapc2\] count \d+ sum"
_CLONE_COUNT = re.compile(r"^\[snapc2\] count (\d+) sum (\d+) tsc (\d+)\s*$",
                          re.MULTILINE)


def _clone_continues(log: str) -> str | None:
    """The clone snapc2 counts on from the snapshot exactly as the
    restores did: the same first count K, every line with the sum the
    original printed for that count (its RAM is the snapshot's), its
    guest TSC going on from the snapshot's; it keeps counting after its
    snapshot is dropped (its shared pages became its own copies); and
    while it ran, `json vms` showed it sharing most of its 64 MiB (only
    the pages it wrote were copied)."""
    runs = _runs(log)
    if len(runs) < 2:
        return f"no restore run to compare the clone with: {len(runs)} runs"
    sums: dict[int, int] = {}
    for r in runs:
        for n, s, _ in r:
            sums.setdefault(n, s)
    first = {n: t for n, _, t in runs[0]}
    lines = [tuple(int(g) for g in m.groups())
             for m in _CLONE_COUNT.finditer(log)]
    k = runs[1][0][0]
    if len(lines) < 9 or [n for n, _, _ in lines] != list(
            range(k, k + len(lines))):
        return f"the clone does not count on from {k}: {lines[:12]}"
    for n, s, _ in lines:
        if n in sums and sums[n] != s:
            return f"clone count {n} has sum {s}, the original had {sums[n]}"
    if not any(n in sums for n, _, _ in lines):
        return "no clone count to compare with the original's"
    n, _, t = lines[0]
    if n - 1 not in first or not (
            COUNT_TSC * 3 // 4 < t - first[n - 1] < COUNT_TSC * 5 // 4):
        return (f"clone count {n} at guest TSC {t}: guest time did not "
                f"continue from the snapshot's")
    dropped = log.find("snapshot 's1' dropped")
    after = [m for m in _CLONE_COUNT.finditer(log) if m.start() > dropped]
    if dropped < 0 or len(after) < 3:
        return f"the clone printed {len(after)} counts after the drop"
    vms = None
    for m in _JSON.finditer(log):
        a = json.loads(m.group(0))
        if "vms" in a and vms is None:
            vms = {v["name"]: v for v in a["vms"]}
    if not vms or "snapc2" not in vms:
        return f"json vms does not list the clone: {vms}"
    c = vms["snapc2"]
    if c["n"] != 5 or c["memory"] != 64 << 20 or not (
            48 << 20 < c["shared"] < 64 << 20):
        return f"json vms: the clone is not number 4 sharing most RAM: {c}"
    return None

SNAPSHOT = BootTest(
    name="vms.snapshot",
    cfg=("[hypervisor]\non_idle = poweroff\nsnapshot_memory = 66M\n"
         + vm("snapcount", "snapcount", memory="64M", extra="cpus = 1\n")
         + vm("ticker", "ticker", extra="cpus = 0\n")
         + vm("pt", "hello", extra="autostart = no\npassthrough_io = 0xe9\n")
         + vm("cowsmp", "cowsmp", extra="vcpus = 2\ncpus = 2-3\n")),
    # CPUs 2 and 3 for cowsmp's spinning vCPUs (and its clone's), one on
    # each, the clone's beside them (sched_add's `near`), so the clone's
    # copies happen with its vCPUs on two CPUs; they stay off snapcount's
    # CPU 1 (its count period, which the judges time, is its own guest
    # time) and off CPU 0, whose scheduler loop reads what is typed at the
    # monitor (a vCPU spinning there without exits holds it a slice).
    cpus=4,
    files={f"guests/{g}.elf": f"build/guests/{g}.elf"
           for g in ("snapcount", "ticker", "hello", "cowsmp")},
    timeout_s=600,
    script=[
        (r"\[snapcount\] count 4\b", "\x01m"),
        (_MON, "snapshot snapcount s1" + _CMD),
        (r"vm snapcount: snapshot 's1' taken", "json snapshots" + _CMD),
        (r'"ok":true,"budget"', "snapshot ticker t2" + _CMD),
        (r"error: over budget", "restore ticker s1" + _CMD),
        (r"error: snapshot 's1' is of vm snapcount", "restore snapcount no" + _CMD),
        (r"error: no snapshot 'no'", "snapshot pt p1" + _CMD),
        (r"error: vm pt has passed-through devices", "snapshot snapcount s1" + _CMD),
        (r"error: snapshot 's1' exists", "quit" + _CMD),
        (r"hv monitor: closed", ""),
        (r"\[snapcount\] count 9\b", "\x01m"),
        (_MON, "restore snapcount s1" + _CMD),
        (r"vm snapcount: restored from snapshot 's1'", "quit" + _CMD),
        (r"hv monitor: closed", ""),
        *[(_LINE, "") for _ in range(8)],
        (_LINE, "\x01m"),
        (_MON, "json restore snapcount s1" + _CMD),
        (r'"ok":true,"vm":"snapcount","tag":"s1","restore_ticks"', "quit" + _CMD),
        (r"hv monitor: closed", ""),
        *[(_LINE, "") for _ in range(8)],
        (_LINE, "\x01m"),
        (_MON, "snapshots" + _CMD),
        (r"^  s1 +vm snapcount", "clone s1 4" + _CMD),
        (r"error: '4' is a number", "clone s1 snapcount" + _CMD),
        (r"error: a VM named 'snapcount' exists", "clone nosuch c" + _CMD),
        (r"error: no snapshot 'nosuch'", "json clone s1 snapc2" + _CMD),
        (r'"ok":true,"vm":"snapc2"', "quit" + _CMD),
        (r"hv monitor: closed", ""),
        *[(_CLONE_LINE, "") for _ in range(5)],
        (_CLONE_LINE, "\x01m"),
        (_MON, "json vms" + _CMD),
        (r'"ok":true,"vms"', "drop s1" + _CMD),
        (r"snapshot 's1' dropped", "json snapshots" + _CMD),
        (r'"ok":true,"budget"', "snapshot cowsmp c1" + _CMD),
        (r"vm cowsmp: snapshot 'c1' taken", "clone c1 cowsmp2" + _CMD),
        (r"vm cowsmp2 \(number 6\): cloned", "quit" + _CMD),
        (r"hv monitor: closed", ""),
        (r"^\[cowsmp2\] epoch \d+ ok", ""),
        (r"^\[cowsmp2\] epoch \d+ ok", ""),
        *[(_CLONE_LINE, "") for _ in range(3)],
        (_CLONE_LINE, "\x01m"),
        (_MON, "json vms" + _CMD),
        (r'"ok":true,"vms"', "kill snapcount" + _CMD),
        (r"vm snapcount: killed", "kill ticker" + _CMD),
        (r"vm ticker: killed", "kill pt" + _CMD),
        (r"vm pt: killed", "kill snapc2" + _CMD),
        (r"vm snapc2: killed", "kill cowsmp" + _CMD),
        (r"vm cowsmp: killed", "kill cowsmp2" + _CMD),
        (r"vm cowsmp2: killed", "quit" + _CMD),
    ],
    # A restore that breaks the guest ends the boot at once, not at the
    # timeout (the script would wait for counts that never come).
    stop_regex=(r"hv: power off: |vm snapcount: stopped: (?!killed by)"
                r"|\[cowsmp2?\] FAIL|vm cowsmp2?: stopped: (?!killed by)"),
    expect=[r"vmx: on; controls",
            r"vm snapcount: snapshot 's1' taken: \d+ KiB, VM held \d+ TSC ticks",
            r"hv: power off: idle; VMs: 0 exited, 4 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"not started:", r"VMCS field was refused"],
    subtests={
        "snapshot.continues": Judge(
            expect=[r"vm snapcount: restored from snapshot 's1'"],
            check=_continues),
        "snapshot.refusals": Judge(
            expect=[r"error: over budget: vm ticker needs \d+ KiB, \d+ KiB of "
                    r"snapshot_memory 67584 KiB are free",
                    r"error: snapshot 's1' is of vm snapcount, not of vm ticker",
                    r"error: no snapshot 'no'",
                    r"error: vm pt has passed-through devices",
                    r"error: snapshot 's1' exists"]),
        "snapshot.json": Judge(expect=[r'"ok":true,"budget"'],
                               check=_json_answers),
        "snapshot.clone": Judge(
            expect=[r"error: '4' is a number",
                    r"error: a VM named 'snapcount' exists",
                    r"error: no snapshot 'nosuch'",
                    r"vm snapc2: cloned from snapshot 's1' of vm snapcount: "
                    r"65536 KiB of RAM shared copy-on-write"],
            check=_clone_continues),
        # The guest's writes since the snapshot were copied chunk by chunk.
        # A clone of a 2-vCPU guest whose vCPUs pass a token through
        # pages the clone still shares: each first write moves a page to
        # the clone's own copy while the other vCPU reads it, and that
        # vCPU must never read the snapshot's copy after (the EPT
        # shootdown).  The original plays on beside it.
        "snapshot.clone_smp": Judge(
            expect=[r"vm cowsmp2: cloned from snapshot 'c1' of vm cowsmp",
                    r"^\[cowsmp2\] epoch \d+ ok",
                    r"^\[cowsmp2\] epoch \d+ ok"],
            check=_clone_smp_kicked,
            reject=[r"^\[cowsmp2?\] FAIL",
                    r"vm cowsmp2?: stopped: (?!killed by)"]),
        "snapshot.cow": Judge(
            expect=[r"^  s1 +vm snapcount +65544 KiB  taken at \d+ ms  held "
                    r"\d+ ticks  shares RAM, [1-9]\d* copied at writes"]),
    },
)

def _uptime_advances(log: str) -> str | None:
    """After the restore, two readings of /proc/uptime around `sleep 1`
    differ by about a second: the guest's timers tick (no storm of
    missed ticks, no stall)."""
    ups = [float(m.group(1)) for m in
           re.finditer(r"^\[shell\] up ([0-9.]+)(?: x)?\s*$", log, re.MULTILINE)]
    if len(ups) != 2:
        return f"expected two uptime readings after the restore, got {ups}"
    if not 0.9 <= ups[1] - ups[0] <= 5:
        return f"uptime went from {ups[0]} to {ups[1]} across sleep 1"
    return None


def _linux_vm(name: str, memory: str) -> str:
    return (f"[vm {name}]\ntype = linux\nkernel = \\guests\\vmlinuz\n"
            f"initrd = \\guests\\initrd.img\nmemory = {memory}\n"
            f"cmdline = console=ttyS0 quiet hv.shell\n")


# Linux at its shell: a file made after the snapshot is gone after the
# restore, the shell answers, and its timers tick.
SNAPSHOT_LINUX = BootTest(
    name="vms.snapshot_linux",
    cfg=("[hypervisor]\non_idle = poweroff\nsnapshot_memory = 140M\n"
         + _linux_vm("shell", "128M")),
    files={"guests/vmlinuz": "build/linux/vmlinuz",
           "guests/initrd.img": "build/linux/initrd.img"},
    timeout_s=600,
    stop_regex=r"hv: power off: |vm shell: stopped: ",
    script=[
        (r"^\[shell\] INIT: shell ready", "echo mark=$((6*7))\n"),
        (r"^\[shell\] mark=42", "\x01m"),
        (_MON, "snapshot shell l1" + _CMD),
        (r"vm shell: snapshot 'l1' taken", "quit" + _CMD),
        (r"hv monitor: closed", "touch /root/made-after && ls /root/made-after\n"),
        (r"^\[shell\] /root/made-after\s*$", "\x01m"),
        (_MON, "restore shell l1" + _CMD),
        (r"vm shell: restored from snapshot 'l1'", "quit" + _CMD),
        (r"hv monitor: closed",
         "ls /root/made-after || echo file=gone\n"),
        (r"^\[shell\] file=gone",
         "echo up $(cut -d' ' -f1 /proc/uptime) ; sleep 1 ; "
         "echo up $(cut -d' ' -f1 /proc/uptime) x\n"),
        (r"^\[shell\] up [0-9.]+ x", "\x01m"),
        # The clone starts where the snapshot was taken: at the prompt.
        (_MON, "clone l1 shell2" + _CMD),
        (r"vm shell2 \(number 2\): cloned", "console shell2" + _CMD),
        (r"hv monitor: closed",
         "echo clone=$((6*7)) ; touch /root/in-clone\n"),
        (r"^\[shell2\] clone=42", "\x01m"),
        (_MON, "console shell" + _CMD),
        (r"hv monitor: closed",
         "touch /root/in-src ; ls /root/in-clone 2>/dev/null || "
         "echo src=clean\n"),
        (r"^\[shell\] src=clean", "\x01m"),
        (_MON, "console shell2" + _CMD),
        (r"hv monitor: closed",
         "ls /root/in-src 2>/dev/null || echo clone=clean ; "
         "ls /root/in-clone\n"),
        (r"^\[shell2\] /root/in-clone\s*$", "exit\n"),
        (r"vm shell2: powered off", "\x01m"),
        (_MON, "console shell" + _CMD),
        (r"hv monitor: closed", "exit\n"),
    ],
    expect=[r"vm shell: snapshot 'l1' taken: \d+ KiB, VM held \d+ TSC ticks",
            r"^\[shell\] /root/made-after\s*$",
            r"vm shell: restored from snapshot 'l1'",
            r"^\[shell\] file=gone",
            r"^\[shell\] INIT: shell exited",
            r"vm shell: powered off \(ACPI S5\)"],
    # shell2 must not stop the boot: only the original's end does.

    reject=[r"PANIC", r"Kernel panic", r"^\[shell\] .*Oops",
            r"^\[shell\] .*BUG:", r"VMCS field was refused"],
    subtests={"snapshot.linux_timers": Judge(
        expect=[r"^\[shell\] up [0-9.]+ x"], check=_uptime_advances),
        # Two Linux VMs from one snapshot, side by side, each answering
        # its own console; what one writes the other does not see.
        "snapshot.linux_clone": Judge(
            expect=[r"vm shell2: cloned from snapshot 'l1' of vm shell",
                    r"^\[shell2\] clone=42",
                    r"^\[shell\] src=clean",
                    r"^\[shell2\] clone=clean",
                    r"^\[shell2\] /root/in-clone\s*$",
                    r"vm shell2: powered off \(ACPI S5\)"])},
)

TESTS = [SNAPSHOT, SNAPSHOT_LINUX]
