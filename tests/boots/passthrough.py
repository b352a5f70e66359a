"""vms.passthrough: host I/O ports and a PCI function given to one VM only.

The owner VM of port 0xe9 writes through it (the emulator's port-0xe9
output, judged as "emu> ..." lines, must show it) while another VM's
writes there stay virtual; the owner of the e1000 (a PCI function with
its BARs and interrupt) sees the device while its neighbour does not.
Ranges and functions the host must keep (its console UART, PIC, RTC,
bridges, ISA DMA, SMI and ACPI ports, a function that is not there) leave
their VM "not started", each with the reason the expect list names, and
without a page frame lost.  A guest that resets twice (keyboard
controller, port 0xcf9) and the EPT audit of every VM ride along.
"""

from __future__ import annotations

from .helpers import ept_audited, passes, vm
from .table import BootTest, Judge

PASSTHROUGH = BootTest(
    name="vms.passthrough",
    cfg=("[hypervisor]\non_idle = poweroff\nselftest = yes\n"
         + vm("owner", "passthrough",
              extra="cmdline = own\npassthrough_io = 0xe9\n")
         + vm("other", "passthrough", extra="cmdline = none\n")
         + vm("console", "hello", extra="passthrough_io = 0x3f8-0x3ff\n")
         + vm("pic", "hello", extra="passthrough_io = 0x80, 0x20\n")
         + vm("rtc", "hello", extra="passthrough_io = 0x70-0x71\n")
         + vm("reset", "reset")
         + vm("nicowner", "pcidev",
              extra="cmdline = own\npassthrough_pci = 00:03.0\n")
         + vm("nicother", "pcidev", extra="cmdline = none\n")
         + vm("isabridge", "hello", extra="passthrough_pci = 00:01.0\n")
         + vm("nodevice", "hello", extra="passthrough_pci = 00:1f.7\n")
         + vm("a20", "hello", extra="passthrough_io = 0x92\n")
         + vm("isadma", "hello", extra="passthrough_io = 0x00-0x0f\n")
         + vm("smi", "hello", extra="passthrough_io = 0xb2\n")
         + vm("acpipm", "hello", extra="passthrough_io = 0xb000-0xb003\n")),
    files={"guests/passthrough.elf": "build/guests/passthrough.elf",
           "guests/reset.elf": "build/guests/reset.elf",
           "guests/pcidev.elf": "build/guests/pcidev.elf",
           "guests/hello.elf": "build/guests/hello.elf"},
    timeout_s=240,
    stop_regex=r"hv: power off: ",
    emulator_output=True,
    nic=True,
    expect=[r"vm owner: host ports 0xe9-0xe9 passed through",
            r"vm console: not started: hv\.cfg:\d+: passthrough_io "
            r"0x3f8-0x3ff: the hypervisor's console UART",
            r"vm pic: not started: hv\.cfg:\d+: passthrough_io 0x20-0x20: "
            r"the host's 8259 PIC",
            r"vm rtc: not started: hv\.cfg:\d+: passthrough_io 0x70-0x71: "
            r"a device this VM already emulates there",
            r"vm rtc: page frames free: (\d+) before it, \1 after",
            r"vm nicowner: pci 00:03\.0 interrupt: IRQ \d+ \(GSI \d+, level\) "
            r"forwarded as host vector 0x[0-9a-f]+",
            r"vm nicowner: pci 00:03\.0 BAR0: memory 0x[0-9a-f]+-0x[0-9a-f]+ "
            r"passed through",
            r"vm nicowner: pci 00:03\.0 BAR1: ports 0x[0-9a-f]+-0x[0-9a-f]+ "
            r"passed through",
            r"vm isabridge: not started: hv\.cfg:\d+: passthrough_pci 00:01\.0: "
            r"a host, ISA or other bridge, which the host keeps",
            r"vm nodevice: not started: hv\.cfg:\d+: passthrough_pci 00:1f\.7: "
            r"no such PCI function on this machine",
            # A VM that fails late (RAM, EPT, vCPUs, devices made) leaves
            # no page behind.
            r"vm nodevice: page frames free: (\d+) before it, \1 after",
            r"vm a20: not started: hv\.cfg:\d+: passthrough_io 0x92-0x92: "
            r"the host's fast reset/A20 port",
            r"vm isadma: not started: hv\.cfg:\d+: passthrough_io 0-0xf: "
            r"the host's ISA DMA controller \(DMA into host memory below "
            r"16 MiB\)",
            r"vm smi: not started: hv\.cfg:\d+: passthrough_io 0xb2-0xb2: "
            r"the host's SMI command port",
            # OVMF puts the PIIX4 PM block at 0xb000: Bochs has no FADT
            # (the chip's PMBA says), QEMU's FADT names the PM1a event block.
            r"vm acpipm: not started: hv\.cfg:\d+: passthrough_io "
            r"0xb000-0xb003: the host's ACPI PM1(/GPE blocks \(PIIX4 PMBA\)"
            r"| ?a event block)",
            r"vm nicowner: pci 00:03\.0: SERR#/PERR# enable kept virtual "
            r"\(device: SERR# off, parity response off\)",
            r"^\[nicowner\] \[pcidev\] test device accesses counted: 2 ",
            r"hv: power off: idle; self-tests: \d+ passed, 0 failed; "
            r"VMs: 5 exited, 0 stopped, 9 not started",
            r"^emu> .*E9-PASSTHROUGH-OK"],
    reject=[r"PANIC", r"E9-LEAKED"],
    subtests={
        "passthrough.owner": passes("owner"),
        "passthrough.other": passes("other"),
        "passthrough.pci_owner": passes("nicowner"),
        "passthrough.pci_other": passes("nicother"),
        "guest.reset": Judge(
            expect=[r"^\[reset\] boot 1: reset through the keyboard controller",
                    r"vm reset: reset through the keyboard controller; restarting",
                    r"^\[reset\] boot 2: reset through port 0xcf9",
                    r"vm reset: reset through port 0xcf9; restarting",
                    r"^\[reset\] CHECK boot 3, after both resets: ok",
                    r"^\[reset\] RESULT: PASS",
                    r"vm reset: exited with status 1\b"],
            reject=[r"^\[reset\] .*FAIL", r"vm reset: stopped"]),
        # nicowner: 4 MiB of RAM in two 2 MiB pages and the e1000's
        # 128 KiB BAR0 in 32 pages of 4 KiB.
        "ept_audit.passthrough": ept_audited(
            ["owner", "other", "reset", "nicowner", "nicother"],
            {"reset": 2}),
        "ept_audit.passthrough_bar": Judge(
            expect=[r"ept audit: vm nicowner: 34 leaves, ok$"]),
    },
)

TESTS = [PASSTHROUGH]
