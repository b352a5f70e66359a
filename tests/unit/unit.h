/*
 * Tiny host unit-test framework, one suite per binary:
 *   TEST(adds) { CHECK_EQ_U64(1 + 1, 2); }   ...   UNIT_MAIN("math")
 * Prints "PASS <suite>.<name>" or "FAIL <suite>.<name>: <file>:<line>: <what>"
 * per test in definition order; exits 0 iff all passed.  A failing CHECK keeps
 * the first failure and returns from the enclosing function, so use CHECKs in
 * TEST bodies or void helpers.  Tests self-register (GCC/Clang constructor).
 */
#ifndef UNIT_H
#define UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define UNIT_MAX_TESTS 512

struct unit_test { const char *name; void (*fn)(void); };
static struct unit_test unit_tests[UNIT_MAX_TESTS];
static int unit_ntests, unit_overflow, unit_failed;
static char unit_msg[1024];

__attribute__((unused)) static void unit_register(const char *name, void (*fn)(void))
{
    if (unit_ntests < UNIT_MAX_TESTS) unit_tests[unit_ntests++] = (struct unit_test){ name, fn };
    else unit_overflow = 1;
}

#define TEST(name)                                                          \
    static void unit_test_##name(void);                                     \
    __attribute__((constructor)) static void unit_reg_##name(void)          \
    { unit_register(#name, unit_test_##name); }                             \
    static void unit_test_##name(void)

/* Record "file:line: <printf format...>" (first failure only) and return. */
#define UNIT_FAIL(...) do {                                                 \
        if (!unit_failed) {                                                 \
            int unit_n_ = snprintf(unit_msg, sizeof unit_msg, "%s:%d: ",    \
                                   __FILE__, __LINE__);                     \
            snprintf(unit_msg + unit_n_, sizeof unit_msg - (size_t)unit_n_, \
                     __VA_ARGS__);                                          \
        }                                                                   \
        unit_failed = 1;                                                    \
        return;                                                             \
    } while (0)

#define CHECK(cond) do { if (!(cond)) UNIT_FAIL("%s", #cond); } while (0)

#define CHECK_EQ_U64(a, b) do {                                             \
        uint64_t unit_a_ = (uint64_t)(a), unit_b_ = (uint64_t)(b);          \
        if (unit_a_ != unit_b_)                                             \
            UNIT_FAIL("%s == %s: %" PRIu64 " (0x%" PRIx64 ") != %" PRIu64   \
                      " (0x%" PRIx64 ")", #a, #b, unit_a_, unit_a_,         \
                      unit_b_, unit_b_);                                    \
    } while (0)

#define CHECK_STR(a, b) do {                                                \
        const char *unit_a_ = (a), *unit_b_ = (b);                          \
        if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0)          \
            UNIT_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,                 \
                      unit_a_ ? unit_a_ : "(null)",                         \
                      unit_b_ ? unit_b_ : "(null)");                        \
    } while (0)

__attribute__((unused)) static int unit_run(const char *suite)
{
    int bad = unit_overflow;

    if (unit_overflow)
        printf("FAIL %s.registry: more than %d tests\n", suite, UNIT_MAX_TESTS);
    for (int i = 0; i < unit_ntests; i++) {
        unit_failed = 0;
        unit_tests[i].fn();
        if (unit_failed) printf("FAIL %s.%s: %s\n", suite, unit_tests[i].name, unit_msg);
        else printf("PASS %s.%s\n", suite, unit_tests[i].name);
        fflush(stdout);
        bad |= unit_failed;
    }
    return bad ? 1 : 0;
}

#define UNIT_MAIN(suite) int main(void) { return unit_run(suite); }

#endif /* UNIT_H */
