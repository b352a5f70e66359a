/* MSI-X for emulated PCI functions (PCI Local Bus 3.0, 6.8.2): the
 * capability in config space, the table and pending-bit array in BAR0,
 * per-vector and function masking with pending delivery on unmask.  The
 * messages go through drivers/msi.c.  The device holding a struct msix
 * serialises calls with its own lock. */
#ifndef DRIVERS_MSIX_H
#define DRIVERS_MSIX_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vpci_func;

#define MSIX_MAX_VECTORS 16
#define MSIX_NO_VECTOR 0xffff /* virtio's "no vector" */

struct msix {
	struct vpci_func *f;
	unsigned cap;          /* its offset in config space */
	unsigned nvec;
	uint32_t table_off, pba_off; /* in BAR0 */
	struct {
		uint32_t addr_lo, addr_hi, data, ctrl;
	} entry[MSIX_MAX_VECTORS];
	uint32_t pending;      /* the PBA */
};

/* Adds the capability to f (before vpci_func_seal) for nvec vectors with
 * the table and PBA at those BAR0 offsets; all vectors masked. */
bool msix_init(struct msix *x, struct vpci_func *f, unsigned nvec,
	       uint32_t table_off, uint32_t pba_off);
/* MSI-X Enable is set in the guest's Message Control. */
bool msix_enabled(const struct msix *x);
/* A BAR0 access at `off`: true if it fell in the table or PBA (then
 * handled); unmasking a vector with its bit pending sends it. */
bool msix_bar_read(struct msix *x, uint64_t off, unsigned size,
		   uint64_t *val);
bool msix_bar_write(struct msix *x, struct vm *vm, uint64_t off,
		    unsigned size, uint64_t val);
/* After a config write: clearing Function Mask sends what is pending. */
void msix_cfg_written(struct msix *x, struct vm *vm);
/* Signals vector `vec`: sent now, or pending while masked. */
void msix_notify(struct msix *x, struct vm *vm, unsigned vec);
void msix_reset(struct msix *x);

#endif
