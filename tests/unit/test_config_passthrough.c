/* Host unit tests for the hv.cfg parser (kernel/config_passthrough.c):
 * the passthrough_io and passthrough_pci keys. */
#include "config_test.h"

/* ---- passthrough_io ------------------------------------------------------ */

TEST(passthrough_io_ranges)
{
    CHECK_OK(VM "passthrough_io = 0x2f8-0x2ff, 0xe9 ,0x100-0x100\n");
    CHECK_EQ_U64(cfg.vms[0].npio, 3);
    CHECK_EQ_U64(cfg.vms[0].pio[0].first, 0x2f8);
    CHECK_EQ_U64(cfg.vms[0].pio[0].last, 0x2ff);
    CHECK_EQ_U64(cfg.vms[0].pio[1].first, 0xe9);
    CHECK_EQ_U64(cfg.vms[0].pio[1].last, 0xe9);
    CHECK_EQ_U64(cfg.vms[0].pio_line, 3);
    CHECK_OK(VM "passthrough_io = 0xffff\n");
    CHECK_EQ_U64(cfg.vms[0].pio[0].last, 0xffff);
    CHECK_OK(VM);
    CHECK_EQ_U64(cfg.vms[0].npio, 0);
}

TEST(passthrough_io_bad_values)
{
    CHECK_ERR(VM "passthrough_io = 0x10000\n", 3,
              "bad value '0x10000' for 'passthrough_io' (expected port ranges like 0x2f8-0x2ff, 0xe9 (ports up to 0xffff))");
    CHECK_ERR(VM "passthrough_io = 0x2ff-0x2f8\n", 3,
              "bad value '0x2ff-0x2f8' for 'passthrough_io' (expected port ranges like 0x2f8-0x2ff, 0xe9 (ports up to 0xffff))");
    CHECK_ERR(VM "passthrough_io = 0xe9,\n", 3,
              "bad value '0xe9,' for 'passthrough_io' (expected port ranges like 0x2f8-0x2ff, 0xe9 (ports up to 0xffff))");
    CHECK_ERR(VM "passthrough_io = 1,2,3,4,5,6,7,8,9\n", 3,
              "bad value '1,2,3,4,5,6,7,8,9' for 'passthrough_io' (expected at most 8 ranges)");
    CHECK_ERR(VM "passthrough_io = 0xe9, 0xe0-0xef\n", 3,
              "ports 0xe0-0xef listed twice for VM a (a port goes to one VM only)");
}

/* A port goes to one VM: the second VM to name it is refused, with the
 * first one's name. */
TEST(passthrough_io_one_vm_per_port)
{
    CHECK_OK("[vm a]\nkernel = k\npassthrough_io = 0x2f8-0x2ff\n"
             "[vm b]\nkernel = k\npassthrough_io = 0x300-0x307\n");
    CHECK_ERR("[vm a]\nkernel = k\npassthrough_io = 0x2f8-0x2ff\n"
              "[vm b]\nkernel = k\npassthrough_io = 0x2ff-0x300\n", 6,
              "ports 0x2ff-0x300 already passed through to VM a (a port goes to one VM only)");
}

/* ---- passthrough_pci ----------------------------------------------------- */

TEST(passthrough_pci_functions)
{
    CHECK_OK(VM "passthrough_pci = 00:03.0, 0a:1f.7,ff:00.1\n");
    CHECK_EQ_U64(cfg.vms[0].npci, 3);
    CHECK_EQ_U64(cfg.vms[0].pci[0], 0x0018);
    CHECK_EQ_U64(cfg.vms[0].pci[1], 0x0aff);
    CHECK_EQ_U64(cfg.vms[0].pci[2], 0xff01);
    CHECK_EQ_U64(cfg.vms[0].pci_line, 3);
    CHECK_OK(VM "passthrough_pci = 0:3.0\n");
    CHECK_EQ_U64(cfg.vms[0].pci[0], 0x0018);
    CHECK_OK(VM);
    CHECK_EQ_U64(cfg.vms[0].npci, 0);
}

TEST(passthrough_pci_bad_values)
{
    static const char *const bad[] = {
        "00:20.0", "00:03.8", "100:03.0", "00:03", "00.03.0", "00:03.0.1",
        "0x0:03.0", "00:03.00", ":03.0", "00:.0", "00:03.0,", "00:03.0 00:04.0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128], want[200];
        snprintf(text, sizeof(text), VM "passthrough_pci = %s\n", bad[i]);
        snprintf(want, sizeof(want),
                 "bad value '%s' for 'passthrough_pci' (expected PCI functions like 00:03.0 (bus:device.function, hex))",
                 bad[i]);
        CHECK_ERR(text, 3, want);
    }
    CHECK_ERR(VM "passthrough_pci = 0:1.0,0:2.0,0:3.0,0:4.0,0:5.0\n", 3,
              "bad value '0:1.0,0:2.0,0:3.0,0:4.0,0:5.0' for 'passthrough_pci' (expected at most 4 functions)");
    CHECK_ERR(VM "passthrough_pci = 00:03.0, 0:3.0\n", 3,
              "PCI function 00:03.0 listed twice for VM a (a device goes to one VM only)");
}

/* A PCI function goes to one VM: the second VM to name it is refused. */
TEST(passthrough_pci_one_vm_per_function)
{
    CHECK_OK("[vm a]\nkernel = k\npassthrough_pci = 00:03.0\n"
             "[vm b]\nkernel = k\npassthrough_pci = 00:03.1\n");
    CHECK_ERR("[vm a]\nkernel = k\npassthrough_pci = 00:03.0\n"
              "[vm b]\nkernel = k\npassthrough_pci = 00:04.0, 00:03.0\n", 6,
              "PCI function 00:03.0 already passed through to VM a (a device goes to one VM only)");
}

UNIT_MAIN("config_passthrough")
