"""The boot-test table: each test boots build/hv.efi in an emulator and
judges the serial log (see tests/harness.py for how they run, and
tests/boots/table.py for what a BootTest and a Judge are).

One module per boot or family of boots, each a list TESTS:
  uefi.py         boot.*: the UEFI stage, self-tests, config errors
  vms.py          vms.multiboot: the Multiboot test guests, all in one boot;
                  vms.many: 64 VMs (the most hv runs) side by side
  passthrough.py  vms.passthrough: host ports and a PCI function for one VM
  linux.py        vms.linux, vms.linux_shell: Debian's kernel as a guest
  isolation.py    vms.isolation, vms.isolation_avx512: isolation under attack
  contained.py    vms.contained: a guest's faults get the hardware's answer
  attacks.py      vms.attacks, vms.attacks_storms: the hostile-guest suite
  fuzz.py         vms.fuzz: the guest instruction fuzzer
  smp.py          boot.smp4 and the SMP boots: every host CPU used
  smp_ipi.py      vms.smp_ipi: IPIs between two vCPUs on two host CPUs
  smp_reset.py    vms.smp_reset: a 2-vCPU VM reset and crashed across CPUs
  pc.py           vms.pc: unassigned memory and firmware tables as on a PC
  monitor.py      vms.monitor: the operator's monitor, typed at over serial
  snapshot.py     vms.snapshot: the monitor's snapshots and restores
  boot_formats.py vms.boot_formats: Multiboot2, ELF64 Multiboot v1, refusals
  virtio.py       vms.virtio: virtio-blk disks, driven by hand
  conform_apic.py vms.conform_apic: local APIC, MSRs, delivery modes per the SDM
  conform_events.py  vms.conform_events: NMIs, RF, TF and debug registers (SDM)
helpers.py holds the hv.cfg pieces and verdicts several of them share.

BOOT_TESTS is their concatenation, in the order the harness runs them.
check_table(BOOT_TESTS) checks the whole table when this package is
imported, after every module's tests are in it, and the harness checks it
again when it starts; run `python3 tests/boots/__main__.py` to check it alone.
"""

from __future__ import annotations

from . import (attacks, boot_formats, conform_apic, conform_events,
               contained, fuzz, isolation, linux, monitor, passthrough,
               pc, smp, smp_ipi, smp_reset, snapshot, uefi, virtio, vms)
from .table import BootTest, Judge, TableError, check_table, table_problems

__all__ = ["BOOT_TESTS", "BootTest", "Judge", "TableError", "check_table",
           "table_problems"]

BOOT_TESTS: list[BootTest] = [
    *uefi.TESTS,
    *smp.TESTS,
    *smp_ipi.TESTS,
    *smp_reset.TESTS,
    *vms.TESTS,
    *passthrough.TESTS,
    *linux.TESTS,
    *isolation.TESTS,
    *contained.TESTS,
    *pc.TESTS,
    *monitor.TESTS,
    *snapshot.TESTS,
    *boot_formats.TESTS,
    *virtio.TESTS,
    *conform_apic.TESTS,
    *conform_events.TESTS,
    *attacks.TESTS,
    *fuzz.TESTS,
]

check_table(BOOT_TESTS)
