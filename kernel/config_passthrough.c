/*
 * hv.cfg passthrough keys: passthrough_io (host port ranges) and
 * passthrough_pci (host PCI functions).  A port or a function goes to one
 * VM only, so each value is checked against every VM parsed so far,
 * including the current one.
 */
#include "config_parse.h"

/* ---- passthrough_io ---- */

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

/* How a port or function clashes with its owner, for both keys' messages. */
static const char *owner_clash(const struct parser *p,
			       const struct vm_config *owner)
{
	return owner == p->vm ? "listed twice for VM"
			      : "already passed through to VM";
}

/* Add one "N" or "N-M" item (ports up to 0xffff) to the current VM. */
static const char *add_port_range(struct parser *p, struct str item)
{
	struct cfg_port_range r;
	const struct vm_config *owner;
	uint64_t lo, hi;

	if (!cfg_parse_range(item, 0xffff, &lo, &hi))
		return "port ranges like 0x2f8-0x2ff, 0xe9 (ports up to 0xffff)";
	if (p->vm->npio == CFG_PIO_MAX)
		return "at most 8 ranges";
	r = (struct cfg_port_range){ (uint16_t)lo, (uint16_t)hi };
	owner = pio_owner(p, r);
	if (owner) {
		cfg_fail(p, "ports 0x%x-0x%x %s %s (a port goes to one VM only)",
			 (unsigned)r.first, (unsigned)r.last,
			 owner_clash(p, owner), owner->name);
		return cfg_already_reported;
	}
	p->vm->pio[p->vm->npio++] = r;
	return NULL;
}

/* "0x2f8-0x2ff, 0xe9": host ports handed to this VM alone. */
const char *cfg_set_passthrough_io(struct parser *p, struct str v)
{
	struct str item;
	const char *why;

	while (cfg_next_item(&v, &item)) {
		why = add_port_range(p, item);
		if (why)
			return why;
	}
	p->vm->pio_line = p->line;
	return NULL;
}

/* ---- passthrough_pci ---- */

/* "bb:dd.f" in hex, the way lspci writes a function. */
static bool parse_pci_function(struct str s, uint16_t *bdf)
{
	size_t colon = str_find(s, ':'), dot = str_find(s, '.');
	struct str bus_s = { s.p, colon }, dev_s, fn_s;
	uint64_t bus, dev, fn;

	if (colon >= s.n || dot >= s.n || dot < colon || dot + 2 != s.n)
		return false;
	dev_s = (struct str){ s.p + colon + 1, dot - colon - 1 };
	fn_s = (struct str){ s.p + dot + 1, 1 };
	if (bus_s.n < 1 || bus_s.n > 2 || dev_s.n < 1 || dev_s.n > 2)
		return false;
	if (!cfg_parse_hex(bus_s, &bus) || !cfg_parse_hex(dev_s, &dev) ||
	    !cfg_parse_hex(fn_s, &fn) || dev > 0x1f || fn > 7)
		return false;
	*bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
	return true;
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

/* Add one "bb:dd.f" item to the current VM. */
static const char *add_pci_function(struct parser *p, struct str item)
{
	const struct vm_config *owner;
	uint16_t bdf;

	if (!parse_pci_function(item, &bdf))
		return "PCI functions like 00:03.0 (bus:device.function, hex)";
	if (p->vm->npci == CFG_PCI_MAX)
		return "at most 4 functions";
	owner = pci_owner(p, bdf);
	if (owner) {
		cfg_fail(p,
			 "PCI function %02x:%02x.%u %s %s (a device goes to one VM only)",
			 (unsigned)(bdf >> 8), (unsigned)(bdf >> 3 & 0x1f),
			 (unsigned)(bdf & 7), owner_clash(p, owner),
			 owner->name);
		return cfg_already_reported;
	}
	p->vm->pci[p->vm->npci++] = bdf;
	return NULL;
}

/* "00:03.0, 00:04.0": host PCI functions handed to this VM alone. */
const char *cfg_set_passthrough_pci(struct parser *p, struct str v)
{
	struct str item;
	const char *why;

	while (cfg_next_item(&v, &item)) {
		why = add_pci_function(p, item);
		if (why)
			return why;
	}
	p->vm->pci_line = p->line;
	return NULL;
}
