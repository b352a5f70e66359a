/* Virtio over PCI, modern interface (see virtio_pci.h). */
#include "virtio_pci.h"

#include <string.h>

#include "../kernel/log.h"
#include "../kernel/vm.h"
#include "../kernel/vm_irq.h"
#include "pci.h"
#include "vpci.h"

/* BAR0 layout: each structure on its own 4 KiB page, as QEMU does. */
#define BAR_SIZE 0x4000u
#define COMMON_OFF 0x0000u
#define COMMON_LEN 0x40u
#define ISR_OFF 0x1000u
#define DEVICE_OFF 0x2000u
#define DEVICE_LEN 0x100u
#define NOTIFY_OFF 0x3000u
#define NOTIFY_MULT 4u
#define MSIX_TABLE_OFF 0x3800u
#define MSIX_PBA_OFF 0x3c00u

/* Vendor capability (4.1.4): cfg_type values. */
#define PCI_CAP_ID_VNDR 0x09
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* device_status bits (2.1). */
#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define STATUS_FEATURES_OK 8u
#define STATUS_NEEDS_RESET 64u
#define STATUS_FAILED 128u

/* ISR bits (4.1.4.5). */
#define ISR_QUEUE 1u
#define ISR_CONFIG 2u

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + device ID (4.1.2.1) */
#define VIRTIO_PCI_IRQ 11              /* INTx line, level (PCI) */

static void *guest_map(void *ctx, uint64_t gpa, uint64_t len)
{
	return vm_gpa_to_hva(ctx, gpa, len);
}

const struct virtq_mem virtio_guest_mem_ops = { guest_map, NULL };

static unsigned add_vendor_cap(struct virtio_pci *vp, uint8_t type,
			       uint32_t off, uint32_t len, unsigned extra)
{
	struct vpci_func *f = &vp->func;
	unsigned at = vpci_func_add_cap(f, PCI_CAP_ID_VNDR, 16 + extra);

	if (!at)
		return 0;
	f->cfg[at + 2] = (uint8_t)(16 + extra); /* cap_len */
	f->cfg[at + 3] = type;
	f->cfg[at + 4] = 0;                     /* bar */
	vpci_put32(f->cfg + at + 8, off);
	vpci_put32(f->cfg + at + 12, len);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		vpci_put32(f->cfg + at + 16, NOTIFY_MULT);
	return at;
}

/* INTx follows the ISR's queue and configuration bits while MSI-X is
 * off (4.1.4.5: reading the ISR clears it and deasserts INTx). */
static void update_intx(struct virtio_pci *vp)
{
	bool high = vp->isr && !msix_enabled(&vp->msix) &&
		    !(vpci_get16(vp->func.cfg + 0x04) & PCI_COMMAND_INTX_DISABLE);

	/* The line the function is wired to, as at power-on: Interrupt
	 * Line is a register software writes for itself, with no effect on
	 * the routing (PCI 3.0 6.2.4).  The line is shared with the VM's
	 * other virtio functions (wired-OR). */
	if (high != vp->intx_high) {
		vp->intx_high = high;
		vm_irq_line_share(vp->vm, vp->func.reset_cfg[0x3c], high);
	}
}

static void signal(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (msix_enabled(&vp->msix)) {
		if (vector != MSIX_NO_VECTOR)
			msix_notify(&vp->msix, vp->vm, vector);
		return;
	}
	vp->isr |= isr_bit;
	update_intx(vp);
}

void virtio_pci_interrupt(struct virtio_pci *vp, unsigned q)
{
	struct virtq_mem m = virtio_guest_mem(vp->vm);

	if (virtq_needs_interrupt(&vp->vq[q].q, &m))
		signal(vp, vp->vq[q].vector, ISR_QUEUE);
}

void virtio_pci_broken(struct virtio_pci *vp, const char *why)
{
	if (!vp->broken_logged) {
		vp->broken_logged = true;
		log_warn("vm %s: %s: the driver broke a queue rule (%s); device "
			 "needs reset (logged once)", vp->vm->name, vp->name, why);
	}
	if (vp->status & STATUS_NEEDS_RESET)
		return;
	vp->status |= STATUS_NEEDS_RESET;
	vp->config_generation++;
	signal(vp, vp->config_vector, ISR_CONFIG);
}

static void device_reset(struct virtio_pci *vp)
{
	vp->driver_features = 0;
	vp->feature_select = vp->driver_feature_select = 0;
	vp->config_vector = MSIX_NO_VECTOR;
	vp->queue_select = 0;
	vp->status = 0;
	vp->isr = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vp->vq[i] = (struct virtio_queue){ .size = vp->queue_max,
						   .vector = MSIX_NO_VECTOR };
	update_intx(vp);
	if (vp->ops->reset)
		vp->ops->reset(vp->dev);
}

/* FEATURES_OK only for features the device offered, VERSION_1 among
 * them (3.1.1, 6.1: a legacy-only driver is refused). */
static void set_status(struct virtio_pci *vp, uint8_t st)
{
	if (!st) {
		device_reset(vp);
		return;
	}
	if ((st & STATUS_FEATURES_OK) && !(vp->status & STATUS_FEATURES_OK) &&
	    ((vp->driver_features & ~vp->features) ||
	     !(vp->driver_features & VIRTIO_F_VERSION_1)))
		st &= (uint8_t)~STATUS_FEATURES_OK;
	if ((st & STATUS_DRIVER_OK) && !(vp->driver_features & VIRTIO_F_VERSION_1))
		st &= (uint8_t)~STATUS_DRIVER_OK;
	/* NEEDS_RESET is the device's, kept until the reset. */
	vp->status = (uint8_t)(st | (vp->status & STATUS_NEEDS_RESET));
	if (st & STATUS_FEATURES_OK)
		for (unsigned i = 0; i < vp->nqueues; i++) {
			vp->vq[i].q.indirect = vp->driver_features & VIRTIO_F_INDIRECT_DESC;
			vp->vq[i].q.event_idx = vp->driver_features & VIRTIO_F_EVENT_IDX;
		}
}

static struct virtio_queue *selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->nqueues ? &vp->vq[vp->queue_select] : NULL;
}

/* The common configuration structure (4.1.4.3). */
static uint64_t common_read(struct virtio_pci *vp, unsigned off)
{
	struct virtio_queue *q = selected(vp);

	switch (off) {
	case 0x00: return vp->feature_select;
	case 0x04: return vp->feature_select < 2
			  ? (uint32_t)(vp->features >> (32 * vp->feature_select)) : 0;
	case 0x08: return vp->driver_feature_select;
	case 0x0c: return vp->driver_feature_select < 2
			  ? (uint32_t)(vp->driver_features >>
				       (32 * vp->driver_feature_select)) : 0;
	case 0x10: return vp->config_vector;
	case 0x12: return vp->nqueues;
	case 0x14: return vp->status;
	case 0x15: return vp->config_generation;
	case 0x16: return vp->queue_select;
	case 0x18: return q ? q->size : 0;
	case 0x1a: return q ? q->vector : MSIX_NO_VECTOR;
	case 0x1c: return q ? q->enabled : 0;
	case 0x1e: return q ? vp->queue_select : 0; /* queue_notify_off */
	case 0x20: return q ? (uint32_t)q->q.desc : 0;
	case 0x24: return q ? (uint32_t)(q->q.desc >> 32) : 0;
	case 0x28: return q ? (uint32_t)q->q.avail : 0;
	case 0x2c: return q ? (uint32_t)(q->q.avail >> 32) : 0;
	case 0x30: return q ? (uint32_t)q->q.used : 0;
	case 0x34: return q ? (uint32_t)(q->q.used >> 32) : 0;
	case 0x38: return q ? vp->queue_select : 0; /* queue_notify_data */
	default: return 0;
	}
}

static void set_half(uint64_t *r, unsigned hi, uint64_t v)
{
	*r = hi ? (*r & 0xffffffffull) | (v << 32)
		: (*r & ~0xffffffffull) | (uint32_t)v;
}

/* A queue comes into use when the driver enables it: its size must be a
 * power of two no larger than the device's, its rings in the VM's RAM
 * and aligned (4.1.4.3.2, 2.7). */
static void enable_queue(struct virtio_pci *vp, struct virtio_queue *q)
{
	struct virtq_mem m = virtio_guest_mem(vp->vm);
	const char *why;

	q->q.size = q->size;
	q->q.last_avail = q->q.used_idx = 0;
	q->q.signalled_valid = false;
	if (q->size > vp->queue_max || virtq_check(&q->q, &m, &why)) {
		virtio_pci_broken(vp, q->size > vp->queue_max
					      ? "queue size above the maximum" : why);
		return;
	}
	q->enabled = true;
}

static void common_write(struct virtio_pci *vp, unsigned off, uint64_t v)
{
	struct virtio_queue *q = selected(vp);
	/* Queue fields change only while the queue is off (4.1.4.3.2). */
	bool q_ok = q && !q->enabled;

	switch (off) {
	case 0x00: vp->feature_select = (uint32_t)v; break;
	case 0x08: vp->driver_feature_select = (uint32_t)v; break;
	case 0x0c:
		if (vp->driver_feature_select < 2 &&
		    !(vp->status & STATUS_FEATURES_OK))
			set_half(&vp->driver_features, vp->driver_feature_select, v);
		break;
	case 0x10:
		vp->config_vector = (uint16_t)v < vp->msix.nvec ? (uint16_t)v
							     : MSIX_NO_VECTOR;
		break;
	case 0x14: set_status(vp, (uint8_t)v); break;
	case 0x16: vp->queue_select = (uint16_t)v; break;
	case 0x18: if (q_ok) q->size = (uint16_t)v; break;
	case 0x1a:
		if (q)
			q->vector = (uint16_t)v < vp->msix.nvec ? (uint16_t)v
							       : MSIX_NO_VECTOR;
		break;
	case 0x1c: if (q_ok && v == 1) enable_queue(vp, q); break;
	case 0x20: case 0x24: if (q_ok) set_half(&q->q.desc, off == 0x24, v); break;
	case 0x28: case 0x2c: if (q_ok) set_half(&q->q.avail, off == 0x2c, v); break;
	case 0x30: case 0x34: if (q_ok) set_half(&q->q.used, off == 0x34, v); break;
	default: break; /* read-only fields */
	}
}

/* Field sizes of the common structure: an access must match (4.1.3.1). */
static unsigned common_field_size(unsigned off)
{
	if (off < 0x10 || (off >= 0x20 && off < 0x38))
		return 4;
	if (off == 0x14 || off == 0x15)
		return 1;
	return off < 0x3c ? 2 : 0;
}

void virtio_pci_serve(struct virtio_pci *vp, unsigned qi,
		      int64_t (*serve)(void *dev, const struct virtq_chain *c,
				       const struct virtq_mem *m,
				       const char **why))
{
	struct virtq_mem m = virtio_guest_mem(vp->vm);
	struct virtq *q = &vp->vq[qi].q;
	struct virtq_chain c;
	const char *why = "";
	enum virtq_result r = VIRTQ_EMPTY;
	bool done = false;

	for (unsigned i = 0; i < vp->vq[qi].size &&
	     (r = virtq_pop(q, &m, &c, &why)) == VIRTQ_CHAIN; i++) {
		int64_t written = serve(vp->dev, &c, &m, &why);

		if (written < 0 ||
		    virtq_push(q, &m, c.head, (uint32_t)written, &why)) {
			r = VIRTQ_BROKEN;
			break;
		}
		done = true;
	}
	if (done)
		virtio_pci_interrupt(vp, qi);
	if (r == VIRTQ_BROKEN)
		virtio_pci_broken(vp, why);
}

bool virtio_pci_queue_ready(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->nqueues && vp->vq[q].enabled &&
	       (vp->status & (STATUS_DRIVER_OK | STATUS_NEEDS_RESET)) ==
		       STATUS_DRIVER_OK &&
	       vpci_func_bus_master(&vp->func);
}

static void notify(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->nqueues || !vp->vq[q].enabled ||
	    (vp->status & STATUS_NEEDS_RESET))
		return;
	if (!(vp->status & STATUS_DRIVER_OK) ||
	    !vpci_func_bus_master(&vp->func)) {
		/* 3.1.1: no buffers before DRIVER_OK; and a function without
		 * Bus Master does no DMA (PCI 6.2.2). */
		if (!vp->early_notify_logged) {
			vp->early_notify_logged = true;
			log_warn("vm %s: %s: notification %s: ignored (logged "
				 "once)", vp->vm->name, vp->name,
				 vp->status & STATUS_DRIVER_OK
					 ? "with Bus Master off"
					 : "before DRIVER_OK");
		}
		return;
	}
	vp->ops->queue_notify(vp->dev, vp, q);
}

static enum io_result bar_read(void *dev, struct vcpu *v, uint64_t off,
			       unsigned size, uint64_t *val)
{
	struct virtio_pci *vp = dev;

	(void)v;
	spin_lock(vp->lock);
	*val = 0;
	if (msix_bar_read(&vp->msix, off, size, val)) {
		/* handled */
	} else if (off < COMMON_LEN) {
		if (common_field_size((unsigned)off) == size)
			*val = common_read(vp, (unsigned)off);
		else if (size == 8 && common_field_size((unsigned)off) == 4)
			*val = common_read(vp, (unsigned)off) |
			       common_read(vp, (unsigned)off + 4) << 32;
	} else if (off == ISR_OFF) {
		*val = vp->isr;
		vp->isr = 0;
		update_intx(vp);
	} else if (off >= DEVICE_OFF && off + size <= DEVICE_OFF + DEVICE_LEN) {
		*val = vp->ops->config_read(vp->dev, (unsigned)(off - DEVICE_OFF),
					    size);
	}
	spin_unlock(vp->lock);
	return IO_HANDLED;
}

static enum io_result bar_write(void *dev, struct vcpu *v, uint64_t off,
				unsigned size, uint64_t val)
{
	struct virtio_pci *vp = dev;

	(void)v;
	spin_lock(vp->lock);
	if (msix_bar_write(&vp->msix, vp->vm, off, size, val)) {
		/* handled */
	} else if (off < COMMON_LEN) {
		if (common_field_size((unsigned)off) == size) {
			common_write(vp, (unsigned)off, val);
		} else if (size == 8 && common_field_size((unsigned)off) == 4) {
			common_write(vp, (unsigned)off, (uint32_t)val);
			common_write(vp, (unsigned)off + 4, val >> 32);
		}
	} else if (off >= NOTIFY_OFF &&
		   off < NOTIFY_OFF + NOTIFY_MULT * vp->nqueues) {
		notify(vp, (unsigned)((off - NOTIFY_OFF) / NOTIFY_MULT));
	}
	spin_unlock(vp->lock);
	return IO_HANDLED;
}

static enum io_result bar_read(void *dev, struct vcpu *v, uint64_t off,
			       unsigned size, uint64_t *val);
static enum io_result bar_write(void *dev, struct vcpu *v, uint64_t off,
				unsigned size, uint64_t val);

/* The PCI configuration access window (4.1.4.9): an access of `length`
 * bytes at `offset` of the BAR named by `bar`, through pci_cfg_data.  Only
 * BAR0 exists; lengths other than 1, 2, 4, or an offset not aligned to
 * the length, do nothing (reads give 0). */
static bool window(const struct virtio_pci *vp, unsigned reg,
		   uint32_t *off, unsigned *len)
{
	const uint8_t *c = vp->func.cfg + vp->pci_cfg_cap;

	if (!vp->pci_cfg_cap || reg != vp->pci_cfg_cap + 16u || c[4] != 0)
		return false;
	*off = vpci_get32(c + 8);
	*len = vpci_get32(c + 12);
	return (*len == 1 || *len == 2 || *len == 4) && !(*off % *len);
}

static uint32_t cfg_read(void *dev, unsigned reg, uint32_t held)
{
	struct virtio_pci *vp = dev;
	uint32_t off;
	unsigned len;
	uint64_t v = 0;

	if (!vp->pci_cfg_cap || reg != vp->pci_cfg_cap + 16u)
		return held;
	if (window(vp, reg, &off, &len))
		bar_read(vp, NULL, off, len, &v);
	return (uint32_t)v;
}

static void cfg_write(void *dev, unsigned reg)
{
	struct virtio_pci *vp = dev;
	uint32_t off;
	unsigned len;

	if (window(vp, reg, &off, &len)) {
		bar_write(vp, NULL, off, len,
			  vpci_get32(vp->func.cfg + reg) &
				  (len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1));
		return;
	}
	spin_lock(vp->lock);
	msix_cfg_written(&vp->msix, vp->vm);
	update_intx(vp);
	spin_unlock(vp->lock);
}

static void func_reset(void *dev)
{
	struct virtio_pci *vp = dev;

	spin_lock(vp->lock);
	msix_reset(&vp->msix);
	/* device_reset lowers INTx if this function asserts it: the shared
	 * line's count (vm_irq_line_share) drops only for an assertion. */
	vp->isr = 0;
	device_reset(vp);
	spin_unlock(vp->lock);
}

static const struct vpci_func_ops func_ops = {
	bar_read, bar_write, cfg_write, func_reset, cfg_read,
};

bool virtio_pci_create(struct virtio_pci *vp, struct vm *vm, unsigned slot,
		       uint16_t device_id, uint64_t features, unsigned nqueues,
		       uint16_t queue_max, const char *name,
		       const struct virtio_dev_ops *ops, void *dev)
{
	struct vpci_func *f = &vp->func;

	if (nqueues > VIRTIO_MAX_QUEUES)
		return false;
	spin_init(&vp->own_lock, "virtio");
	vp->lock = &vp->own_lock;
	vp->vm = vm;
	vp->ops = ops;
	vp->dev = dev;
	vp->name = name;
	vp->features = features | VIRTIO_F_VERSION_1;
	vp->nqueues = nqueues;
	vp->queue_max = queue_max;
	/* Class: mass storage / other (01/80) for block, network /
	 * Ethernet (02/00) for net; the PCI IDs of a
	 * modern-only device (4.1.2.1): 0x1040 + ID, revision 1. */
	vpci_func_init(f, slot, VIRTIO_PCI_VENDOR,
		       (uint16_t)(VIRTIO_PCI_DEVICE_BASE + device_id),
		       device_id == 2 ? 0x018000 : device_id == 1 ? 0x020000
						       : 0xff0000, 1,
		       VIRTIO_PCI_VENDOR, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + device_id),
		       VIRTIO_PCI_IRQ, BAR_SIZE, &func_ops, vp);
	add_vendor_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF, COMMON_LEN, 0);
	add_vendor_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 4, 0);
	add_vendor_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, DEVICE_LEN, 0);
	add_vendor_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF,
		       NOTIFY_MULT * nqueues, 4);
	/* 4.1.4.9: every device has the configuration access window; the
	 * driver writes bar, offset and length, then reads or writes
	 * pci_cfg_data. */
	vp->pci_cfg_cap = (uint8_t)add_vendor_cap(vp, VIRTIO_PCI_CAP_PCI_CFG,
						  0, 0, 4);
	if (vp->pci_cfg_cap) {
		f->wmask[vp->pci_cfg_cap + 4] = 0xff;            /* bar */
		memset(f->wmask + vp->pci_cfg_cap + 8, 0xff, 12); /* offset, length, data */
	}
	if (!msix_init(&vp->msix, f, nqueues + 1, MSIX_TABLE_OFF, MSIX_PBA_OFF))
		return false;
	vpci_func_seal(f);
	device_reset(vp);
	return vpci_add_func(vm, f);
}
