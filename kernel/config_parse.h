/*
 * What the hv.cfg parser's files share; callers use config.h only.
 *
 *   config.c              lexer and driver: lines, comments, sections,
 *                         key lookup, error messages
 *   config_keys.c         [hypervisor] and [vm] key tables and the value
 *                         parsers (numbers, sizes, durations, CPU lists)
 *   config_passthrough.c  passthrough_io and passthrough_pci, and the
 *                         rule that a port or PCI function goes to one VM
 *
 * All three build freestanding (kernel, UEFI stage) and hosted (unit test,
 * fuzz targets): newlib or libc string functions and vsnprintf only.
 */
#ifndef HV_CONFIG_PARSE_H
#define HV_CONFIG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

/* A non-owning slice of the input, which need not be NUL-terminated. */
struct str {
	const char *p;
	size_t n;
};

enum section { SEC_NONE, SEC_HV, SEC_VM };

/* All parsing state lives here, on the caller's stack: no globals. */
struct parser {
	struct hv_config *cfg;
	struct config_error *err;
	unsigned line;		/* current 1-based line */
	enum section sec;
	struct vm_config *vm;	/* current VM when sec == SEC_VM */
	uint32_t seen;		/* key-table bits already set in this section */
	bool hv_seen;		/* [hypervisor] may appear only once */
};

/*
 * A setter validates and stores one value.  It returns NULL on success,
 * the text for "(expected ...)" on a bad value, or cfg_already_reported
 * when it wrote a fuller message itself.
 */
typedef const char *(*setter_fn)(struct parser *p, struct str v);

struct key_def {
	const char *name;
	setter_fn set;
	size_t max_len;		/* longest accepted value; 0 = setter decides */
	unsigned flags;		/* KEY_* */
};

#define KEY_REPEAT (1u << 0)	/* may appear more than once per section */
#define KEY_EMPTY (1u << 1)	/* an empty value is a value */

/* Tables end with a NULL name; config.c looks keys up in them. */
extern const struct key_def cfg_hv_keys[];
extern const struct key_def cfg_vm_keys[];

extern const char cfg_already_reported[];

/*
 * Messages (config.c).  config_error_set() records `line` and the message
 * printf-formatted into e->msg, cut to fit as vsnprintf cuts.  It returns
 * -1, the parser's error code, so a caller can return it.
 */
int config_error_set(struct config_error *e, unsigned line, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

/* config_error_set() at the parser's current line. */
#define cfg_fail(p, ...) config_error_set((p)->err, (p)->line, __VA_ARGS__)

#define MSG_VALUE_MAX 40	/* quoted values longer than this get "..." */

/* 'value' for a message: quotes, cut to MSG_VALUE_MAX bytes plus "...". */
struct quoted {
	char s[MSG_VALUE_MAX + sizeof("''...")];
};
struct quoted cfg_quote(struct str v);

/* Values (config_keys.c). */
bool cfg_parse_u64(struct str s, uint64_t *out);
bool cfg_parse_hex(struct str s, uint64_t *out);
bool cfg_parse_range(struct str s, uint64_t max, uint64_t *lo, uint64_t *hi);
bool cfg_next_item(struct str *list, struct str *item);

/* Passthrough setters (config_passthrough.c), listed in cfg_vm_keys. */
const char *cfg_set_passthrough_io(struct parser *p, struct str v);
const char *cfg_set_passthrough_pci(struct parser *p, struct str v);

/* ---- string slices ---- */

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline struct str trim(struct str s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

static inline bool str_eq(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Index of the first `c` in s, or s.n when absent. */
static inline size_t str_find(struct str s, char c)
{
	const char *hit = s.n ? memchr(s.p, c, s.n) : NULL;

	return hit ? (size_t)(hit - s.p) : s.n;
}

/* Copy as a C string; truncates defensively (callers check lengths). */
static inline void str_copy(char *dst, size_t cap, struct str s)
{
	if (s.n >= cap)
		s.n = cap - 1;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
}

#endif /* HV_CONFIG_PARSE_H */
