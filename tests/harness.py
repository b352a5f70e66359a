#!/usr/bin/env python3
"""Test runner: unit-test binaries, then boot tests in emulators.

    python3 tests/harness.py --efi build/hv.efi --unit-dir build/tests/unit
        [-k SUBSTR] [--list] [--jobs N] [--no-unit] [--no-boot]
        [--fuzz-dir build/tests/fuzz [--fuzz-runs N]]

Unit tests: every executable file in --unit-dir runs (sorted by name). Each
prints `PASS suite.name` or `FAIL suite.name: why` lines and exits non-zero
on any failure; each such line counts as one test. A binary that exits
non-zero (crash, signal, time limit) without a FAIL line counts as one
failed test named `unit.BINARY`.

Fuzz smoke (--fuzz-dir): each fuzz_NAME there runs --fuzz-runs executions
from its seeds (tests/fuzz/corpus/fuzz_NAME), seeded, in build/test-runs/
fuzz.NAME/ (its log, and the crashing input if one is found); it counts as
the test fuzz.NAME, failed if the fuzzer exits non-zero.

Boot tests (tests/boots/): each boots --efi from an ESP folder in its
own work folder build/test-runs/NAME/ (made anew each run; the serial log,
the emulator's log and the ESP stay there), --jobs at a time.

The last line is `N passed, N failed`; the exit status is 1 if anything
failed or nothing ran, else 0. Ctrl-C stops everything (exit 130).

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True      # no tests/__pycache__ in the work tree

import emu  # noqa: E402
from boots import BOOT_TESTS, BootTest, Judge, TableError, check_table  # noqa: E402

TAIL_LINES = 40
UNIT_LINE_RE = re.compile(r"^(PASS|FAIL) (\S+?)(?::\s*(.*))?\s*$")

_print_lock = threading.Lock()


def say(*lines: str) -> None:
    with _print_lock:
        for line in lines:
            print(line)
        sys.stdout.flush()


def selected(k: str | None, *names: str) -> bool:
    """-k SUBSTR, or -k NAME$ for that one test alone."""
    if k and k.endswith("$"):
        return k[:-1] in names
    return not k or any(k in n for n in names)


# --------------------------------------------------------------------------
# Unit tests


def unit_binaries(unit_dir: Path) -> list[Path]:
    if not unit_dir.is_dir():
        return []
    return sorted(p for p in unit_dir.iterdir()
                  if p.is_file() and os.access(p, os.X_OK))


def _describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exited with status {rc}"


def run_unit(unit_dir: Path, k: str | None, timeout_s: float) -> tuple[int, int]:
    """Run the unit binaries; return (passed, failed)."""
    binaries = unit_binaries(unit_dir)
    if not binaries:
        say(f"unit: no test binaries in {unit_dir}")
        return 0, 0
    passed = failed = 0
    for exe in binaries:
        bin_matches = selected(k, exe.name, f"unit.{exe.name}")
        try:
            cp = subprocess.run([str(exe)], cwd=str(ROOT), stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=timeout_s)
            rc, why_bad = cp.returncode, None
            stdout, stderr = cp.stdout, cp.stderr
        except subprocess.TimeoutExpired as e:
            rc, why_bad = None, f"timed out after {timeout_s:g} s"
            stdout, stderr = e.stdout or b"", e.stderr or b""
        except OSError as e:
            rc, why_bad = None, f"cannot run: {e}"
            stdout, stderr = b"", b""
        if rc is not None and rc != 0:
            why_bad = _describe_exit(rc)

        n_pass = n_fail = 0
        for line in stdout.decode("utf-8", errors="replace").splitlines():
            m = UNIT_LINE_RE.match(line.strip())
            if not m:
                continue
            verdict, name = m.group(1), m.group(2)
            if not selected(k, name, exe.name):
                continue
            if verdict == "PASS":
                n_pass += 1
            else:
                n_fail += 1
                say(line.strip())
        if why_bad and n_fail == 0 and (bin_matches or n_pass):
            n_fail += 1
            say(f"FAIL unit.{exe.name}: {why_bad} with no FAIL line")
            tail = stderr.decode("utf-8", errors="replace").splitlines()[-TAIL_LINES:]
            say(*("    " + t for t in tail))
        if n_pass or n_fail:
            say(f"unit {exe.name}: {n_pass} PASS, {n_fail} FAIL")
        passed += n_pass
        failed += n_fail
    return passed, failed


# --------------------------------------------------------------------------
# Fuzz smoke: each libFuzzer target in --fuzz-dir (tests/fuzz/) runs a short,
# seeded run from its seeds in tests/fuzz/corpus/NAME; one test each.


def run_fuzz(fuzz_dir: Path, runs_dir: Path, k: str | None, runs: int,
             timeout_s: float) -> tuple[int, int]:
    """Run each fuzzer for `runs` executions; return (passed, failed)."""
    passed = failed = 0
    for exe in unit_binaries(fuzz_dir):
        name = "fuzz." + exe.name.removeprefix("fuzz_")
        if not exe.name.startswith("fuzz_") or not selected(k, name):
            continue
        work = runs_dir / name
        if work.exists():
            shutil.rmtree(work)
        (work / "corpus").mkdir(parents=True)
        seeds = HERE / "fuzz" / "corpus" / exe.name
        cmd = [str(exe), f"-runs={runs}", "-seed=1",
               f"-artifact_prefix={work}/", str(work / "corpus"), str(seeds)]
        try:
            cp = subprocess.run(cmd, cwd=str(ROOT), stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=timeout_s)
            why = None if cp.returncode == 0 else _describe_exit(cp.returncode)
            out = cp.stderr + cp.stdout
        except subprocess.TimeoutExpired as e:
            why, out = f"timed out after {timeout_s:g} s", (e.stderr or b"")
        except OSError as e:
            why, out = f"cannot run: {e}", b""
        text = out.decode("utf-8", errors="replace")
        (work / "log.txt").write_text(text)
        if why is None and not seeds.is_dir():
            why = f"no seeds in {seeds}"
        if why is None:
            done = [ln for ln in text.splitlines() if "DONE" in ln]
            say(f"PASS {name} ({runs} runs; {done[-1].split(None, 2)[-1] if done else ''})")
            passed += 1
        else:
            # The report up to its SUMMARY line, not the shadow-byte map.
            lines = text.splitlines()
            end = next((i + 1 for i, t in enumerate(lines)
                        if t.startswith("SUMMARY:")), len(lines))
            say(f"FAIL {name}: {why}; log and crashing input in {work}",
                *("    " + t for t in lines[max(0, end - TAIL_LINES):end]))
            failed += 1
    return passed, failed


# --------------------------------------------------------------------------
# Boot tests


def platform_of(t: BootTest) -> str:
    return t.platform or emu.pick_platform(t.needs_vmx)


def judge(t: BootTest | Judge, log: str, reason: str) -> str | None:
    """None if the log passes t's expect/reject lists, else why not."""
    pos = 0
    prev = None
    for rx in t.expect:
        r = re.compile(rx, re.MULTILINE)
        m = r.search(log, pos)
        if m is None:
            if r.search(log):
                return f"out of order /{rx}/ (it comes before /{prev}/) ({reason})"
            return f"missing /{rx}/ ({reason})"
        pos, prev = m.end(), rx
    for rx in t.reject:
        m = re.compile(rx, re.MULTILINE).search(log)
        if m:
            start = log.rfind("\n", 0, m.start()) + 1
            end = log.find("\n", m.end())
            line = log[start:end if end >= 0 else len(log)].strip()
            return f"rejected /{rx}/ matched {line[:160]!r} ({reason})"
    check = getattr(t, "check", None)
    why = check(log) if check else None
    if why:
        return f"{why} ({reason})"
    if reason == "cancelled":
        return "cancelled"
    return None


def _emulator_output(workdir: Path) -> str:
    """What the emulator printed itself (Bochs' stdout, QEMU's debugcon),
    each line prefixed "emu> " so no guest line can pass for it."""
    text = ""
    for name in ("bochs.out", "port_e9.log"):
        try:
            data = (workdir / name).read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        text += "".join(f"emu> {line}\n" for line in data.splitlines())
    return "\n" + text


def _tail(path: Path, n: int) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()[-n:]


def judge_subtests(t: BootTest, log: str, reason: str, plat: str,
                   booted: bool) -> tuple[int, int]:
    """One verdict line per subtest; returns (passed, failed)."""
    passed = failed = 0
    for name, j in t.subtests.items():
        why = judge(j, log, reason) if booted else "the boot did not run"
        if why is None:
            say(f"PASS {name} ({plat}, in {t.name})")
            passed += 1
        else:
            say(f"FAIL {name} ({plat}, in {t.name}): {why}")
            failed += 1
    return passed, failed


@dataclass
class _BootRun:
    """What one boot test's boot left, for its verdicts."""
    plat: str
    log: str = ""                   # the serial log as judged
    reason: str = "not run"         # emu.boot()'s reason
    elapsed: float = 0.0
    emulator_log: str | None = None


def _boot_and_judge(t: BootTest, efi: Path, workdir: Path, run: _BootRun,
                    cancel: threading.Event) -> str | None:
    """Boot t on run.plat in a fresh workdir, filling run in; judge the log
    (None if it passes, else why not) and leave it in serial.txt and the
    verdict in verdict.txt."""
    if not efi.is_file():
        return f"{efi} not found (build it first)"
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    files = {esp_path: (content if isinstance(content, (bytes, bytearray))
                        else str(ROOT / content))
             for esp_path, content in t.files.items()}
    esp = emu.make_esp(workdir / "esp", efi, t.cfg, files)
    info: dict = {}
    run.log, run.reason = emu.boot(run.plat, esp, workdir, t.timeout_s, t.stop_regex,
                                   megs=t.megs, cpus=t.cpus, info=info, cancel=cancel,
                                   script=t.script, nic=t.nic,
                                   cpu_model=t.cpu_model)
    run.elapsed = info.get("elapsed_s", 0.0)
    run.emulator_log = info.get("emulator_log")
    if t.emulator_output:
        run.log += _emulator_output(workdir)
    why = judge(t, run.log, run.reason)
    if why and run.reason == "exited":
        why += f"; emulator {_describe_exit(info.get('returncode') or 0)}"
    (workdir / "serial.txt").write_text(run.log)
    (workdir / "verdict.txt").write_text(("PASS" if why is None else f"FAIL: {why}") + "\n")
    return why


def run_boot_test(t: BootTest, efi: Path, runs_dir: Path,
                  cancel: threading.Event) -> tuple[int, int]:
    """Run one boot test, print its verdicts; (passed, failed)."""
    run = _BootRun(plat=t.platform or "?")
    try:
        run.plat = platform_of(t)
        why = _boot_and_judge(t, efi, runs_dir / t.name, run, cancel)
    except emu.EmuError as e:
        why = str(e)
    except Exception as e:  # a bug here must fail the test, not the run
        why = f"harness error: {type(e).__name__}: {e}"
        traceback.print_exc()

    if cancel.is_set():
        return 0, 0             # interrupted: no verdict to print
    sub_p, sub_f = judge_subtests(t, run.log, run.reason, run.plat, bool(run.log))
    head = f"{t.name} ({run.plat}, {run.elapsed:.1f} s)"
    if why is None:
        say(f"PASS {head}")
        return 1 + sub_p, sub_f
    lines = [f"FAIL {head}: {why}"]
    if run.log.strip():
        lines += ["    " + s for s in run.log.splitlines()[-TAIL_LINES:]]
    elif run.emulator_log:
        lines.append(f"    (serial log empty; last lines of {run.emulator_log}:)")
        lines += ["    " + s for s in _tail(Path(run.emulator_log), TAIL_LINES)]
    say(*lines)
    return sub_p, 1 + sub_f


def run_boot(tests: list[BootTest], efi: Path, runs_dir: Path, jobs: int) -> tuple[int, int]:
    if not tests:
        return 0, 0
    cancel = threading.Event()
    passed = failed = 0
    pool = cf.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="boot")
    try:
        futures = [pool.submit(run_boot_test, t, efi, runs_dir, cancel) for t in tests]
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.5)
            for f in done:
                p, q = f.result()
                passed += p
                failed += q
    except BaseException:
        cancel.set()
        pool.shutdown(wait=False, cancel_futures=True)
        while True:
            emu.kill_all()
            try:
                pool.shutdown(wait=True)
                break
            except KeyboardInterrupt:
                continue
        raise
    pool.shutdown(wait=True)
    return passed, failed


# --------------------------------------------------------------------------


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Run unit and boot tests.")
    ap.add_argument("--efi", default=str(ROOT / "build" / "hv.efi"),
                    help="the hypervisor image (default: build/hv.efi)")
    ap.add_argument("--unit-dir", default=str(ROOT / "build" / "tests" / "unit"),
                    help="folder of unit-test executables")
    ap.add_argument("--runs-dir", default=str(ROOT / "build" / "test-runs"),
                    help="work folders of boot tests (default: build/test-runs)")
    ap.add_argument("-k", metavar="SUBSTR", help="run only tests whose name contains SUBSTR (NAME$: that test alone)")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--jobs", type=int, default=2, help="boot tests at a time (default 2)")
    ap.add_argument("--no-unit", action="store_true", help="skip the unit tests")
    ap.add_argument("--no-boot", action="store_true", help="skip the boot tests")
    ap.add_argument("--unit-timeout", type=float, default=120.0,
                    help="seconds each unit binary may run (default 120)")
    ap.add_argument("--fuzz-dir", help="folder of libFuzzer targets to smoke-test")
    ap.add_argument("--fuzz-runs", type=int, default=20000,
                    help="executions per fuzzer (default 20000)")
    args = ap.parse_args(argv)

    signal.signal(signal.SIGTERM, _sigterm)
    signal.signal(signal.SIGHUP, _sigterm)

    try:
        check_table(BOOT_TESTS)   # again, as the package did on import
    except TableError as e:
        print(f"harness: {e}", file=sys.stderr)
        return 2

    unit_dir = Path(args.unit_dir)
    efi = Path(args.efi)
    boots = [t for t in BOOT_TESTS if selected(args.k, t.name)] if not args.no_boot else []

    if args.list:
        if not args.no_unit:
            for exe in unit_binaries(unit_dir):
                print(f"unit  {exe}")
        if args.fuzz_dir:
            for exe in unit_binaries(Path(args.fuzz_dir)):
                print(f"fuzz  {exe}")
        for t in boots:
            try:
                plat = platform_of(t)
            except emu.EmuError as e:
                plat = f"error: {e}"
            print(f"boot  {t.name}  ({plat}, {t.timeout_s:g} s)")
        return 0

    passed = failed = 0
    try:
        if not args.no_unit:
            p, f = run_unit(unit_dir, args.k, args.unit_timeout)
            passed, failed = passed + p, failed + f
        if args.fuzz_dir:
            p, f = run_fuzz(Path(args.fuzz_dir), Path(args.runs_dir), args.k,
                            args.fuzz_runs, args.unit_timeout)
            passed, failed = passed + p, failed + f
        if boots:
            p, f = run_boot(boots, efi, Path(args.runs_dir), args.jobs)
            passed, failed = passed + p, failed + f
    except KeyboardInterrupt:
        emu.kill_all()
        print("\nharness: interrupted", file=sys.stderr)
        return 130
    if passed + failed == 0:
        print("harness: no test ran", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed + failed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
