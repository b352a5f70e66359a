/* Split virtqueues, the device side (see virtq.h).  Every index, length
 * and address the driver wrote is checked before it is used: the rings
 * live in guest RAM, and another vCPU may change them at any moment, so
 * each field is read once (into a local) and only the local is used. */
#include "virtq.h"

#include <string.h>

/* A split virtqueue's three parts (2.7): 16-byte descriptors; the
 * available ring (flags, idx, ring[size], used_event); the used ring
 * (flags, idx, ring[size] of {id, len}, avail_event). */
#define DESC_SIZE 16
#define AVAIL_BYTES(size) (6ull + 2ull * (size))
#define USED_BYTES(size) (6ull + 8ull * (size))

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uint16_t load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static enum virtq_result broken(const char **why, const char *what)
{
	*why = what;
	return VIRTQ_BROKEN;
}

int virtq_check(const struct virtq *q, const struct virtq_mem *m,
		const char **why)
{
	if (!q->size || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1))) {
		*why = "queue size is not a power of two up to 32768";
		return -1;
	}
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3)) {
		*why = "a ring is not aligned (descriptors 16, available 2, "
		       "used 4 bytes)";
		return -1;
	}
	if (!m->map(m->ctx, q->desc, (uint64_t)DESC_SIZE * q->size) ||
	    !m->map(m->ctx, q->avail, AVAIL_BYTES(q->size)) ||
	    !m->map(m->ctx, q->used, USED_BYTES(q->size))) {
		*why = "a ring lies outside the guest's memory";
		return -1;
	}
	return 0;
}

static void read_desc(const uint8_t *table, unsigned i, struct desc *d)
{
	const uint8_t *p = table + (uint64_t)DESC_SIZE * i;

	memcpy(&d->addr, p, 8);
	memcpy(&d->len, p + 8, 4);
	memcpy(&d->flags, p + 12, 2);
	memcpy(&d->next, p + 14, 2);
}

/* Adds one buffer to the chain, after checking it lies in guest RAM and
 * keeps the readable-then-writable order. */
static enum virtq_result add_buf(struct virtq_chain *c,
				 const struct virtq_mem *m,
				 const struct desc *d, const char **why)
{
	bool w = d->flags & VIRTQ_DESC_F_WRITE;

	if (c->n == VIRTQ_MAX_CHAIN)
		return broken(why, "descriptor chain longer than 64 buffers");
	if (d->len && !m->map(m->ctx, d->addr, d->len))
		return broken(why, "a buffer lies outside the guest's memory");
	if (!w && c->n > c->nreadable)
		return broken(why, "a device-readable buffer after a "
				   "device-writable one (2.7.4.2)");
	c->buf[c->n++] = (struct virtq_buf){ d->addr, d->len, w };
	if (w) {
		c->writable_len += d->len;
	} else {
		c->nreadable++;
		c->readable_len += d->len;
	}
	return VIRTQ_CHAIN;
}

/* Walks the chain from `head`: in the queue's table, then, if one
 * descriptor is INDIRECT, in the table it points to (2.7.5.3).  A table
 * of n descriptors holds a chain of at most n: more means a loop. */
static enum virtq_result walk(struct virtq *q, const struct virtq_mem *m,
			      uint16_t head, struct virtq_chain *c,
			      const char **why)
{
	const uint8_t *table = m->map(m->ctx, q->desc,
				      (uint64_t)DESC_SIZE * q->size);
	unsigned tsize = q->size, i = head, count = 0;
	bool indirect = false;
	struct desc d;

	if (!table)
		return broken(why, "the descriptor table left guest memory");
	for (;;) {
		if (count == tsize)
			return broken(why, "descriptor chain loops");
		read_desc(table, i, &d);
		count++;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return broken(why, "indirect descriptor without "
						   "VIRTIO_F_INDIRECT_DESC");
			if (indirect)
				return broken(why, "indirect descriptor inside "
						   "an indirect table (2.7.5.3.1)");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return broken(why, "indirect descriptor with "
						   "NEXT set (2.7.5.3.1)");
			if (!d.len || d.len % DESC_SIZE ||
			    d.len / DESC_SIZE > VIRTQ_MAX_SIZE)
				return broken(why, "indirect table length is not "
						   "a multiple of 16 up to 32768 "
						   "descriptors");
			table = m->map(m->ctx, d.addr, d.len);
			if (!table)
				return broken(why, "an indirect table lies outside "
						   "the guest's memory");
			tsize = d.len / DESC_SIZE;
			i = count = 0;
			indirect = true;
			continue;
		}
		if (add_buf(c, m, &d, why) != VIRTQ_CHAIN)
			return VIRTQ_BROKEN;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_CHAIN;
		if (d.next >= tsize)
			return broken(why, "descriptor next index outside its "
					   "table");
		i = d.next;
	}
}

enum virtq_result virtq_pop(struct virtq *q, const struct virtq_mem *m,
			    struct virtq_chain *c, const char **why)
{
	uint8_t *avail = m->map(m->ctx, q->avail, AVAIL_BYTES(q->size));
	uint16_t idx, head;

	if (!avail)
		return broken(why, "the available ring left guest memory");
	idx = load16(avail + 2);
	if (idx == q->last_avail)
		return VIRTQ_EMPTY;
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return broken(why, "available index moved by more than the "
				   "queue size");
	/* The ring entries were written before idx (2.7.13.3): read them
	 * only after it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = load16(avail + 4 + 2 * (q->last_avail & (q->size - 1)));
	if (head >= q->size)
		return broken(why, "available ring names a descriptor outside "
				   "the table");
	c->head = head;
	c->n = c->nreadable = 0;
	c->readable_len = c->writable_len = 0;
	if (walk(q, m, head, c, why) != VIRTQ_CHAIN)
		return VIRTQ_BROKEN;
	q->last_avail++;
	if (q->event_idx) {
		/* avail_event: notify when the driver makes entry
		 * last_avail available (2.7.10). */
		uint8_t *used = m->map(m->ctx, q->used, USED_BYTES(q->size));
		if (!used)
			return broken(why, "the used ring left guest memory");
		store16(used + 4 + 8ull * q->size, q->last_avail);
	}
	return VIRTQ_CHAIN;
}

int virtq_push(struct virtq *q, const struct virtq_mem *m, uint16_t head,
	       uint32_t written, const char **why)
{
	uint8_t *used = m->map(m->ctx, q->used, USED_BYTES(q->size));
	uint8_t *elem;
	uint32_t id = head;

	if (!used) {
		*why = "the used ring left guest memory";
		return -1;
	}
	elem = used + 4 + 8ull * (q->used_idx & (q->size - 1));
	memcpy(elem, &id, 4);
	memcpy(elem + 4, &written, 4);
	/* The entry before the index that publishes it (2.7.8.2). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	store16(used + 2, ++q->used_idx);
	return 0;
}

bool virtq_needs_interrupt(struct virtq *q, const struct virtq_mem *m)
{
	const uint8_t *avail = m->map(m->ctx, q->avail, AVAIL_BYTES(q->size));
	uint16_t old = q->signalled_used;
	bool valid = q->signalled_valid;

	/* The used index must be visible before the driver's event field
	 * is read (2.7.7.2), or both sides may wait for the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!avail)
		return true; /* the device is broken anyway; say so */
	if (!q->event_idx)
		return !(load16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	return !valid ||
	       virtq_need_event(load16(avail + 4 + 2ull * q->size),
				q->used_idx, old);
}

void virtq_chain_copy(const struct virtq_chain *c, const struct virtq_mem *m,
		      bool writable, uint64_t off, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	for (unsigned i = 0; i < c->n && len; i++) {
		const struct virtq_buf *b = &c->buf[i];
		uint64_t n;
		uint8_t *g;

		if (b->device_writes != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off < len ? b->len - off : len;
		/* In RAM: virtq_pop checked every buffer. */
		g = m->map(m->ctx, b->gpa + off, n);
		if (g) {
			if (!writable)
				memcpy(p, g, n);
			else if (p)
				memcpy(g, p, n);
			else
				memset(g, 0, n);
		}
		if (p)
			p += n;
		len -= n;
		off = 0;
	}
}
