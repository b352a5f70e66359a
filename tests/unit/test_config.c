/* Host unit tests for the hv.cfg parser (kernel/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/config.h"
#include "unit.h"

static struct hv_config cfg;
static struct config_error err;
static char big[8192];

/*
 * Parse `len` bytes from an exact-size heap copy with no terminator, so ASan
 * flags any read past the end.  cfg/err are poisoned first to prove the
 * parser does not depend on their previous contents.
 */
static int parse_n(const char *text, size_t len)
{
    char *buf = malloc(len ? len : 1);
    int rc;

    if (!buf)
        abort();
    memcpy(buf, text, len);
    memset(&cfg, 0xa5, sizeof(cfg));
    memset(&err, 'X', sizeof(err));
    rc = config_parse(buf, len, &cfg, &err);
    free(buf);
    return rc;
}

static int parse(const char *text)
{
    return parse_n(text, strlen(text));
}

#define CHECK_OK(text) do {                                                 \
        if (parse(text) != 0)                                               \
            UNIT_FAIL("parse failed: line %u: %s", err.line, err.msg);      \
    } while (0)

#define CHECK_ERR(text, ln, message) do {                                   \
        CHECK(parse(text) < 0);                                             \
        CHECK_EQ_U64(err.line, ln);                                         \
        CHECK_STR(err.msg, message);                                        \
    } while (0)

/* A minimal valid VM section (2 lines) to prepend to [vm] key tests. */
#define VM "[vm a]\nkernel = k\n"

/* ---- defaults ------------------------------------------------------------ */

TEST(defaults_empty_file)
{
    CHECK_OK("");
    CHECK_EQ_U64(cfg.serial_port, 0x3f8);
    CHECK_EQ_U64(cfg.log, CFG_LOG_INFO);
    CHECK_EQ_U64(cfg.on_idle, CFG_IDLE_HALT);
    CHECK(!cfg.selftest);
    CHECK_EQ_U64(cfg.nvms, 0);
    CHECK_EQ_U64(err.line, 0);
    CHECK_STR(err.msg, "");
}

TEST(defaults_helper)
{
    memset(&cfg, 0xff, sizeof(cfg));
    config_defaults(&cfg);
    CHECK_EQ_U64(cfg.serial_port, 0x3f8);
    CHECK_EQ_U64(cfg.log, CFG_LOG_INFO);
    CHECK_EQ_U64(cfg.on_idle, CFG_IDLE_HALT);
    CHECK(!cfg.selftest);
    CHECK_EQ_U64(cfg.nvms, 0);
    CHECK_EQ_U64(cfg.vms[0].memory, 0);
}

TEST(defaults_empty_hypervisor_section)
{
    CHECK_OK("[hypervisor]\n");
    CHECK_EQ_U64(cfg.serial_port, 0x3f8);
    CHECK_EQ_U64(cfg.log, CFG_LOG_INFO);
    CHECK_EQ_U64(cfg.on_idle, CFG_IDLE_HALT);
    CHECK(!cfg.selftest);
}

TEST(defaults_vm)
{
    CHECK_OK("\n[vm a]\nkernel = k\n");
    CHECK_EQ_U64(cfg.nvms, 1);
    CHECK_STR(cfg.vms[0].name, "a");
    CHECK_EQ_U64(cfg.vms[0].type, CFG_VM_MULTIBOOT);
    CHECK_STR(cfg.vms[0].kernel, "k");
    CHECK_STR(cfg.vms[0].initrd, "");
    CHECK_STR(cfg.vms[0].cmdline, "");
    CHECK_EQ_U64(cfg.vms[0].memory, 64ull << 20);
    CHECK_EQ_U64(cfg.vms[0].vcpus, 1);
    CHECK_EQ_U64(cfg.vms[0].cpus, ~0ull);
    CHECK_EQ_U64(cfg.vms[0].on_crash, CFG_CRASH_STOP);
    CHECK_EQ_U64(cfg.vms[0].line, 2);
    CHECK_EQ_U64(cfg.vms[0].kernel_line, 3);
    CHECK_EQ_U64(cfg.vms[0].initrd_line, 0);
}

/* ---- every key ---------------------------------------------------------- */

TEST(full_example)
{
    CHECK_OK("# comment\n"
             "; also a comment\n"
             "[hypervisor]\n"
             "serial = com1          # trailing comments allowed\n"
             "log = info\n"
             "on_idle = poweroff\n"
             "selftest = yes\n"
             "[vm linux0]\n"
             "type = linux\n"
             "kernel = \\guests\\vmlinuz\n"
             "initrd = \\guests\\initrd.img\n"
             "cmdline = console=ttyS0 root=/dev/ram0\n"
             "memory = 256M\n"
             "vcpus = 1\n"
             "cpus = 1\n"
             "on_crash = stop\n");
    CHECK_EQ_U64(cfg.serial_port, 0x3f8);
    CHECK_EQ_U64(cfg.log, CFG_LOG_INFO);
    CHECK_EQ_U64(cfg.on_idle, CFG_IDLE_POWEROFF);
    CHECK(cfg.selftest);
    CHECK_EQ_U64(cfg.nvms, 1);
    struct vm_config *vm = &cfg.vms[0];
    CHECK_STR(vm->name, "linux0");
    CHECK_EQ_U64(vm->type, CFG_VM_LINUX);
    CHECK_STR(vm->kernel, "\\guests\\vmlinuz");
    CHECK_STR(vm->initrd, "\\guests\\initrd.img");
    CHECK_STR(vm->cmdline, "console=ttyS0 root=/dev/ram0");
    CHECK_EQ_U64(vm->memory, 256ull << 20);
    CHECK_EQ_U64(vm->vcpus, 1);
    CHECK_EQ_U64(vm->cpus, 0x2);
    CHECK_EQ_U64(vm->on_crash, CFG_CRASH_STOP);
    CHECK_EQ_U64(vm->line, 8);
    CHECK_EQ_U64(vm->kernel_line, 10);
    CHECK_EQ_U64(vm->initrd_line, 11);
}

TEST(serial_values)
{
    static const char *const names[] = { "com1", "com2", "com3", "com4", "none" };
    static const uint16_t ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8, 0 };

    for (int i = 0; i < 5; i++) {
        snprintf(big, sizeof(big), "[hypervisor]\nserial = %s\n", names[i]);
        CHECK_OK(big);
        CHECK_EQ_U64(cfg.serial_port, ports[i]);
    }
    CHECK_ERR("[hypervisor]\nserial = com5\n", 2,
              "bad value 'com5' for 'serial' (expected com1, com2, com3, com4 or none)");
}

TEST(log_values)
{
    CHECK_OK("[hypervisor]\nlog = error\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_ERROR);
    CHECK_OK("[hypervisor]\nlog = warn\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_WARN);
    CHECK_OK("[hypervisor]\nlog = info\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_INFO);
    CHECK_OK("[hypervisor]\nlog = debug\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_DEBUG);
    CHECK_ERR("[hypervisor]\nlog = verbose\n", 2,
              "bad value 'verbose' for 'log' (expected error, warn, info or debug)");
}

TEST(on_idle_values)
{
    CHECK_OK("[hypervisor]\non_idle = poweroff\n");
    CHECK_EQ_U64(cfg.on_idle, CFG_IDLE_POWEROFF);
    CHECK_OK("[hypervisor]\non_idle = halt\n");
    CHECK_EQ_U64(cfg.on_idle, CFG_IDLE_HALT);
    CHECK_ERR("[hypervisor]\non_idle = reboot\n", 2,
              "bad value 'reboot' for 'on_idle' (expected halt or poweroff)");
}

TEST(selftest_values)
{
    static const char *const yes[] = { "yes", "true", "1" };
    static const char *const no[] = { "no", "false", "0" };

    for (int i = 0; i < 3; i++) {
        snprintf(big, sizeof(big), "[hypervisor]\nselftest = %s\n", yes[i]);
        CHECK_OK(big);
        CHECK(cfg.selftest);
        snprintf(big, sizeof(big), "[hypervisor]\nselftest = %s\n", no[i]);
        CHECK_OK(big);
        CHECK(!cfg.selftest);
    }
    CHECK_ERR("[hypervisor]\nselftest = maybe\n", 2,
              "bad value 'maybe' for 'selftest' (expected yes or no)");
}

TEST(keywords_are_case_sensitive)
{
    CHECK_ERR("[hypervisor]\nserial = COM1\n", 2,
              "bad value 'COM1' for 'serial' (expected com1, com2, com3, com4 or none)");
    CHECK_ERR("[hypervisor]\nLog = info\n", 2, "unknown key 'Log' in [hypervisor]");
}

TEST(vm_type_values)
{
    CHECK_OK(VM "type = linux\n");
    CHECK_EQ_U64(cfg.vms[0].type, CFG_VM_LINUX);
    CHECK_OK(VM "type = multiboot\n");
    CHECK_EQ_U64(cfg.vms[0].type, CFG_VM_MULTIBOOT);
    CHECK_ERR(VM "type = windows\n", 3,
              "bad value 'windows' for 'type' (expected multiboot or linux)");
    CHECK_STR(cfg_vm_type_name(CFG_VM_MULTIBOOT), "multiboot");
    CHECK_STR(cfg_vm_type_name(CFG_VM_LINUX), "linux");
    CHECK_STR(cfg_vm_type_name((enum cfg_vm_type)7), "?");
}

TEST(on_crash_values)
{
    CHECK_OK(VM "on_crash = restart\n");
    CHECK_EQ_U64(cfg.vms[0].on_crash, CFG_CRASH_RESTART);
    CHECK_OK(VM "on_crash = stop\n");
    CHECK_EQ_U64(cfg.vms[0].on_crash, CFG_CRASH_STOP);
    CHECK_ERR(VM "on_crash = explode\n", 3,
              "bad value 'explode' for 'on_crash' (expected stop or restart)");
}

/* ---- memory ----------------------------------------------------------- */

TEST(memory_sizes)
{
    static const struct { const char *text; uint64_t bytes; } ok[] = {
        { "4096", 4096 }, { "4K", 4096 }, { "4k", 4096 },
        { "256M", 256ull << 20 }, { "256m", 256ull << 20 },
        { "1G", 1ull << 30 }, { "1g", 1ull << 30 }, { "64G", 64ull << 30 },
        { "65536M", 64ull << 30 }, { "0x1000", 4096 }, { "0X10M", 16ull << 20 },
        { "0008K", 8192 }, { "68719476736", 64ull << 30 },
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(big, sizeof(big), VM "memory = %s\n", ok[i].text);
        CHECK_OK(big);
        CHECK_EQ_U64(cfg.vms[0].memory, ok[i].bytes);
    }
}

TEST(memory_bad_syntax)
{
    CHECK_ERR(VM "memory = lots\n", 3,
              "bad value 'lots' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = 256MB\n", 3,
              "bad value '256MB' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = M\n", 3,
              "bad value 'M' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = -4K\n", 3,
              "bad value '-4K' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = 0x\n", 3,
              "bad value '0x' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = 256 M\n", 3,
              "bad value '256 M' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = 4T\n", 3,
              "bad value '4T' for 'memory' (expected a size like 256M)");
}

TEST(memory_overflow)
{
    CHECK_ERR(VM "memory = 99999999999999999999G\n", 3,
              "bad value '99999999999999999999G' for 'memory' (expected a size like 256M)");
    /* Fits in u64 as a number but overflows once scaled: 2^34 G = 2^64. */
    CHECK_ERR(VM "memory = 17179869184G\n", 3,
              "bad value '17179869184G' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = 18446744073709551616\n", 3,
              "bad value '18446744073709551616' for 'memory' (expected a size like 256M)");
    CHECK_ERR(VM "memory = 0x10000000000000000\n", 3,
              "bad value '0x10000000000000000' for 'memory' (expected a size like 256M)");
    /* Largest u64, no wrap: parses, then rejected for range/alignment. */
    CHECK_ERR(VM "memory = 18446744073709547520\n", 3,
              "bad value '18446744073709547520' for 'memory' (expected at most 64G)");
}

TEST(memory_range_and_alignment)
{
    CHECK_ERR(VM "memory = 0\n", 3,
              "bad value '0' for 'memory' (expected a size above 0)");
    CHECK_ERR(VM "memory = 0M\n", 3,
              "bad value '0M' for 'memory' (expected a size above 0)");
    CHECK_ERR(VM "memory = 4097\n", 3,
              "bad value '4097' for 'memory' (expected a multiple of 4K)");
    CHECK_ERR(VM "memory = 1K\n", 3,
              "bad value '1K' for 'memory' (expected a multiple of 4K)");
    CHECK_ERR(VM "memory = 65G\n", 3,
              "bad value '65G' for 'memory' (expected at most 64G)");
    CHECK_ERR(VM "memory = 68719480832\n", 3,  /* 64G + 4K */
              "bad value '68719480832' for 'memory' (expected at most 64G)");
}

/* ---- vcpus / integers ---------------------------------------------------- */

TEST(vcpus_range)
{
    CHECK_OK(VM "vcpus = 64\n");
    CHECK_EQ_U64(cfg.vms[0].vcpus, 64);
    CHECK_OK(VM "vcpus = 0x10\n");
    CHECK_EQ_U64(cfg.vms[0].vcpus, 16);
    CHECK_OK(VM "vcpus = 0X2\n");
    CHECK_EQ_U64(cfg.vms[0].vcpus, 2);
    CHECK_ERR(VM "vcpus = 0\n", 3,
              "bad value '0' for 'vcpus' (expected a number from 1 to 64)");
    CHECK_ERR(VM "vcpus = 65\n", 3,
              "bad value '65' for 'vcpus' (expected a number from 1 to 64)");
    CHECK_ERR(VM "vcpus = two\n", 3,
              "bad value 'two' for 'vcpus' (expected a number from 1 to 64)");
    CHECK_ERR(VM "vcpus = 4K\n", 3,
              "bad value '4K' for 'vcpus' (expected a number from 1 to 64)");
}

TEST(integer_overflow_never_wraps)
{
    /* 2^64 + 1 would wrap to 1, a valid vcpus count, if overflow wrapped. */
    CHECK_ERR(VM "vcpus = 18446744073709551617\n", 3,
              "bad value '18446744073709551617' for 'vcpus' (expected a number from 1 to 64)");
    CHECK_ERR(VM "vcpus = 0x10000000000000001\n", 3,
              "bad value '0x10000000000000001' for 'vcpus' (expected a number from 1 to 64)");
    /* 2^32 + 1 must not truncate to 1 when stored as unsigned. */
    CHECK_ERR(VM "vcpus = 4294967297\n", 3,
              "bad value '4294967297' for 'vcpus' (expected a number from 1 to 64)");
}

/* ---- cpus ---------------------------------------------------------------- */

TEST(cpus_lists)
{
    static const struct { const char *text; uint64_t mask; } ok[] = {
        { "1", 0x2 }, { "0-3", 0xf }, { "0,2,5-7", 0xe5 },
        { "63", 1ull << 63 }, { "0-63", ~0ull }, { "62-63", 3ull << 62 },
        { "3-3", 0x8 }, { "1 , 3", 0xa }, { "2,2", 0x4 }, { "0x3", 0x8 },
    };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(big, sizeof(big), VM "cpus = %s\n", ok[i].text);
        CHECK_OK(big);
        CHECK_EQ_U64(cfg.vms[0].cpus, ok[i].mask);
    }
}

TEST(cpus_bad_lists)
{
    static const char *const bad[] = {
        "3-1", "64", "1,,2", "1,", ",1", "1-", "-1", "0-64", "a", "1-2-3",
        "99999999999999999999", "1;2",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[200];

        snprintf(big, sizeof(big), VM "cpus = %s\n", bad[i]);
        snprintf(want, sizeof(want), "bad value '%s' for 'cpus' "
                 "(expected a CPU list like 0,2,5-7 with CPUs 0..63)", bad[i]);
        CHECK_ERR(big, 3, want);
    }
}

/* ---- strings ------------------------------------------------------------ */

TEST(cmdline_keeps_equals_spaces_and_inner_hash)
{
    CHECK_OK(VM "cmdline =   console=ttyS0  root=/dev/ram0 a#b   \n");
    CHECK_STR(cfg.vms[0].cmdline, "console=ttyS0  root=/dev/ram0 a#b");
    CHECK_OK(VM "cmdline=x=y\n");
    CHECK_STR(cfg.vms[0].cmdline, "x=y");
}

TEST(cmdline_length_limit)
{
    size_t n = strlen(VM "cmdline = ");

    memcpy(big, VM "cmdline = ", n);
    memset(big + n, 'c', 511);
    strcpy(big + n + 511, "\n");
    CHECK_OK(big);
    CHECK_EQ_U64(strlen(cfg.vms[0].cmdline), 511);
    CHECK_EQ_U64(cfg.vms[0].cmdline[510], 'c');

    memset(big + n, 'c', 512);
    strcpy(big + n + 512, "\n");
    CHECK_ERR(big, 3, "value for 'cmdline' too long (max 511 chars)");
}

TEST(path_length_limit)
{
    size_t n = strlen("[vm a]\nkernel = ");

    memcpy(big, "[vm a]\nkernel = ", n);
    memset(big + n, 'p', 127);
    strcpy(big + n + 127, "\ninitrd = i\n");
    CHECK_OK(big);
    CHECK_EQ_U64(strlen(cfg.vms[0].kernel), 127);
    CHECK_STR(cfg.vms[0].initrd, "i");
    CHECK_EQ_U64(cfg.vms[0].initrd_line, 3);

    memset(big + n, 'p', 128);
    strcpy(big + n + 128, "\n");
    CHECK_ERR(big, 2, "value for 'kernel' too long (max 127 chars)");
    memcpy(big, VM "initrd = ", strlen(VM "initrd = "));
    n = strlen(VM "initrd = ");
    memset(big + n, 'p', 200);
    strcpy(big + n + 200, "\n");
    CHECK_ERR(big, 3, "value for 'initrd' too long (max 127 chars)");
}

/* ---- lexical rules -------------------------------------------------------- */

TEST(comments)
{
    CHECK_OK("# top\n"
             "   ; indented\n"
             "\t# tab-indented\n"
             "[hypervisor] # header comment\n"
             "log = debug # trailing\n"
             "serial = com2\t# tab before hash\n"
             "[vm a]\n"
             "kernel = k#1\n"
             "cmdline = a  # c\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_DEBUG);
    CHECK_EQ_U64(cfg.serial_port, 0x2f8);
    CHECK_STR(cfg.vms[0].kernel, "k#1");
    CHECK_STR(cfg.vms[0].cmdline, "a");
    CHECK_EQ_U64(cfg.vms[0].line, 7);
}

TEST(blanks_around_everything)
{
    CHECK_OK("  \t\n"
             "\t[ vm \t web-1_x ]  \n"
             "  kernel\t=\t/boot/k  \n"
             "vcpus=2\n");
    CHECK_STR(cfg.vms[0].name, "web-1_x");
    CHECK_STR(cfg.vms[0].kernel, "/boot/k");
    CHECK_EQ_U64(cfg.vms[0].vcpus, 2);
    CHECK_EQ_U64(cfg.vms[0].kernel_line, 3);
}

TEST(crlf_line_endings)
{
    CHECK_OK("[hypervisor]\r\nlog = warn\r\n\r\n[vm a]\r\nkernel = k\r\n"
             "cmdline = quiet\r\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_WARN);
    CHECK_STR(cfg.vms[0].kernel, "k");
    CHECK_STR(cfg.vms[0].cmdline, "quiet");
    CHECK_EQ_U64(cfg.vms[0].line, 4);
    CHECK_EQ_U64(cfg.vms[0].kernel_line, 5);
    CHECK_ERR("[hypervisor]\r\n\r\nlog = loud\r\n", 3,
              "bad value 'loud' for 'log' (expected error, warn, info or debug)");
}

TEST(no_trailing_newline)
{
    CHECK_OK("[vm a]\nkernel = k\nmemory = 128M");
    CHECK_EQ_U64(cfg.vms[0].memory, 128ull << 20);
    CHECK_OK("[vm a]\r\nkernel = last\r");
    CHECK_STR(cfg.vms[0].kernel, "last");
    CHECK_ERR("[vm a]\nkernel = k\nmemory = 1", 3,
              "bad value '1' for 'memory' (expected a multiple of 4K)");
}

TEST(length_is_honoured_not_nul)
{
    static const char text[] = "[hypervisor]\nlog = debugJUNK";

    CHECK_EQ_U64(parse_n(text, sizeof(text) - 1 - 4), 0);
    CHECK_EQ_U64(cfg.log, CFG_LOG_DEBUG);
    CHECK_EQ_U64(parse_n(text, 0), 0);
    CHECK_EQ_U64(cfg.log, CFG_LOG_INFO);
}

TEST(nul_byte_is_error)
{
    static const char text[] = "[hypervisor]\nlog = info\nser\0ial = com1\n";

    CHECK(parse_n(text, sizeof(text) - 1) < 0);
    CHECK_EQ_U64(err.line, 3);
    CHECK_STR(err.msg, "NUL byte in text (binary file?)");
    /* Even in a comment line. */
    CHECK(parse_n("# a\0b\n", 6) < 0);
    CHECK_EQ_U64(err.line, 1);
}

TEST(utf8_bom_skipped)
{
    CHECK_OK("\xEF\xBB\xBF[hypervisor]\nlog = error\n");
    CHECK_EQ_U64(cfg.log, CFG_LOG_ERROR);
}

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

TEST(sixteen_vms_ok)
{
    build_vms(16);
    CHECK_OK(big);
    CHECK_EQ_U64(cfg.nvms, 16);
    CHECK_STR(cfg.vms[15].name, "vm15");
    CHECK_STR(cfg.vms[15].kernel, "k15");
    CHECK_EQ_U64(cfg.vms[15].line, 31);
    CHECK_EQ_U64(cfg.vms[15].kernel_line, 32);
}

TEST(seventeen_vms_error)
{
    build_vms(17);
    CHECK_ERR(big, 33, "too many VMs (max 16)");
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

UNIT_MAIN("config")

TEST(time_limit_units)
{
    CHECK_OK(VM "time_limit = 500ms\n");
    CHECK_EQ_U64(cfg.vms[0].time_limit_ms, 500);
    CHECK_OK(VM "time_limit = 10s\n");
    CHECK_EQ_U64(cfg.vms[0].time_limit_ms, 10000);
    CHECK_OK(VM "time_limit = 3\n");
    CHECK_EQ_U64(cfg.vms[0].time_limit_ms, 3000);
    CHECK_OK(VM);
    CHECK_EQ_U64(cfg.vms[0].time_limit_ms, 0);
    CHECK_ERR(VM "time_limit = soon\n", 3,
              "bad value 'soon' for 'time_limit' (expected a duration like 500ms or 10s (at most a day))");
    CHECK_ERR(VM "time_limit = 90000s\n", 3,
              "bad value '90000s' for 'time_limit' (expected a duration like 500ms or 10s (at most a day))");
}

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
