#!/usr/bin/env python3
"""Makes an ELF64 Multiboot v1 test kernel look like a real x86-64 one:
every PT_LOAD segment's p_vaddr, and e_entry, moved up by OFFSET (the
kernel's virtual addresses in the top 2 GiB, as Linux and most 64-bit
kernels link them), p_paddr left where the code runs.  A loader that
loads by p_paddr and converts the entry through its segment, as GRUB does
(grub-core/loader/multiboot_elfxx.c), starts it; one that uses virtual
addresses cannot.

usage: elf64_high.py IN OUT (IN: an ELF64 file, e.g. objcopy -O
elf64-x86-64 of a 32-bit guest)
"""

import struct
import sys

OFFSET = 0xFFFFFFFF80000000
PT_LOAD = 1


def main() -> None:
    data = bytearray(open(sys.argv[1], "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"{sys.argv[1]}: not an ELF64 file")
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    struct.pack_into("<Q", data, 24, (entry + OFFSET) % 2**64)
    for i in range(phnum):
        at = phoff + i * phentsize
        (ptype,) = struct.unpack_from("<I", data, at)
        if ptype != PT_LOAD:
            continue
        (vaddr,) = struct.unpack_from("<Q", data, at + 16)
        struct.pack_into("<Q", data, at + 16, (vaddr + OFFSET) % 2**64)
    open(sys.argv[2], "wb").write(data)


if __name__ == "__main__":
    main()
