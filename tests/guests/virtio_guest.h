/* A virtio driver's common half for the test guests that drive virtio
 * devices by hand (vblk.c, vnet.c, vcon.c): finding a modern virtio PCI
 * function and its structures through the vendor capabilities (Virtio
 * 1.2, 4.1.4), the status bits (2.1), and split virtqueues of QSIZE
 * entries (2.7) with the alignment each part needs. */
#ifndef GUEST_VIRTIO_GUEST_H
#define GUEST_VIRTIO_GUEST_H

#include "pci_guest.h"

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64
#define F_VERSION_1_HI (1u << 0) /* feature bit 32 */
#define QSIZE 8

static volatile uint8_t *common, *isr, *devcfg, *notify_base;
static uint32_t notify_mult;
static volatile uint32_t *msix_table;

/* Finds the first function with vendor/device dword `id` (0x1af4 and
 * 0x1040 + the virtio device ID) from device `from` on, turns on its
 * memory decoding and bus mastering, and notes where its structures are
 * in BAR0. */
static inline bool virtio_find(uint32_t id, unsigned from)
{
	for (unsigned dev = from; dev < 32; dev++) {
		bdf = dev << 3;
		if (cfg_read(0) != id)
			continue;
		uint8_t *bar = (uint8_t *)(cfg_read(0x10) & ~0xfu);
		cfg_write(0x04, cfg_read(0x04) | 0x6); /* memory, bus master */
		for (unsigned cap = cfg_read(0x34) & 0xff; cap;
		     cap = (cfg_read(cap) >> 8) & 0xff) {
			uint32_t h = cfg_read(cap);
			uint8_t *p = bar + cfg_read(cap + 8);
			if ((h & 0xff) == 0x11) {
				msix_table = (volatile uint32_t *)(bar + (cfg_read(cap + 4) & ~7u));
				continue;
			}
			if ((h & 0xff) != 0x09)
				continue;
			switch ((h >> 24) & 0xff) {
			case 1: common = p; break;
			case 2: notify_base = p; notify_mult = cfg_read(cap + 16); break;
			case 3: isr = p; break;
			case 4: devcfg = p; break;
			}
		}
		return true;
	}
	return false;
}

struct vdesc { uint64_t addr; uint32_t len; uint16_t flags, next; };

/* One queue's three parts: 16-aligned descriptors, 2-aligned available
 * ring, 4-aligned used ring (2.7, Table "Virtqueue Part Alignment"). */
struct vq {
	struct vdesc desc[QSIZE] __attribute__((aligned(16)));
	struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail
		__attribute__((aligned(2)));
	volatile struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; } used
		__attribute__((aligned(4)));
	uint16_t last_used;
};

/* Queue `index` with QSIZE entries at q's parts; true if it took. */
static inline bool vq_setup(struct vq *q, uint16_t index)
{
	w16(common, 0x16, index);
	w16(common, 0x18, QSIZE);
	w32(common, 0x20, (uint32_t)q->desc);
	w32(common, 0x24, 0);
	w32(common, 0x28, (uint32_t)&q->avail);
	w32(common, 0x2c, 0);
	w32(common, 0x30, (uint32_t)&q->used);
	w32(common, 0x34, 0);
	w16(common, 0x1c, 1);
	return r16(common, 0x1c) == 1;
}

static inline void vq_kick(uint16_t index)
{
	w16(common, 0x16, index);
	w16(notify_base, r16(common, 0x1e) * notify_mult, index);
}

/* Makes descriptor i available. */
static inline void vq_offer(struct vq *q, uint16_t i)
{
	q->avail.ring[q->avail.idx % QSIZE] = i;
	__asm__ volatile("" ::: "memory");
	q->avail.idx++;
}

#endif
