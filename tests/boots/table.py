"""What a boot test is, and the checks every test in the table must pass.

A BootTest boots build/hv.efi in an emulator with its own hv.cfg and ESP
files, and is judged from the serial log (see tests/harness.py for how
they run).  Fields of BootTest:
  name       "area.what", unique; `-k SUBSTR` selects on it
  cfg        the text of hv.cfg put beside BOOTX64.EFI
  needs_vmx  True: kvm when the host has VT-x, else Bochs (HV_PLATFORM overrides)
             False: QEMU TCG (fast; no VT-x)
  platform   a fixed platform ("bochs", "kvm", "qemu-tcg"); wins over needs_vmx
             and HV_PLATFORM (for tests about the platform itself)
  files      extra ESP files: {"guests/x.elf": b"bytes" or "host/path"};
             host paths are relative to the repository root
  megs, cpus emulated machine size
  timeout_s  wall-clock limit for the whole boot
  stop_regex stop the emulator once this matches (plus 1 s of trailing output);
             it must match within one line, as must the script's regexes
  expect     regexes that must all match, in this order of appearance
  reject     regexes that must not match anywhere
  subtests   {name: Judge(expect, reject)}: more verdicts read from the same
             log, each counted as a test of its own (one boot runs many VMs)
  script     [(regex, text)]: type text on the serial console once regex has
             matched (in order); the serial port is then a socket

Regexes are Python `re` with MULTILINE, matched against the serial log after
tests/emu.py's clean_log(): ANSI escapes removed, CR LF -> LF.

check_table() finds the table's mistakes (table_problems()) and raises
TableError; tests/boots/__init__.py calls it once the whole table is
assembled, and the harness again when it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path


@dataclass(frozen=True)
class Judge:
    """One verdict read from the serial log: every expect regex matches, in
    this order of appearance, no reject regex matches anywhere, and
    `check` (if given: a function of the whole log) returns None rather
    than a reason to fail, for what regexes cannot say (JSON that must
    parse, numbers that must agree)."""
    expect: list[str]
    reject: list[str] = field(default_factory=list)
    check: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class BootTest:
    """One boot: its fields are described in this module's docstring."""
    name: str
    cfg: str
    expect: list[str]
    reject: list[str] = field(default_factory=list)
    needs_vmx: bool = True
    platform: str | None = None
    files: dict = field(default_factory=dict)
    megs: int = 512
    cpus: int = 2
    timeout_s: float = 240.0
    stop_regex: str | None = None
    subtests: dict = field(default_factory=dict)
    script: list = field(default_factory=list)
    # Judge the emulator's own output too, each line as "emu> TEXT": what
    # guests wrote to the host's port 0xe9 (Bochs' port_e9_hack, QEMU's
    # debugcon) appears there.
    emulator_output: bool = False
    # The machine has a PCI e1000 at emu.NIC_BDF (for passthrough_pci).
    nic: bool = False
    # The Bochs CPU model (Bochs only): "corei7_skylake_x" has AVX-512.
    cpu_model: str = "corei7_haswell_4770"


class TableError(ValueError):
    """The table has a mistake: see table_problems()."""


_NAME_RE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
_CHAR_CLASS_RE = re.compile(r"\[(?:\\.|[^\\\]])*\]")


def _regex_problems(where: str, regexes, one_line: bool = False) -> list[str]:
    problems = []
    for rx in regexes:
        try:
            re.compile(rx, re.MULTILINE)
        except (re.error, TypeError) as e:
            problems.append(f"{where}: bad regex {rx!r}: {e}")
            continue
        # emu.boot() looks for these a line at a time (emu._Awaited): an
        # LF outside [...] would make a match span lines
        outside_classes = _CHAR_CLASS_RE.sub("", rx)
        if one_line and ("\n" in outside_classes or "\\n" in outside_classes):
            problems.append(f"{where}: regex {rx!r} must match within one line")
    return problems


def _judge_problems(where: str, j) -> list[str]:
    if not j.expect:
        return [f"{where}: no expect regex (the verdict could not fail)"]
    return (_regex_problems(f"{where} expect", j.expect)
            + _regex_problems(f"{where} reject", j.reject))


def _test_problems(t: BootTest) -> list[str]:
    """What is wrong with one test on its own."""
    from emu import BOCHS_CPU_MODELS, PLATFORMS
    problems = _judge_problems(t.name, t)
    if t.stop_regex is not None:
        problems += _regex_problems(f"{t.name} stop_regex", [t.stop_regex], one_line=True)
    for step in t.script:
        if not (isinstance(step, tuple) and len(step) == 2 and isinstance(step[1], str)):
            problems.append(f"{t.name}: script step {step!r} is not (regex, text)")
            continue
        problems += _regex_problems(f"{t.name} script", [step[0]], one_line=True)
    for sub, j in t.subtests.items():
        if not isinstance(j, Judge):
            problems.append(f"{t.name}: subtest {sub} is not a Judge")
        else:
            problems += _judge_problems(f"{t.name} subtest {sub}", j)
    if t.platform is not None and t.platform not in PLATFORMS:
        problems.append(f"{t.name}: unknown platform {t.platform!r}")
    cpu_model = getattr(t, "cpu_model", None)
    if cpu_model is not None and cpu_model not in BOCHS_CPU_MODELS:
        problems.append(f"{t.name}: {cpu_model!r} is no Bochs CPU model")
    for esp_path, content in t.files.items():
        parts = str(esp_path).replace("\\", "/").split("/")
        if not esp_path or parts[0] == "" or ".." in parts:
            problems.append(f"{t.name}: bad ESP path {esp_path!r}")
        if isinstance(content, (bytes, bytearray)):
            continue
        host = Path(str(content))
        if host.is_absolute() or ".." in host.parts or host.parts[:1] not in (("build",), ("tests",)):
            problems.append(f"{t.name}: host file {str(content)!r} for {esp_path} is not "
                            "under build/ or tests/ of the repository")
    if not (t.timeout_s > 0 and t.megs > 0 and t.cpus > 0):
        problems.append(f"{t.name}: timeout_s, megs and cpus must be positive")
    return problems


def table_problems(tests: list[BootTest]) -> list[str]:
    """Every mistake in the table: names ("area.what", unique among tests
    and subtests together), regexes that do not compile, verdicts without
    an expect regex, unknown platforms and Bochs CPU models, host files
    outside build/ and tests/."""
    problems = []
    seen: dict[str, str] = {}
    for t in tests:
        for name, what in [(t.name, "test"), *((s, f"subtest of {t.name}") for s in t.subtests)]:
            if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
                problems.append(f"{what} name {name!r} is not area.what")
            elif name in seen:
                problems.append(f"duplicate name {name} (a {what}; already a {seen[name]})")
            seen.setdefault(name, what)
        problems += _test_problems(t)
    return problems


def check_table(tests: list[BootTest]) -> None:
    """Raise TableError listing the table's mistakes, if any."""
    problems = table_problems(tests)
    if problems:
        raise TableError("tests/boots: " + "; ".join(problems))
