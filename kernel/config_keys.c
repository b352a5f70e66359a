/*
 * hv.cfg keys: the [hypervisor] and [vm NAME] tables and the setters that
 * validate and store each value, with the value parsers they share
 * (numbers, sizes, durations, CPU lists, keywords).  The passthrough keys'
 * setters live in config_passthrough.c.
 */
#include "config_parse.h"

/* ---- numbers ---- */

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
bool cfg_parse_hex(struct str s, uint64_t *out)
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
bool cfg_parse_u64(struct str s, uint64_t *out)
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

/* "N" or "N-M" (blanks allowed around each) with N <= M <= max. */
bool cfg_parse_range(struct str s, uint64_t max, uint64_t *lo, uint64_t *hi)
{
	size_t dash = str_find(s, '-');
	struct str lo_s = { s.p, dash };
	struct str hi_s = s;

	if (dash < s.n) {
		hi_s.p = s.p + dash + 1;
		hi_s.n = s.n - dash - 1;
	}
	if (!cfg_parse_u64(trim(lo_s), lo) || !cfg_parse_u64(trim(hi_s), hi))
		return false;
	return *lo <= *hi && *hi <= max;
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
	if (!cfg_parse_u64(s, &v) || v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

/*
 * Take the next item, trimmed, off a comma-separated *list; false once the
 * list is used up.  Empty items count ("1,,2" has three, "1," two), so a
 * stray comma is an error where the item is parsed.
 */
bool cfg_next_item(struct str *list, struct str *item)
{
	size_t comma;

	if (!list->p)
		return false;
	comma = str_find(*list, ',');
	*item = trim((struct str){ list->p, comma });
	if (comma < list->n)
		*list = (struct str){ list->p + comma + 1, list->n - comma - 1 };
	else
		*list = (struct str){ NULL, 0 };
	return true;
}

/* Comma-separated CPUs and ranges, e.g. "0,2,5-7". */
static bool parse_cpu_list(struct str s, uint64_t *out)
{
	uint64_t mask = 0, lo, hi;
	struct str item;

	while (cfg_next_item(&s, &item)) {
		if (!cfg_parse_range(item, 63, &lo, &hi))
			return false;
		for (uint64_t c = lo; c <= hi; c++)
			mask |= (uint64_t)1 << c;
	}
	*out = mask;
	return true;
}

/* Index of s in the NULL-terminated list `words`, or -1. */
static int str_lookup(struct str s, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (str_eq(s, words[i]))
			return i;
	return -1;
}

/* ---- [hypervisor] keys ---- */

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

/* 1 for yes/true/1, 0 for no/false/0, -1 for anything else. */
static int yes_no(struct str v)
{
	/* Even index = true, odd = false. */
	static const char *const names[] = {
		"yes", "no", "true", "false", "1", "0", NULL
	};
	int i = str_lookup(v, names);

	return i < 0 ? -1 : i % 2 == 0;
}

static const char *set_selftest(struct parser *p, struct str v)
{
	int yes = yes_no(v);

	if (yes < 0)
		return "yes or no";
	p->cfg->selftest = yes;
	return NULL;
}

/* The budget of the monitor's snapshots (kernel/snapshot.c), in page
 * frames taken from the hypervisor's own memory; none by default. */
static const char *set_snapshot_memory(struct parser *p, struct str v)
{
	uint64_t bytes;

	if (!parse_size(v, &bytes))
		return "a size like 512M";
	if (bytes % 4096)
		return "a multiple of 4K";
	if (bytes > CFG_MEMORY_MAX)
		return "at most 64G";
	p->cfg->snapshot_memory = bytes;
	return NULL;
}

const struct key_def cfg_hv_keys[] = {
	{ "serial", set_serial, 0, 0 },
	{ "log", set_log, 0, 0 },
	{ "on_idle", set_on_idle, 0, 0 },
	{ "selftest", set_selftest, 0, 0 },
	{ "snapshot_memory", set_snapshot_memory, 0, 0 },
	{ NULL, NULL, 0, 0 },
};

/* ---- [vm NAME] keys ---- */

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

/* "PATH" or "PATH ARGS": the path up to the first blank, as for `kernel`;
 * the module's string is then "PATH ARGS" (as GRUB's `module` line). */
static const char *set_module(struct parser *p, struct str v)
{
	struct cfg_module *m;
	size_t sp = 0;
	struct str path, args;

	if (p->vm->nmodules == CFG_MODULES_MAX) {
		cfg_fail(p, "too many 'module' lines (max %d)", CFG_MODULES_MAX);
		return cfg_already_reported;
	}
	while (sp < v.n && !is_blank(v.p[sp]))
		sp++;
	path = (struct str){ v.p, sp };
	args = trim((struct str){ v.p + sp, v.n - sp });
	if (path.n >= CFG_PATH_MAX || args.n >= CFG_MODULE_ARGS_MAX)
		return "a path and arguments of at most 127 chars each";
	m = &p->vm->modules[p->vm->nmodules++];
	str_copy(m->path, sizeof(m->path), path);
	str_copy(m->args, sizeof(m->args), args);
	m->line = p->line;
	return NULL;
}

/* "PATH", then optionally ", ro" and ", size=SIZE" (either order). */
static const char *set_disk(struct parser *p, struct str v)
{
	static const char usage[] = "PATH, then ', ro' and/or "
		"', size=SIZE' (512-byte sectors, up to 1024G)";
	struct cfg_disk d = { .line = p->line };
	size_t comma = str_find(v, ',');
	struct str path = trim((struct str){ v.p, comma });

	if (p->vm->ndisks == CFG_DISKS_MAX) {
		cfg_fail(p, "too many 'disk' lines (max %d)", CFG_DISKS_MAX);
		return cfg_already_reported;
	}
	if (!path.n || path.n >= CFG_PATH_MAX)
		return usage;
	str_copy(d.path, sizeof(d.path), path);
	while (comma < v.n) {
		struct str rest = { v.p + comma + 1, v.n - comma - 1 };
		size_t next = str_find(rest, ',');
		struct str opt = trim((struct str){ rest.p, next });

		if (opt.n == 2 && opt.p[0] == 'r' && opt.p[1] == 'o' && !d.ro) {
			d.ro = true;
		} else if (opt.n > 5 && !memcmp(opt.p, "size=", 5) && !d.size) {
			uint64_t bytes;
			if (!parse_size((struct str){ opt.p + 5, opt.n - 5 },
					&bytes) || !bytes || bytes % 512 ||
			    bytes > CFG_DISK_SIZE_MAX)
				return usage;
			d.size = bytes;
		} else {
			return usage;
		}
		comma += 1 + next;
	}
	p->vm->disks[p->vm->ndisks++] = d;
	return NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "SWITCH" or "SWITCH, mac=XX:XX:XX:XX:XX:XX" (a unicast address). */
static const char *set_net(struct parser *p, struct str v)
{
	static const char usage[] = "a switch name (letters, digits, '_', "
		"'-'; up to 15), then optionally ', mac=52:54:00:12:34:56'";
	struct cfg_net *n;
	size_t comma = str_find(v, ',');
	struct str sw = trim((struct str){ v.p, comma });
	struct str opt = comma < v.n ? trim((struct str){ v.p + comma + 1,
						       v.n - comma - 1 })
				    : (struct str){ v.p + v.n, 0 };

	if (p->vm->nnets == CFG_NETS_MAX) {
		cfg_fail(p, "too many 'net' lines (max %d)", CFG_NETS_MAX);
		return cfg_already_reported;
	}
	if (!sw.n || sw.n >= CFG_SWITCH_NAME_MAX)
		return usage;
	for (size_t i = 0; i < sw.n; i++) {
		char c = sw.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return usage;
	}
	n = &p->vm->nets[p->vm->nnets];
	n->mac_set = comma < v.n;
	if (n->mac_set) {
		if (opt.n != 4 + 17 || opt.p[0] != 'm' || opt.p[1] != 'a' ||
		    opt.p[2] != 'c' || opt.p[3] != '=')
			return usage;
		for (unsigned i = 0; i < 6; i++) {
			const char *h = opt.p + 4 + 3 * i;
			int hi = hex_digit(h[0]), lo = hex_digit(h[1]);
			if (hi < 0 || lo < 0 || (i < 5 && h[2] != ':'))
				return usage;
			n->mac[i] = (uint8_t)(hi << 4 | lo);
		}
		if (n->mac[0] & 1)
			return "mac= must be a unicast address (the first "
			       "octet even)";
	}
	str_copy(n->sw, sizeof(n->sw), sw);
	n->line = p->line;
	p->vm->nnets++;
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

	if (!cfg_parse_u64(v, &n) || n < 1 || n > CFG_VCPUS_MAX)
		return "a number from 1 to 64";
	p->vm->vcpus = (unsigned)n;
	p->vm->vcpus_line = p->line;
	return NULL;
}

static const char *set_cpus(struct parser *p, struct str v)
{
	if (!parse_cpu_list(v, &p->vm->cpus))
		return "a CPU list like 0,2,5-7 with CPUs 0..63";
	p->vm->cpus_line = p->line;
	return NULL;
}

static const char *set_sched(struct parser *p, struct str v)
{
	static const char *const names[] = { "shared", "dedicated", NULL };
	int i = str_lookup(v, names);

	if (i < 0)
		return "shared or dedicated";
	p->vm->sched = (enum cfg_sched)i;
	p->vm->sched_line = p->line;
	return NULL;
}

static const char *set_weight(struct parser *p, struct str v)
{
	uint64_t n;

	if (!cfg_parse_u64(v, &n) || n < CFG_WEIGHT_MIN || n > CFG_WEIGHT_MAX)
		return "a number from 1 to 1000";
	p->vm->weight = (unsigned)n;
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

static const char *set_unassigned_memory(struct parser *p, struct str v)
{
	static const char *const names[] = { "ones", "stop", NULL };
	int i = str_lookup(v, names);

	if (i < 0)
		return "ones or stop";
	p->vm->unassigned = (enum cfg_unassigned)i;
	return NULL;
}

static const char *set_console(struct parser *p, struct str v)
{
	static const char *const names[] = { "uart", "virtio", NULL };
	int i = str_lookup(v, names);

	if (i < 0)
		return "uart or virtio";
	p->vm->virtio_console = i == 1;
	return NULL;
}

static const char *set_autostart(struct parser *p, struct str v)
{
	int yes = yes_no(v);

	if (yes < 0)
		return "yes or no";
	p->vm->autostart = yes;
	return NULL;
}

static const char *set_testdev(struct parser *p, struct str v)
{
	static const char *const names[] = { "none", "qemu", NULL };
	int i = str_lookup(v, names);

	if (i < 0)
		return "none or qemu";
	p->vm->testdev = (enum cfg_testdev)i;
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
	if (!cfg_parse_u64(v, &n) || n > 86400000 / scale)
		return "a duration like 500ms or 10s (at most a day)";
	p->vm->time_limit_ms = n * scale;
	return NULL;
}

const struct key_def cfg_vm_keys[] = {
	{ "type", set_type, 0, 0 },
	{ "kernel", set_kernel, CFG_PATH_MAX - 1, 0 },
	{ "initrd", set_initrd, CFG_PATH_MAX - 1, 0 },
	{ "module", set_module, CFG_PATH_MAX + CFG_MODULE_ARGS_MAX, KEY_REPEAT },
	{ "cmdline", set_cmdline, CFG_CMDLINE_MAX - 1, KEY_EMPTY },
	{ "disk", set_disk, CFG_PATH_MAX + 8, KEY_REPEAT },
	{ "net", set_net, 48, KEY_REPEAT },
	{ "console", set_console, 0, 0 },
	{ "memory", set_memory, 0, 0 },
	{ "vcpus", set_vcpus, 0, 0 },
	{ "cpus", set_cpus, 0, 0 },
	{ "sched", set_sched, 0, 0 },
	{ "weight", set_weight, 0, 0 },
	{ "on_crash", set_on_crash, 0, 0 },
	{ "time_limit", set_time_limit, 0, 0 },
	{ "unassigned_memory", set_unassigned_memory, 0, 0 },
	{ "autostart", set_autostart, 0, 0 },
	{ "testdev", set_testdev, 0, 0 },
	{ "passthrough_io", cfg_set_passthrough_io, 0, 0 },
	{ "passthrough_pci", cfg_set_passthrough_pci, 0, 0 },
	{ NULL, NULL, 0, 0 },
};
