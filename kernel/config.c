/*
 * hv.cfg parser.  See config.h for the contract.
 *
 * Structure: config_parse() splits the text into lines; parse_line() strips
 * CR, blanks and comments and dispatches to parse_header() or
 * parse_assignment(); keys are looked up in a per-section table of small
 * setter functions.  Only memcpy/memset/memcmp/strlen/strcmp/strncmp are
 * used so the file builds freestanding (kernel, UEFI) and hosted (tests).
 */
#include "config.h"

#include <string.h>

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
    unsigned line;          /* current 1-based line */
    enum section sec;
    struct vm_config *vm;   /* current VM when sec == SEC_VM */
    uint32_t seen;          /* key-table bits already set in this section */
    bool hv_seen;           /* [hypervisor] may appear only once */
};

/*
 * A setter validates and stores one value.  It returns NULL on success or
 * the text for "(expected ...)" on a bad value, so each check can say
 * precisely what was wrong.
 */
typedef const char *(*setter_fn)(struct parser *p, struct str v);

struct key_def {
    const char *name;
    setter_fn set;
    size_t max_len;         /* longest accepted value; 0 = setter decides */
};

#define MSG_VALUE_MAX 40    /* quoted values longer than this get "..." */

/* ---- string slices ---------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct str trim(struct str s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool str_eq(struct str s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Index of s in the NULL-terminated list `words`, or -1. */
static int str_lookup(struct str s, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (str_eq(s, words[i]))
            return i;
    return -1;
}

/* Index of the first `c` in s, or s.n when absent (no memchr available). */
static size_t str_find(struct str s, char c)
{
    size_t i = 0;

    while (i < s.n && s.p[i] != c)
        i++;
    return i;
}

/* Copy as a C string; truncates defensively (callers check lengths). */
static void str_copy(char *dst, size_t cap, struct str s)
{
    if (s.n >= cap)
        s.n = cap - 1;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
}

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

/* ---- error messages (no snprintf: append with truncation) ------------- */

static void msg_cat(struct config_error *e, const char *s, size_t n)
{
    size_t len = strlen(e->msg);
    size_t room = sizeof(e->msg) - 1 - len;

    if (n > room)
        n = room;
    memcpy(e->msg + len, s, n);
    e->msg[len + n] = '\0';
}

static void msg_str(struct config_error *e, const char *s)
{
    msg_cat(e, s, strlen(s));
}

static void msg_num(struct config_error *e, uint64_t v)
{
    char buf[20];
    size_t i = sizeof(buf);

    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    msg_cat(e, buf + i, sizeof(buf) - i);
}

static void msg_hex(struct config_error *e, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[18];
    size_t i = sizeof(buf);

    do {
        buf[--i] = digits[v & 0xf];
        v >>= 4;
    } while (v);
    buf[--i] = 'x';
    buf[--i] = '0';
    msg_cat(e, buf + i, sizeof(buf) - i);
}

/* Append 'value', shortened so the rest of the message still fits. */
static void msg_quoted(struct config_error *e, struct str v)
{
    msg_str(e, "'");
    if (v.n > MSG_VALUE_MAX) {
        msg_cat(e, v.p, MSG_VALUE_MAX);
        msg_str(e, "...");
    } else {
        msg_cat(e, v.p, v.n);
    }
    msg_str(e, "'");
}

/* Start a new message at `line`; returns the error code for convenience. */
static int fail_at(struct parser *p, unsigned line, const char *text)
{
    p->err->line = line;
    p->err->msg[0] = '\0';
    msg_str(p->err, text);
    return -1;
}

static int fail(struct parser *p, const char *text)
{
    return fail_at(p, p->line, text);
}

/* "[hypervisor]" or "[vm NAME]" for messages about the current section. */
static void msg_section(struct parser *p)
{
    if (p->sec == SEC_HV) {
        msg_str(p->err, "[hypervisor]");
        return;
    }
    msg_str(p->err, "[vm ");
    msg_str(p->err, p->vm->name);
    msg_str(p->err, "]");
}

/* ---- numbers ---------------------------------------------------------- */

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Bare hex digits (no 0x), at most 15 of them. */
static bool parse_hex_digits(struct str s, uint64_t *out)
{
    uint64_t v = 0;

    if (s.n < 1 || s.n > 15)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        int d = digit_value(s.p[i]);
        if (d < 0)
            return false;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return true;
}

/* Decimal or 0x hex; rejects empty input, junk and overflow (no wrap). */
static bool parse_u64(struct str s, uint64_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    uint64_t v = 0;

    if (s.n > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i >= s.n)
        return false;
    for (; i < s.n; i++) {
        int d = digit_value(s.p[i]);

        if (d < 0 || (unsigned)d >= base)
            return false;
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return false;
        v = v * base + (unsigned)d;
    }
    *out = v;
    return true;
}

/* Integer with optional K/M/G suffix (any case), overflow-checked. */
static bool parse_size(struct str s, uint64_t *out)
{
    unsigned shift = 0;
    uint64_t v;

    if (s.n) {
        switch (s.p[s.n - 1]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: break;
        }
    }
    if (shift)
        s.n--;
    if (!parse_u64(s, &v) || v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

/* "N" or "N-M" with 0 <= N <= M <= 63, OR-ed into *mask. */
static bool add_cpu_range(struct str s, uint64_t *mask)
{
    size_t dash = str_find(s, '-');
    struct str lo_s = { s.p, dash };
    struct str hi_s = s;
    uint64_t lo, hi;

    if (dash < s.n) {
        hi_s.p = s.p + dash + 1;
        hi_s.n = s.n - dash - 1;
    }
    if (!parse_u64(trim(lo_s), &lo) || !parse_u64(trim(hi_s), &hi))
        return false;
    if (lo > hi || hi > 63)
        return false;
    for (uint64_t c = lo; c <= hi; c++)
        *mask |= (uint64_t)1 << c;
    return true;
}

/* Comma-separated ranges, e.g. "0,2,5-7"; empty items are errors. */
static bool parse_cpu_list(struct str s, uint64_t *out)
{
    uint64_t mask = 0;
    size_t start = 0;

    for (size_t i = 0; i <= s.n; i++) {
        if (i < s.n && s.p[i] != ',')
            continue;
        struct str item = { s.p + start, i - start };

        if (!add_cpu_range(trim(item), &mask))
            return false;
        start = i + 1;
    }
    *out = mask;
    return true;
}

/* ---- [hypervisor] keys ------------------------------------------------- */

static const char *set_serial(struct parser *p, struct str v)
{
    static const char *const names[] = {
        "com1", "com2", "com3", "com4", "none", NULL
    };
    static const uint16_t ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8, 0 };
    int i = str_lookup(v, names);

    if (i < 0)
        return "com1, com2, com3, com4 or none";
    p->cfg->serial_port = ports[i];
    return NULL;
}

static const char *set_log(struct parser *p, struct str v)
{
    static const char *const names[] = {
        "error", "warn", "info", "debug", NULL
    };
    int i = str_lookup(v, names);

    if (i < 0)
        return "error, warn, info or debug";
    p->cfg->log = (enum cfg_log_level)i;
    return NULL;
}

static const char *set_on_idle(struct parser *p, struct str v)
{
    static const char *const names[] = { "halt", "poweroff", NULL };
    int i = str_lookup(v, names);

    if (i < 0)
        return "halt or poweroff";
    p->cfg->on_idle = (enum cfg_on_idle)i;
    return NULL;
}

static const char *set_selftest(struct parser *p, struct str v)
{
    /* Even index = true, odd = false. */
    static const char *const names[] = {
        "yes", "no", "true", "false", "1", "0", NULL
    };
    int i = str_lookup(v, names);

    if (i < 0)
        return "yes or no";
    p->cfg->selftest = (i % 2 == 0);
    return NULL;
}

static const struct key_def hv_keys[] = {
    { "serial", set_serial, 0 },
    { "log", set_log, 0 },
    { "on_idle", set_on_idle, 0 },
    { "selftest", set_selftest, 0 },
    { NULL, NULL, 0 },
};

/* ---- [vm NAME] keys ----------------------------------------------------- */

static const char *set_type(struct parser *p, struct str v)
{
    static const char *const names[] = { "multiboot", "linux", NULL };
    int i = str_lookup(v, names);

    if (i < 0)
        return "multiboot or linux";
    p->vm->type = (enum cfg_vm_type)i;
    return NULL;
}

static const char *set_kernel(struct parser *p, struct str v)
{
    str_copy(p->vm->kernel, sizeof(p->vm->kernel), v);
    p->vm->kernel_line = p->line;
    return NULL;
}

static const char *set_initrd(struct parser *p, struct str v)
{
    str_copy(p->vm->initrd, sizeof(p->vm->initrd), v);
    p->vm->initrd_line = p->line;
    return NULL;
}

static const char *set_cmdline(struct parser *p, struct str v)
{
    str_copy(p->vm->cmdline, sizeof(p->vm->cmdline), v);
    return NULL;
}

static const char *set_memory(struct parser *p, struct str v)
{
    uint64_t bytes;

    if (!parse_size(v, &bytes))
        return "a size like 256M";
    if (bytes == 0)
        return "a size above 0";
    if (bytes % 4096)
        return "a multiple of 4K";
    if (bytes > CFG_MEMORY_MAX)
        return "at most 64G";
    p->vm->memory = bytes;
    return NULL;
}

static const char *set_vcpus(struct parser *p, struct str v)
{
    uint64_t n;

    if (!parse_u64(v, &n) || n < 1 || n > CFG_VCPUS_MAX)
        return "a number from 1 to 64";
    p->vm->vcpus = (unsigned)n;
    return NULL;
}

static const char *set_cpus(struct parser *p, struct str v)
{
    if (!parse_cpu_list(v, &p->vm->cpus))
        return "a CPU list like 0,2,5-7 with CPUs 0..63";
    return NULL;
}

static const char *set_on_crash(struct parser *p, struct str v)
{
    static const char *const names[] = { "stop", "restart", NULL };
    int i = str_lookup(v, names);

    if (i < 0)
        return "stop or restart";
    p->vm->on_crash = (enum cfg_on_crash)i;
    return NULL;
}

/* "N", "Ns" (seconds) or "Nms"; at most a day. */
static const char *set_time_limit(struct parser *p, struct str v)
{
    uint64_t n, scale = 1000;

    if (v.n > 2 && v.p[v.n - 2] == 'm' && v.p[v.n - 1] == 's') {
        v.n -= 2;
        scale = 1;
    } else if (v.n > 1 && v.p[v.n - 1] == 's') {
        v.n -= 1;
    }
    if (!parse_u64(v, &n) || n > 86400000 / scale)
        return "a duration like 500ms or 10s (at most a day)";
    p->vm->time_limit_ms = n * scale;
    return NULL;
}

/* Set by a setter that wrote its own, fuller error message. */
static const char already_reported[] = "";

/* "N" or "N-M", 0 <= N <= M <= 0xffff. */
static bool parse_port_range(struct str s, struct cfg_port_range *r)
{
    size_t dash = str_find(s, '-');
    struct str lo_s = { s.p, dash }, hi_s = s;
    uint64_t lo, hi;

    if (dash < s.n) {
        hi_s.p = s.p + dash + 1;
        hi_s.n = s.n - dash - 1;
    }
    if (!parse_u64(trim(lo_s), &lo) || !parse_u64(trim(hi_s), &hi) ||
        lo > hi || hi > 0xffff)
        return false;
    *r = (struct cfg_port_range){ (uint16_t)lo, (uint16_t)hi };
    return true;
}

static bool ranges_overlap(struct cfg_port_range a, struct cfg_port_range b)
{
    return a.first <= b.last && b.first <= a.last;
}

/* The VM (this one included) that already has a port of r, or NULL. */
static const struct vm_config *pio_owner(const struct parser *p,
                                         struct cfg_port_range r)
{
    for (unsigned i = 0; i < p->cfg->nvms; i++) {
        const struct vm_config *vm = &p->cfg->vms[i];
        for (unsigned j = 0; j < vm->npio; j++)
            if (ranges_overlap(vm->pio[j], r))
                return vm;
    }
    return NULL;
}

/* "0x2f8-0x2ff, 0xe9": host ports handed to this VM alone. */
static const char *set_passthrough_io(struct parser *p, struct str v)
{
    size_t start = 0;

    for (size_t i = 0; i <= v.n; i++) {
        struct cfg_port_range r;
        const struct vm_config *owner;

        if (i < v.n && v.p[i] != ',')
            continue;
        if (!parse_port_range(trim((struct str){ v.p + start, i - start }), &r))
            return "port ranges like 0x2f8-0x2ff, 0xe9 (ports up to 0xffff)";
        if (p->vm->npio == CFG_PIO_MAX)
            return "at most 8 ranges";
        if ((owner = pio_owner(p, r)) != NULL) {
            fail(p, "ports ");
            msg_hex(p->err, r.first);
            msg_str(p->err, "-");
            msg_hex(p->err, r.last);
            msg_str(p->err, owner == p->vm ? " listed twice for VM "
                                           : " already passed through to VM ");
            msg_str(p->err, owner->name);
            msg_str(p->err, " (a port goes to one VM only)");
            return already_reported;
        }
        p->vm->pio[p->vm->npio++] = r;
        start = i + 1;
    }
    p->vm->pio_line = p->line;
    return NULL;
}

/* "bb:dd.f" in hex, the way lspci writes a function. */
static bool parse_pci_function(struct str s, uint16_t *bdf)
{
    size_t colon = str_find(s, ':'), dot = str_find(s, '.');
    struct str bus_s = { s.p, colon };
    uint64_t bus, dev, fn;

    if (colon >= s.n || dot >= s.n || dot < colon || dot + 2 != s.n)
        return false;
    struct str dev_s = { s.p + colon + 1, dot - colon - 1 };
    struct str fn_s = { s.p + dot + 1, 1 };
    if (bus_s.n < 1 || bus_s.n > 2 || dev_s.n < 1 || dev_s.n > 2)
        return false;
    if (!parse_hex_digits(bus_s, &bus) || !parse_hex_digits(dev_s, &dev) ||
        !parse_hex_digits(fn_s, &fn) || dev > 0x1f || fn > 7)
        return false;
    *bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
    return true;
}

static void msg_pci_function(struct config_error *e, uint16_t bdf)
{
    static const char digits[] = "0123456789abcdef";
    char buf[7] = { digits[bdf >> 12], digits[(bdf >> 8) & 0xf], ':',
                    digits[(bdf >> 7) & 1], digits[(bdf >> 3) & 0xf], '.',
                    (char)('0' + (bdf & 7)) };

    msg_cat(e, buf, sizeof(buf));
}

/* The VM (this one included) that already owns the function, or NULL. */
static const struct vm_config *pci_owner(const struct parser *p, uint16_t bdf)
{
    for (unsigned i = 0; i < p->cfg->nvms; i++)
        for (unsigned j = 0; j < p->cfg->vms[i].npci; j++)
            if (p->cfg->vms[i].pci[j] == bdf)
                return &p->cfg->vms[i];
    return NULL;
}

/* "00:03.0, 00:04.0": host PCI functions handed to this VM alone. */
static const char *set_passthrough_pci(struct parser *p, struct str v)
{
    size_t start = 0;

    for (size_t i = 0; i <= v.n; i++) {
        const struct vm_config *owner;
        uint16_t bdf;

        if (i < v.n && v.p[i] != ',')
            continue;
        if (!parse_pci_function(trim((struct str){ v.p + start, i - start }),
                                &bdf))
            return "PCI functions like 00:03.0 (bus:device.function, hex)";
        if (p->vm->npci == CFG_PCI_MAX)
            return "at most 4 functions";
        if ((owner = pci_owner(p, bdf)) != NULL) {
            fail(p, "PCI function ");
            msg_pci_function(p->err, bdf);
            msg_str(p->err, owner == p->vm ? " listed twice for VM "
                                           : " already passed through to VM ");
            msg_str(p->err, owner->name);
            msg_str(p->err, " (a device goes to one VM only)");
            return already_reported;
        }
        p->vm->pci[p->vm->npci++] = bdf;
        start = i + 1;
    }
    p->vm->pci_line = p->line;
    return NULL;
}

static const struct key_def vm_keys[] = {
    { "type", set_type, 0 },
    { "kernel", set_kernel, CFG_PATH_MAX - 1 },
    { "initrd", set_initrd, CFG_PATH_MAX - 1 },
    { "cmdline", set_cmdline, CFG_CMDLINE_MAX - 1 },
    { "memory", set_memory, 0 },
    { "vcpus", set_vcpus, 0 },
    { "cpus", set_cpus, 0 },
    { "on_crash", set_on_crash, 0 },
    { "time_limit", set_time_limit, 0 },
    { "passthrough_io", set_passthrough_io, 0 },
    { "passthrough_pci", set_passthrough_pci, 0 },
    { NULL, NULL, 0 },
};

/* ---- sections ----------------------------------------------------------- */

static void vm_defaults(struct vm_config *vm)
{
    memset(vm, 0, sizeof(*vm));
    vm->type = CFG_VM_MULTIBOOT;
    vm->memory = CFG_MEMORY_DEFAULT;
    vm->vcpus = 1;
    vm->cpus = CFG_CPUS_ANY;
    vm->on_crash = CFG_CRASH_STOP;
}

/* Checks that need the whole section, run when it ends. */
static int end_section(struct parser *p)
{
    if (p->sec == SEC_VM && p->vm->kernel[0] == '\0') {
        fail_at(p, p->vm->line, "missing 'kernel' in ");
        msg_section(p);
        return -1;
    }
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

    if (!valid_vm_name(name)) {
        fail(p, "bad VM name ");
        msg_quoted(p->err, name);
        msg_str(p->err, " (expected 1..31 chars of A-Z a-z 0-9 _ -)");
        return -1;
    }
    if (c->nvms >= CFG_MAX_VMS)
        return fail(p, "too many VMs (max 16)");
    for (unsigned i = 0; i < c->nvms; i++) {
        if (str_eq(name, c->vms[i].name)) {
            fail(p, "duplicate VM name ");
            msg_quoted(p->err, name);
            return -1;
        }
    }
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
        return fail(p, "duplicate section [hypervisor]");
    p->hv_seen = true;
    p->sec = SEC_HV;
    p->seen = 0;
    return 0;
}

/* s is trimmed, comment-free and starts with '['. */
static int parse_header(struct parser *p, struct str s)
{
    struct str inner, kind, rest;
    size_t sp;

    if (end_section(p) < 0)
        return -1;
    if (str_find(s, ']') == s.n)
        return fail(p, "unterminated '[' (expected ']')");
    if (s.p[s.n - 1] != ']')
        return fail(p, "unexpected text after ']'");
    inner = trim((struct str){ s.p + 1, s.n - 2 });
    sp = 0;
    while (sp < inner.n && !is_blank(inner.p[sp]))
        sp++;
    kind = (struct str){ inner.p, sp };
    rest = trim((struct str){ inner.p + sp, inner.n - sp });
    if (str_eq(kind, "vm"))
        return begin_vm(p, rest);
    if (str_eq(kind, "hypervisor") && rest.n == 0)
        return begin_hypervisor(p);
    fail(p, "unknown section [");
    msg_cat(p->err, inner.p, inner.n > MSG_VALUE_MAX ? MSG_VALUE_MAX : inner.n);
    msg_str(p->err, "] (expected [hypervisor] or [vm NAME])");
    return -1;
}

/* ---- key = value ---------------------------------------------------------- */

static int find_key(const struct key_def *table, struct str key)
{
    for (int i = 0; table[i].name; i++)
        if (str_eq(key, table[i].name))
            return i;
    return -1;
}

/* Message "<prefix>'key'<suffix>" for errors about one key. */
static int fail_key(struct parser *p, const char *prefix, struct str key,
                    const char *suffix)
{
    fail(p, prefix);
    msg_quoted(p->err, key);
    msg_str(p->err, suffix);
    return -1;
}

/* "bad value 'v' for 'key' (expected ...)" */
static int fail_bad_value(struct parser *p, struct str key, struct str val,
                          const char *expected)
{
    fail(p, "bad value ");
    msg_quoted(p->err, val);
    msg_str(p->err, " for ");
    msg_quoted(p->err, key);
    msg_str(p->err, " (expected ");
    msg_str(p->err, expected);
    msg_str(p->err, ")");
    return -1;
}

static int apply_key(struct parser *p, struct str key, struct str val)
{
    const struct key_def *table = p->sec == SEC_HV ? hv_keys : vm_keys;
    int i = find_key(table, key);
    const char *expected;

    if (i < 0) {
        fail_key(p, "unknown key ", key, " in ");
        msg_section(p);
        return -1;
    }
    if (p->seen & (UINT32_C(1) << i)) {
        fail_key(p, "duplicate key ", key, " in ");
        msg_section(p);
        return -1;
    }
    if (val.n == 0)
        return fail_key(p, "empty value for ", key, "");
    if (table[i].max_len && val.n > table[i].max_len) {
        fail_key(p, "value for ", key, " too long (max ");
        msg_num(p->err, table[i].max_len);
        msg_str(p->err, " chars)");
        return -1;
    }
    expected = table[i].set(p, val);
    if (expected == already_reported)
        return -1;
    if (expected)
        return fail_bad_value(p, key, val, expected);
    p->seen |= UINT32_C(1) << i;
    return 0;
}

/* s is trimmed, comment-free, non-empty and not a header. */
static int parse_assignment(struct parser *p, struct str s)
{
    size_t eq = str_find(s, '=');
    struct str key, val;

    if (eq == s.n)
        return fail(p, "expected 'key = value'");
    key = trim((struct str){ s.p, eq });
    val = trim((struct str){ s.p + eq + 1, s.n - eq - 1 });
    if (key.n == 0)
        return fail(p, "missing key before '=' (expected 'key = value')");
    if (p->sec == SEC_NONE)
        return fail_key(p, "key ", key,
                        " outside any section (add [hypervisor] or [vm NAME])");
    return apply_key(p, key, val);
}

/* ---- lines ----------------------------------------------------------------- */

static int parse_line(struct parser *p, struct str s)
{
    if (s.n && s.p[s.n - 1] == '\r')
        s.n--;
    if (str_find(s, '\0') < s.n)
        return fail(p, "NUL byte in text (binary file?)");
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

/* ---- public API ------------------------------------------------------------- */

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
        return fail_at(&p, 0, "no input");
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
