#include "fw_cfg.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/spinlock.h"
#include "../kernel/snapshot.h"

#define FW_CFG_ITEM_MAX 8

/* Locking: `lock` keeps the selector, offset and item whole when two
 * vCPUs use the (one, shared) interface at once. */
struct fw_cfg {
	struct spinlock lock;
	struct vm *vm;
	uint16_t key;
	uint32_t offset;
	uint8_t item[FW_CFG_ITEM_MAX];
	uint32_t item_len;
};

/* A snapshot keeps everything after the lock and the VM. */
const struct dev_snap fw_cfg_snap = DEV_SNAP_FROM(struct fw_cfg, key, NULL);

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Selecting a key resets the read offset (fw_cfg.rst, "Selector"). */
static void select_key(struct fw_cfg *f, uint16_t key)
{
	f->key = key;
	f->offset = 0;
	f->item_len = 0;
	switch (key) {
	case FW_CFG_SIGNATURE:
		memcpy(f->item, "QEMU", 4);
		f->item_len = 4;
		break;
	case FW_CFG_ID:
		put_le(f->item, 1, 4); /* traditional interface, no DMA */
		f->item_len = 4;
		break;
	case FW_CFG_RAM_SIZE:
		put_le(f->item, f->vm->ram_size, 8);
		f->item_len = 8;
		break;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		put_le(f->item, f->vm->nvcpus, 2);
		f->item_len = 2;
		break;
	case FW_CFG_FILE_DIR:
		memset(f->item, 0, 4); /* no files (big-endian count 0) */
		f->item_len = 4;
		break;
	default:
		break; /* unknown keys read as zeros */
	}
}

static enum io_result fw_cfg_read(void *dev, struct vcpu *v,
				  uint64_t port, unsigned size, uint64_t *val)
{
	struct fw_cfg *f = dev;

	(void)v;
	if (port != FW_CFG_PORT_DATA || size != 1)
		return IO_UNHANDLED;
	spin_lock(&f->lock);
	*val = f->offset < f->item_len ? f->item[f->offset] : 0;
	f->offset++;
	spin_unlock(&f->lock);
	return IO_HANDLED;
}

static enum io_result fw_cfg_write(void *dev, struct vcpu *v,
				   uint64_t port, unsigned size, uint64_t val)
{
	struct fw_cfg *f = dev;

	(void)v;
	if (port != FW_CFG_PORT_SEL || size != 2)
		return IO_UNHANDLED;
	spin_lock(&f->lock);
	select_key(f, (uint16_t)val);
	spin_unlock(&f->lock);
	return IO_HANDLED;
}

static const struct io_ops fw_cfg_ops = { fw_cfg_read, fw_cfg_write };

bool fw_cfg_attach(struct vm *vm, void **state)
{
	struct fw_cfg *f = *state = calloc(1, sizeof(*f));

	if (!f)
		return false;
	spin_init(&f->lock, "fw_cfg");
	f->vm = vm;
	return io_bus_register(&vm->pio, FW_CFG_PORT_SEL, 2, &fw_cfg_ops,
			       f) == 0;
}
