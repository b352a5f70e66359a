"""vms.monitor: the operator's monitor on the host serial console (issue 13).

One boot, typed at through the serial socket (a BootTest script):
  ticker  tests/guests/ticker.c: prints "tick N" for N = 1, 2, ... and
          reports each byte typed at it as "input XX";
  later   hello, with autostart = no: created, waits for `start`.
The script opens the monitor (Ctrl-A m) while ticker prints, lists the VMs
in text and JSON, pauses ticker, starts later, reads ticker's figures twice
across later's whole run (they must not move while it is paused), resumes
it, resets it (its count starts again at 1), moves console input with
Ctrl-A 1 and sends a literal Ctrl-A with Ctrl-A Ctrl-A, tries bad
commands, kills ticker and leaves; with every VM ended hv powers off.
Judged: each command's answer, the JSON forms parse and agree with the
text forms, ticker's figures frozen while paused, every tick number
arriving exactly once per run of the count (no VM output lost while the
monitor is open: it is held and printed when the monitor closes).
"""

from __future__ import annotations

import json
import re

from .helpers import ROOT_FAULT, vm
from .table import BootTest, Judge

_MON = r"hv monitor: 'help' lists the commands"
_JSON = re.compile(r"^\{\"ok\".*\}\s*$", re.MULTILINE)


def _json_lines(log: str) -> list[dict]:
    out = []
    for m in _JSON.finditer(log):
        try:
            out.append(json.loads(m.group(0)))
        except ValueError as e:
            raise AssertionError(f"monitor printed bad JSON {m.group(0)!r}: {e}")
    return out


def _json_agrees(log: str) -> str | None:
    """Every JSON answer parses; `json vms` names ticker running with the
    numbers `vms` printed as text just before it; the two `json info
    ticker` taken while it was paused (later ran in between) show the
    same exits and CPU time; bad commands answer ok: false."""
    try:
        answers = _json_lines(log)
    except AssertionError as e:
        return str(e)
    vms = [a for a in answers if "vms" in a]
    if not vms:
        return "no JSON answer to 'json vms'"
    ticker = [v for v in vms[0]["vms"] if v["name"] == "ticker"]
    later = [v for v in vms[0]["vms"] if v["name"] == "later"]
    if not ticker or ticker[0]["n"] != 1 or ticker[0]["state"] != "running":
        return f"json vms: ticker is not VM 1, running: {vms[0]}"
    if not later or later[0]["state"] != "created":
        return f"json vms: later is not 'created' (autostart = no): {vms[0]}"
    m = re.search(r"^ ?1 ticker +running +vcpus 1 on cpus (\d+)", log,
                  re.MULTILINE)
    if not m or int(m.group(1)) != ticker[0]["cpus"][0]:
        return "text and JSON forms of vms disagree on ticker's CPU"
    paused = [a for a in answers
              if a.get("vm") == "ticker" and a.get("state") == "paused"
              and "vcpus" in a]
    if len(paused) < 2:
        return f"expected two 'json info ticker' while paused, got {len(paused)}"
    a, b = paused[0]["vcpus"][0], paused[1]["vcpus"][0]
    if a["exits"] != b["exits"] or a["cpu_ticks"] != b["cpu_ticks"]:
        return f"ticker ran while paused: {a} then {b}"
    errors = [x for x in answers if x.get("ok") is False]
    if not any("unknown command" in x.get("error", "") for x in errors):
        return "json of an unknown command did not answer ok: false"
    return None


def _stat_counts(log: str) -> str | None:
    """statg did exactly 1000 CPUIDs and 300 port writes, then one HLT:
    `json stat statg` shows exactly those (and nothing but those three
    reasons, plus host interrupts), the text form the same CPUID count;
    after `stat reset` the next one shows no exits."""
    try:
        answers = [a for a in _json_lines(log) if "stats" in a]
    except AssertionError as e:
        return str(e)
    if len(answers) < 2:
        return f"expected two 'json stat statg' answers, got {len(answers)}"
    s = answers[0]["stats"]
    if len(s) != 1 or s[0]["vm"] != "statg":
        return f"json stat statg: not one VM statg: {s}"
    got = {r["reason"]: r for r in s[0]["reasons"]}
    for reason, n in (("CPUID", 1000), ("IO_INSTRUCTION", 300), ("HLT", 1)):
        if reason not in got or got[reason]["count"] != n:
            return f"stat: {reason} count {got.get(reason)} is not {n}"
        r = got[reason]
        if r["mean"] != r["ticks"] // r["count"] or sum(r["hist"].values()) != n:
            return f"stat: {reason}: mean or histogram disagree with {r}"
    extra = set(got) - {"CPUID", "IO_INSTRUCTION", "HLT", "EXTERNAL_INTERRUPT",
                        "PREEMPTION_TIMER"}
    if extra:
        return f"stat: exits statg never made: {sorted(extra)}"
    m = re.search(r"^  CPUID +(\d+) +(\d+) +(\d+)", log, re.MULTILINE)
    if not m or int(m.group(1)) != 1000:
        return "the text form of stat does not show 1000 CPUIDs"
    if answers[1]["stats"][0]["exits"] != 0:
        return f"after 'stat reset' statg still has exits: {answers[1]}"
    return None


def _every_tick_once(log: str) -> str | None:
    """ticker's numbers: 1, 2, 3, ... with none missing or doubled, per
    run of the count (the reset starts it at 1 again; two runs)."""
    runs: list[list[int]] = []
    for line in log.splitlines():
        if line.startswith("[ticker] ticker: counting"):
            runs.append([])
        m = re.match(r"^\[ticker\] tick (\d+)\s*$", line)
        if m:
            if not runs:
                return "a tick before 'counting'"
            runs[-1].append(int(m.group(1)))
    if len(runs) != 2:
        return f"expected 2 runs of the count (boot, reset), got {len(runs)}"
    for i, r in enumerate(runs):
        if not r or r != list(range(1, len(r) + 1)):
            return f"run {i + 1} of the count is not 1..N once each: {r[:40]}"
    if len(runs[0]) < 6:
        return f"the first run counted only to {len(runs[0])}"
    return None


def _typed(log: str) -> str | None:
    """Ctrl-A 1 gave ticker the input, 'ab' arrived, and Ctrl-A Ctrl-A x
    reached it as 01 78 (a literal Ctrl-A, then x)."""
    got = re.findall(r"^\[ticker\] input ([0-9a-f]{2})", log, re.MULTILINE)
    if got != ["61", "62", "01", "78"]:
        return f"ticker received {got}, expected 61 62 01 78"
    return None


_CMD = "\r"

MONITOR = BootTest(
    name="vms.monitor",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + vm("ticker", "ticker")
         + vm("later", "hello", extra="autostart = no\n")
         + vm("statg", "statg")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf"
           for g in ("ticker", "hello", "statg")},
    timeout_s=400,
    script=[
        (r"\[ticker\] tick 3\b", "\x01m"),
        (_MON, "help" + _CMD),
        (r"json COMMAND +the same answer", "vms" + _CMD),
        (r"^ ?2 later +created", "json vms" + _CMD),
        (r'"ok":true,"vms":\[', "stat statg" + _CMD),
        (r"^  CPUID +\d+", "json stat statg" + _CMD),
        (r'"ok":true,"stats":\[', "stat reset" + _CMD),
        (r"exit statistics cleared", "json stat statg" + _CMD),
        (r'"ok":true,"stats":\[', "pause ticker" + _CMD),
        (r"vm ticker: paused \(now paused\)", "info ticker" + _CMD),
        (r"  devices: COM1 UART", "json info ticker" + _CMD),
        (r'"vm":"ticker","state":"paused"', "start later" + _CMD),
        (r"vm later: exited with status", "json info ticker" + _CMD),
        (r'"vm":"ticker","state":"paused"', "resume ticker" + _CMD),
        (r"vm ticker: resumed \(now running\)", "snapshot ticker x" + _CMD),
        (r"error: snapshots are off", "quit" + _CMD),
        (r"hv monitor: closed", ""),
        (r"\[ticker\] tick 8\b", "\x01m"),
        (_MON, "reset ticker" + _CMD),
        (r"vm ticker: reset", "frobnicate" + _CMD),
        (r"error: unknown command 'frobnicate'", "json frobnicate" + _CMD),
        (r'"ok":false,"error":"unknown command', "pause nosuchvm" + _CMD),
        (r"error: no VM 'nosuchvm'", "resume ticker" + _CMD),
        (r"error: vm ticker is \w+, not paused", "start ticker" + _CMD),
        (r"error: vm ticker is \w+; only a stopped", "quit" + _CMD),
        (r"\[ticker\] tick 3\b", "\x011ab\x01\x01x"),
        (r"\[ticker\] input 78", "\x01m"),
        (_MON, "kill ticker" + _CMD),
        (r"vm ticker: killed \(now stopped\)", "kill statg" + _CMD),
        (r"vm statg: killed \(now stopped\)", "json vms" + _CMD),
        (r'"ok":true,"vms":\[', "quit" + _CMD),
    ],
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"vm later: created; waits for 'start'",
            r"hv: power off: idle; VMs: 1 exited, 2 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"not started:"],
    subtests={
        "monitor.commands": Judge(
            expect=[_MON, r"pause VM +stop running its vCPUs",
                    r"^ ?1 ticker +running", r"^ ?2 later +created",
                    r"vm ticker: paused \(now paused\)",
                    r"^  vcpu 0: runnable on cpu \d+, \d+ exits, \d+ ticks; "
                    r"pending: none",
                    r"^    protected 32-bit mode  rip 0x0000000000",
                    r"^    cr0 0x000000(11|31|33) ",
                    r"^  devices: COM1 UART, debug exit port, fw_cfg, .*"
                    r"I/O APIC, local APIC page",
                    r"vm later: started \(now \w+\)",
                    r"vm ticker: resumed \(now running\)",
                    # No snapshot_memory in this boot's [hypervisor].
                    r"error: snapshots are off: no snapshot_memory in "
                    r"\[hypervisor\]",
                    r"vm ticker: reset by the operator; restarting",
                    r"error: no VM 'nosuchvm'",
                    r"vm ticker: stopped: killed by the operator",
                    r"vm ticker: killed \(now stopped\)"],
            # ticker has no `testdev = qemu`: its list must not show it.
            reject=[*ROOT_FAULT, r"devices: .*QEMU pc-testdev"]),
        "monitor.json": Judge(expect=[r'"ok":true,"vms":\['],
                              check=_json_agrees),
        "monitor.no_output_lost": Judge(expect=[r"\[ticker\] tick 1\b"],
                                        check=_every_tick_once),
        "monitor.console_keys": Judge(
            expect=[r"console: input now goes to vm ticker"],
            check=_typed),
        # hv's line comes first: later's own output was held while the
        # monitor was open, and printed when it closed.
        "monitor.stat": Judge(expect=[r"exit statistics cleared"],
                              check=_stat_counts),
        "monitor.autostart_no": Judge(
            expect=[r"vm later: started by the operator",
                    r"vm later: exited with status 1\b",
                    r"^\[later\] RESULT: PASS"],
            reject=[r"^\[later\] .*FAIL", r"vm later: stopped",
                    r"^\[later\] [^\n]*\n[\s\S]*vm later: started by"]),
    },
)

TESTS = [MONITOR]
