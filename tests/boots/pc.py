"""vms.pc: a VM behaves as a PC does where guests written for real PCs
look (issue 12).

Memory that is not there: a guest-physical address with neither RAM nor a
device reads all ones and drops writes, logged once per VM
(tests/guests/unassigned.c); with unassigned_memory = stop the same guest
is stopped at its first such access, as before.

Firmware tables where a PC has them: every VM, Multiboot ones included,
has its ACPI tables in the BIOS area; tests/guests/acpi.c scans
0xe0000-0xfffff for the RSDP as an OS does, checks every checksum,
finds the copy of the RSDP in the first KiB of the EBDA that the BIOS
data area's word at 0x40e names (reserved in the memory map), follows
the RSDT and the XSDT to the FADT and watches the PM timer it
names count (ACPI 6.5 5.2.5.1, 5.2.7-5.2.9, 4.8.3.3).

QEMU's test devices: with testdev = qemu a VM has QEMU's pc-testdev;
tests/guests/ioapic.c drives interrupt lines through it and checks the I/O
APIC and the PIC deliver what the 82093AA and 8259A data sheets and the
SDM say (edge, level, remote IRR, masking, coalescing); the same guest in
a VM without the key finds nothing at the device's ports and memory.
"""

from __future__ import annotations

from .helpers import ROOT_FAULT, passes, vm
from .table import BootTest, Judge


_UNASSIGNED_LOG = r"no RAM or device there; reads return all ones, writes are dropped"


def _once(name: str) -> Judge:
    """Passes, and hv logged its unassigned accesses exactly once."""
    j = passes(name)
    return Judge(expect=[rf"vm {name}: read at guest-physical 0x400000: "
                         + _UNASSIGNED_LOG + r" \(logged once", *j.expect],
                 reject=[*j.reject,
                         rf"vm {name}: [^\n]*{_UNASSIGNED_LOG}[\s\S]*"
                         rf"vm {name}: [^\n]*{_UNASSIGNED_LOG}", *ROOT_FAULT])


PC_GUESTS = ["unassigned", "acpi", "hello", "ioapic"]

PC = BootTest(
    name="vms.pc",
    cfg=("[hypervisor]\non_idle = poweroff\n"
         + vm("unassigned", "unassigned")
         + vm("unassigned_stop", "unassigned",
              extra="unassigned_memory = stop\n")
         + vm("acpi", "acpi", extra="vcpus = 2\n")
         + vm("neighbour", "hello")
         + vm("ioapic", "ioapic", extra="testdev = qemu\n")
         + vm("testdev_absent", "ioapic", extra="cmdline = absent\n")),
    files={f"guests/{g}.elf": f"build/guests/{g}.elf" for g in PC_GUESTS},
    timeout_s=300,
    stop_regex=r"hv: power off: ",
    expect=[r"vmx: on; controls",
            r"hv: power off: idle; VMs: 5 exited, 1 stopped, 0 not started"],
    reject=[*ROOT_FAULT, r"not started:"],
    subtests={
        "pc.unassigned_ones": _once("unassigned"),
        "pc.unassigned_stop": Judge(
            expect=[r"^\[unassigned_stop\] RAM ends at 0x400000",
                    r"vm unassigned_stop: stopped: EPT violation: read at "
                    r"guest-physical 0x400000, outside its memory"],
            reject=[r"^\[unassigned_stop\] (RESULT|CHECK)",
                    rf"vm unassigned_stop: [^\n]*{_UNASSIGNED_LOG}"]),
        "pc.acpi": Judge(
            expect=[r"^\[acpi\] RSDP at 0xe0000$",
                    r"^\[acpi\] EBDA at 0x9fc00$",
                    r"^\[acpi\] RSDP copy at 0x9fc10$",
                    r"^\[acpi\] CHECK 5\.2\.5\.1: the EBDA's RSDP names the "
                    r"same RSDT and XSDT: ok",
                    r"^\[acpi\] PM timer at port 0x608$",
                    r"^\[acpi\] CHECK 4\.8\.3\.3: the PM timer counts up "
                    r"between reads: ok",
                    r"^\[acpi\] RESULT: PASS",
                    r"vm acpi: exited with status 1\b"],
            reject=[r"^\[acpi\] .*FAIL", r"vm acpi: stopped", *ROOT_FAULT]),
        "pc.neighbour": passes("neighbour"),
        "pc.ioapic": Judge(
            expect=[r"^\[ioapic\] CHECK 82093AA 3\.2\.4: edge while masked "
                    r"is discarded, not held: ok",
                    r"^\[ioapic\] CHECK switching a pin to edge clears "
                    r"remote IRR: ok",
                    r"^\[ioapic\] CHECK 8259A: IRQ 10 through the slave: ok",
                    *passes("ioapic").expect],
            reject=[*passes("ioapic").reject, *ROOT_FAULT]),
        "pc.testdev_absent": Judge(
            expect=[r"^\[testdev_absent\] CHECK no pc-testdev: a line port "
                    r"moves no line: ok",
                    *passes("testdev_absent").expect],
            reject=passes("testdev_absent").reject),
    },
)


TESTS = [PC]
