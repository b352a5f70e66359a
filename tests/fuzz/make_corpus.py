#!/usr/bin/env python3
"""Writes the fuzzers' seed inputs into tests/fuzz/corpus/<fuzzer>/.

    python3 tests/fuzz/make_corpus.py [GUEST_ELF]

Small, valid-or-nearly inputs for each parser, so libFuzzer starts from
the interesting paths: hv.cfg files (examples/ and the boot tests' cfg
texts), ELF and Multiboot images built here (plus GUEST_ELF, a built test
guest such as build/guests/hello.elf, stripped), a bzImage setup header,
MMIO instructions, a MADT and a DSDT laid out as kernel/acpi_tables.c
writes them.  Every file is under 64 KiB.  Python 3.11 standard library.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
MAX_SEED = 64 * 1024


def write(fuzzer: str, name: str, data: bytes) -> None:
    assert len(data) < MAX_SEED, (fuzzer, name, len(data))
    d = CORPUS / fuzzer
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


# ---- hv.cfg ---------------------------------------------------------------

def config_seeds() -> None:
    write("fuzz_config", "example.cfg", (ROOT / "examples" / "hv.cfg").read_bytes())
    sys.path.insert(0, str(ROOT / "tests"))
    sys.dont_write_bytecode = True
    from boots import BOOT_TESTS  # noqa: E402
    # Every [vm] key at its limit: 8 port ranges, 4 PCI functions.
    write("fuzz_config", "limits.cfg", (
        "[hypervisor]\nserial = com2\nlog = debug\non_idle = poweroff\nselftest = yes\n"
        "[vm big]\ntype = linux\nkernel = \\guests\\vmlinuz\ninitrd = initrd.img\n"
        "cmdline = console=ttyS0 quiet\nmemory = 64G\nvcpus = 64\ncpus = 0-3,5\n"
        "on_crash = restart\ntime_limit = 10s\n"
        "passthrough_io = 0x2f8-0x2ff, 0xe9, 0x60, 0x64, 0x70-0x71, 0x80, 0x3e8-0x3ef, 0x1000\n"
        "passthrough_pci = 00:03.0, 00:1f.7, ff:1f.7, 01:00.1\n").encode())
    seen = set()
    for t in BOOT_TESTS:
        data = t.cfg.encode()
        if data and data not in seen:
            seen.add(data)
            write("fuzz_config", f"{t.name}.cfg", data)


# ---- ELF and Multiboot ------------------------------------------------------

def elf32(segments: list[tuple[int, bytes, int]], entry: int) -> bytes:
    """An ET_EXEC EM_386 image; segments are (paddr, bytes, memsz)."""
    phoff, phsz = 52, 32
    data_off = phoff + phsz * len(segments)
    hdr = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    hdr += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, phoff, 0, 0, 52,
                       phsz, len(segments), 40, 0, 0)
    ph = b""
    body = b""
    for paddr, blob, memsz in segments:
        ph += struct.pack("<IIIIIIII", 1, data_off + len(body), paddr, paddr,
                          len(blob), memsz, 7, 4)
        body += blob
    return hdr + ph + body


def elf64(paddr: int, blob: bytes, memsz: int) -> bytes:
    phoff, phsz = 64, 56
    hdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    hdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, paddr, phoff, 0, 0, 64,
                       phsz, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 7, phoff + phsz, paddr, paddr, len(blob),
                     memsz, 8)
    return hdr + ph + blob


MB_MAGIC = 0x1BADB002


def mb_header(flags: int, addrs: tuple[int, ...] = ()) -> bytes:
    return struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF) + \
        struct.pack("<" + "I" * len(addrs), *addrs)


def elf_and_multiboot_seeds(guest: Path | None) -> None:
    # cli; hlt; jmp, padded: hv reads all 32 header bytes, so a header
    # needs 32 bytes of file from its start even without the a.out fields.
    code = b"\xfa\xf4\xeb\xfd" + bytes(28)
    mb_elf = elf32([(0x100000, mb_header(3) + code, 0x2000)], 0x10000c)
    two = elf32([(0x100000, mb_header(0) + code, 0x1000),
                 (0x200000, b"data", 0x3000)], 0x10000c)
    write("fuzz_elf", "elf32_one_segment", mb_elf)
    write("fuzz_elf", "elf32_two_segments", two)
    write("fuzz_elf", "elf64_one_segment", elf64(0x200000, code, 0x1000))
    write("fuzz_elf", "elf32_header_only", mb_elf[:52])
    write("fuzz_elf", "elf32_16_segments",
          elf32([(0x100000 + 0x1000 * i, bytes([i]), 0x1000) for i in range(16)], 0x100000))
    write("fuzz_multiboot", "elf64_with_header",
          elf64(0x100000, mb_header(0) + code, 0x1000))
    write("fuzz_multiboot", "elf_page_align_meminfo", mb_elf)
    write("fuzz_multiboot", "elf_two_segments", two)
    # The a.out kludge (flag 16): header at file offset 0 loaded at 1 MiB,
    # with a bss; and one with load_end_addr = 0 (the rest of the file).
    load = 0x100000
    body = code + bytes(64)
    aout = mb_header(0x10003, (load, load, load + 32 + len(body),
                               load + 0x4000, load + 32))
    write("fuzz_multiboot", "aout_kludge_bss", aout + body)
    aout0 = mb_header(0x10000, (load + 0x40, load, 0, 0, load + 0x60))
    write("fuzz_multiboot", "aout_kludge_rest_of_file", bytes(0x40) + aout0 + body)
    # The header as late as the spec allows it (the first 8 KiB).
    late = bytes(8192 - 32) + mb_header(0x10000, (load + 8160, load, 0, 0, load))
    write("fuzz_multiboot", "aout_header_at_8k", late + code)
    write("fuzz_multiboot", "unknown_required_flag", mb_header(0x8) + code)
    if guest:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "guest.elf"
            subprocess.run(["strip", "-o", str(out), str(guest)], check=True)
            write("fuzz_elf", "guest_" + guest.stem, out.read_bytes())
            write("fuzz_multiboot", "guest_" + guest.stem, out.read_bytes())


# ---- bzImage --------------------------------------------------------------

def bzimage(relocatable: bool, setup_sects: int, pm_len: int) -> bytes:
    """A setup header (boot.rst) as a 2.15 kernel has it, then pm_len bytes
    of protected-mode part."""
    setup_len = ((setup_sects or 4) + 1) * 512  # 0 means 4
    img = bytearray(setup_len + pm_len)
    img[0x1F1] = setup_sects
    struct.pack_into("<H", img, 0x1FE, 0xAA55)
    img[0x200:0x202] = b"\xeb\x66"  # jmp to 0x268: the header ends there
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x020F)
    img[0x211] = 0x01  # LOADED_HIGH
    struct.pack_into("<I", img, 0x214, 0x100000)  # code32_start
    struct.pack_into("<I", img, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", img, 0x230, 0x200000)  # kernel_alignment
    img[0x234] = 1 if relocatable else 0
    struct.pack_into("<I", img, 0x238, 2047)  # cmdline_size
    struct.pack_into("<Q", img, 0x258, 0x1000000)  # pref_address
    struct.pack_into("<I", img, 0x260, 0x800000)  # init_size
    for i in range(setup_len, len(img)):
        img[i] = 0x90
    return bytes(img)


def bzimage_seeds() -> None:
    write("fuzz_bzimage", "relocatable", bzimage(True, 1, 512))
    write("fuzz_bzimage", "fixed_1mib", bzimage(False, 4, 1024))
    write("fuzz_bzimage", "setup_sects_0", bzimage(False, 0, 16))
    write("fuzz_bzimage", "header_only", bzimage(True, 1, 0)[:0x264])


# ---- MMIO instructions ------------------------------------------------------

INSNS = {
    # first byte: 1 = 64-bit code, 0 = 32-bit code
    "mov_m32_eax": "00 89 07",
    "mov_m8_ah_sib": "00 88 24 24",
    "mov_eax_moffs32": "00 a1 00 00 c0 fe",
    "mov_m16_imm_disp32": "00 66 c7 05 00 00 c0 fe 34 12",
    "movzx_eax_m8_disp8": "00 0f b6 46 10",
    "mov_rax_m64_rex": "01 48 8b 04 25 00 00 e0 fe",
    "mov_m64_imm32_sext": "01 48 c7 80 30 00 00 00 ff ff ff ff",
    "mov_r12b_m8": "01 44 8a 20",
    "movzx_r9_m16": "01 4c 0f b7 0e",
    "mov_moffs64_eax": "01 a3 00 00 e0 fe 00 00 00 00",
    "mov_m32_ecx_rip": "01 89 0d f0 ff ff ff",
    "segment_prefixes": "01 2e 64 67 89 02",
}


def insn_seeds() -> None:
    for name, hexbytes in INSNS.items():
        write("fuzz_insn_decode", name, bytes.fromhex(hexbytes))


# ---- ACPI -------------------------------------------------------------------

def acpi_header(sig: bytes, length: int, rev: int) -> bytearray:
    t = bytearray(36)
    t[0:4] = sig
    struct.pack_into("<I", t, 4, length)
    t[8] = rev
    t[10:16] = b"HVSMLL"
    t[16:24] = b"HVACPI  "
    struct.pack_into("<I", t, 24, 1)
    t[28:32] = b"HVSV"
    struct.pack_into("<I", t, 32, 1)
    return t


def checksummed(t: bytearray) -> bytes:
    t[9] = 0
    t[9] = (-sum(t)) & 0xFF
    return bytes(t)


def madt(ncpus: int) -> bytes:
    """As kernel/acpi_tables.c's madt() writes it."""
    body = struct.pack("<II", 0xFEE00000, 1)
    for i in range(ncpus):
        body += struct.pack("<BBBBI", 0, 8, i, i, 1)
    body += struct.pack("<BBBBII", 1, 12, ncpus, 0, 0xFEC00000, 0)
    body += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)
    body += struct.pack("<BBBBIH", 2, 10, 0, 9, 9, 0xD)
    body += struct.pack("<BBBHB", 4, 6, 0xFF, 0, 1)
    return checksummed(acpi_header(b"APIC", 36 + len(body), 5) + body)


def dsdt(aml: bytes) -> bytes:
    return checksummed(acpi_header(b"DSDT", 36 + len(aml), 2) + aml)


def acpi_seeds() -> None:
    write("fuzz_acpi_madt", "madt_1cpu", madt(1))
    write("fuzz_acpi_madt", "madt_4cpus", madt(4))
    write("fuzz_acpi_madt", "madt_truncated", madt(2)[:-3])
    # Name(_S5, Package(4){5, 5, 0, 0}) as our DSDT has it; with a 2-byte
    # PkgLength and Zero/One elements; and a one-element package.
    write("fuzz_acpi_s5", "dsdt_hv", dsdt(bytes.fromhex("08 5f 53 35 5f 12 08 04 0a 05 0a 05 00 00")))
    write("fuzz_acpi_s5", "pkglen_2byte", dsdt(bytes.fromhex("10 0b 5c 00 08 5f 53 35 5f 12 46 00 02 00 01")))
    write("fuzz_acpi_s5", "one_element", dsdt(bytes.fromhex("08 5f 53 35 5f 12 04 01 0a 07")))


def main() -> int:
    guest = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    config_seeds()
    elf_and_multiboot_seeds(guest)
    bzimage_seeds()
    insn_seeds()
    acpi_seeds()
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
