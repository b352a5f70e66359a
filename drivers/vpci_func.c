/* Emulated PCI functions: config space semantics (see vpci_func.h). */
#include "vpci_func.h"

#include <string.h>

#include "pci.h"

#define CAP_FIRST 0x40 /* capabilities after the 64-byte header */

void vpci_func_init(struct vpci_func *f, unsigned slot, uint16_t vendor,
		    uint16_t device, uint32_t class, uint8_t revision,
		    uint16_t subsys_vendor, uint16_t subsys, uint8_t irq,
		    uint32_t bar_size, const struct vpci_func_ops *ops,
		    void *dev)
{
	memset(f, 0, sizeof(*f));
	f->dev_no = (uint8_t)(VPCI_FIRST_SLOT + slot);
	f->bar_size = bar_size;
	f->ops = ops;
	f->dev = dev;
	f->cap_end = CAP_FIRST;
	vpci_put16(f->cfg + 0x00, vendor);
	vpci_put16(f->cfg + 0x02, device);
	/* Memory Space on, as firmware leaves a function it assigned;
	 * the guest owns Memory Space, Bus Master and INTx Disable. */
	vpci_put16(f->cfg + 0x04, PCI_COMMAND_MEMORY);
	vpci_put16(f->wmask + 0x04, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					    PCI_COMMAND_INTX_DISABLE);
	vpci_put32(f->cfg + 0x08, class << 8 | revision);
	f->cfg[0x0e] = 0; /* header type 0, single function */
	vpci_put32(f->cfg + PCI_CFG_BAR0,
		   (uint32_t)(VPCI_WINDOW_BASE + slot * VPCI_SLOT_SIZE));
	vpci_put32(f->wmask + PCI_CFG_BAR0, ~(bar_size - 1));
	vpci_put16(f->cfg + 0x2c, subsys_vendor);
	vpci_put16(f->cfg + 0x2e, subsys);
	f->cfg[0x3c] = irq;  /* Interrupt Line: the guest's to rewrite */
	f->wmask[0x3c] = 0xff;
	f->cfg[0x3d] = 1;    /* Interrupt Pin: INTA# */
}

unsigned vpci_func_add_cap(struct vpci_func *f, uint8_t id, unsigned len)
{
	unsigned at = f->cap_end;

	if (len < 2 || at + len > 256)
		return 0;
	len = (len + 3) & ~3u;
	if (at == CAP_FIRST) {
		f->cfg[PCI_CFG_CAP_PTR] = (uint8_t)at;
		vpci_put16(f->cfg + 0x06, PCI_STATUS_CAP_LIST);
	} else {
		/* Link the previous capability to this one: walk to it. */
		unsigned p = f->cfg[PCI_CFG_CAP_PTR];
		while (f->cfg[p + 1])
			p = f->cfg[p + 1];
		f->cfg[p + 1] = (uint8_t)at;
	}
	f->cfg[at] = id;
	f->cfg[at + 1] = 0;
	f->cap_end = (uint8_t)(at + len > 255 ? 255 : at + len);
	return at;
}

void vpci_func_seal(struct vpci_func *f)
{
	memcpy(f->reset_cfg, f->cfg, sizeof(f->cfg));
}

uint32_t vpci_func_cfg_read(struct vpci_func *f, unsigned reg)
{
	uint32_t v = vpci_get32(f->cfg + reg);

	/* A BAR being sized reads its size mask (6.2.5.1). */
	if (reg == PCI_CFG_BAR0 && f->bar_sizing)
		return ~(f->bar_size - 1);
	return f->ops->cfg_read ? f->ops->cfg_read(f->dev, reg, v) : v;
}

void vpci_func_cfg_write(struct vpci_func *f, unsigned reg, uint32_t val,
			 unsigned bytes)
{
	if (reg == PCI_CFG_BAR0 && bytes == 0xf) {
		f->bar_sizing = val == 0xffffffffu;
		if (f->bar_sizing)
			return;
	}
	for (unsigned i = 0; i < 4; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (!(bytes & (1u << i)))
			continue;
		f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~f->wmask[reg + i]) |
					    (b & f->wmask[reg + i]));
		f->cfg[reg + i] &= (uint8_t)~(b & f->w1c[reg + i]);
	}
	if (f->ops->cfg_write)
		f->ops->cfg_write(f->dev, reg);
}

uint64_t vpci_func_bar(const struct vpci_func *f)
{
	return vpci_get32(f->cfg + PCI_CFG_BAR0) & ~0xfull;
}

bool vpci_func_decodes(const struct vpci_func *f)
{
	return (vpci_get16(f->cfg + 0x04) & PCI_COMMAND_MEMORY) &&
	       !f->bar_sizing;
}

bool vpci_func_bus_master(const struct vpci_func *f)
{
	return vpci_get16(f->cfg + 0x04) & PCI_COMMAND_MASTER;
}

void vpci_func_reset(struct vpci_func *f)
{
	memcpy(f->cfg, f->reset_cfg, sizeof(f->cfg));
	f->bar_sizing = false;
	if (f->ops->reset)
		f->ops->reset(f->dev);
}
