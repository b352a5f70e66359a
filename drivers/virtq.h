/* Split virtqueues as a device sees them (Virtio 1.2, section 2.7): taking
 * the driver's descriptor chains off the available ring, validated
 * completely (a guest's rings are hostile input), and putting finished
 * ones on the used ring, with VIRTIO_F_INDIRECT_DESC (2.7.5.3) and
 * VIRTIO_F_EVENT_IDX (2.7.7, 2.7.10).  Pure: guest memory is reached only
 * through virtq_mem, so the host unit tests drive it with a plain buffer
 * and the hypervisor with a VM's RAM.  The virtio-blk and virtio-net
 * back-ends (issue 14) are built on it. */
#ifndef DRIVERS_VIRTQ_H
#define DRIVERS_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_MAX_SIZE 32768 /* Queue Size is at most 2^15 (2.7) */
/* Buffers one chain may have here; a longer chain is refused (the
 * device marks itself broken rather than guess). */
#define VIRTQ_MAX_CHAIN 64

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
/* Ring flags (2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Guest memory: a host pointer to [gpa, gpa + len), or NULL if any of
 * it is not the guest's RAM. */
struct virtq_mem {
	void *(*map)(void *ctx, uint64_t gpa, uint64_t len);
	void *ctx;
};

struct virtq {
	uint16_t size;        /* a power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc, avail, used; /* guest-physical ring addresses */
	bool indirect;        /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;       /* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t last_avail;  /* the next available entry to take */
	uint16_t used_idx;    /* the used ring's idx as this side wrote it */
	uint16_t signalled_used; /* used_idx at the last interrupt sent */
	bool signalled_valid;
};

struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool device_writes; /* VIRTQ_DESC_F_WRITE: the device fills it */
};

/* One chain: device-readable buffers first, then device-writable ones
 * (2.7.4.2: the driver MUST place them so; a chain that does not is
 * refused). */
struct virtq_chain {
	uint16_t head; /* its index, for virtq_push */
	unsigned n, nreadable;
	uint64_t readable_len, writable_len;
	struct virtq_buf buf[VIRTQ_MAX_CHAIN];
};

enum virtq_result {
	VIRTQ_EMPTY,  /* no new available entry */
	VIRTQ_CHAIN,  /* *chain filled */
	VIRTQ_BROKEN, /* the driver broke a rule: *why says which */
};

/* Checks the queue's layout (size, alignment of the three parts, each
 * wholly in guest RAM: 2.7, Table "Virtqueue Part Alignment").  0, or -1
 * with *why. */
int virtq_check(const struct virtq *q, const struct virtq_mem *m,
		const char **why);

/* Takes the next available chain. */
enum virtq_result virtq_pop(struct virtq *q, const struct virtq_mem *m,
			    struct virtq_chain *c, const char **why);

/* Puts chain `head` on the used ring with `written` bytes the device
 * wrote into its buffers; -1 (with *why) if the ring left guest RAM. */
int virtq_push(struct virtq *q, const struct virtq_mem *m, uint16_t head,
	       uint32_t written, const char **why);

/* Copies len bytes at offset off of the chain's device-readable bytes
 * into buf (writable false), or from buf into its device-writable bytes
 * (writable true; a NULL buf writes zeros), the chain's buffers taken as
 * one stream (2.6.4: a device assumes nothing of how a message is split
 * into buffers).  What lies past the stream's end is left out. */
void virtq_chain_copy(const struct virtq_chain *c, const struct virtq_mem *m,
		      bool writable, uint64_t off, void *buf, uint64_t len);

/* Whether the driver wants an interrupt for what was pushed since the
 * last one (2.7.7.2: used_event with EVENT_IDX, else NO_INTERRUPT); when
 * it returns true the caller sends one. */
bool virtq_needs_interrupt(struct virtq *q, const struct virtq_mem *m);

/* The event-index rule (2.7.10): whether moving an index from `old` to
 * `new` crossed `event`, all modulo 2^16. */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx,
				    uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif
