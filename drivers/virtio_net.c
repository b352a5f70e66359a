/* virtio-net (Virtio 1.2, 5.1) over drivers/virtio_pci.c: a NIC on a
 * virtual switch between VMs (drivers/vswitch.c; `net = sw0` in hv.cfg).
 * Queue 0 receives, queue 1 transmits; no offloads are offered (no
 * checksum, segmentation or mergeable buffers), so every frame is one
 * Ethernet frame of at most 1514 bytes (1518 with an 802.1Q tag) behind
 * the 12-byte virtio_net_hdr, which the device sends as zeros.  A frame
 * the guest sends is copied out of its buffers once, into a frame buffer
 * on this CPU's stack, and from there into each receiving NIC's buffers:
 * nothing of one VM's memory is ever mapped for another.  A receiver
 * without a free buffer loses the frame (counted), as a real NIC with a
 * full ring does. */
#include "virtio_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/log.h"
#include "../kernel/vm.h"
#include "virtio_pci.h"
#include "vswitch.h"

#define VIRTIO_ID_NET 1
#define QUEUE_MAX 256
#define RXQ 0
#define TXQ 1

/* Features (5.1.3) and the link status (5.1.4). */
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr with num_buffers, as VERSION_1 has it (5.1.6). */
#define NET_HDR 12
#define NUM_BUFFERS_OFF 10
#define FRAME_MAX 1518

/* Where NICs sit on the PCI bus: after the disks' slots. */
#define NET_SLOT0 CFG_DISKS_MAX

struct vnet {
	struct virtio_pci vp;
	struct vswitch_port port;
	struct vm *vm;
	uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
	char name[24];
	char owner[CFG_NAME_MAX + 24];
};

/* A frame from the switch into the receive queue; under the switch's
 * lock, which is also this NIC's (vp.lock). */
static void deliver(struct vswitch_port *p, const uint8_t *frame,
		    uint32_t len)
{
	struct vnet *n = (struct vnet *)((uint8_t *)p -
					 __builtin_offsetof(struct vnet, port));
	struct virtio_pci *vp = &n->vp;
	struct virtq_mem m = virtio_guest_mem(n->vm);
	struct virtq *q = &vp->vq[RXQ].q;
	struct virtq_chain c;
	uint8_t hdr[NET_HDR] = { 0 };
	const char *why = "";

	if (!virtio_pci_queue_ready(vp, RXQ)) {
		n->rx_dropped++;
		return;
	}
	switch (virtq_pop(q, &m, &c, &why)) {
	case VIRTQ_EMPTY:
		n->rx_dropped++;
		return;
	case VIRTQ_BROKEN:
		virtio_pci_broken(vp, why);
		return;
	case VIRTQ_CHAIN:
		break;
	}
	/* Without mergeable buffers each receive buffer holds a whole
	 * frame (5.1.6.3.1: at least 1526 bytes then). */
	if (c.nreadable || c.writable_len < NET_HDR + len) {
		virtio_pci_broken(vp, "a receive buffer too small for a frame "
				      "(or device-readable)");
		return;
	}
	hdr[NUM_BUFFERS_OFF] = 1;
	virtq_chain_copy(&c, &m, true, 0, hdr, NET_HDR);
	virtq_chain_copy(&c, &m, true, NET_HDR, (void *)frame, len);
	if (virtq_push(q, &m, c.head, NET_HDR + len, &why)) {
		virtio_pci_broken(vp, why);
		return;
	}
	n->rx_frames++;
	virtio_pci_interrupt(vp, RXQ);
}

/* One transmitted chain: a frame after its header, to the switch. */
static int64_t transmit(void *dev, const struct virtq_chain *c,
			const struct virtq_mem *m, const char **why)
{
	struct vnet *n = dev;
	uint8_t frame[FRAME_MAX];
	uint64_t len = c->readable_len - NET_HDR;

	(void)why;
	if (c->readable_len < NET_HDR || len > FRAME_MAX) {
		n->tx_dropped++; /* no header, or too long */
		return 0;
	}
	virtq_chain_copy(c, m, false, NET_HDR, frame, len);
	n->tx_frames++;
	vswitch_send(&n->port, frame, (uint32_t)len);
	return 0;
}

static void queue_notify(void *dev, struct virtio_pci *vp, unsigned q)
{
	struct vnet *n = dev;

	/* Receive buffers wait for frames; nothing to do when more come. */
	if (q == TXQ) {
		vswitch_burst_start(&n->port);
		virtio_pci_serve(vp, TXQ, transmit);
	}
}

/* The configuration layout (5.1.4): mac, then status. */
static uint64_t config_read(void *dev, unsigned off, unsigned size)
{
	struct vnet *n = dev;
	uint8_t cfg[8] = { 0 };
	uint64_t v = 0;

	memcpy(cfg, n->port.mac, ETH_ALEN);
	cfg[6] = VIRTIO_NET_S_LINK_UP;
	if (off + size <= sizeof(cfg))
		memcpy(&v, cfg + off, size);
	return v;
}

static void dev_reset(void *dev)
{
	(void)dev;
}

static const struct virtio_dev_ops vnet_ops = {
	config_read, queue_notify, dev_reset,
};

struct virtio_net_set {
	unsigned n;
	struct vnet *nic[CFG_NETS_MAX];
};

bool virtio_net_attach(struct vm *vm, void **state)
{
	struct virtio_net_set *set;

	if (!vm->cfg->nnets)
		return true;
	set = *state = calloc(1, sizeof(*set));
	if (!set)
		return false;
	for (unsigned i = 0; i < vm->cfg->nnets; i++) {
		const struct cfg_net *c = &vm->cfg->nets[i];
		struct vswitch *sw = vswitch_get(c->sw);
		struct vnet *n = calloc(1, sizeof(*n));
		const char *no;
		uint8_t *mac;

		if (!n || !sw)
			return false;
		set->nic[set->n++] = n;
		n->vm = vm;
		mac = n->port.mac;
		if (c->mac_set) {
			memcpy(mac, c->mac, ETH_ALEN);
		} else { /* QEMU's prefix; 0x68 ('h'), VM and NIC number */
			static const uint8_t prefix[] = { 0x52, 0x54, 0x00, 0x68 };
			memcpy(mac, prefix, sizeof(prefix));
			mac[4] = (uint8_t)vm->id;
			mac[5] = (uint8_t)i;
		}
		snprintf(n->name, sizeof(n->name), "virtio-net %u", i);
		snprintf(n->owner, sizeof(n->owner), "vm %s's %s", vm->name,
			 n->name);
		n->port.owner = n->owner;
		n->port.deliver = deliver;
		if (!virtio_pci_create(&n->vp, vm, NET_SLOT0 + i, VIRTIO_ID_NET,
				       VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX |
				       VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS,
				       2, QUEUE_MAX, n->name, &vnet_ops, n))
			return false;
		/* The switch's lock is every NIC's on it: a frame moves from
		 * one NIC's queue to another's under one lock. */
		n->vp.lock = vswitch_lock(sw);
		if ((no = vswitch_attach(sw, &n->port))) {
			log_error("vm %s: %s (net = %s, line %u): %s", vm->name,
				  n->name, c->sw, c->line, no);
			return false;
		}
		log_info("vm %s: %s at pci 00:%02x.0 on switch %s, mac "
			 "%02x:%02x:%02x:%02x:%02x:%02x", vm->name, n->name,
			 n->vp.func.dev_no, c->sw, mac[0], mac[1], mac[2],
			 mac[3], mac[4], mac[5]);
	}
	return true;
}

void virtio_net_detach(struct vm *vm, void *state)
{
	struct virtio_net_set *set = state;

	(void)vm;
	if (!set)
		return;
	for (unsigned i = 0; i < set->n; i++) {
		vswitch_detach(&set->nic[i]->port);
		free(set->nic[i]);
	}
	free(set);
}
