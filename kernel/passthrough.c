#include "passthrough.h"

#include <stdio.h>

#include "console.h"
#include "log.h"
#include "memory.h"
#include "power.h"

struct host_ports {
	uint16_t first, last;
	const char *what;
};

/* Host devices that stay the hypervisor's whatever hv.cfg says: the ones
 * it programs itself (arch/, drivers/), and the PCI configuration
 * mechanism, which reaches every device of the machine. */
static const struct host_ports host_owned[] = {
	{ 0x0020, 0x0021, "the host's 8259 PIC (master)" },
	{ 0x0040, 0x0043, "the host's 8254 PIT" },
	{ 0x0060, 0x0064, "the host's keyboard controller (reset)" },
	{ 0x0061, 0x0061, "the host's PIT gate" },
	{ 0x00a0, 0x00a1, "the host's 8259 PIC (slave)" },
	{ 0x04d0, 0x04d1, "the host's interrupt edge/level registers" },
	{ 0x0cf8, 0x0cff, "PCI configuration space and the reset register" },
};

static char reason[160];

static bool overlaps(struct cfg_port_range r, uint16_t first, uint16_t last)
{
	return r.first <= last && first <= r.last;
}

static const char *refusal(const struct vm *vm, struct cfg_port_range r)
{
	uint16_t con = console_port();

	for (size_t i = 0; i < sizeof(host_owned) / sizeof(host_owned[0]); i++)
		if (overlaps(r, host_owned[i].first, host_owned[i].last))
			return host_owned[i].what;
	if (con && overlaps(r, con, (uint16_t)(con + 7)))
		return "the hypervisor's console UART";
	for (unsigned i = 0; i < 2; i++) {
		uint16_t pm1 = power_pm1_port(i);
		if (pm1 && overlaps(r, pm1, (uint16_t)(pm1 + 1)))
			return "the host's ACPI PM1 control (power-off)";
	}
	for (uint32_t port = r.first; port <= r.last; port++)
		if (pio_find(vm, (uint16_t)port))
			return "a device this VM already emulates there";
	return NULL;
}

/* A clear bit in bitmap A (ports 0-0x7fff) or B lets the port through
 * (SDM Vol. 3C 25.6.4). */
static void open_port(struct vm *vm, uint16_t port)
{
	uint8_t *bm = phys_to_virt(vm->io_bitmap);

	bm[port / 8] &= (uint8_t)~(1u << (port % 8));
}

bool passthrough_attach(struct vm *vm, const char **why)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned i = 0; i < cfg->npio; i++) {
		struct cfg_port_range r = cfg->pio[i];
		const char *owner = refusal(vm, r);
		if (owner) {
			snprintf(reason, sizeof(reason),
				 "hv.cfg:%u: passthrough_io %#x-%#x: %s",
				 cfg->pio_line, r.first, r.last, owner);
			*why = reason;
			return false;
		}
	}
	for (unsigned i = 0; i < cfg->npio; i++) {
		for (uint32_t port = cfg->pio[i].first; port <= cfg->pio[i].last;
		     port++)
			open_port(vm, (uint16_t)port);
		log_info("vm %s: host ports %#x-%#x passed through", vm->name,
			 cfg->pio[i].first, cfg->pio[i].last);
	}
	return true;
}
