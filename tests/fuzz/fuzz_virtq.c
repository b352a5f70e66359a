/* Split virtqueues, the device side (drivers/virtq.c), on a hostile
 * driver: the input is guest RAM (rings at fixed addresses; the first
 * bytes also pick the queue size and features).  The device takes and
 * completes chains until the queue is empty or broken; every chain it
 * accepts must keep its promises: buffers inside RAM, readable ones
 * first, at most VIRTQ_MAX_CHAIN of them, a head inside the table. */
#include "fuzz.h"

#include <string.h>

#include "../../drivers/virtq.h"

#define RAM 65536

static uint8_t ram[RAM];

static void *map(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    if (gpa >= RAM || len > RAM - gpa)
        return NULL;
    return ram + gpa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct virtq_mem mem = { map, NULL };
    struct virtq q;
    struct virtq_chain c;
    const char *why;

    if (size < 2)
        return 0;
    memset(ram, 0, sizeof(ram));
    memcpy(ram, data, size < RAM ? size : RAM);
    q = (struct virtq){ .size = (uint16_t)(1u << (data[0] % 9)),
                        .desc = 0x1000, .avail = 0x3000, .used = 0x4000,
                        .indirect = data[1] & 1, .event_idx = data[1] & 2 };
    if (virtq_check(&q, &mem, &why))
        return 0;
    for (int round = 0; round < 2 * VIRTQ_MAX_CHAIN; round++) {
        enum virtq_result r = virtq_pop(&q, &mem, &c, &why);

        if (r != VIRTQ_CHAIN)
            break;
        FUZZ_ASSERT(c.head < q.size);
        FUZZ_ASSERT(c.n >= 1 && c.n <= VIRTQ_MAX_CHAIN && c.nreadable <= c.n);
        for (unsigned i = 0; i < c.n; i++) {
            FUZZ_ASSERT(!c.buf[i].len ||
                        map(NULL, c.buf[i].gpa, c.buf[i].len) != NULL);
            FUZZ_ASSERT(c.buf[i].device_writes == (i >= c.nreadable));
        }
        FUZZ_ASSERT(virtq_push(&q, &mem, c.head, (uint32_t)c.writable_len,
                               &why) == 0);
        (void)virtq_needs_interrupt(&q, &mem);
    }
    return 0;
}
