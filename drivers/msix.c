#include "msix.h"

#include <string.h>

#include "msi.h"
#include "vpci_func.h"

#define PCI_CAP_ID_MSIX 0x11
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_CTRL_FUNCTION_MASK (1u << 14)
#define MSIX_VECTOR_MASKED 1u
#define MSIX_ENTRY_SIZE 16

bool msix_init(struct msix *x, struct vpci_func *f, unsigned nvec,
	       uint32_t table_off, uint32_t pba_off)
{
	unsigned at = vpci_func_add_cap(f, PCI_CAP_ID_MSIX, 12);

	if (!at || !nvec || nvec > MSIX_MAX_VECTORS)
		return false;
	memset(x, 0, sizeof(*x));
	x->f = f;
	x->cap = at;
	x->nvec = nvec;
	x->table_off = table_off;
	x->pba_off = pba_off;
	/* Message Control: table size - 1 (read-only); Enable and
	 * Function Mask are the guest's.  Table and PBA in BAR0 (BIR 0). */
	vpci_put16(f->cfg + at + 2, (uint16_t)(nvec - 1));
	vpci_put16(f->wmask + at + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCTION_MASK);
	vpci_put32(f->cfg + at + 4, table_off);
	vpci_put32(f->cfg + at + 8, pba_off);
	msix_reset(x);
	return true;
}

static uint16_t control(const struct msix *x)
{
	return vpci_get16(x->f->cfg + x->cap + 2);
}

bool msix_enabled(const struct msix *x)
{
	return control(x) & MSIX_CTRL_ENABLE;
}

static bool masked(const struct msix *x, unsigned vec)
{
	return (control(x) & MSIX_CTRL_FUNCTION_MASK) ||
	       (x->entry[vec].ctrl & MSIX_VECTOR_MASKED);
}

static void send(struct msix *x, struct vm *vm, unsigned vec)
{
	uint64_t addr = (uint64_t)x->entry[vec].addr_hi << 32 |
			x->entry[vec].addr_lo;

	x->pending &= ~(1u << vec);
	msi_deliver(vm, addr, x->entry[vec].data);
}

void msix_notify(struct msix *x, struct vm *vm, unsigned vec)
{
	if (vec >= x->nvec || !msix_enabled(x))
		return;
	if (masked(x, vec))
		x->pending |= 1u << vec; /* 6.8.3.5: sent on unmask */
	else
		send(x, vm, vec);
}

static void send_unmasked_pending(struct msix *x, struct vm *vm)
{
	for (unsigned v = 0; v < x->nvec; v++)
		if ((x->pending & (1u << v)) && msix_enabled(x) && !masked(x, v))
			send(x, vm, v);
}

/* Table entries are read and written as dwords (6.8.2: software uses
 * aligned DWORD or QWORD accesses); a qword covers two fields. */
bool msix_bar_read(struct msix *x, uint64_t off, unsigned size,
		   uint64_t *val)
{
	uint64_t end = off + size;

	if (off >= x->table_off && end <= x->table_off + x->nvec * MSIX_ENTRY_SIZE) {
		const uint8_t *t = (const uint8_t *)x->entry;
		uint64_t v = 0;
		memcpy(&v, t + (off - x->table_off), size);
		*val = v;
		return true;
	}
	if (off >= x->pba_off && end <= x->pba_off + 8) {
		*val = (uint64_t)x->pending >> (8 * (off - x->pba_off));
		return true;
	}
	return false;
}

bool msix_bar_write(struct msix *x, struct vm *vm, uint64_t off,
		    unsigned size, uint64_t val)
{
	uint64_t end = off + size;

	if (off >= x->pba_off && end <= x->pba_off + 8)
		return true; /* the PBA is read-only */
	if (off < x->table_off || end > x->table_off + x->nvec * MSIX_ENTRY_SIZE)
		return false;
	memcpy((uint8_t *)x->entry + (off - x->table_off), &val, size);
	for (unsigned v = 0; v < x->nvec; v++)
		x->entry[v].ctrl &= MSIX_VECTOR_MASKED; /* others reserved */
	send_unmasked_pending(x, vm);
	return true;
}

void msix_cfg_written(struct msix *x, struct vm *vm)
{
	send_unmasked_pending(x, vm);
}

void msix_reset(struct msix *x)
{
	memset(x->entry, 0, sizeof(x->entry));
	for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
		x->entry[v].ctrl = MSIX_VECTOR_MASKED;
	x->pending = 0;
}
