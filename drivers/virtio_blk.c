/* virtio-blk (Virtio 1.2, 5.2) over drivers/virtio_pci.c: a disk backed
 * by an image file the UEFI stage loaded from the ESP (`disk = PATH` in
 * hv.cfg; `, size=` makes it larger than the image, zeros past it).  The
 * image is shared, read-only, by every VM that names it; each VM's writes
 * go to its own copy-on-write layer of 4 KiB blocks, kept in hypervisor
 * memory until the VM is reset (hv has no storage driver of its own:
 * these disks are volatile).  The frames a writable disk's layer can grow
 * to are reserved when the VM is created (kernel/page_alloc.h), so a guest
 * that writes its whole disk takes no memory that other VMs are created
 * or restarted from, and never finds its own writes failing for want of
 * memory another guest took.  Requests: read, write, flush,
 * get-id, discard; a malformed or out-of-range one completes with
 * VIRTIO_BLK_S_IOERR (or UNSUPP), a queue-rule breach marks the device
 * DEVICE_NEEDS_RESET.  Data moves straight between the image (or the
 * layer) and the guest's buffers: no copy in between. */
#include "virtio_blk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/log.h"
#include "../kernel/memory.h"
#include "../kernel/modules.h"
#include "../kernel/page_alloc.h"
#include "../kernel/vm.h"
#include "virtio_pci.h"

#define VIRTIO_ID_BLOCK 2
#define SECTOR 512ull
#define BLOCK 4096ull
#define QUEUE_MAX 128
/* One request moves at most SEG_MAX segments of SEGMENT_BYTES (offered
 * as seg_max and size_max, 5.2.4; Linux splits its requests to fit), so
 * one notification's work, at most QUEUE_MAX requests, copies at most
 * 128 x 248 KiB = 31 MiB however the driver builds its chains.  A longer
 * request fails with VIRTIO_BLK_S_IOERR. */
#define SEG_MAX (VIRTQ_MAX_CHAIN - 2) /* header and status take two */
#define SEGMENT_BYTES BLOCK
#define REQUEST_MAX_BYTES (SEG_MAX * SEGMENT_BYTES)

/* Features (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1)
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define HEADER_BYTES 16
#define DISCARD_SEG_BYTES 16

struct vblk {
	struct virtio_pci vp;
	struct vm *vm;
	const uint8_t *image;
	uint64_t image_size, capacity; /* capacity in sectors */
	bool ro;
	uint64_t nblocks;
	uint8_t **layer;               /* per 4 KiB block: this VM's copy
					  (none on a read-only disk) */
	bool reserved;                 /* nblocks frames for the layer */
	uint64_t layer_pages;          /* the index's own frames */
	char id[VIRTIO_BLK_ID_BYTES + 1];
	char name[24];
};

/* The chain's readable bytes, then its writable bytes, as two streams
 * (2.6.4: the device makes no assumption about how a request is split
 * into buffers). */
struct stream {
	const struct virtq_chain *c;
	struct vm *vm;
	bool writable;
	uint64_t len;
};

static struct stream stream_of(const struct virtq_chain *c, struct vm *vm,
			       bool writable)
{
	return (struct stream){ c, vm, writable,
				writable ? c->writable_len : c->readable_len };
}

/* Copies `len` bytes at stream offset `off` to (or from) `buf`; a NULL
 * buf on a writable stream writes zeros (drivers/virtq.c). */
static void stream_copy(const struct stream *s, uint64_t off, void *buf,
			uint64_t len)
{
	struct virtq_mem m = virtio_guest_mem(s->vm);

	virtq_chain_copy(s->c, &m, s->writable, off, buf, len);
}

/* Moves disk bytes [pos, pos+len) to or from stream s at offset soff,
 * block by block: the VM's own copy of a block if it has one, else the
 * image (zeros past its end).  A write first copies the block. */
static bool disk_io(struct vblk *b, bool write, uint64_t pos, uint64_t len,
		    const struct stream *s, uint64_t soff)
{
	while (len) {
		uint64_t blk = pos / BLOCK, boff = pos % BLOCK;
		uint64_t n = BLOCK - boff < len ? BLOCK - boff : len;
		uint8_t *own = b->layer ? b->layer[blk] : NULL;

		if (write && !own) {
			/* Never 0: the layer holds fewer blocks than its
			 * reservation promised frames. */
			uint64_t phys = page_alloc_reserved();
			uint64_t from = blk * BLOCK;
			if (!phys)
				return false;
			own = b->layer[blk] = phys_to_virt(phys);
			memset(own, 0, BLOCK);
			if (from < b->image_size)
				memcpy(own, b->image + from,
				       b->image_size - from < BLOCK
					       ? b->image_size - from : BLOCK);
		}
		if (write) {
			stream_copy(s, soff, own + boff, n);
		} else if (own) {
			stream_copy(s, soff, own + boff, n);
		} else {
			uint64_t at = blk * BLOCK + boff;
			uint64_t in = at >= b->image_size ? 0
				      : b->image_size - at < n ? b->image_size - at : n;
			/* The image's bytes, then zeros past its end (an
			 * image whose size is not whole blocks). */
			if (in)
				stream_copy(s, soff, (void *)(b->image + at), in);
			if (in < n)
				stream_copy(s, soff + in, NULL, n - in);
		}
		pos += n;
		soff += n;
		len -= n;
	}
	return true;
}

static bool in_range(const struct vblk *b, uint64_t sector, uint64_t bytes)
{
	return bytes % SECTOR == 0 && sector <= b->capacity &&
	       bytes / SECTOR <= b->capacity - sector;
}

/* One request: its status, and how many bytes it wrote for the driver
 * (data and the status byte: the used length, 2.7.8). */
static uint8_t request(struct vblk *b, const struct virtq_chain *c,
		       uint32_t *written)
{
	struct stream in = stream_of(c, b->vm, false);
	struct stream out = stream_of(c, b->vm, true);
	uint8_t hdr[HEADER_BYTES];
	uint32_t type;
	uint64_t sector, data;

	*written = 1;
	if (in.len < HEADER_BYTES)
		return VIRTIO_BLK_S_IOERR;
	stream_copy(&in, 0, hdr, HEADER_BYTES);
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		data = out.len - 1;
		if (in.len != HEADER_BYTES || data > REQUEST_MAX_BYTES ||
		    !in_range(b, sector, data))
			return VIRTIO_BLK_S_IOERR;
		if (!disk_io(b, false, sector * SECTOR, data, &out, 0))
			return VIRTIO_BLK_S_IOERR;
		*written = (uint32_t)(data + 1);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		data = in.len - HEADER_BYTES;
		if (out.len != 1 || b->ro || data > REQUEST_MAX_BYTES ||
		    !in_range(b, sector, data))
			return VIRTIO_BLK_S_IOERR;
		return disk_io(b, true, sector * SECTOR, data, &in, HEADER_BYTES)
			       ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK; /* nothing is cached beyond RAM */
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t n = out.len - 1 < VIRTIO_BLK_ID_BYTES
				     ? out.len - 1 : VIRTIO_BLK_ID_BYTES;
		stream_copy(&out, 0, b->id, n);
		*written = (uint32_t)(n + 1);
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_DISCARD:
		/* Segments {le64 sector, le32 num_sectors, le32 flags}
		 * (5.2.6.2); the contents of a discarded range are then
		 * undefined, so checking it is all there is to do. */
		/* One segment, as max_discard_seg offers: the check of more
		 * would be the guest's to make as long as it likes (a chain
		 * of descriptors all over the same zeroed RAM). */
		if (in.len != HEADER_BYTES + DISCARD_SEG_BYTES)
			return VIRTIO_BLK_S_IOERR;
		for (uint64_t off = HEADER_BYTES; off < in.len;
		     off += DISCARD_SEG_BYTES) {
			uint8_t seg[DISCARD_SEG_BYTES];
			uint32_t num, flags;
			stream_copy(&in, off, seg, sizeof(seg));
			memcpy(&sector, seg, 8);
			memcpy(&num, seg + 8, 4);
			memcpy(&flags, seg + 12, 4);
			if (flags)
				return VIRTIO_BLK_S_UNSUPP;
			if (!in_range(b, sector, (uint64_t)num * SECTOR))
				return VIRTIO_BLK_S_IOERR;
		}
		return b->ro ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* One request, its status byte written: the used length.  The status is
 * the last writable byte (5.2.6); a chain without one has nowhere to be
 * told it failed: a broken rule. */
static int64_t serve(void *dev, const struct virtq_chain *c,
		     const struct virtq_mem *m, const char **why)
{
	struct vblk *b = dev;
	struct stream out = stream_of(c, b->vm, true);
	uint32_t written;
	uint8_t status;

	(void)m;
	if (!out.len) {
		*why = "a request without a status byte";
		return -1;
	}
	status = request(b, c, &written);
	stream_copy(&out, out.len - 1, &status, 1);
	return written;
}

/* At most the ring's size of requests per notification (virtio_pci_serve),
 * so one exit does a bounded amount of work. */
static void queue_notify(void *dev, struct virtio_pci *vp, unsigned qi)
{
	(void)dev;
	virtio_pci_serve(vp, qi, serve);
}

/* The configuration layout (5.2.4); fields not listed read 0. */
static uint64_t config_read(void *dev, unsigned off, unsigned size)
{
	struct vblk *b = dev;
	uint8_t cfg[64] = { 0 };
	uint64_t v = 0;
	uint32_t size_max = SEGMENT_BYTES, seg_max = SEG_MAX, blk_size = SECTOR;
	uint32_t max_discard = b->capacity > 0xffffffffull ? 0xffffffffu
							   : (uint32_t)b->capacity;
	uint32_t one = 1;

	memcpy(cfg + 0, &b->capacity, 8);
	memcpy(cfg + 8, &size_max, 4);
	memcpy(cfg + 12, &seg_max, 4);
	memcpy(cfg + 20, &blk_size, 4);
	memcpy(cfg + 36, &max_discard, 4);
	memcpy(cfg + 40, &one, 4);      /* max_discard_seg */
	memcpy(cfg + 44, &one, 4);      /* discard_sector_alignment */
	if (off + size <= sizeof(cfg))
		memcpy(&v, cfg + off, size);
	return v;
}

/* The frames go back into the disk's reservation. */
static void drop_layer(struct vblk *b)
{
	for (uint64_t i = 0; b->layer && i < b->nblocks; i++)
		if (b->layer[i]) {
			page_free_reserved(virt_to_phys(b->layer[i]));
			b->layer[i] = NULL;
		}
}

/* A device reset keeps what was written (the disk, not the controller,
 * holds data); a VM reset drops the layer (virtio_blk_vm_reset). */
static void dev_reset(void *dev)
{
	(void)dev;
}

static const struct virtio_dev_ops vblk_ops = {
	config_read, queue_notify, dev_reset,
};

struct virtio_blk_set {
	unsigned n;
	struct vblk *disk[CFG_DISKS_MAX];
};

/* A writable disk's copy-on-write layer: its index (page frames, not the
 * shared heap: 8 bytes a block is 2 MiB for a 1 GiB disk), and a
 * reservation of a frame for each block it may come to hold. */
static bool attach_layer(struct vblk *b, const char *path)
{
	uint64_t index_bytes = b->nblocks * sizeof(*b->layer), phys;

	if (!page_reserve(b->nblocks)) {
		log_error("vm %s: disk %s: cannot set aside the %lu KiB its "
			  "writes may take (make it smaller or ', ro')",
			  b->vm->name, path, (unsigned long)(b->nblocks * 4));
		return false;
	}
	b->reserved = true;
	b->layer_pages = (index_bytes + PAGE_SIZE - 1) / PAGE_SIZE;
	phys = b->layer_pages ? page_alloc(b->layer_pages, 1) : 0;
	if (!phys) {
		log_error("vm %s: disk %s: no memory for the index of its "
			  "writes (%lu KiB)", b->vm->name, path,
			  (unsigned long)(b->layer_pages * 4));
		b->layer_pages = 0;
		return false;
	}
	b->layer = phys_to_virt(phys);
	memset(b->layer, 0, b->layer_pages * PAGE_SIZE);
	return true;
}

bool virtio_blk_attach(struct vm *vm, void **state)
{
	struct virtio_blk_set *set;

	if (!vm->cfg->ndisks)
		return true;
	set = *state = calloc(1, sizeof(*set));
	if (!set)
		return false;
	for (unsigned i = 0; i < vm->cfg->ndisks; i++) {
		const struct cfg_disk *d = &vm->cfg->disks[i];
		struct vblk *b = calloc(1, sizeof(*b));
		size_t size;

		if (!b)
			return false;
		set->disk[set->n++] = b;
		b->vm = vm;
		b->ro = d->ro;
		b->image = module_find(d->path, &size);
		if (!b->image)
			return false;
		b->image_size = size;
		if (d->size && d->size < size) {
			log_error("vm %s: disk %s: size= is under its image's "
				  "%zu bytes", vm->name, d->path, size);
			return false;
		}
		b->capacity = (d->size ? d->size : size) / SECTOR;
		b->nblocks = (b->capacity * SECTOR + BLOCK - 1) / BLOCK;
		if (!b->ro && !attach_layer(b, d->path))
			return false;
		snprintf(b->id, sizeof(b->id), "hv-%.10s-%u", vm->name, i);
		snprintf(b->name, sizeof(b->name), "virtio-blk %u", i);
		if (!virtio_pci_create(&b->vp, vm, i, VIRTIO_ID_BLOCK,
				       VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX |
				       VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX |
				       VIRTIO_BLK_F_BLK_SIZE |
				       VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_DISCARD |
				       (b->ro ? VIRTIO_BLK_F_RO : 0),
				       1, QUEUE_MAX, b->name, &vblk_ops, b))
			return false;
		log_info("vm %s: %s at pci 00:%02x.0: %s, %lu sectors%s", vm->name,
			 b->name, b->vp.func.dev_no, d->path, b->capacity,
			 b->ro ? ", read-only" : "");
	}
	return true;
}

void virtio_blk_detach(struct vm *vm, void *state)
{
	struct virtio_blk_set *set = state;

	(void)vm;
	if (!set)
		return;
	for (unsigned i = 0; i < set->n; i++) {
		struct vblk *b = set->disk[i];
		drop_layer(b);
		if (b->layer_pages)
			page_free(virt_to_phys(b->layer), b->layer_pages);
		if (b->reserved)
			page_unreserve(b->nblocks);
		free(b);
	}
	free(set);
}

void virtio_blk_vm_reset(struct vm *vm, void *state)
{
	struct virtio_blk_set *set = state;

	(void)vm;
	for (unsigned i = 0; set && i < set->n; i++) {
		spin_lock(set->disk[i]->vp.lock);
		drop_layer(set->disk[i]);
		spin_unlock(set->disk[i]->vp.lock);
	}
}
