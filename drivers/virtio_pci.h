/* Virtio over PCI, the modern interface only (Virtio 1.2, 4.1): a PCI
 * function (drivers/vpci_func.h) whose BAR0 holds the common, ISR,
 * notification and device-specific configuration structures, found
 * through vendor capabilities, and an MSI-X table (drivers/msix.h), with
 * INTx as the fallback.  Feature negotiation refuses what the device does
 * not offer (FEATURES_OK stays clear) and requires VIRTIO_F_VERSION_1.
 * A driver that breaks the rules of its queues (drivers/virtq.h) puts the
 * device in DEVICE_NEEDS_RESET, logged once; nothing outside the VM's RAM
 * is ever read or written.  The device types (virtio_blk.c) give the
 * features, the configuration space and what a notification does. */
#ifndef DRIVERS_VIRTIO_PCI_H
#define DRIVERS_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/spinlock.h"
#include "msix.h"
#include "virtq.h"
#include "vpci_func.h"

struct vm;

#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define VIRTIO_MAX_QUEUES 4

struct virtio_pci;

struct virtio_dev_ops {
	/* Reads of the device-specific configuration at `off`. */
	uint64_t (*config_read)(void *dev, unsigned off, unsigned size);
	/* The driver made buffers available on queue q (DRIVER_OK). */
	void (*queue_notify)(void *dev, struct virtio_pci *vp, unsigned q);
	void (*reset)(void *dev);
};

struct virtio_queue {
	struct virtq q;
	uint16_t size;   /* queue_size as the driver set it */
	uint16_t vector; /* MSI-X vector, or MSIX_NO_VECTOR */
	bool enabled;
};

struct virtio_pci {
	/* All of it; held while a queue is served.  Its own lock, or one
	 * it shares with devices it hands data to (virtio-net's switch). */
	struct spinlock *lock;
	struct spinlock own_lock;
	struct vm *vm;
	struct vpci_func func;
	struct msix msix;
	const struct virtio_dev_ops *ops;
	void *dev;
	const char *name;       /* for the log: "virtio-blk 0" */
	uint64_t features;      /* offered */
	uint64_t driver_features;
	uint32_t feature_select, driver_feature_select;
	uint16_t config_vector, queue_select;
	uint8_t status, isr, config_generation;
	unsigned nqueues;
	uint16_t queue_max;
	struct virtio_queue vq[VIRTIO_MAX_QUEUES];
	bool intx_high, broken_logged, early_notify_logged;
	uint8_t pci_cfg_cap; /* config offset of the access window's cap */
};

/* Sets up vp as virtio device `device_id` (5.x: 2 = block) in PCI slot
 * `slot`, with nqueues queues of up to queue_max entries, and puts it on
 * the VM's bus.  False if it does not fit. */
bool virtio_pci_create(struct virtio_pci *vp, struct vm *vm, unsigned slot,
		       uint16_t device_id, uint64_t features, unsigned nqueues,
		       uint16_t queue_max, const char *name,
		       const struct virtio_dev_ops *ops, void *dev);

/* Guest memory for queues and buffers: the VM's RAM only. */
extern const struct virtq_mem virtio_guest_mem_ops;
static inline struct virtq_mem virtio_guest_mem(struct vm *vm)
{
	return (struct virtq_mem){ virtio_guest_mem_ops.map, vm };
}

/* Whether the device may use queue q now: DRIVER_OK without
 * NEEDS_RESET, the queue enabled, Bus Master on.  With vp->lock held. */
bool virtio_pci_queue_ready(const struct virtio_pci *vp, unsigned q);

/* Serves queue q: each available chain, at most the queue's size of them
 * (so one exit's work is bounded), goes to serve(), which returns the
 * bytes it wrote into the chain (the used length, 2.7.8), or -1 and why
 * for a chain that breaks a rule; then to the used ring; then one
 * interrupt, or DEVICE_NEEDS_RESET for a broken rule.  With vp->lock
 * held. */
void virtio_pci_serve(struct virtio_pci *vp, unsigned q,
		      int64_t (*serve)(void *dev, const struct virtq_chain *c,
				       const struct virtq_mem *m,
				       const char **why));

/* Signals the driver that queue q has used buffers (MSI-X vector or
 * INTx), as EVENT_IDX / NO_INTERRUPT allow.  With vp->lock held. */
void virtio_pci_interrupt(struct virtio_pci *vp, unsigned q);
/* The driver broke a queue rule: DEVICE_NEEDS_RESET, a configuration
 * change interrupt, one log line.  With vp->lock held. */
void virtio_pci_broken(struct virtio_pci *vp, const char *why);

#endif
