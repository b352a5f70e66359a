/* Which speculation barriers hv uses on which CPU (arch/spec_ctrl.c),
 * as KVM and Xen choose them from CPUID.(7,0).EDX and ARCH_CAPABILITIES. */
#include "unit.h"

#include "../../arch/spec_ctrl.h"

#define MD_CLEAR (1u << 10)
#define IBRS_IBPB (1u << 26)
#define STIBP (1u << 27)
#define L1D_FLUSH (1u << 28)
#define ARCH_CAPS (1u << 29)
#define SSBD (1u << 31)
#define RDCL_NO 1ull
#define SKIP_L1DFL 8ull
#define MDS_NO 32ull

TEST(old_cpu_without_controls_gets_nothing)
{
    struct spec_caps c = spec_caps_choose(0, 0);
    CHECK(!c.spec_ctrl && !c.ibpb && !c.flush_l1d_on_entry && !c.verw_on_entry);
}

TEST(l1tf_affected_cpu_flushes_l1d)
{
    /* Skylake-era: everything, no ARCH_CAPABILITIES. */
    struct spec_caps c = spec_caps_choose(
        MD_CLEAR | IBRS_IBPB | STIBP | L1D_FLUSH | SSBD, 0);
    CHECK(c.spec_ctrl && c.ibpb && c.l1d_flush);
    CHECK(c.flush_l1d_on_entry);
    CHECK(!c.verw_on_entry); /* the flush clears the MDS buffers too */
}

TEST(rdcl_no_cpu_uses_verw_for_mds)
{
    struct spec_caps c = spec_caps_choose(
        MD_CLEAR | IBRS_IBPB | L1D_FLUSH | ARCH_CAPS, RDCL_NO);
    CHECK(!c.flush_l1d_on_entry);
    CHECK(c.verw_on_entry);
    CHECK_EQ_U64(c.arch_cap_val, RDCL_NO);
}

TEST(nested_hypervisor_told_to_skip_flush)
{
    struct spec_caps c = spec_caps_choose(
        MD_CLEAR | L1D_FLUSH | ARCH_CAPS, SKIP_L1DFL);
    CHECK(!c.flush_l1d_on_entry);
    CHECK(c.verw_on_entry);
}

TEST(unaffected_cpu_needs_no_entry_barrier)
{
    struct spec_caps c = spec_caps_choose(
        MD_CLEAR | IBRS_IBPB | L1D_FLUSH | ARCH_CAPS, RDCL_NO | MDS_NO);
    CHECK(!c.flush_l1d_on_entry && !c.verw_on_entry);
    CHECK(c.ibpb); /* IBPB between VMs all the same */
}

TEST(arch_caps_value_ignored_when_cpuid_lacks_it)
{
    struct spec_caps c = spec_caps_choose(MD_CLEAR | L1D_FLUSH, RDCL_NO);
    CHECK(!c.arch_caps);
    CHECK_EQ_U64(c.arch_cap_val, 0);
    CHECK(c.flush_l1d_on_entry);
}

/* Indirect Target Selection: ITS_NO goes to guests only where the host
 * is not affected, by the rules Linux applies to itself. */
#define ITS_NO (1ull << 62)

static struct spec_cpu_id intel6(unsigned model, unsigned stepping)
{
    return (struct spec_cpu_id){ .intel = true, .family = 6,
                                 .model = model, .stepping = stepping };
}

TEST(its_affected_models_and_steppings)
{
    struct spec_cpu_id id = intel6(0x55, 5); /* Skylake-X up to 5: no */
    CHECK(!spec_its_affected(&id, 0));
    id = intel6(0x55, 7); /* Cascade Lake */
    CHECK(spec_its_affected(&id, 0));
    id = intel6(0x9e, 0xc);
    CHECK(!spec_its_affected(&id, 0));
    id = intel6(0x9e, 0xd); /* Coffee Lake */
    CHECK(spec_its_affected(&id, 0));
    id = intel6(0x8c, 1); /* Tiger Lake L, any stepping */
    CHECK(spec_its_affected(&id, 0));
    id = intel6(0x3c, 3); /* Haswell (Bochs's model here): not listed */
    CHECK(!spec_its_affected(&id, 0));
    id = intel6(0x97, 2); /* Alder Lake: not listed */
    CHECK(!spec_its_affected(&id, 0));
}

TEST(its_no_bhi_ctrl_vendor_and_nesting)
{
    struct spec_cpu_id id = intel6(0x8c, 1);
    CHECK(!spec_its_affected(&id, ITS_NO)); /* told so by our own host */
    id.bhi_ctrl = true; /* no affected CPU has BHI_CTRL */
    CHECK(!spec_its_affected(&id, 0));
    id = intel6(0x3c, 3);
    id.hypervisor = true; /* nested, not told: the real CPU is unknown */
    CHECK(spec_its_affected(&id, 0));
    CHECK(!spec_its_affected(&id, ITS_NO));
    id = (struct spec_cpu_id){ .intel = false, .family = 0x19,
                               .hypervisor = true };
    CHECK(!spec_its_affected(&id, 0)); /* AMD */
}

UNIT_MAIN("spec_ctrl")
