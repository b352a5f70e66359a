/* virtio-console (Virtio 1.2, 5.3) over drivers/virtio_pci.c: one port
 * (no MULTIPORT), `console = virtio` in hv.cfg, beside the VM's COM1.
 * What the guest writes on the transmit queue goes to the VM's console
 * lines on the host log, as the UART's output does, without an exit per
 * byte.  Typed input reaches it once its driver has a receive queue
 * running (Linux's hvc0); until then, or while it has no free buffer,
 * keys go to the UART as before.  Keys arriving faster than the guest
 * takes them wait in a small buffer here, then are dropped. */
#include "virtio_console.h"

#include <stdlib.h>
#include <string.h>

#include "../kernel/log.h"
#include "../kernel/vm.h"
#include "../kernel/vm_console.h"
#include "virtio_pci.h"

#define VIRTIO_ID_CONSOLE 3
#define QUEUE_MAX 64
#define RXQ 0
#define TXQ 1
#define CONSOLE_SLOT (CFG_DISKS_MAX + CFG_NETS_MAX)
#define PENDING_MAX 64
#define CHUNK 128
/* What one notification may print: the host console is written as the
 * exit runs, so a driver that offers 64 chains of all its RAM would hold
 * this CPU (and CPU 0's console input, which takes vp.lock) for as long
 * as the host UART takes.  Linux's hvc sends one buffer of at most a page
 * and waits for it, so 16 KiB never cuts its output; beyond, the rest of
 * the notification's bytes are dropped (logged once). */
#define TX_NOTIFY_MAX (16u * 1024)

struct vcon {
	struct virtio_pci vp;
	struct vm *vm;
	console_input_fn uart_in; /* where keys go while this cannot */
	void *uart;
	uint8_t pending[PENDING_MAX];
	unsigned npending;
	uint32_t tx_left;   /* of TX_NOTIFY_MAX, in this notification */
	bool tx_cut_logged;
};

/* Pending keys into the guest's receive buffers.  Under vp.lock. */
static void flush_rx(struct vcon *c)
{
	struct virtio_pci *vp = &c->vp;
	struct virtq_mem m = virtio_guest_mem(c->vm);
	struct virtq *q = &vp->vq[RXQ].q;
	struct virtq_chain ch;
	const char *why = "";
	bool done = false;

	while (c->npending) {
		enum virtq_result r = virtq_pop(q, &m, &ch, &why);
		uint32_t n;

		if (r == VIRTQ_EMPTY)
			break;
		if (r == VIRTQ_BROKEN) {
			virtio_pci_broken(vp, why);
			return;
		}
		/* A receive buffer is device-writable (5.3.6.1): one with no
		 * writable byte would take no key and leave this loop with
		 * nothing done, for as long as the driver offers more. */
		if (!ch.writable_len) {
			virtio_pci_broken(vp, "a receive buffer with no "
					  "device-writable byte");
			return;
		}
		/* The bytes go in before the used ring says so: a driver on
		 * another CPU may read them the moment it sees the entry. */
		n = ch.writable_len < c->npending ? (uint32_t)ch.writable_len
						  : c->npending;
		virtq_chain_copy(&ch, &m, true, 0, c->pending, n);
		if (virtq_push(q, &m, ch.head, n, &why)) {
			virtio_pci_broken(vp, why);
			return;
		}
		memmove(c->pending, c->pending + n, c->npending - n);
		c->npending -= n;
		done = true;
	}
	if (done)
		virtio_pci_interrupt(vp, RXQ);
}

static void input(void *dev, uint8_t byte)
{
	struct vcon *c = dev;
	bool ready;

	spin_lock(c->vp.lock);
	ready = virtio_pci_queue_ready(&c->vp, RXQ);
	if (ready && c->npending < PENDING_MAX) {
		c->pending[c->npending++] = byte;
		flush_rx(c);
	}
	spin_unlock(c->vp.lock);
	if (!ready && c->uart_in)
		c->uart_in(c->uart, byte);
}

/* One transmitted chain: its bytes to the VM's console lines. */
/* A transmitted chain: its bytes to the VM's console; nothing written. */
static int64_t transmit(void *dev, const struct virtq_chain *ch,
			const struct virtq_mem *m, const char **why)
{
	struct vcon *c = dev;
	uint64_t len = ch->readable_len < c->tx_left ? ch->readable_len
						     : c->tx_left;
	char buf[CHUNK];

	(void)why;
	for (uint64_t off = 0; off < len; off += CHUNK) {
		uint64_t n = len - off < CHUNK ? len - off : CHUNK;
		virtq_chain_copy(ch, m, false, off, buf, n);
		vm_console_write(c->vm, buf, n);
	}
	c->tx_left -= (uint32_t)len;
	if (len < ch->readable_len && !c->tx_cut_logged) {
		c->tx_cut_logged = true;
		log_warn("vm %s: virtio-console: over %u bytes in one "
			 "notification: the rest dropped (logged once)",
			 c->vm->name, TX_NOTIFY_MAX);
	}
	return 0;
}

static void queue_notify(void *dev, struct virtio_pci *vp, unsigned q)
{
	if (q == TXQ) {
		((struct vcon *)dev)->tx_left = TX_NOTIFY_MAX;
		virtio_pci_serve(vp, TXQ, transmit);
	}
	else
		flush_rx(dev); /* new receive buffers: keys that waited */
}

/* cols, rows, max_nr_ports, emerg_wr (5.3.4): none of their features is
 * offered, so all read 0. */
static uint64_t config_read(void *dev, unsigned off, unsigned size)
{
	(void)dev, (void)off, (void)size;
	return 0;
}

static void dev_reset(void *dev)
{
	((struct vcon *)dev)->npending = 0;
}

static const struct virtio_dev_ops vcon_ops = {
	config_read, queue_notify, dev_reset,
};

bool virtio_console_attach(struct vm *vm, void **state)
{
	struct vcon *c;

	if (!vm->cfg->virtio_console)
		return true;
	c = *state = calloc(1, sizeof(*c));
	if (!c)
		return false;
	c->vm = vm;
	if (!virtio_pci_create(&c->vp, vm, CONSOLE_SLOT, VIRTIO_ID_CONSOLE,
			       VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX, 2,
			       QUEUE_MAX, "virtio-console", &vcon_ops, c))
		return false;
	if (!vm_console_input_of(vm, &c->uart_in, &c->uart))
		c->uart_in = NULL;
	vm_console_register_input(vm, input, c);
	log_info("vm %s: virtio-console at pci 00:%02x.0", vm->name,
		 c->vp.func.dev_no);
	return true;
}

void virtio_console_detach(struct vm *vm, void *state)
{
	(void)vm;
	free(state);
}
