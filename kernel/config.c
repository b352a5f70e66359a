/*
 * hv.cfg parser: lexer and driver.  See config.h for the contract and
 * config_parse.h for how the parser is split across files.
 *
 * config_parse() splits the text into lines; parse_line() strips CR, blanks
 * and comments and dispatches to parse_header() or parse_assignment(); keys
 * are looked up in the current section's table (config_keys.c), whose
 * setters validate and store the values.  Every message goes through
 * config_error_set().
 */
#include <stdarg.h>
#include <stdio.h>

#include "config_parse.h"

/* Returned by a setter that wrote its own, fuller error message. */
const char cfg_already_reported[] = "";

/* ---- error messages ---- */

int config_error_set(struct config_error *e, unsigned line, const char *fmt,
		     ...)
{
	va_list ap;

	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

struct quoted cfg_quote(struct str v)
{
	struct quoted q;
	bool cut = v.n > MSG_VALUE_MAX;

	snprintf(q.s, sizeof(q.s), "'%.*s%s'", (int)(cut ? MSG_VALUE_MAX : v.n),
		 v.p, cut ? "..." : "");
	return q;
}

/* "[hypervisor]" or "[vm NAME]" for messages about the current section. */
struct section_label {
	char s[sizeof("[vm ]") + CFG_NAME_MAX];
};

static struct section_label section_label(const struct parser *p)
{
	struct section_label l;

	if (p->sec == SEC_HV)
		snprintf(l.s, sizeof(l.s), "[hypervisor]");
	else
		snprintf(l.s, sizeof(l.s), "[vm %s]", p->vm->name);
	return l;
}

/* ---- sections ---- */

static void vm_defaults(struct vm_config *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->type = CFG_VM_MULTIBOOT;
	vm->memory = CFG_MEMORY_DEFAULT;
	vm->vcpus = 1;
	vm->cpus = CFG_CPUS_ANY;
	vm->sched = CFG_SCHED_SHARED;
	vm->weight = CFG_WEIGHT_DEFAULT;
	vm->on_crash = CFG_CRASH_STOP;
	vm->autostart = true;
	vm->unassigned = CFG_UNASSIGNED_ONES;
}

/* Checks that need the whole section, run when it ends. */
static int end_section(struct parser *p)
{
	if (p->sec == SEC_VM && p->vm->kernel[0] == '\0')
		return config_error_set(p->err, p->vm->line,
					"missing 'kernel' in %s",
					section_label(p).s);
	/* A Linux kernel takes one initrd (boot protocol); modules are
	 * Multiboot's. */
	if (p->sec == SEC_VM && p->vm->nmodules &&
	    p->vm->type != CFG_VM_MULTIBOOT)
		return config_error_set(p->err, p->vm->modules[0].line,
					"'module' needs type = multiboot in %s",
					section_label(p).s);
	return 0;
}

static bool valid_vm_name(struct str name)
{
	if (name.n < 1 || name.n >= CFG_NAME_MAX)
		return false;
	for (size_t i = 0; i < name.n; i++) {
		char c = name.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int begin_vm(struct parser *p, struct str name)
{
	struct hv_config *c = p->cfg;

	if (!valid_vm_name(name))
		return cfg_fail(p,
				"bad VM name %s (expected 1..31 chars of A-Z a-z 0-9 _ -)",
				cfg_quote(name).s);
	if (c->nvms >= CFG_MAX_VMS)
		return cfg_fail(p, "too many VMs (max %d)", CFG_MAX_VMS);
	for (unsigned i = 0; i < c->nvms; i++)
		if (str_eq(name, c->vms[i].name))
			return cfg_fail(p, "duplicate VM name %s",
					cfg_quote(name).s);
	p->vm = &c->vms[c->nvms++];
	vm_defaults(p->vm);
	str_copy(p->vm->name, sizeof(p->vm->name), name);
	p->vm->line = p->line;
	p->sec = SEC_VM;
	p->seen = 0;
	return 0;
}

static int begin_hypervisor(struct parser *p)
{
	if (p->hv_seen)
		return cfg_fail(p, "duplicate section [hypervisor]");
	p->hv_seen = true;
	p->sec = SEC_HV;
	p->seen = 0;
	return 0;
}

/* s is trimmed, comment-free and starts with '['. */
static int parse_header(struct parser *p, struct str s)
{
	struct str inner, kind, rest;
	size_t sp = 0;

	if (end_section(p) < 0)
		return -1;
	if (str_find(s, ']') == s.n)
		return cfg_fail(p, "unterminated '[' (expected ']')");
	if (s.p[s.n - 1] != ']')
		return cfg_fail(p, "unexpected text after ']'");
	inner = trim((struct str){ s.p + 1, s.n - 2 });
	while (sp < inner.n && !is_blank(inner.p[sp]))
		sp++;
	kind = (struct str){ inner.p, sp };
	rest = trim((struct str){ inner.p + sp, inner.n - sp });
	if (str_eq(kind, "vm"))
		return begin_vm(p, rest);
	if (str_eq(kind, "hypervisor") && rest.n == 0)
		return begin_hypervisor(p);
	if (inner.n > MSG_VALUE_MAX)
		inner.n = MSG_VALUE_MAX;
	return cfg_fail(p,
			"unknown section [%.*s] (expected [hypervisor] or [vm NAME])",
			(int)inner.n, inner.p);
}

/* ---- key = value ---- */

static int find_key(const struct key_def *table, struct str key)
{
	for (int i = 0; table[i].name; i++)
		if (str_eq(key, table[i].name))
			return i;
	return -1;
}

/* Checks that do not depend on the key: known, once, not empty, length. */
static int check_key(struct parser *p, const struct key_def *table, int i,
		     struct str key, struct str val)
{
	if (i < 0)
		return cfg_fail(p, "unknown key %s in %s", cfg_quote(key).s,
				section_label(p).s);
	if ((p->seen & (UINT32_C(1) << i)) && !(table[i].flags & KEY_REPEAT))
		return cfg_fail(p, "duplicate key %s in %s", cfg_quote(key).s,
				section_label(p).s);
	if (val.n == 0 && !(table[i].flags & KEY_EMPTY))
		return cfg_fail(p, "empty value for %s", cfg_quote(key).s);
	if (table[i].max_len && val.n > table[i].max_len)
		return cfg_fail(p, "value for %s too long (max %zu chars)",
				cfg_quote(key).s, table[i].max_len);
	return 0;
}

static int apply_key(struct parser *p, struct str key, struct str val)
{
	const struct key_def *table = p->sec == SEC_HV ? cfg_hv_keys
						       : cfg_vm_keys;
	int i = find_key(table, key);
	const char *expected;

	if (check_key(p, table, i, key, val) < 0)
		return -1;
	expected = table[i].set(p, val);
	if (expected == cfg_already_reported)
		return -1;
	if (expected)
		return cfg_fail(p, "bad value %s for %s (expected %s)",
				cfg_quote(val).s, cfg_quote(key).s, expected);
	p->seen |= UINT32_C(1) << i;
	return 0;
}

/* s is trimmed, comment-free, non-empty and not a header. */
static int parse_assignment(struct parser *p, struct str s)
{
	size_t eq = str_find(s, '=');
	struct str key, val;

	if (eq == s.n)
		return cfg_fail(p, "expected 'key = value'");
	key = trim((struct str){ s.p, eq });
	val = trim((struct str){ s.p + eq + 1, s.n - eq - 1 });
	if (key.n == 0)
		return cfg_fail(p,
				"missing key before '=' (expected 'key = value')");
	if (p->sec == SEC_NONE)
		return cfg_fail(p,
				"key %s outside any section (add [hypervisor] or [vm NAME])",
				cfg_quote(key).s);
	return apply_key(p, key, val);
}

/* ---- lines ---- */

/* A '#' preceded by a blank starts a comment ("a#b" keeps its '#'). */
static struct str strip_comment(struct str s)
{
	for (size_t i = 1; i < s.n; i++) {
		if (s.p[i] == '#' && is_blank(s.p[i - 1])) {
			s.n = i;
			break;
		}
	}
	return s;
}

static int parse_line(struct parser *p, struct str s)
{
	if (s.n && s.p[s.n - 1] == '\r')
		s.n--;
	if (str_find(s, '\0') < s.n)
		return cfg_fail(p, "NUL byte in text (binary file?)");
	s = trim(s);
	if (s.n == 0 || s.p[0] == '#' || s.p[0] == ';')
		return 0;
	s = trim(strip_comment(s));
	if (s.p[0] == '[')
		return parse_header(p, s);
	return parse_assignment(p, s);
}

/* Return the line starting at *pos (without '\n') and advance past it. */
static struct str next_line(const char *text, size_t len, size_t *pos)
{
	struct str rest = { text + *pos, len - *pos };
	size_t n = str_find(rest, '\n');

	*pos += n < rest.n ? n + 1 : n;
	return (struct str){ rest.p, n };
}

/* ---- public API ---- */

void config_defaults(struct hv_config *c)
{
	memset(c, 0, sizeof(*c));
	c->serial_port = 0x3f8;
	c->log = CFG_LOG_INFO;
	c->on_idle = CFG_IDLE_HALT;
	c->selftest = false;
	c->nvms = 0;
}

int config_parse(const char *text, size_t len, struct hv_config *out,
		 struct config_error *err)
{
	struct config_error scratch;
	struct parser p;
	size_t pos = 0;

	memset(&p, 0, sizeof(p));
	p.err = err ? err : &scratch;
	p.err->line = 0;
	p.err->msg[0] = '\0';
	if (!out || (!text && len))
		return config_error_set(p.err, 0, "no input");
	config_defaults(out);
	p.cfg = out;
	/* Tolerate a UTF-8 byte order mark from Windows editors. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		struct str line = next_line(text, len, &pos);

		p.line++;
		if (parse_line(&p, line) < 0)
			return -1;
	}
	return end_section(&p);
}

const char *cfg_vm_type_name(enum cfg_vm_type t)
{
	switch (t) {
	case CFG_VM_MULTIBOOT: return "multiboot";
	case CFG_VM_LINUX: return "linux";
	}
	return "?";
}
