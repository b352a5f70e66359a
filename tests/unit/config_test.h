/* Shared by the hv.cfg parser tests (test_config*.c): a parse into cfg/err
 * from an exact-size copy, and the checks on its outcome. */
#ifndef CONFIG_TEST_H
#define CONFIG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/config.h"
#include "unit.h"

__attribute__((unused)) static struct hv_config cfg;
__attribute__((unused)) static struct config_error err;
__attribute__((unused)) static char big[8192];

/*
 * Parse `len` bytes from an exact-size heap copy with no terminator, so ASan
 * flags any read past the end.  cfg/err are poisoned first to prove the
 * parser does not depend on their previous contents.
 */
__attribute__((unused)) static int parse_n(const char *text, size_t len)
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

__attribute__((unused)) static int parse(const char *text)
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

#endif /* CONFIG_TEST_H */
