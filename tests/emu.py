#!/usr/bin/env python3
"""Launch the hypervisor in an emulator (Bochs, QEMU TCG or QEMU KVM).

Used two ways:
  * imported by tests/harness.py and tests/bench.py: make_esp(),
    pick_platform(), boot() (which reads the serial log as it grows through
    SerialText; tests/test_emu.py checks that);
  * from the command line by `make run`:
        python3 tests/emu.py run --efi build/hv.efi --cfg examples/hv.cfg \
            [--file ESPPATH=HOSTPATH ...] [--platform bochs|kvm|qemu-tcg]

Facts this relies on are in shared/PLATFORM.md. In short: Bochs 2.7 is the
only emulator here with VT-x; its `term` display needs the `bochs-term`
package and TERM set; it stops in its built-in debugger unless given an rc
file holding `c`; it sometimes ignores SIGTERM, so every emulator is started
in its own session and killed with SIGKILL by process group.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import atexit
import bisect
import os
import pty
import re
import socket
import select
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
import tty
from pathlib import Path

OVMF = "/usr/share/ovmf/OVMF.fd"
VGABIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
BOCHS_TERM_PLUGIN_DIR = "/usr/lib/x86_64-linux-gnu/bochs/plugins"

PLATFORMS = ("bochs", "kvm", "qemu-tcg")

DEFAULT_MEGS = 512
DEFAULT_CPUS = 2
# The Bochs CPU model (other platforms ignore it): haswell has AVX2 but no
# AVX-512; corei7_skylake_x has AVX-512 (XCR0 0xe7), see PLATFORM.md.
DEFAULT_CPU_MODEL = "corei7_haswell_4770"
# What Bochs 2.7 accepts as `cpu: model=` (`bochs --help cpu`).
BOCHS_CPU_MODELS = (
    "bx_generic", "pentium", "pentium_mmx", "amd_k6_2_chomper", "p2_klamath",
    "p3_katmai", "p4_willamette", "core_duo_t2400_yonah", "atom_n270",
    "p4_prescott_celeron_336", "athlon64_clawhammer", "athlon64_venice",
    "turion64_tyler", "phenom_8650_toliman", "core2_penryn_t9600",
    "corei5_lynnfield_750", "corei5_arrandale_m520", "corei7_sandy_bridge_2600k",
    "zambezi", "trinity_apu", "ryzen", "corei7_ivy_bridge_3770k",
    "corei7_haswell_4770", "broadwell_ult", "corei7_skylake_x", "corei3_cnl",
    "corei7_icelake_u", "tigerlake",
)
POLL_S = 0.2
TRAILING_S = 1.0


class EmuError(Exception):
    """The emulator could not be started (missing binary, firmware, ...)."""


# --------------------------------------------------------------------------
# Live emulator bookkeeping: nothing may be left running, whatever happens.

_live_lock = threading.Lock()
_live: dict[int, subprocess.Popen] = {}


def _register(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live[proc.pid] = proc


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the emulator and its process group, then reap it."""
    # The emulator was started with start_new_session=True, so its pid is
    # also its process-group id; the group holds anything it forked.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except (ProcessLookupError, OSError):
        pass
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt:
            continue  # must reap it; a second Ctrl-C must not leave a zombie
    with _live_lock:
        _live.pop(proc.pid, None)


def kill_all() -> None:
    """Kill every emulator this process started that is still running."""
    with _live_lock:
        procs = list(_live.values())
    for p in procs:
        _kill(p)


atexit.register(kill_all)


# --------------------------------------------------------------------------
# ESP, host detection, platform choice


def make_esp(dirpath, efi_path, cfg_text: str, files: dict | None = None) -> Path:
    """Create an ESP folder: EFI/BOOT/BOOTX64.EFI (a copy of efi_path),
    EFI/BOOT/hv.cfg (cfg_text) and extra files.

    files maps an ESP-relative path ("guests/hello.elf", backslashes allowed)
    to either bytes (the content) or a str/Path naming a host file to copy.
    An existing dirpath is replaced.
    """
    esp = Path(dirpath)
    if esp.exists():
        shutil.rmtree(esp)
    boot = esp / "EFI" / "BOOT"
    boot.mkdir(parents=True)
    shutil.copyfile(efi_path, boot / "BOOTX64.EFI")
    (boot / "hv.cfg").write_bytes(cfg_text.encode("utf-8"))
    for rel, content in (files or {}).items():
        rel_path = str(rel).replace("\\", "/").lstrip("/")
        if not rel_path or ".." in Path(rel_path).parts:
            raise ValueError(f"bad ESP path {rel!r}")
        dest = esp / rel_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, (bytes, bytearray)):
            dest.write_bytes(bytes(content))
        else:
            shutil.copyfile(content, dest)
    return esp


def host_has_vmx() -> bool:
    """True iff the host CPU shows `vmx` and /dev/kvm opens read-write.

    /dev/kvm alone is not enough: on our build machines it is a paravirtual
    KVM without VT-x (see PLATFORM.md)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            has_flag = any(
                line.startswith("flags") and "vmx" in line.split(":", 1)[-1].split()
                for line in f
            )
    except OSError:
        return False
    if not has_flag:
        return False
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def pick_platform(needs_vmx: bool) -> str:
    """'kvm' if VT-x is needed and the host has it, 'bochs' if it is needed
    and the host has not, else 'qemu-tcg'. HV_PLATFORM overrides."""
    env = os.environ.get("HV_PLATFORM", "").strip()
    if env:
        if env not in PLATFORMS:
            raise EmuError(f"HV_PLATFORM={env!r}: expected one of {', '.join(PLATFORMS)}")
        return env
    if needs_vmx:
        return "kvm" if host_has_vmx() else "bochs"
    return "qemu-tcg"


# --------------------------------------------------------------------------
# Command lines


def _need_file(path: str, what: str, hint: str) -> None:
    if not os.path.exists(path):
        raise EmuError(f"{what} not found: {path} ({hint})")


def _need_exe(name: str, hint: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise EmuError(f"{name} not found in PATH ({hint})")
    return exe


# A PCI network card for device-passthrough tests: an Intel 82540EM
# (e1000), which Bochs and QEMU both model, in PCI slot 00:03.0 of both,
# with no network behind it.
NIC_BDF = "00:03.0"


def bochsrc_text(espdir, workdir, megs=DEFAULT_MEGS, cpus=DEFAULT_CPUS,
                 serial_line: str | None = None, nic: bool = False,
                 cpu_model: str = DEFAULT_CPU_MODEL) -> str:
    """The bochsrc for a headless run. serial_line replaces the default com1
    line (serial to WORKDIR/serial.log); nic adds the e1000 at NIC_BDF."""
    espdir = os.path.abspath(espdir)
    workdir = os.path.abspath(workdir)
    for p in (espdir, workdir):
        if "," in p or " " in p or '"' in p:
            raise EmuError(f"bochsrc cannot hold the path {p!r} (comma/space/quote)")
    if serial_line is None:
        serial_line = f"com1: enabled=1, mode=file, dev={workdir}/serial.log"
    return "\n".join([
        "# written by tests/emu.py",
        # the PC speaker plugin aborts Bochs ("buffer overflow detected")
        # when ALSA has no sound card, as on headless machines
        "plugin_ctrl: speaker=0, parallel=0",
        "display_library: term",
        f"romimage: file={OVMF}, address=0xffe00000",
        f"vgaromimage: file={VGABIOS}",
        f"megs: {int(megs)}",
        f"cpu: model={cpu_model}, count={int(cpus)}, ips=50000000, reset_on_triple_fault=0",
        "clock: sync=none, time0=local",
        "pci: enabled=1, chipset=i440fx" + (", slot2=e1000" if nic else ""),
        *(["e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=null"] if nic else []),
        "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14",
        f"ata0-master: type=disk, path={espdir}, mode=vvfat, journal={workdir}/vvfat.redolog",
        "boot: disk",
        serial_line,
        "port_e9_hack: enabled=1",
        "mouse: enabled=0",
        f"log: {workdir}/bochs.log",
        "info: action=ignore",
        "debug: action=ignore",
        "error: action=report",
        "panic: action=fatal",
        "",
    ])


def bochs_command(espdir, workdir, megs=DEFAULT_MEGS, cpus=DEFAULT_CPUS,
                  serial_line: str | None = None, nic: bool = False,
                  cpu_model: str = DEFAULT_CPU_MODEL):
    """Write WORKDIR/bochsrc and WORKDIR/bochs.rc; return (argv, env)."""
    exe = _need_exe("bochs", "apt-get install bochs bochs-term bochsbios vgabios")
    _need_file(OVMF, "OVMF firmware", "apt-get install ovmf")
    _need_file(VGABIOS, "VGA BIOS", "apt-get install vgabios")
    if not os.path.exists(os.path.join(BOCHS_TERM_PLUGIN_DIR, "libbx_term_gui.so")) \
            and os.path.isdir(BOCHS_TERM_PLUGIN_DIR):
        raise EmuError("Bochs 'term' display plugin missing (apt-get install bochs-term)")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    rc = workdir / "bochsrc"
    rc.write_text(bochsrc_text(espdir, workdir, megs, cpus, serial_line, nic, cpu_model))
    dbg = workdir / "bochs.rc"       # debugger commands: just continue
    dbg.write_text("c\n")
    env = dict(os.environ)
    env["TERM"] = "xterm"            # the term display quits without it
    # With a UTF-8 locale (LANG=C.UTF-8) Debian's Bochs 2.7 aborts at start
    # with "buffer overflow detected"; the C locale is safe.
    for k in [k for k in env if k.startswith("LC_")]:
        del env[k]
    env["LANG"] = "C"
    return [exe, "-q", "-f", str(rc), "-rc", str(dbg)], env


def qemu_command(espdir, workdir, megs=DEFAULT_MEGS, cpus=DEFAULT_CPUS,
                 accel="tcg", serial: str | None = None, nic: bool = False):
    """Return (argv, env) for QEMU. serial defaults to file:WORKDIR/serial.log."""
    exe = _need_exe("qemu-system-x86_64", "apt-get install qemu-system-x86")
    _need_file(OVMF, "OVMF firmware", "apt-get install ovmf")
    espdir = os.path.abspath(espdir)
    workdir = os.path.abspath(workdir)
    if "," in espdir:
        raise EmuError(f"QEMU -drive cannot hold the path {espdir!r} (comma)")
    if serial is None:
        serial = f"file:{workdir}/serial.log"
    cpu = "host" if accel == "kvm" else "max"
    argv = [exe, "-accel", accel, "-cpu", cpu, "-smp", str(int(cpus)),
            "-m", str(int(megs)), "-bios", OVMF,
            "-drive", f"format=raw,file=fat:rw:{espdir}",
            "-nographic", "-serial", serial, "-monitor", "none", "-net", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-debugcon", f"file:{workdir}/port_e9.log"]
    if nic:
        argv += ["-device", f"e1000,addr={NIC_BDF.split(':')[1]}"]
    return argv, dict(os.environ)


def emulator_command(platform, espdir, workdir, megs=DEFAULT_MEGS, cpus=DEFAULT_CPUS,
                     serial_port: int | None = None, nic: bool = False,
                     cpu_model: str = DEFAULT_CPU_MODEL):
    """(argv, env, emulator-log-name) for a headless run with the serial
    port written to WORKDIR/serial.log, or, with serial_port, served on
    127.0.0.1:serial_port for a client that reads and types (the emulator
    waits for it to connect)."""
    if platform == "bochs":
        line = (f"com1: enabled=1, mode=socket-server, dev=127.0.0.1:{serial_port}"
                if serial_port else None)
        argv, env = bochs_command(espdir, workdir, megs, cpus, line, nic, cpu_model)
        return argv, env, "bochs.out"
    if platform in ("qemu-tcg", "kvm"):
        serial = (f"tcp:127.0.0.1:{serial_port},server=on,wait=on"
                  if serial_port else None)
        argv, env = qemu_command(espdir, workdir, megs, cpus,
                                 accel="tcg" if platform == "qemu-tcg" else "kvm",
                                 serial=serial, nic=nic)
        return argv, env, "qemu.out"
    raise EmuError(f"unknown platform {platform!r}: expected one of {', '.join(PLATFORMS)}")


# --------------------------------------------------------------------------
# Serial log handling

_CURSOR_RE = re.compile(r"\x1b\[[0-9;]*[Hf]")
_ANSI_RE = re.compile(r"\x1b(?:\[[0-9;=?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")


def clean_log(raw: bytes | str) -> str:
    """Serial bytes -> text for matching: UTF-8 with replacement, ANSI escape
    sequences (OVMF's console) removed (cursor moves become LF), CR... LF and
    lone CR turned into LF."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, (bytes, bytearray)) else raw
    text = _CURSOR_RE.sub("\x00", text)  # OVMF moves the cursor between lines
    text = _ANSI_RE.sub("", text)
    text = re.sub(r"\r+\n", "\n", text).replace("\r", "\n")  # "\r\r\n" from Print()
    # a cursor move at the start of a line is dropped, elsewhere it ends the line
    text = re.sub(r"(^|\n)\x00+", r"\1", text)
    return re.sub(r"\x00+", "\n", text)


class SerialText:
    """clean_log() of a serial log that grows while the emulator runs, kept
    up to date at a cost linear in the log's size.

    add() cleans each complete line once: cleaning a log cut just after an
    LF byte gives, piece by piece, what cleaning it whole gives, because no
    escape sequence, CR... LF run or UTF-8 character holds an LF byte. Only
    the line still being written (the bytes after the last LF, where an
    escape sequence or a CR LF pair may be split between two reads) is
    cleaned again on each add()."""

    def __init__(self) -> None:
        self._pieces: list[str] = []    # cleaned complete lines, one piece per add()
        self._starts: list[int] = []    # where each piece starts in the text
        self._complete = 0              # length of all the pieces
        self._partial = bytearray()     # the raw bytes after the last LF
        self._partial_text = ""         # and their cleaned text

    def add(self, chunk: bytes) -> None:
        self._partial += chunk
        cut = self._partial.rfind(b"\n") + 1
        if cut:
            piece = clean_log(bytes(self._partial[:cut]))
            del self._partial[:cut]
            self._starts.append(self._complete)
            self._pieces.append(piece)
            self._complete += len(piece)
        self._partial_text = clean_log(bytes(self._partial))

    @property
    def complete(self) -> int:
        """Length of the text of the complete lines: the text before it
        no longer changes; after it, it may (a split escape sequence)."""
        return self._complete

    def text(self) -> str:
        """clean_log() of all the bytes added."""
        if len(self._pieces) > 1:
            self._pieces, self._starts = ["".join(self._pieces)], [0]
        return (self._pieces[0] if self._pieces else "") + self._partial_text

    def search_end(self, regex: re.Pattern, pos: int) -> int | None:
        """Where the first match of regex at or after pos ends, as
        regex.search(self.text(), pos) finds it, or None. Reads the text
        from the start of pos's line on, so a match must begin there."""
        if pos >= self._complete:
            window_start, window = self._complete, self._partial_text
        else:
            i = bisect.bisect_right(self._starts, pos) - 1
            piece = self._pieces[i]
            line = piece.rfind("\n", 0, pos - self._starts[i]) + 1
            window_start = self._starts[i] + line
            window = piece[line:] + "".join(self._pieces[i + 1:]) + self._partial_text
        # The window starts a line, so ^ and \b behave as in the whole text.
        m = regex.search(window, pos - window_start)
        return None if m is None else window_start + m.end()


class _Awaited:
    """A regex looked for in a growing SerialText from a position on.

    Such a regex (a stop_regex, a script step) matches within one line: once
    a search failed, no match can begin in the complete lines it read, so
    the next search starts at the first incomplete line. Waiting costs time
    linear in the log's size."""

    def __init__(self, regex: str, pos: int = 0):
        self.regex = re.compile(regex, re.MULTILINE)
        self.pos = pos

    def found(self, log: SerialText) -> int | None:
        """Where the first match ends, or None (then look again later)."""
        end = log.search_end(self.regex, self.pos)
        if end is None:
            self.pos = max(self.pos, log.complete)
        return end


def _start(argv, env, workdir: Path, outname: str) -> subprocess.Popen:
    out = open(workdir / outname, "wb")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=str(workdir),
                                start_new_session=True)
    finally:
        out.close()
    _register(proc)
    return proc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _SerialClient:
    """Connects to the emulator's serial socket, copies what arrives to
    WORKDIR/serial.log (so reading works as for a file), and types the
    script: each (regex, text) step sends text once regex has matched the
    log after the previous step's match."""

    def __init__(self, port: int, logpath: Path, script):
        self.port, self.logpath, self.steps = port, logpath, list(script)
        self.sock = None
        self.thread = None
        self.awaited = _Awaited(self.steps[0][0]) if self.steps else None

    def connect(self, proc, deadline: float) -> bool:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                break
            except OSError:
                time.sleep(POLL_S)
        if self.sock is None:
            return False
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._copy, daemon=True)
        self.thread.start()
        return True

    def _copy(self) -> None:
        with open(self.logpath, "ab") as out:
            while True:
                try:
                    data = self.sock.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                out.write(data)
                out.flush()

    def type_ready(self, log: SerialText) -> None:
        """Type the text of each step whose regex now matches."""
        while self.steps:
            end = self.awaited.found(log)
            if end is None:
                return
            _, keys = self.steps.pop(0)
            if self.steps:
                self.awaited = _Awaited(self.steps[0][0], pos=end)
            try:
                self.sock.sendall(keys.encode())
            except OSError:
                return

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass


def boot(platform, espdir, workdir, timeout_s, stop_regex=None,
         megs=DEFAULT_MEGS, cpus=DEFAULT_CPUS, *, info: dict | None = None,
         cancel: threading.Event | None = None, script=None, nic=False,
         cpu_model: str = DEFAULT_CPU_MODEL):
    """Boot ESPDIR in PLATFORM; return (log_text, reason).

    reason: 'stopped' (stop_regex matched; one more second of output is
    kept), 'exited' (the emulator quit by itself), 'timeout', or
    'cancelled' (the optional `cancel` event was set, e.g. on Ctrl-C).
    log_text is the serial log cleaned by clean_log(); the raw bytes stay in
    WORKDIR/serial.log. If `info` is a dict it receives argv, returncode
    (None if we killed it), elapsed_s and emulator_log (its path).
    The emulator is always killed (SIGKILL to its process group) and reaped.
    With `script` (a list of (regex, text)), the serial port is a socket:
    text is typed into it once regex matches, in order. stop_regex and the
    script's regexes must match within one line (see _Awaited).
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    serial = workdir / "serial.log"
    for stale in (serial, workdir / "vvfat.redolog"):
        if stale.exists():
            stale.unlink()
    serial.touch()
    port = _free_port() if script else None
    argv, env, outname = emulator_command(platform, espdir, workdir, megs, cpus, port, nic,
                                          cpu_model)
    stop = _Awaited(stop_regex) if stop_regex else None
    if info is not None:
        info.update(argv=argv, returncode=None, emulator_log=str(workdir / outname))

    log = SerialText()
    start = time.monotonic()
    if cancel is not None and cancel.is_set():
        if info is not None:
            info["elapsed_s"] = 0.0
        return log.text(), "cancelled"
    proc = _start(argv, env, workdir, outname)
    client = _SerialClient(port, serial, script) if script else None
    try:
        if client is not None and not client.connect(proc, start + 60):
            raise EmuError(f"could not connect to the serial socket on port {port}")
        with open(serial, "rb") as f:
            reason, rc = _follow(proc, f, log, stop, client,
                                 start + float(timeout_s), cancel)
        if rc is not None and info is not None:
            info["returncode"] = rc
    finally:
        _kill(proc)
        if client is not None:
            client.close()
        if info is not None:
            info["elapsed_s"] = time.monotonic() - start
    return log.text(), reason


def _follow(proc, serial_file, log: SerialText, stop: _Awaited | None,
            client: _SerialClient | None, deadline: float,
            cancel: threading.Event | None) -> tuple[str, int | None]:
    """Poll the emulator and its serial log into `log`, typing the client's
    script as it matches, until stop matches, the emulator exits, the
    deadline passes or cancel is set. Returns (boot()'s reason, the
    emulator's exit status if it exited)."""
    def pull() -> bool:
        chunk = serial_file.read()
        if chunk:
            log.add(chunk)
        return bool(chunk)

    while True:
        if cancel is not None and cancel.is_set():
            pull()
            return "cancelled", None
        rc = proc.poll()
        new = pull()
        if client is not None and new:
            client.type_ready(log)
        if stop is not None and new and stop.found(log) is not None:
            end = time.monotonic() + TRAILING_S
            while time.monotonic() < end and proc.poll() is None:
                time.sleep(POLL_S)
            pull()
            return "stopped", None
        if rc is not None:
            pull()
            if stop is not None and stop.found(log) is not None:
                return "stopped", rc
            return "exited", rc
        if time.monotonic() >= deadline:
            pull()
            return "timeout", None
        time.sleep(POLL_S)


# --------------------------------------------------------------------------
# Interactive runs (make run)


def interactive(platform, espdir, workdir, megs=DEFAULT_MEGS, cpus=DEFAULT_CPUS) -> int:
    """Boot with the serial port on this terminal. Returns when the emulator
    exits or on Ctrl-C; returns the emulator's exit status (130 on Ctrl-C).

    QEMU: -serial mon:stdio with -echr 20 (Ctrl-T X quits, Ctrl-T C is
    QEMU's monitor; Ctrl-A is left to hv's console keys).
    Bochs: com1 is a pseudo-terminal relayed to this terminal both ways (and
    copied to WORKDIR/serial.log); Bochs's own VGA "term" display keeps to a
    pseudo-terminal of its own. Ctrl-C stops it.
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if platform in ("qemu-tcg", "kvm"):
        run = _interactive_qemu
    elif platform == "bochs":
        run = _interactive_bochs
    else:
        raise EmuError(f"unknown platform {platform!r}")
    try:
        # Each part kills its emulator and puts the terminal back itself.
        return run(platform, espdir, workdir, megs, cpus)
    except KeyboardInterrupt:
        print("\nemu: interrupted", file=sys.stderr)
        return 130


def _interactive_qemu(platform, espdir, workdir: Path, megs, cpus) -> int:
    accel = "kvm" if platform == "kvm" else "tcg"
    argv, env = qemu_command(espdir, workdir, megs, cpus, accel=accel, serial="mon:stdio")
    # QEMU's escape key is Ctrl-T here, not Ctrl-A: Ctrl-A is hv's own
    # console key (Ctrl-A m, the monitor; Ctrl-A n, the next VM).
    argv += ["-echr", "20"]
    print(f"emu: {platform}: {' '.join(argv)}", file=sys.stderr)
    print("emu: Ctrl-T X quits QEMU", file=sys.stderr, flush=True)
    # Foreground, same session: QEMU puts the terminal in raw mode and
    # handles the keys itself, so Ctrl-C goes to the guest's serial port.
    proc = subprocess.Popen(argv, env=env, cwd=str(workdir))
    _register(proc)
    try:
        return proc.wait()
    finally:
        _kill(proc)
        _restore_tty()


def _interactive_bochs(platform, espdir, workdir: Path, megs, cpus) -> int:
    # Bochs's com1 goes to a private pseudo-terminal (mode=term) whose other
    # end this process relays: guest output -> stdout and serial.log, keys
    # typed here -> the guest. (com1 on /dev/tty itself does not do: Bochs
    # runs in its own session, and it clears ISIG so Ctrl-C could not stop it.)
    master, slave = pty.openpty()
    tty.setraw(slave)     # no LF -> CR LF on the way out, no CR -> LF on the way in
    serial = workdir / "serial.log"
    proc = None
    stdin_fd = sys.stdin.fileno() if sys.stdin is not None else -1
    saved_tty = None
    try:
        argv, env = bochs_command(espdir, workdir, megs, cpus,
                                  serial_line=f"com1: enabled=1, mode=term, "
                                              f"dev={os.ttyname(slave)}")
        print(f"emu: bochs: {' '.join(argv)} (serial copy: {serial}; "
              f"Bochs log: {workdir}/bochs.log)", file=sys.stderr)
        print("emu: Ctrl-C stops Bochs", file=sys.stderr, flush=True)
        saved_tty = _keys_unbuffered(stdin_fd)
        proc = _start(argv, env, workdir, "bochs.out")
        with open(serial, "wb") as copy:
            rc = _relay(proc, master, stdin_fd, copy, translate_lf=saved_tty is None)
        print(f"\nemu: bochs exited with status {rc} (see {workdir}/bochs.out)",
              file=sys.stderr)
        return rc
    finally:
        if proc is not None:
            _kill(proc)
        if saved_tty is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved_tty)
        os.close(master)
        os.close(slave)


def _keys_unbuffered(fd: int):
    """If fd is a terminal, let each key through as typed (no line editing,
    no echo, Enter as CR as on a serial line; Ctrl-C still signals) and
    return its old settings, else None."""
    if fd < 0 or not os.isatty(fd):
        return None
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[3] &= ~(termios.ICANON | termios.ECHO)   # keys go straight on; ISIG stays
    mode[0] &= ~termios.ICRNL                      # Enter sends CR, as on a serial line
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    return saved


def _relay(proc, master: int, stdin_fd: int, copy, translate_lf: bool) -> int:
    """Copy the pseudo-terminal's output to stdout and `copy`, and stdin to
    it (LF as CR when stdin is not a terminal), until the emulator has
    exited and nothing is left to read; return its exit status."""
    out = sys.stdout.buffer
    read_stdin = stdin_fd >= 0
    while True:
        rc = proc.poll()
        fds = [master] + ([stdin_fd] if read_stdin else [])
        ready, _, _ = select.select(fds, [], [], 0.1)
        if master in ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if chunk:
                out.write(chunk)
                out.flush()
                copy.write(chunk)
                copy.flush()
        if read_stdin and stdin_fd in ready:
            data = os.read(stdin_fd, 1024)
            if data:
                os.write(master, data.replace(b"\n", b"\r") if translate_lf else data)
            else:
                read_stdin = False          # EOF: stop forwarding
        if rc is not None and master not in ready:
            return rc


def _restore_tty() -> None:
    if sys.stdin.isatty():
        subprocess.run(["stty", "sane"], stdin=sys.stdin, check=False)


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description="Run the hypervisor in an emulator.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="build an ESP in build/run/ and boot it interactively")
    run.add_argument("--efi", default=str(root / "build" / "hv.efi"))
    run.add_argument("--cfg", required=True, help="host path of the hv.cfg to use")
    run.add_argument("--file", action="append", default=[], metavar="ESPPATH=HOSTPATH",
                     help="extra file to put on the ESP (repeatable)")
    run.add_argument("--platform", choices=PLATFORMS,
                     help="default: kvm if the host has VT-x, else bochs (HV_PLATFORM overrides)")
    run.add_argument("--megs", type=int, default=DEFAULT_MEGS)
    run.add_argument("--cpus", type=int, default=DEFAULT_CPUS)
    run.add_argument("--dir", default=str(root / "build" / "run"),
                     help="work folder (the ESP is DIR/esp)")
    args = ap.parse_args(argv)

    signal.signal(signal.SIGTERM, _sigterm)
    try:
        if not os.path.isfile(args.efi):
            raise EmuError(f"{args.efi} not found (build it first)")
        files = {}
        for spec in args.file:
            esp_path, sep, host_path = spec.partition("=")
            if not sep or not esp_path or not host_path:
                raise EmuError(f"--file {spec!r}: expected ESPPATH=HOSTPATH")
            if not os.path.isfile(host_path):
                raise EmuError(f"--file {spec!r}: {host_path} not found")
            files[esp_path] = host_path
        cfg_text = Path(args.cfg).read_text()
        platform = args.platform or pick_platform(needs_vmx=True)
        work = Path(args.dir)
        work.mkdir(parents=True, exist_ok=True)
        esp = make_esp(work / "esp", args.efi, cfg_text, files)
        return interactive(platform, esp, work, args.megs, args.cpus)
    except EmuError as e:
        print(f"emu: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        kill_all()


if __name__ == "__main__":
    sys.exit(main())
