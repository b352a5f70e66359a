/* Split virtqueues, the device side (drivers/virtq.c): chains as the
 * driver builds them, and every rule a hostile driver can break (Virtio
 * 1.2, 2.7), on a plain buffer standing in for guest RAM. */
#include "unit.h"

#include "../../drivers/virtq.h"

#define RAM_SIZE (1u << 20)
#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define IND 0x4000
#define DATA 0x10000

static uint8_t ram[RAM_SIZE];

static void *map(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return NULL;
    return ram + gpa;
}

static const struct virtq_mem mem = { map, NULL };
static struct virtq q;

static void setup(void)
{
    memset(ram, 0, sizeof(ram));
    q = (struct virtq){ .size = QSIZE, .desc = DESC, .avail = AVAIL,
                        .used = USED, .indirect = true };
}

static void put16(uint64_t gpa, uint16_t v) { memcpy(ram + gpa, &v, 2); }
static uint16_t get16(uint64_t gpa) { uint16_t v; memcpy(&v, ram + gpa, 2); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                    uint16_t flags, uint16_t next)
{
    uint8_t *p = ram + table + 16ull * i;
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

/* The driver makes descriptor `head` available (2.7.13). */
static void offer(uint16_t head)
{
    uint16_t idx = get16(AVAIL + 2);
    put16(AVAIL + 4 + 2 * (idx % QSIZE), head);
    put16(AVAIL + 2, (uint16_t)(idx + 1));
}

static enum virtq_result pop(struct virtq_chain *c, const char **why)
{
    *why = "";
    return virtq_pop(&q, &mem, c, why);
}

TEST(empty_queue_gives_nothing)
{
    struct virtq_chain c;
    const char *why;

    setup();
    CHECK(virtq_check(&q, &mem, &why) == 0);
    CHECK(pop(&c, &why) == VIRTQ_EMPTY);
}

TEST(chain_readable_then_writable)
{
    struct virtq_chain c;
    const char *why;

    setup();
    desc_at(DESC, 3, DATA, 16, VIRTQ_DESC_F_NEXT, 5);
    desc_at(DESC, 5, DATA + 0x100, 512, VIRTQ_DESC_F_NEXT, 0);
    desc_at(DESC, 0, DATA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    offer(3);
    CHECK(pop(&c, &why) == VIRTQ_CHAIN);
    CHECK(c.head == 3 && c.n == 3 && c.nreadable == 2);
    CHECK(c.readable_len == 528 && c.writable_len == 1);
    CHECK(c.buf[2].gpa == DATA + 0x400 && c.buf[2].device_writes);
    CHECK(pop(&c, &why) == VIRTQ_EMPTY);
    CHECK(virtq_push(&q, &mem, c.head, 1, &why) == 0);
    CHECK(get16(USED + 2) == 1);
    CHECK(get32(USED + 4) == 3 && get32(USED + 8) == 1);
}

TEST(indirect_table)
{
    struct virtq_chain c;
    const char *why;

    setup();
    desc_at(IND, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    desc_at(IND, 1, DATA + 0x200, 4096, VIRTQ_DESC_F_WRITE, 0);
    desc_at(DESC, 2, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
    offer(2);
    CHECK(pop(&c, &why) == VIRTQ_CHAIN);
    CHECK(c.head == 2 && c.n == 2 && c.writable_len == 4096);
}

/* Each rule of 2.7 a driver can break: the device refuses the chain. */
static void expect_broken(const char *fragment)
{
    struct virtq_chain c;
    const char *why;

    CHECK(pop(&c, &why) == VIRTQ_BROKEN);
    CHECK(strstr(why, fragment) != NULL);
}

TEST(loop_in_chain_refused)
{
    setup();
    desc_at(DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
    offer(0);
    expect_broken("loops");
}

TEST(loop_in_indirect_table_refused)
{
    setup();
    desc_at(IND, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
    desc_at(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("loops");
}

TEST(buffer_outside_ram_refused)
{
    setup();
    desc_at(DESC, 0, RAM_SIZE - 8, 16, 0, 0);
    offer(0);
    expect_broken("outside the guest's memory");
    setup();
    desc_at(DESC, 0, ~0ull - 4, 16, 0, 0); /* wraps */
    offer(0);
    expect_broken("outside the guest's memory");
}

TEST(bad_indices_refused)
{
    setup();
    offer(QSIZE); /* head outside the table */
    expect_broken("outside the table");
    setup();
    desc_at(DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    offer(0);
    expect_broken("next index outside");
    setup();
    put16(AVAIL + 2, QSIZE + 1); /* more entries than the ring holds */
    expect_broken("more than the queue size");
}

TEST(indirect_rules)
{
    setup();
    q.indirect = false;
    desc_at(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("without VIRTIO_F_INDIRECT_DESC");
    setup();
    desc_at(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    offer(0);
    expect_broken("NEXT set");
    setup();
    desc_at(IND, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("inside an indirect table");
    setup();
    desc_at(DESC, 0, IND, 24, VIRTQ_DESC_F_INDIRECT, 0);
    offer(0);
    expect_broken("multiple of 16");
}

TEST(readable_after_writable_refused)
{
    setup();
    desc_at(DESC, 0, DATA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc_at(DESC, 1, DATA, 8, 0, 0);
    offer(0);
    expect_broken("readable buffer after");
}

TEST(too_long_chain_refused)
{
    static struct virtq big;
    struct virtq_chain c;
    const char *why;

    setup();
    big = (struct virtq){ .size = 128, .desc = 0x20000, .avail = 0x21000,
                          .used = 0x22000 };
    for (unsigned i = 0; i < 100; i++)
        desc_at(0x20000, i, DATA, 1, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    put16(0x21000 + 4, 0);
    put16(0x21000 + 2, 1);
    CHECK(virtq_pop(&big, &mem, &c, &why) == VIRTQ_BROKEN);
    CHECK(strstr(why, "longer than 64") != NULL);
}

TEST(layout_checked)
{
    const char *why;

    setup();
    q.size = 6;
    CHECK(virtq_check(&q, &mem, &why) == -1);
    setup();
    q.desc = DESC + 8;
    CHECK(virtq_check(&q, &mem, &why) == -1);
    setup();
    q.used = RAM_SIZE - 16;
    CHECK(virtq_check(&q, &mem, &why) == -1);
}

/* 2.7.10: with EVENT_IDX the device interrupts only when the used index
 * crosses used_event, and tells the driver where to notify next. */
TEST(event_idx)
{
    struct virtq_chain c;
    const char *why;

    setup();
    q.event_idx = true;
    for (uint16_t i = 0; i < 4; i++) {
        desc_at(DESC, i, DATA, 8, 0, 0);
        offer(i);
    }
    put16(AVAIL + 4 + 2 * QSIZE, 2); /* used_event: after the 3rd */
    CHECK(pop(&c, &why) == VIRTQ_CHAIN);
    CHECK(get16(USED + 4 + 8 * QSIZE) == 1); /* avail_event */
    virtq_push(&q, &mem, c.head, 0, &why);
    CHECK(virtq_needs_interrupt(&q, &mem)); /* the first one always */
    pop(&c, &why);
    virtq_push(&q, &mem, c.head, 0, &why); /* used idx 2 */
    CHECK(!virtq_needs_interrupt(&q, &mem));
    pop(&c, &why);
    virtq_push(&q, &mem, c.head, 0, &why); /* used idx 3: crosses 2 */
    CHECK(virtq_needs_interrupt(&q, &mem));
    pop(&c, &why);
    virtq_push(&q, &mem, c.head, 0, &why);
    CHECK(!virtq_needs_interrupt(&q, &mem));
    CHECK(virtq_need_event(0xffff, 0, 0xfffe)); /* across the wrap */
}

TEST(no_interrupt_flag_without_event_idx)
{
    setup();
    CHECK(virtq_needs_interrupt(&q, &mem));
    put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
    CHECK(!virtq_needs_interrupt(&q, &mem));
}

UNIT_MAIN("virtq")
