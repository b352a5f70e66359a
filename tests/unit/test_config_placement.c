/* Host unit tests for the placement rules (kernel/config_placement.c):
 * which host CPU each dedicated vCPU owns, where shared vCPUs may run,
 * and the configs the host's CPUs cannot satisfy, refused with their
 * line. */
#include "config_test.h"

static struct cfg_placement pl;
static struct config_error perr;

#define HOST4 0xfull /* CPUs 0-3 */

/* Parses text (which must be valid) and places it on `host`. */
static int place(const char *text, uint64_t host)
{
    if (parse(text) != 0) {
        perr = err;       /* the parse error, shown by CHECK_PLACED */
        return -2;
    }
    memset(&pl, 0xa5, sizeof(pl));
    memset(&perr, 'X', sizeof(perr));
    return config_place(&cfg, host, &pl, &perr);
}

#define CHECK_PLACED(text, host) do {                                       \
        if (place(text, host) != 0)                                         \
            UNIT_FAIL("placement failed: line %u: %s", perr.line, perr.msg);\
    } while (0)

#define CHECK_REFUSED(text, host, ln, message) do {                         \
        CHECK(place(text, host) == -1);                                     \
        CHECK_EQ_U64(perr.line, ln);                                        \
        CHECK_STR(perr.msg, message);                                       \
    } while (0)

TEST(host_cpus_mask)
{
    CHECK_EQ_U64(config_host_cpus(1), 0x1);
    CHECK_EQ_U64(config_host_cpus(4), 0xf);
    CHECK_EQ_U64(config_host_cpus(63), ~0ull >> 1);
    CHECK_EQ_U64(config_host_cpus(64), ~0ull);
}

TEST(shared_default_runs_anywhere_on_the_host)
{
    CHECK_PLACED("[vm a]\nkernel = k\nvcpus = 8\n", HOST4);
    CHECK_EQ_U64(pl.owned, 0);
    CHECK_EQ_U64(pl.cpus[0], HOST4);
    /* More shared vCPUs than CPUs is fine: they take turns. */
}

TEST(dedicated_vcpu_i_owns_the_ith_cpu_of_its_set)
{
    CHECK_PLACED("[vm a]\nkernel = k\nsched = dedicated\nvcpus = 2\ncpus = 3,1\n"
                 "[vm b]\nkernel = k\nvcpus = 2\n", HOST4);
    CHECK_EQ_U64(pl.vcpu_cpu[0][0], 1);
    CHECK_EQ_U64(pl.vcpu_cpu[0][1], 3);
    CHECK_EQ_U64(pl.cpus[0], 0xa);
    CHECK_EQ_U64(pl.owned, 0xa);
    /* The shared VM keeps the rest. */
    CHECK_EQ_U64(pl.cpus[1], 0x5);
}

TEST(dedicated_extra_cpus_stay_free_for_shared)
{
    CHECK_PLACED("[vm a]\nkernel = k\nsched = dedicated\ncpus = 1-2\n"
                 "[vm b]\nkernel = k\ncpus = 2-3\n", HOST4);
    CHECK_EQ_U64(pl.vcpu_cpu[0][0], 1);
    CHECK_EQ_U64(pl.owned, 0x2);
    CHECK_EQ_U64(pl.cpus[1], 0xc);
}

TEST(two_dedicated_vms_on_their_own_cpus)
{
    CHECK_PLACED("[vm a]\nkernel = k\nsched = dedicated\ncpus = 1\n"
                 "[vm b]\nkernel = k\nsched = dedicated\ncpus = 2\n"
                 "[vm c]\nkernel = k\n", HOST4);
    CHECK_EQ_U64(pl.vcpu_cpu[0][0], 1);
    CHECK_EQ_U64(pl.vcpu_cpu[1][0], 2);
    CHECK_EQ_U64(pl.owned, 0x6);
    CHECK_EQ_U64(pl.cpus[2], 0x9);
}

TEST(refuses_more_vcpus_than_dedicated_cpus)
{
    CHECK_REFUSED("[vm a]\nkernel = k\nsched = dedicated\nvcpus = 3\ncpus = 1-2\n",
                  HOST4, 5,
                  "[vm a] has 3 vCPUs but cpus gives it 2 CPUs (sched = dedicated needs one per vCPU)");
}

TEST(refuses_two_dedicated_vms_on_one_cpu)
{
    CHECK_REFUSED("[vm a]\nkernel = k\nsched = dedicated\ncpus = 1-2\nvcpus = 2\n"
                  "[vm b]\nkernel = k\nsched = dedicated\ncpus = 2\n",
                  HOST4, 9, "[vm a] and [vm b] are both dedicated to CPU 2");
    /* Owned CPUs clash, not sets: b's set overlaps a's unused CPU 3. */
    CHECK_PLACED("[vm a]\nkernel = k\nsched = dedicated\ncpus = 1-3\nvcpus = 2\n"
                 "[vm b]\nkernel = k\nsched = dedicated\ncpus = 3\n", HOST4);
    CHECK_EQ_U64(pl.vcpu_cpu[1][0], 3);
}

TEST(refuses_a_cpu_the_host_lacks)
{
    CHECK_REFUSED("[vm a]\nkernel = k\nsched = dedicated\ncpus = 4\n",
                  HOST4, 4,
                  "[vm a] cpus names CPU 4, which the host lacks (it has CPUs 0-3)");
    /* A shared VM's list is taken literally too: a typo is refused, not
     * silently dropped, even though CPU 1 exists. */
    CHECK_REFUSED("[vm a]\nkernel = k\n\n[vm b]\nkernel = k\ncpus = 1,9\n",
                  0x5, 6,
                  "[vm b] cpus names CPU 1, which the host lacks (it has CPUs 0,2)");
    CHECK_PLACED("[vm a]\nkernel = k\ncpus = 0-63\n", ~0ull);
    /* Even a list naming every CPU number is taken at its word. */
    CHECK_REFUSED("[vm a]\nkernel = k\ncpus = 0-63\n", HOST4, 3,
                  "[vm a] cpus names CPU 4, which the host lacks (it has CPUs 0-3)");
}

TEST(refuses_dedicated_without_a_cpu_list)
{
    CHECK_REFUSED("[vm a]\nkernel = k\nsched = dedicated\n", HOST4, 3,
                  "[vm a] sched = dedicated needs a 'cpus' list of the CPUs it owns");
}

TEST(refuses_a_shared_vm_left_without_cpus)
{
    CHECK_REFUSED("[vm s]\nkernel = k\ncpus = 1-2\n"
                  "[vm a]\nkernel = k\nsched = dedicated\ncpus = 1-2\nvcpus = 2\n",
                  HOST4, 3,
                  "[vm s] has no CPU left: CPU 1 of its cpus is dedicated to [vm a] and the others too");
    CHECK_REFUSED("[vm a]\nkernel = k\nsched = dedicated\ncpus = 0-1\nvcpus = 2\n"
                  "[vm s]\nkernel = k\n",
                  0x3, 6, "[vm s] has no CPU left: dedicated VMs own every host CPU");
    /* One CPU of its set left is enough. */
    CHECK_PLACED("[vm s]\nkernel = k\ncpus = 1-3\n"
                 "[vm a]\nkernel = k\nsched = dedicated\ncpus = 1-2\nvcpus = 2\n", HOST4);
    CHECK_EQ_U64(pl.cpus[0], 0x8);
}

TEST(null_outputs_are_allowed)
{
    CHECK_OK("[vm a]\nkernel = k\nsched = dedicated\ncpus = 9\n");
    CHECK(config_place(&cfg, HOST4, NULL, NULL) == -1);
    CHECK(config_place(&cfg, 0x3ff, NULL, NULL) == 0);
    CHECK(config_place(&cfg, 0, NULL, NULL) == -1);
}

UNIT_MAIN("config_placement")
