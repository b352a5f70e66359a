/*
 * Shared bits of the host libFuzzer targets (tests/fuzz/fuzz_*.c).  Each
 * target feeds libFuzzer's bytes to one pure parser from the kernel tree,
 * built for the host with ASan and UBSan (see the Makefile's FUZZ_*), and
 * checks what the parser promises about its output with FUZZ_ASSERT: a
 * broken promise aborts, so libFuzzer saves the input as a crash.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do {                                              \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__,        \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* Reads every byte of [p, p + n) so ASan checks the range the parser
 * vouched for; the sum keeps the reads from being optimised away. */
static inline uint8_t fuzz_touch(const uint8_t *p, uint64_t n)
{
    volatile uint8_t sum = 0;

    for (uint64_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

#endif /* FUZZ_H */
