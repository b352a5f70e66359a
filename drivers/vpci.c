#include "vpci.h"

#include <stddef.h>
#include <stdlib.h>

#include "../kernel/log.h"
#include "../kernel/snapshot.h"
#include "../kernel/spinlock.h"
#include "pci.h"
#include "vpci_func.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define RESET_CONTROL 0xcf9
#define KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xfe
#define RCR_RESET_CPU 0x04
#define CONFIG_ENABLE (1u << 31)

/* A host function this VM owns (kernel/passthrough.c), seen at its host
 * address.  Its BARs read as the host's (no relocation: EPT maps them
 * 1:1), its capabilities are hidden (MSI would need interrupt
 * remapping), and bus mastering stays off (no IOMMU isolates its DMA). */
struct vpci_host_dev {
	uint16_t bdf;
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t sizing;     /* bit i: BAR register i holds all ones */
	uint8_t irq_line;   /* what the guest wrote to Interrupt Line */
	uint16_t error_enables; /* the guest's SERR# Enable, Parity Error
				   Response: virtual only */
	bool relocate_warned, error_enable_warned;
};

/* Locking: `lock` covers CONFIG_ADDRESS, the RCR and the given devices'
 * virtual config state, so one vCPU's address/data pair is not split by
 * another's; the host's config-space lock (drivers/pci.c) nests inside
 * it.  Reset requests are made after it is dropped. */
struct vpci {
	struct spinlock lock;
	struct vm *vm;
	uint32_t address;
	uint8_t rcr;
	unsigned ndevs;
	struct vpci_host_dev devs[VPCI_MAX_HOST_DEVS];
	unsigned nfuncs;
	struct vpci_func *funcs[VPCI_MAX_FUNCS]; /* emulated, vpci_func.h */
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap vpci_snap = DEV_SNAP_FROM(struct vpci, address, NULL);

/* Config space of 00:00.0 (PCI Local Bus 3.0, 6.1): Intel 82441FX host
 * bridge, class 06/00/00, header type 0; everything else reads zero. */
static uint32_t host_bridge_dword(unsigned reg)
{
	switch (reg) {
	case 0x00: return 0x12378086; /* device, vendor */
	case 0x04: return 0x00000006; /* memory and bus master on */
	case 0x08: return 0x06000002; /* class code, revision */
	default: return 0;
	}
}

static struct vpci_func *emulated(struct vpci *p, uint16_t bdf)
{
	for (unsigned i = 0; i < p->nfuncs; i++)
		if (bdf == (uint16_t)(p->funcs[i]->dev_no << 3))
			return p->funcs[i];
	return NULL;
}

static struct vpci_host_dev *host_dev(struct vpci *p, uint16_t bdf)
{
	for (unsigned i = 0; i < p->ndevs; i++)
		if (p->devs[i].bdf == bdf)
			return &p->devs[i];
	return NULL;
}

/* BAR register i: a 64-bit BAR's upper half is register i+1.  While the
 * guest sizes it (all ones written) it reads the size mask, as the
 * hardware would. */
static uint32_t bar_read(const struct vpci_host_dev *d, unsigned i)
{
	bool upper = i > 0 && d->bar[i - 1].mem64;
	const struct pci_bar *b = &d->bar[upper ? i - 1 : i];
	uint64_t v = b->base;

	if (!b->size)
		return 0;
	if (d->sizing & (1u << i))
		v = ~(b->size - 1);
	if (upper)
		return (uint32_t)(v >> 32);
	if (b->io)
		v &= 0xffff;
	return ((uint32_t)v & ~(b->io ? PCI_BAR_IO_FLAGS : PCI_BAR_MEM_FLAGS)) |
	       pci_bar_flags(b);
}

static uint32_t host_dev_read(const struct vpci_host_dev *d, unsigned reg)
{
	uint32_t v;

	if (reg >= PCI_CFG_BAR0 && reg <= PCI_CFG_BAR5)
		return bar_read(d, (reg - PCI_CFG_BAR0) / 4);
	switch (reg) {
	case PCI_CFG_ROM:
	case PCI_CFG_CAP_PTR:
		return 0; /* no option ROM, no capability list */
	case PCI_CFG_COMMAND:
		v = pci_read(d->bdf, reg) & ~(PCI_STATUS_CAP_LIST << 16);
		return (v & ~PCI_COMMAND_ERROR_ENABLES) | d->error_enables;
	case PCI_CFG_INTERRUPT:
		v = pci_read(d->bdf, reg);
		return (v & ~0xffu) | d->irq_line;
	default:
		return pci_read(d->bdf, reg);
	}
}

/* bytes: which of the dword's bytes the guest wrote (bit per byte). */
static void host_dev_write(struct vpci *p, struct vpci_host_dev *d,
			   unsigned reg, uint32_t val, unsigned bytes)
{
	if (reg >= PCI_CFG_BAR0 && reg <= PCI_CFG_BAR5) {
		unsigned i = (reg - PCI_CFG_BAR0) / 4;
		uint32_t cur = bar_read(d, i);
		if (val == 0xffffffffu || (val | 0xf) == 0xffffffffu) {
			d->sizing |= (uint8_t)(1u << i);
		} else {
			d->sizing &= (uint8_t)~(1u << i);
			if (val != cur && !d->relocate_warned) {
				d->relocate_warned = true;
				log_warn("vm %s: pci %02x:%02x.%x: BAR moves are "
					 "not supported (BARs stay where the "
					 "host has them)", p->vm->name,
					 PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf),
					 PCI_BDF_FN(d->bdf));
			}
		}
		return;
	}
	switch (reg) {
	case PCI_CFG_COMMAND: {
		/* Decoding and INTx masking are the guest's; bus mastering is
		 * not (without an IOMMU the device's DMA could reach any host
		 * memory); status takes only its write-one-to-clear errors.
		 * SERR# Enable and Parity Error Response are kept virtual, as
		 * Jailhouse and ACRN do: set on the device they let it raise
		 * SERR#, which the chipset turns into a host NMI (or a machine
		 * check), a way for a guest to reach the whole machine. */
		const uint32_t mine = PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
				      PCI_COMMAND_INTX_DISABLE;
		uint32_t host = pci_read(d->bdf, reg) & 0xffff;
		uint32_t next = host;
		if (bytes & 3) {
			next = (host & ~mine) | (val & mine);
			d->error_enables = val & PCI_COMMAND_ERROR_ENABLES;
		}
		if (bytes & 0xc)
			next |= val & (PCI_STATUS_ERRORS << 16);
		pci_write(d->bdf, reg, next & ~PCI_COMMAND_MASTER);
		if (d->error_enables && !d->error_enable_warned) {
			uint32_t now = pci_read(d->bdf, reg);
			d->error_enable_warned = true;
			log_info("vm %s: pci %02x:%02x.%x: SERR#/PERR# enable "
				 "kept virtual (device: SERR# %s, parity "
				 "response %s)", p->vm->name,
				 PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf),
				 PCI_BDF_FN(d->bdf),
				 now & PCI_COMMAND_SERR ? "on" : "off",
				 now & PCI_COMMAND_PARITY ? "on" : "off");
		}
		return;
	}
	case PCI_CFG_INTERRUPT:
		if (bytes & 1)
			d->irq_line = val & 0xff;
		return;
	default:
		log_debug("vm %s: pci %02x:%02x.%x: config write %#x to %#x "
			  "dropped", p->vm->name, PCI_BDF_BUS(d->bdf),
			  PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf), val, reg);
	}
}

static uint32_t config_read(struct vpci *p)
{
	uint16_t bdf = (uint16_t)(p->address >> 8);
	struct vpci_host_dev *d;
	struct vpci_func *f;

	if (!(p->address & CONFIG_ENABLE))
		return 0xffffffffu;
	if (bdf == 0)
		return host_bridge_dword(p->address & 0xfc);
	if ((f = emulated(p, bdf)) != NULL)
		return vpci_func_cfg_read(f, p->address & 0xfc);
	if ((d = host_dev(p, bdf)) != NULL)
		return host_dev_read(d, p->address & 0xfc);
	return 0xffffffffu; /* no device: all ones (master abort) */
}

/* A write of `size` bytes at byte `off` of the addressed dword. */
static void config_write(struct vpci *p, unsigned off, unsigned size,
			 uint32_t val)
{
	struct vpci_host_dev *d = host_dev(p, (uint16_t)(p->address >> 8));
	struct vpci_func *f = emulated(p, (uint16_t)(p->address >> 8));
	unsigned reg = p->address & 0xfc;

	if ((p->address & CONFIG_ENABLE) && f) {
		uint32_t bytes = ((1u << size) - 1) << off;
		vpci_func_cfg_write(f, reg, size == 4 ? val : val << (8 * off),
				    bytes);
		return;
	}
	if (!(p->address & CONFIG_ENABLE) || !d)
		return; /* the bridge has nothing writable */
	uint32_t mask = size == 4 ? 0xffffffffu : ((1u << (8 * size)) - 1) << (8 * off);
	uint32_t merged = (host_dev_read(d, reg) & ~mask) | ((val << (8 * off)) & mask);
	host_dev_write(p, d, reg, merged, ((1u << size) - 1) << off);
}

static enum io_result vpci_read(void *dev, struct vcpu *v,
				uint64_t port, unsigned size, uint64_t *val)
{
	struct vpci *p = dev;
	enum io_result r = IO_HANDLED;

	(void)v;
	spin_lock(&p->lock);
	if (port == RESET_CONTROL && size == 1) {
		*val = p->rcr;
	} else if (port == CONFIG_ADDRESS && size == 4) {
		*val = p->address;
	} else if (port >= CONFIG_DATA) {
		*val = config_read(p) >> (8 * (port - CONFIG_DATA));
	} else if (port == KBC_COMMAND) {
		*val = 0xff; /* no keyboard controller behind it */
	} else {
		r = IO_UNHANDLED;
	}
	spin_unlock(&p->lock);
	return r;
}

static enum io_result vpci_write(void *dev, struct vcpu *v,
				 uint64_t port, unsigned size, uint64_t val)
{
	struct vpci *p = dev;
	enum io_result r = IO_HANDLED;
	const char *reset = NULL;

	(void)v;
	spin_lock(&p->lock);
	if (port == RESET_CONTROL && size == 1) {
		p->rcr = val & 0x0e;
		if (val & RCR_RESET_CPU)
			reset = "reset through port 0xcf9";
	} else if (port == CONFIG_ADDRESS && size == 4) {
		p->address = val & 0x80fffffc;
	} else if (port == KBC_COMMAND) {
		if ((val & 0xff) == KBC_PULSE_RESET)
			reset = "reset through the keyboard controller";
	} else if (port >= CONFIG_DATA && port - CONFIG_DATA + size <= 4) {
		config_write(p, port - CONFIG_DATA, size, val);
	} else {
		r = IO_UNHANDLED;
	}
	spin_unlock(&p->lock);
	if (reset)
		vm_restart(p->vm, reset);
	return r;
}

static const struct io_ops vpci_ops = { vpci_read, vpci_write };

/* hv's PCI window: an access goes to the emulated function whose BAR0
 * covers it while its Memory Space bit is set; else it is unclaimed
 * (all ones, as a master abort). */
static struct vpci_func *window_func(struct vpci *p, uint64_t gpa,
				     unsigned size, uint64_t *off)
{
	for (unsigned i = 0; i < p->nfuncs; i++) {
		struct vpci_func *f = p->funcs[i];
		uint64_t bar = vpci_func_bar(f);

		if (vpci_func_decodes(f) && gpa >= bar &&
		    gpa + size <= bar + f->bar_size) {
			*off = gpa - bar;
			return f;
		}
	}
	return NULL;
}

static enum io_result window_read(void *dev, struct vcpu *v, uint64_t gpa,
				  unsigned size, uint64_t *val)
{
	uint64_t off;
	struct vpci_func *f = window_func(dev, gpa, size, &off);

	return f ? f->ops->bar_read(f->dev, v, off, size, val) : IO_UNHANDLED;
}

static enum io_result window_write(void *dev, struct vcpu *v, uint64_t gpa,
				   unsigned size, uint64_t val)
{
	uint64_t off;
	struct vpci_func *f = window_func(dev, gpa, size, &off);

	return f ? f->ops->bar_write(f->dev, v, off, size, val) : IO_UNHANDLED;
}

static const struct io_ops window_ops = { window_read, window_write };

bool vpci_add_func(struct vm *vm, struct vpci_func *f)
{
	struct vpci *p = vm->pci;

	if (!p || p->nfuncs == VPCI_MAX_FUNCS)
		return false;
	/* The window is claimed with the first function. */
	if (!p->nfuncs &&
	    io_bus_register(&vm->mmio, VPCI_WINDOW_BASE, VPCI_WINDOW_SIZE,
			    &window_ops, p))
		return false;
	p->funcs[p->nfuncs++] = f;
	return true;
}

void vpci_reset_functions(struct vm *vm)
{
	struct vpci *p = vm->pci;

	if (!p)
		return;
	spin_lock(&p->lock);
	for (unsigned i = 0; i < p->nfuncs; i++)
		vpci_func_reset(p->funcs[i]);
	spin_unlock(&p->lock);
}

bool vpci_attach(struct vm *vm, void **state)
{
	struct vpci *p = *state = calloc(1, sizeof(*p));

	if (!p)
		return false;
	spin_init(&p->lock, "vpci");
	p->vm = vm;
	vm->pci = p;
	return io_bus_register(&vm->pio, CONFIG_ADDRESS, 8, &vpci_ops,
			       p) == 0 &&
	       io_bus_register(&vm->pio, KBC_COMMAND, 1, &vpci_ops, p) == 0;
}

bool vpci_add_host_device(struct vm *vm, uint16_t bdf,
			  const struct pci_bar bar[PCI_NUM_BARS])
{
	struct vpci *p = vm->pci;
	struct vpci_host_dev *d;

	if (p->ndevs == VPCI_MAX_HOST_DEVS)
		return false;
	d = &p->devs[p->ndevs++];
	*d = (struct vpci_host_dev){ .bdf = bdf };
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		d->bar[i] = bar[i];
	d->irq_line = pci_read(bdf, PCI_CFG_INTERRUPT) & 0xff;
	return true;
}

void vpci_reset_host_devices(struct vm *vm)
{
	struct vpci *p = vm->pci;

	if (!p)
		return;
	spin_lock(&p->lock);
	for (unsigned i = 0; i < p->ndevs; i++) {
		struct vpci_host_dev *d = &p->devs[i];
		d->sizing = 0;
		d->error_enables = 0;
		d->irq_line = pci_read(d->bdf, PCI_CFG_INTERRUPT) & 0xff;
	}
	spin_unlock(&p->lock);
}
