/* Host I/O ports that no VM may be given (hv.cfg passthrough_io, or an
 * I/O BAR of a passed-through function): the legacy PC devices the
 * hypervisor drives itself or that reach the whole machine (ISA DMA,
 * reset, SMI), and the ACPI fixed-hardware blocks the host's FADT names.
 * Pure (a table and a lookup), so host unit tests cover it. */
#ifndef KERNEL_HOST_PORTS_H
#define KERNEL_HOST_PORTS_H

#include <stddef.h>
#include <stdint.h>

#define HOST_PORTS_MAX 40

struct host_port_block {
	uint16_t first, last;
	const char *what;
};

struct host_ports {
	unsigned n;
	struct host_port_block b[HOST_PORTS_MAX];
};

/* Starts the list with the fixed legacy blocks of every PC. */
void host_ports_init(struct host_ports *hp);

/* Adds len ports at base (nothing if base or len is 0, or it would pass
 * 0xffff, or the list is full). */
void host_ports_add(struct host_ports *hp, uint32_t base, uint32_t len,
		    const char *what);

/* Adds the fixed-hardware register blocks of a FADT (ACPI 6.5 5.2.9,
 * Table 5.9): SMI_CMD, PM1a/b event and control, PM2 control, PM timer,
 * GPE0/GPE1, and the reset register when it is in I/O space.  The 64-bit
 * X_ address of a block wins over the 32-bit one when it is in I/O space
 * (ACPI 6.5 5.2.9).  fadt is the whole table, len its length. */
void host_ports_add_fadt(struct host_ports *hp, const uint8_t *fadt,
			 size_t len);

/* What owns a port of [first, last] (the first block in the list that
 * overlaps it), or NULL when no listed block does. */
const char *host_ports_owner(const struct host_ports *hp, uint16_t first,
			     uint16_t last);

#endif
