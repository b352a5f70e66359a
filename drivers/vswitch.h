/* Virtual Ethernet switches between VMs (`net = NAME` in hv.cfg): each
 * forwards frames between the virtio-net NICs on it (drivers/virtio_net.c)
 * as a learning bridge does (IEEE 802.1D): by destination MAC to the port
 * that address was seen on, broadcast, multicast and unknown destinations
 * flooded to every other port; nothing crosses between switches.  A port's
 * configured MAC is its own for good: a frame from another port with it
 * as source is dropped (logged once per port), so no VM can take another
 * VM's traffic by spoofing its address.  Frames are copied from the
 * sender's buffers to the receivers' buffers: no memory is shared between
 * VMs.  One lock per switch serves every NIC on it (a frame goes from one
 * NIC's queue into another's under it). */
#ifndef DRIVERS_VSWITCH_H
#define DRIVERS_VSWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/spinlock.h"

#define VSWITCH_PORTS_MAX 32
#define ETH_ALEN 6
/* Storm control, as hardware switches have it: a port floods (broadcast,
 * multicast, unknown destination) at most this many frames per burst
 * (one notification of its transmit queue); the rest of the burst's
 * floods are dropped.  So one exit copies at most 32 x 1518 bytes to
 * each of 31 ports (1.5 MB) for floods, under the switch's lock, however
 * many frames a guest queues at once; ARP and neighbour discovery need
 * a few. */
#define VSWITCH_FLOODS_PER_BURST 32

struct vswitch;

struct vswitch_port {
	struct vswitch *sw;
	uint8_t mac[ETH_ALEN];
	const char *owner;  /* "vm NAME's virtio-net 0", for the log */
	/* Puts a frame in the port's receive queue (or drops it); with the
	 * switch's lock held. */
	void (*deliver)(struct vswitch_port *p, const uint8_t *frame,
			uint32_t len);
	uint64_t spoofed;   /* frames dropped for a source MAC not its own */
	uint64_t storm_dropped; /* floods over VSWITCH_FLOODS_PER_BURST */
	unsigned burst_floods;  /* floods in this burst */
	bool spoof_logged, storm_logged;
};

/* The switch of that name, made at its first use.  NULL when there are
 * too many. */
struct vswitch *vswitch_get(const char *name);
struct spinlock *vswitch_lock(struct vswitch *sw);

/* Connects p (its mac, owner and deliver set) to sw; NULL, or why not
 * (another port has that MAC, the switch is full). */
const char *vswitch_attach(struct vswitch *sw, struct vswitch_port *p);
void vswitch_detach(struct vswitch_port *p);

/* The port starts a burst of frames: its flood budget is whole again. */
static inline void vswitch_burst_start(struct vswitch_port *p)
{
	p->burst_floods = 0;
}

/* Forwards a frame the port sent.  With the switch's lock held. */
void vswitch_send(struct vswitch_port *from, const uint8_t *frame,
		  uint32_t len);

#endif
