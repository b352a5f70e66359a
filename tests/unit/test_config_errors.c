/* Host unit tests for the hv.cfg parser (kernel/config.c): line-level and
 * section errors, and how error messages are formatted. */
#include "config_test.h"

/* ---- line-level errors ---------------------------------------------------- */

TEST(error_missing_equals)
{
    CHECK_ERR("[hypervisor]\n\nlog info\n", 3, "expected 'key = value'");
    CHECK_ERR(VM "kernel # = x\n", 3, "expected 'key = value'");
}

TEST(error_empty_key)
{
    CHECK_ERR("[hypervisor]\n = info\n", 2,
              "missing key before '=' (expected 'key = value')");
}

TEST(error_empty_value)
{
    CHECK_ERR("[hypervisor]\nlog =\n", 2, "empty value for 'log'");
    CHECK_ERR("[hypervisor]\nlog =   # nothing\n", 2, "empty value for 'log'");
    CHECK_ERR("[vm a]\nkernel = \t\n", 2, "empty value for 'kernel'");
}

TEST(error_unknown_key)
{
    CHECK_ERR("[vm linux0]\nkernel = k\nmemroy = 1G\n", 3,
              "unknown key 'memroy' in [vm linux0]");
    CHECK_ERR("[hypervisor]\nkernel = k\n", 2, "unknown key 'kernel' in [hypervisor]");
    CHECK_ERR(VM "serial = com1\n", 3, "unknown key 'serial' in [vm a]");
}

TEST(error_duplicate_key)
{
    CHECK_ERR("[hypervisor]\nlog = info\nlog = debug\n", 3,
              "duplicate key 'log' in [hypervisor]");
    CHECK_ERR("[vm b]\nkernel = k\n\nkernel = k2\n", 4,
              "duplicate key 'kernel' in [vm b]");
    /* The same key in two different VMs is fine. */
    CHECK_OK("[vm a]\nkernel = k1\n[vm b]\nkernel = k2\n");
    CHECK_STR(cfg.vms[1].kernel, "k2");
}

TEST(error_key_before_section)
{
    CHECK_ERR("# c\nlog = info\n[hypervisor]\n", 2,
              "key 'log' outside any section (add [hypervisor] or [vm NAME])");
}

/* ---- section errors ------------------------------------------------------ */

TEST(error_unknown_section)
{
    CHECK_ERR("[hyper]\n", 1,
              "unknown section [hyper] (expected [hypervisor] or [vm NAME])");
    CHECK_ERR("\n[vmx a]\n", 2,
              "unknown section [vmx a] (expected [hypervisor] or [vm NAME])");
    CHECK_ERR("[hypervisor x]\n", 1,
              "unknown section [hypervisor x] (expected [hypervisor] or [vm NAME])");
    CHECK_ERR("[]\n", 1, "unknown section [] (expected [hypervisor] or [vm NAME])");
}

TEST(error_unterminated_bracket)
{
    CHECK_ERR("[hypervisor]\nlog = info\n[vm a\nkernel = k\n", 3,
              "unterminated '[' (expected ']')");
    CHECK_ERR("[vm a] extra\n", 1, "unexpected text after ']'");
}

TEST(error_duplicate_hypervisor)
{
    CHECK_ERR("[hypervisor]\n" VM "[hypervisor]\n", 4,
              "duplicate section [hypervisor]");
    /* [hypervisor] may come after VMs. */
    CHECK_OK(VM "[hypervisor]\nlog = debug\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_DEBUG);
    CHECK_EQ_U64(cfg.nvms, 1);
}

TEST(vm_names)
{
    CHECK_OK("[vm abcdefghijklmnopqrstuvwxyz01234]\nkernel = k\n");  /* 31 */
    CHECK_STR(cfg.vms[0].name, "abcdefghijklmnopqrstuvwxyz01234");
    CHECK_ERR("[vm abcdefghijklmnopqrstuvwxyz012345]\n", 1,  /* 32 */
              "bad VM name 'abcdefghijklmnopqrstuvwxyz012345' "
              "(expected 1..31 chars of A-Z a-z 0-9 _ -)");
    CHECK_ERR("[vm]\n", 1, "bad VM name '' (expected 1..31 chars of A-Z a-z 0-9 _ -)");
    CHECK_ERR("[vm a.b]\n", 1,
              "bad VM name 'a.b' (expected 1..31 chars of A-Z a-z 0-9 _ -)");
    CHECK_ERR("[vm a b]\n", 1,
              "bad VM name 'a b' (expected 1..31 chars of A-Z a-z 0-9 _ -)");
}

TEST(error_duplicate_vm_name)
{
    CHECK_ERR("[vm web]\nkernel = a\n[vm db]\nkernel = b\n[vm web]\nkernel = c\n", 5,
              "duplicate VM name 'web'");
    /* Names are case-sensitive. */
    CHECK_OK("[vm web]\nkernel = a\n[vm WEB]\nkernel = b\n");
    CHECK_EQ_U64(cfg.nvms, 2);
}

static size_t build_vms(int count)
{
    size_t n = 0;

    for (int i = 0; i < count; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n,
                              "[vm vm%d]\nkernel = k%d\n", i, i);
    return n;
}

TEST(sixty_four_vms_ok)
{
    build_vms(64);
    CHECK_OK(big);
    CHECK_EQ_U64(cfg.nvms, 64);
    CHECK_STR(cfg.vms[63].name, "vm63");
    CHECK_STR(cfg.vms[63].kernel, "k63");
    CHECK_EQ_U64(cfg.vms[63].line, 127);
    CHECK_EQ_U64(cfg.vms[63].kernel_line, 128);
}

TEST(sixty_five_vms_error)
{
    build_vms(65);
    CHECK_ERR(big, 129, "too many VMs (max 64)");
}

TEST(error_missing_kernel_at_header_line)
{
    /* Detected when the next section starts... */
    CHECK_ERR("[hypervisor]\n\n[vm nok]\nmemory = 1G\n\n[vm b]\nkernel = k\n", 3,
              "missing 'kernel' in [vm nok]");
    /* ...or at end of file. */
    CHECK_ERR(VM "[vm last]\ntype = linux\n", 3, "missing 'kernel' in [vm last]");
    CHECK_ERR("[vm e]", 1, "missing 'kernel' in [vm e]");
}

TEST(first_error_wins)
{
    CHECK_ERR("[hypervisor]\nlog = loud\nserial = com9\nbogus\n", 2,
              "bad value 'loud' for 'log' (expected error, warn, info or debug)");
    /* Errors inside a kernel-less section come before the section ends. */
    CHECK_ERR("[vm a]\nmemory = 3\n", 2,
              "bad value '3' for 'memory' (expected a multiple of 4K)");
}

TEST(long_value_in_message_is_truncated)
{
    size_t n = strlen(VM "memory = ");

    memcpy(big, VM "memory = ", n);
    memset(big + n, '9', 600);
    strcpy(big + n + 600, "\n");
    CHECK(parse(big) < 0);
    CHECK_EQ_U64(err.line, 3);
    CHECK(strlen(err.msg) < sizeof(err.msg));
    CHECK(strstr(err.msg, "...' for 'memory' (expected a size like 256M)") != NULL);
    CHECK_EQ_U64(strncmp(err.msg, "bad value '9999", 15), 0);
}

TEST(null_err_and_bad_args)
{
    static const char text[] = "[hypervisor]\nlog = nope\n";

    CHECK(config_parse(text, sizeof(text) - 1, &cfg, NULL) < 0);
    CHECK_EQ_U64(config_parse("[hypervisor]\n", 13, &cfg, NULL), 0);
    CHECK(config_parse(text, sizeof(text) - 1, NULL, &err) < 0);
    CHECK(config_parse(NULL, 5, &cfg, &err) < 0);
    CHECK_EQ_U64(config_parse(NULL, 0, &cfg, &err), 0);
}

TEST(success_clears_previous_error)
{
    CHECK(parse("bogus\n") < 0);
    CHECK(config_parse("", 0, &cfg, &err) == 0);
    CHECK_EQ_U64(err.line, 0);
    CHECK_STR(err.msg, "");
}

/* ---- message formatting (guards for the printf-style message helper) ------ */

/* Section names in a message are cut at 40 bytes, with no "...". */
TEST(message_long_section_name_is_cut)
{
    CHECK_ERR("[0123456789012345678901234567890123456789abcdefghij]\n", 1,
              "unknown section [0123456789012345678901234567890123456789] "
              "(expected [hypervisor] or [vm NAME])");
}

/* A message longer than err.msg keeps its first 127 bytes. */
TEST(message_cut_at_buffer_size)
{
    static const char full[] =
        "bad value '00:01.0, 00:02.0, 00:03.0, 00:04.0, 00:0...' for 'passthrough_pci' "
        "(expected PCI functions like 00:03.0 (bus:device.function, hex))";

    CHECK(parse(VM "passthrough_pci = 00:01.0, 00:02.0, 00:03.0, 00:04.0, 00:0x.0\n") < 0);
    CHECK_EQ_U64(err.line, 3);
    CHECK_EQ_U64(strlen(err.msg), sizeof(err.msg) - 1);
    CHECK_EQ_U64(strncmp(err.msg, full, sizeof(err.msg) - 1), 0);
}

/* Ports print as 0x<lowercase hex> with no padding, port 0 as 0x0. */
TEST(message_port_numbers)
{
    CHECK_ERR(VM "passthrough_io = 0, 0\n", 3,
              "ports 0x0-0x0 listed twice for VM a (a port goes to one VM only)");
    CHECK_ERR(VM "passthrough_io = 0xABC-0xFFFF, 0xffff\n", 3,
              "ports 0xffff-0xffff listed twice for VM a (a port goes to one VM only)");
}

/* PCI functions print as lspci does: bb:dd.f, two hex digits each. */
TEST(message_pci_function)
{
    CHECK_ERR("[vm first-vm]\nkernel = k\npassthrough_pci = a:1F.7\n"
              "[vm b]\nkernel = k\npassthrough_pci = 0a:1f.7\n", 6,
              "PCI function 0a:1f.7 already passed through to VM first-vm "
              "(a device goes to one VM only)");
    CHECK_ERR(VM "passthrough_pci = ff:10.0, FF:10.0\n", 3,
              "PCI function ff:10.0 listed twice for VM a (a device goes to one VM only)");
}

UNIT_MAIN("config_errors")
