/* Host unit tests for the hv.cfg parser (kernel/config.c): defaults, every
 * key, values and the lexical rules.  Errors and passthrough are in
 * test_config_errors.c and test_config_passthrough.c. */
#include "config_test.h"

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
    CHECK_EQ_U64(cfg.vms[0].unassigned, CFG_UNASSIGNED_ONES);
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

TEST(unassigned_memory_values)
{
    CHECK_OK(VM "unassigned_memory = stop\n");
    CHECK_EQ_U64(cfg.vms[0].unassigned, CFG_UNASSIGNED_STOP);
    CHECK_OK(VM "unassigned_memory = ones\n");
    CHECK_EQ_U64(cfg.vms[0].unassigned, CFG_UNASSIGNED_ONES);
    CHECK_ERR(VM "unassigned_memory = zeros\n", 3,
              "bad value 'zeros' for 'unassigned_memory' (expected ones or stop)");
    CHECK_ERR(VM "unassigned_memory = stop\nunassigned_memory = ones\n", 4,
              "duplicate key 'unassigned_memory' in [vm a]");
}

TEST(testdev_values)
{
    CHECK_OK(VM);
    CHECK_EQ_U64(cfg.vms[0].testdev, CFG_TESTDEV_NONE);
    CHECK_OK(VM "testdev = qemu\n");
    CHECK_EQ_U64(cfg.vms[0].testdev, CFG_TESTDEV_QEMU);
    CHECK_OK(VM "testdev = none\n");
    CHECK_EQ_U64(cfg.vms[0].testdev, CFG_TESTDEV_NONE);
    CHECK_ERR(VM "testdev = kvm\n", 3,
              "bad value 'kvm' for 'testdev' (expected none or qemu)");
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

/* ---- sched, weight -------------------------------------------------------- */

TEST(sched_and_weight_defaults)
{
    CHECK_OK(VM);
    CHECK_EQ_U64(cfg.vms[0].sched, CFG_SCHED_SHARED);
    CHECK_EQ_U64(cfg.vms[0].weight, 100);
    CHECK_EQ_U64(cfg.vms[0].sched_line, 0);
    CHECK_EQ_U64(cfg.vms[0].cpus_line, 0);
    CHECK_EQ_U64(cfg.vms[0].vcpus_line, 0);
}

TEST(sched_and_weight_values)
{
    CHECK_OK(VM "sched = dedicated\ncpus = 1\nvcpus = 1\n");
    CHECK_EQ_U64(cfg.vms[0].sched, CFG_SCHED_DEDICATED);
    CHECK_EQ_U64(cfg.vms[0].sched_line, 3);
    CHECK_EQ_U64(cfg.vms[0].cpus_line, 4);
    CHECK_EQ_U64(cfg.vms[0].vcpus_line, 5);
    CHECK_OK(VM "sched = shared\nweight = 1\n");
    CHECK_EQ_U64(cfg.vms[0].sched, CFG_SCHED_SHARED);
    CHECK_EQ_U64(cfg.vms[0].weight, 1);
    CHECK_OK(VM "weight = 1000\n");
    CHECK_EQ_U64(cfg.vms[0].weight, 1000);
    CHECK_OK(VM "weight = 0x10\n");
    CHECK_EQ_U64(cfg.vms[0].weight, 16);
}

TEST(sched_and_weight_bad_values)
{
    CHECK_ERR(VM "sched = Dedicated\n", 3,
              "bad value 'Dedicated' for 'sched' (expected shared or dedicated)");
    CHECK_ERR(VM "weight = 0\n", 3,
              "bad value '0' for 'weight' (expected a number from 1 to 1000)");
    CHECK_ERR(VM "weight = 1001\n", 3,
              "bad value '1001' for 'weight' (expected a number from 1 to 1000)");
    CHECK_ERR(VM "weight = 4294967396\n", 3,
              "bad value '4294967396' for 'weight' (expected a number from 1 to 1000)");
    CHECK_ERR(VM "weight = -5\n", 3,
              "bad value '-5' for 'weight' (expected a number from 1 to 1000)");
    CHECK_ERR(VM "sched = shared\nsched = shared\n", 4,
              "duplicate key 'sched' in [vm a]");
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

/* ---- Multiboot modules and the command line ------------------------------ */

/* `module = PATH ARGS`, repeatable, kept in file order (GRUB's `module`
 * lines give Multiboot modules in order; Multiboot spec 3.3 mods_addr). */
TEST(module_lines_in_order)
{
    CHECK_OK(VM "module = \\m\\one.txt  first  arg \nmodule = \\two\n"
             "module = \\3\targs\tx # comment\n");
    CHECK_EQ_U64(cfg.vms[0].nmodules, 3);
    CHECK_STR(cfg.vms[0].modules[0].path, "\\m\\one.txt");
    CHECK_STR(cfg.vms[0].modules[0].args, "first  arg");
    CHECK_EQ_U64(cfg.vms[0].modules[0].line, 3);
    CHECK_STR(cfg.vms[0].modules[1].path, "\\two");
    CHECK_STR(cfg.vms[0].modules[1].args, "");
    CHECK_STR(cfg.vms[0].modules[2].path, "\\3");
    CHECK_STR(cfg.vms[0].modules[2].args, "args\tx");
    CHECK_EQ_U64(cfg.vms[0].modules[2].line, 5);
}

#define DISK_USAGE "PATH, then ', ro' and/or ', size=SIZE' (512-byte " \
    "sectors, up to 1024G)"

TEST(disk_lines)
{
    CHECK_OK(VM "disk = \\img\\root.img\ndisk = \\x.img , ro\n");
    CHECK_EQ_U64(cfg.vms[0].ndisks, 2);
    CHECK_STR(cfg.vms[0].disks[0].path, "\\img\\root.img");
    CHECK(!cfg.vms[0].disks[0].ro);
    CHECK_EQ_U64(cfg.vms[0].disks[0].line, 3);
    CHECK_STR(cfg.vms[0].disks[1].path, "\\x.img");
    CHECK(cfg.vms[0].disks[1].ro);
    CHECK_ERR(VM "disk = a\ndisk = b\ndisk = c\ndisk = d\ndisk = e\n", 7,
              "too many 'disk' lines (max 4)");
    CHECK_ERR(VM "disk = a, rw\n", 3,
              "bad value 'a, rw' for 'disk' (expected " DISK_USAGE ")");
}

TEST(disk_size_option)
{
    CHECK_OK(VM "disk = \\a.img, size=64M\ndisk = b.img,ro,size=1024G\n"
             "disk = c.img , size=4096 , ro\ndisk = d.img, size=512\n");
    CHECK_EQ_U64(cfg.vms[0].disks[0].size, 64ull << 20);
    CHECK(!cfg.vms[0].disks[0].ro);
    CHECK_STR(cfg.vms[0].disks[0].path, "\\a.img");
    CHECK_EQ_U64(cfg.vms[0].disks[1].size, 1ull << 40);
    CHECK(cfg.vms[0].disks[1].ro);
    CHECK_EQ_U64(cfg.vms[0].disks[2].size, 4096);
    CHECK(cfg.vms[0].disks[2].ro);
    CHECK_STR(cfg.vms[0].disks[2].path, "c.img");
    CHECK_EQ_U64(cfg.vms[0].disks[3].size, 512);
    /* Without size= the image's own size is used: 0 here. */
    CHECK_OK(VM "disk = a.img, ro\n");
    CHECK_EQ_U64(cfg.vms[0].disks[0].size, 0);
    /* Not whole sectors, zero, over 1 TiB, no number, twice, empty. */
    CHECK_ERR(VM "disk = a, size=1000\n", 3,
              "bad value 'a, size=1000' for 'disk' (expected " DISK_USAGE ")");
    CHECK_ERR(VM "disk = a, size=0\n", 3,
              "bad value 'a, size=0' for 'disk' (expected " DISK_USAGE ")");
    CHECK_ERR(VM "disk = a, size=1025G\n", 3,
              "bad value 'a, size=1025G' for 'disk' (expected " DISK_USAGE ")");
    CHECK_ERR(VM "disk = a, size=M\n", 3,
              "bad value 'a, size=M' for 'disk' (expected " DISK_USAGE ")");
    CHECK_ERR(VM "disk = a, size=1M, size=2M\n", 3,
              "bad value 'a, size=1M, size=2M' for 'disk' (expected "
              DISK_USAGE ")");
    CHECK_ERR(VM "disk = a, ro, ro\n", 3,
              "bad value 'a, ro, ro' for 'disk' (expected " DISK_USAGE ")");
    CHECK_ERR(VM "disk = a,\n", 3,
              "bad value 'a,' for 'disk' (expected " DISK_USAGE ")");
    CHECK_ERR(VM "disk = , size=1M\n", 3,
              "bad value ', size=1M' for 'disk' (expected " DISK_USAGE ")");
}

TEST(module_none_by_default)
{
    CHECK_OK(VM);
    CHECK_EQ_U64(cfg.vms[0].nmodules, 0);
}

TEST(module_limits)
{
    CHECK_OK(VM "module = a\nmodule = b\nmodule = c\nmodule = d\n");
    CHECK_EQ_U64(cfg.vms[0].nmodules, CFG_MODULES_MAX);
    CHECK_ERR(VM "module = a\nmodule = b\nmodule = c\nmodule = d\n"
              "module = e\n", 7, "too many 'module' lines (max 4)");
    CHECK_ERR(VM "module =\n", 3, "empty value for 'module'");
    memset(big, 'p', 128);
    strcpy(big + 128, " x\n");
    {
        char text[9000];
        snprintf(text, sizeof(text), VM "module = %s", big);
        CHECK_ERR(text, 3, "bad value 'pppppppppppppppppppppppppppppppppppppppp...'"
                  " for 'module' (expected a path and arguments of at most"
                  " 127 chars each)");
    }
}

TEST(module_only_for_multiboot)
{
    CHECK_ERR("[vm l]\ntype = linux\nkernel = k\nmodule = m\n", 4,
              "'module' needs type = multiboot in [vm l]");
    CHECK_ERR("[vm l]\nmodule = m\ntype = linux\nkernel = k\n[vm b]\n"
              "kernel = k\n", 2, "'module' needs type = multiboot in [vm l]");
}

/* `cmdline =` with nothing after it is an empty argument list. */
TEST(cmdline_empty_value)
{
    CHECK_OK(VM "cmdline =\n");
    CHECK_STR(cfg.vms[0].cmdline, "");
    CHECK_OK(VM "cmdline =   # none\n");
    CHECK_STR(cfg.vms[0].cmdline, "");
    CHECK_ERR(VM "cmdline =\ncmdline = x\n", 4,
              "duplicate key 'cmdline' in [vm a]");
}

/* The monitor's snapshot budget: none unless set; a size in 4 KiB pages. */
TEST(snapshot_memory_values)
{
    CHECK_OK("[hypervisor]\n");
    CHECK_EQ_U64(cfg.snapshot_memory, 0);
    CHECK_OK("[hypervisor]\nsnapshot_memory = 512M\n");
    CHECK_EQ_U64(cfg.snapshot_memory, 512ull << 20);
    CHECK_OK("[hypervisor]\nsnapshot_memory = 64K\n");
    CHECK_EQ_U64(cfg.snapshot_memory, 64ull << 10);
    CHECK_ERR("[hypervisor]\nsnapshot_memory = lots\n", 2,
              "bad value 'lots' for 'snapshot_memory' (expected a size like 512M)");
    CHECK_ERR("[hypervisor]\nsnapshot_memory = 1000\n", 2,
              "bad value '1000' for 'snapshot_memory' (expected a multiple of 4K)");
}

UNIT_MAIN("config")
