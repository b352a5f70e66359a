/* MSI address/data decoding (drivers/msi.c, SDM Vol. 3A 11.11). */
#include "unit.h"

#include "../../drivers/msi.h"

/* msi_deliver's two callees, recorded. */
static struct apic_msg sent;
static int nsent, nlogged;
void vlapic_send(struct vm *vm, struct vcpu *from, const struct apic_msg *m)
{
    (void)vm, (void)from;
    sent = *m;
    nsent++;
}
void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
    (void)level, (void)fmt;
    nlogged++;
}

TEST(fixed_physical)
{
    struct apic_msg m;
    const char *why;

    CHECK(msi_decode(0xfee03000, 0x0041, &m, &why));
    CHECK(m.dest == 3 && !m.logical && m.mode == APIC_DM_FIXED);
    CHECK(m.vector == 0x41 && !m.level && m.shorthand == 0);
}

/* 11.11.1: DM gives the destination mode with or without RH (Linux's
 * flat logical mode sends DM = 1, RH = 0). */
TEST(destination_mode_with_and_without_redirection_hint)
{
    struct apic_msg m;
    const char *why;

    CHECK(msi_decode(0xfee0f004, 0x0030, &m, &why)); /* DM, no RH */
    CHECK(m.logical && m.dest == 0x0f);
    CHECK(msi_decode(0xfee01000, 0x0030, &m, &why)); /* physical */
    CHECK(!m.logical && m.dest == 0x01);
    CHECK(msi_decode(0xfee0f00c, 0x0130, &m, &why)); /* RH + DM, lowest */
    CHECK(m.logical && m.mode == APIC_DM_LOWEST);
}

TEST(modes_and_trigger)
{
    struct apic_msg m;
    const char *why;

    CHECK(msi_decode(0xfee00000, 0xc422, &m, &why));
    CHECK(m.mode == APIC_DM_NMI && m.level && m.vector == 0x22);
    CHECK(msi_decode(0xfee00000, 0x0700, &m, &why));
    CHECK(m.mode == APIC_DM_EXTINT);
}

TEST(undefined_messages_refused)
{
    struct apic_msg m;
    const char *why;

    CHECK(!msi_decode(0xfed00000, 0x0041, &m, &why));
    CHECK(!msi_decode(0x1fee00000ull, 0x0041, &m, &why));
    CHECK(!msi_decode(0xfee00000, 0x0341, &m, &why)); /* mode 011 */
    CHECK(!msi_decode(0xfee00000, 0x0641, &m, &why)); /* start-up */
}

TEST(deliver_sends_or_logs_once)
{
    static struct vm vm;

    nsent = nlogged = 0;
    msi_deliver(&vm, 0xfee01000, 0x0050);
    CHECK(nsent == 1 && sent.dest == 1 && sent.vector == 0x50);
    msi_deliver(&vm, 0x1000, 0x0050);
    msi_deliver(&vm, 0x1000, 0x0050);
    CHECK(nsent == 1 && nlogged == 1);
}

UNIT_MAIN("msi")
