#!/usr/bin/env python3
"""Checks of tests/emu.py's serial-log reading, with no emulator:

    python3 tests/test_emu.py            the checks (exit status 1 on a failure)
    python3 tests/test_emu.py --bench    also time polling a synthetic 5 MB log,
                                         cleaned whole on each poll vs. SerialText

Python 3.11 standard library only.
"""

from __future__ import annotations

import random
import re
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True

from emu import SerialText, _Awaited, clean_log  # noqa: E402

# What serial logs hold: OVMF's cursor moves and colours, Print()'s CR CR LF,
# the kernel's CR LF, a lone CR, NUL bytes, UTF-8 (2-4 bytes) and bad UTF-8.
SAMPLE = (b"\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\n"
          b"hv-boot: hv.efi starting\r\r\n\x1b[0m\x1b[37m\x1b[40m  menu\x1b[05;01Hitem\r\n"
          b"[cpu0] info: hv: kernel started\r\n[linux0] caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"
          b"progress 10%\rprogress 20%\r\r\nbad \xff\xfe utf-8 \xe2\x82\n\x00\x00lead nul\n"
          b"mid\x00\x00nul\r\n\x1b(B\x1b=\x1b7text\x1b8\r\n")


class SerialTextTest(unittest.TestCase):

    def assert_same_in_pieces(self, raw: bytes, cuts: list[int]) -> None:
        log = SerialText()
        prev = 0
        for cut in sorted(cuts) + [len(raw)]:
            log.add(raw[prev:cut])
            prev = cut
            self.assertEqual(log.text(), clean_log(raw[:cut]), f"cut at {cuts}")

    def test_every_single_cut(self):
        # an escape, a CR LF pair, a NUL run or a UTF-8 character split in two
        for cut in range(len(SAMPLE) + 1):
            self.assert_same_in_pieces(SAMPLE, [cut])

    def test_random_cuts(self):
        rnd = random.Random(1)
        raw = SAMPLE * 20
        for _ in range(300):
            self.assert_same_in_pieces(raw, rnd.sample(range(len(raw)), rnd.randint(1, 40)))

    def test_byte_by_byte(self):
        self.assert_same_in_pieces(SAMPLE, list(range(len(SAMPLE))))

    def test_search_end_as_whole_text(self):
        log = SerialText()
        for line in SAMPLE.splitlines(keepends=True):
            log.add(line)
        text = log.text()
        for rx in [r"^\[cpu0\] info", r"kernel started$", r"menu", r"^item",
                   r"\bnul\b", r"^lead", r"nothing"]:
            r = re.compile(rx, re.MULTILINE)
            for pos in range(len(text) + 1):
                m = r.search(text, pos)
                # a match that begins before pos's line is not looked for
                if m is not None and m.start() < text.rfind("\n", 0, pos) + 1:
                    continue
                self.assertEqual(log.search_end(r, pos), m and m.end(), (rx, pos))


class AwaitedTest(unittest.TestCase):

    def test_match_split_across_reads(self):
        log = SerialText()
        w = _Awaited(r"^hv: power off: ")
        for chunk in [b"boot\r\nhv: po", b"wer", b" o", b"ff: idle\r", b"\n"]:
            log.add(chunk)
            end = w.found(log)
            if end is not None:
                break
        self.assertEqual(log.text()[:end], "boot\nhv: power off: ")

    def test_match_after_escape_completes(self):
        # "ab\x1b[0" is not an escape yet: "ab\x1b[0" + "mcd" must match "abcd"
        log = SerialText()
        w = _Awaited(r"abcd")
        log.add(b"xx\nab\x1b[0")
        self.assertIsNone(w.found(log))
        log.add(b"mcd")
        self.assertEqual(w.found(log), len("xx\nabcd"))

    def test_pos_moves_past_searched_lines(self):
        log = SerialText()
        w = _Awaited(r"^go$")
        log.add(b"one\ntwo\nth")
        self.assertIsNone(w.found(log))
        self.assertEqual(w.pos, len("one\ntwo\n"))
        log.add(b"ree\ngo\n")
        self.assertEqual(w.found(log), len("one\ntwo\nthree\ngo"))


def synthetic_log(size: int) -> bytes:
    """About `size` bytes of what a long boot prints: firmware escapes,
    then kernel lines with CR LF and the odd UTF-8 character."""
    rnd = random.Random(7)
    out = [SAMPLE]
    n = len(SAMPLE)
    i = 0
    while n < size:
        line = (f"[linux0] [{i / 1000:12.6f}] pci 0000:00:{i % 32:02x}.0: "
                f"reg 0x{rnd.randrange(1 << 16):x}: [mem 0x{rnd.randrange(1 << 32):08x}] "
                f"{'é' if i % 97 == 0 else ''}\r\n").encode()
        out.append(line)
        n += len(line)
        i += 1
    return b"".join(out)


def bench(size: int = 5 << 20, polls: int = 4500, sample: int = 50) -> None:
    """A 900 s boot polled every 0.2 s (4500 polls) that prints `size`
    bytes: the poll loop's cost, cleaning the whole log on every poll (as
    emu.py did) vs. SerialText, in CPU seconds; both look for a stop_regex that never
    matches, so every poll searches. Cleaning the whole log costs hours of
    CPU here: it is timed on every `sample`-th poll and multiplied (its
    cost grows evenly with the log, so the sample is fair)."""
    raw = synthetic_log(size)
    step = len(raw) // polls + 1
    chunks = [raw[i:i + step] for i in range(0, len(raw), step)]
    stop = re.compile(r"hv: power off: ", re.MULTILINE)

    old_s = 0.0
    whole = bytearray()
    for n, chunk in enumerate(chunks):
        whole.extend(chunk)
        if n % sample == sample - 1 or n == len(chunks) - 1:
            t0 = time.process_time()
            text = clean_log(bytes(whole))
            stop.search(text)
            old_s += time.process_time() - t0
    old_s *= sample

    t0 = time.process_time()
    log = SerialText()
    awaited = _Awaited(stop.pattern)
    for chunk in chunks:
        log.add(chunk)
        awaited.found(log)
    new_text = log.text()
    new_s = time.process_time() - t0

    assert new_text == text, "SerialText differs from clean_log"
    print(f"bench: {len(raw) / 2**20:.1f} MiB in {len(chunks)} polls: "
          f"whole-log cleaning {old_s:.0f} s (every {sample}th poll timed, x{sample}), "
          f"SerialText {new_s:.2f} s")


if __name__ == "__main__":
    do_bench = "--bench" in sys.argv
    argv = [a for a in sys.argv if a != "--bench"]
    result = unittest.main(argv=argv, exit=False).result
    if do_bench:
        bench()
    sys.exit(0 if result.wasSuccessful() else 1)
