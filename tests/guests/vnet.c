/* A virtio-net driver by hand (issue 14): two VMs on switch sw0 and one
 * alone on sw1, each checking the device and the switch against the
 * Virtio 1.2 specification and what a switch between VMs promises.
 *
 * Command line: "me=N" (this NIC's MAC is 52:54:00:00:00:0N, set in
 * hv.cfg), "peer=M" (the other VM on the switch), or "alone=1" (no one
 * else is on its switch).  Each VM:
 *   - finds the 1af4:1041 function (4.1.2.1), negotiates VERSION_1 and
 *     MAC (3.1.1) and reads its MAC from the configuration (5.1.4);
 *   - posts receive buffers (queue 0) and sends on queue 1 (5.1.2);
 *   - broadcasts "hello" until it hears its peer, then sends the peer
 *     20 unicast frames, each acknowledged by the peer before the next,
 *     and expects the peer's 20, in order, with their payloads intact;
 *   - (me=1) sends a frame with its peer's MAC as source: the switch
 *     must drop it (the peer checks it never receives a frame with its
 *     own MAC as source), and an over-long frame (dropped, not sent);
 *   - alone on sw1: hears nothing at all, though sw0 floods broadcasts;
 *   - finally gives the device a transmit buffer outside its RAM: the
 *     device must set DEVICE_NEEDS_RESET (2.1.2), and a reset clears it.
 * The serial log carries the CHECK lines and RESULT. */
#include "virtio_guest.h"

#define F_MAC (1u << 5)

#define NET_HDR 12
#define BUF 1536
#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define UNICASTS 20
#define WAIT_TICKS 2000000000ull

static struct vq rxq __attribute__((aligned(4096)));
static struct vq txq __attribute__((aligned(4096)));
static uint8_t rxbuf[QSIZE][BUF] __attribute__((aligned(16)));
static uint8_t txbuf[BUF + 64] __attribute__((aligned(16)));
static uint8_t my_mac[6], peer_mac[6];
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };


static bool find_device(void)
{
	return virtio_find(0x10411af4u, 0) && common && devcfg && notify_base;
}

static void post_rx(uint16_t i)
{
	rxq.desc[i] = (struct vdesc){ (uint32_t)rxbuf[i], BUF, 2, 0 };
	vq_offer(&rxq, i);
}

/* Sends `len` frame bytes from txbuf + NET_HDR (the header zeroed, no
 * offloads) at guest-physical `addr` (txbuf normally); true once used. */
static bool send_at(uint32_t addr, uint32_t len)
{
	for (unsigned i = 0; i < NET_HDR; i++)
		txbuf[i] = 0;
	txq.desc[0] = (struct vdesc){ addr, NET_HDR + len, 0, 0 };
	vq_offer(&txq, 0);
	vq_kick(1);
	for (uint64_t until = rdtsc() + WAIT_TICKS / 20;
	     txq.used.idx == txq.last_used && rdtsc() < until;)
		;
	if (txq.used.idx == txq.last_used)
		return false;
	txq.last_used++;
	return true;
}

static bool send(const uint8_t *dst, const uint8_t *src, const char *text,
		 uint32_t seq, uint32_t pad)
{
	uint8_t *f = txbuf + NET_HDR;
	uint32_t n = 14;

	for (unsigned i = 0; i < 6; i++) {
		f[i] = dst[i];
		f[6 + i] = src[i];
	}
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	for (const char *t = text; *t; t++)
		f[n++] = (uint8_t)*t;
	f[n++] = 0;
	for (unsigned i = 0; i < 4; i++)
		f[n++] = (uint8_t)(seq >> (8 * i));
	for (uint32_t i = 0; i < pad; i++)
		f[n++] = (uint8_t)(seq + i);
	return send_at((uint32_t)txbuf, n < 60 ? 60 : n);
}

struct frame {
	const uint8_t *p;
	uint32_t len;
};

static uint32_t heard, from_self_mac, from_stranger, bad_hdr;

/* The next received frame, or len 0 within `ticks`. */
static struct frame receive(uint64_t ticks)
{
	struct frame f = { 0, 0 };
	static uint16_t pending = 0xffff;

	if (pending != 0xffff) { /* give the last one's buffer back */
		post_rx(pending);
		vq_kick(0);
		pending = 0xffff;
	}
	for (uint64_t until = rdtsc() + ticks;
	     rxq.used.idx == rxq.last_used && rdtsc() < until;)
		;
	if (rxq.used.idx == rxq.last_used)
		return f;
	uint16_t id = (uint16_t)rxq.used.ring[rxq.last_used % QSIZE].id;
	uint32_t len = rxq.used.ring[rxq.last_used % QSIZE].len;
	rxq.last_used++;
	pending = id;
	if (id >= QSIZE || len < NET_HDR + 14 || len > BUF) {
		bad_hdr++;
		return f;
	}
	/* num_buffers is 1 without mergeable buffers (5.1.6.4). */
	if (rxbuf[id][10] != 1 || rxbuf[id][11] != 0)
		bad_hdr++;
	f.p = rxbuf[id] + NET_HDR;
	f.len = len - NET_HDR;
	heard++;
	bool self = true, from_peer = true;
	for (unsigned i = 0; i < 6; i++) {
		self &= f.p[6 + i] == my_mac[i];
		from_peer &= f.p[6 + i] == peer_mac[i];
	}
	from_self_mac += self;
	from_stranger += !from_peer;
	return f;
}

static bool is(const struct frame *f, const char *text)
{
	if (f->len < 14 || f->p[12] != ETHERTYPE >> 8 ||
	    f->p[13] != (ETHERTYPE & 0xff))
		return false;
	for (unsigned i = 0; text[i]; i++)
		if (14 + i >= f->len || f->p[14 + i] != (uint8_t)text[i])
			return false;
	return true;
}

static uint32_t seq_of(const struct frame *f, unsigned textlen)
{
	const uint8_t *s = f->p + 14 + textlen + 1;

	return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
	       (uint32_t)s[3] << 24;
}

#define PAYLOAD 200
static bool got_hello;
static uint32_t rx_next = 1, gaps, corrupt, acked;

/* What every received frame does to the exchange: a hello (or any frame
 * of the peer's) says it is there; data is checked and acknowledged;
 * an ack moves `acked`. */
static void poll(uint64_t ticks)
{
	for (struct frame f; (f = receive(ticks)).len; ticks = 0) {
		if (is(&f, "hello")) {
			got_hello = true;
		} else if (is(&f, "data")) {
			uint32_t s = seq_of(&f, 4);
			bool ok = f.len >= 14 + 5 + 4 + PAYLOAD;
			for (unsigned i = 0; i < 6; i++)
				ok = ok && f.p[i] == my_mac[i];
			for (uint32_t i = 0; ok && i < PAYLOAD; i++)
				ok = f.p[14 + 5 + 4 + i] == (uint8_t)(s + i);
			corrupt += !ok;
			got_hello = true;
			if (s == rx_next)
				rx_next++;
			else if (s > rx_next)
				gaps++;
			send(peer_mac, my_mac, "ack", s, 0);
		} else if (is(&f, "ack")) {
			uint32_t s = seq_of(&f, 3);
			if (s > acked)
				acked = s;
		}
	}
}

static void set_mac(uint8_t *mac, uint32_t n)
{
	static const uint8_t prefix[5] = { 0x52, 0x54, 0x00, 0x00, 0x00 };

	for (unsigned i = 0; i < 5; i++)
		mac[i] = prefix[i];
	mac[5] = (uint8_t)n;
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cmd = cmdline(info);
	bool alone = word_number(cmd, "alone") == 1;
	uint32_t me = word_number(cmd, "me");
	bool mac_ok = true;

	(void)magic;
	set_mac(my_mac, me);
	set_mac(peer_mac, word_number(cmd, "peer"));
	check(find_device(), "4.1.2.1: a virtio-net function 1af4:1041 with "
	      "the common, notify and device capabilities");
	if (!common)
		return verdict();
	w8(common, 0x14, 0);
	w8(common, 0x14, S_ACK);
	w8(common, 0x14, S_ACK | S_DRIVER);
	w32(common, 0x00, 0);
	check(*(volatile uint32_t *)(common + 4) & F_MAC,
	      "5.1.3: the device offers VIRTIO_NET_F_MAC");
	w32(common, 0x08, 0);
	w32(common, 0x0c, F_MAC);
	w32(common, 0x08, 1);
	w32(common, 0x0c, F_VERSION_1_HI);
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK);
	check(r8(common, 0x14) & S_FEATURES_OK,
	      "3.1.1: FEATURES_OK stays set for VERSION_1 and MAC");
	for (unsigned i = 0; i < 6; i++)
		mac_ok &= r8(devcfg, i) == my_mac[i];
	check(mac_ok, "5.1.4: the configuration's mac is the one hv.cfg gave");
	check(vq_setup(&rxq, 0) && vq_setup(&txq, 1),
	      "5.1.2: receiveq1 and transmitq1 take 8 entries");
	for (uint16_t i = 0; i < QSIZE; i++)
		post_rx(i);
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	vq_kick(0);

	if (alone) {
		/* sw0's VMs flood broadcasts meanwhile: none may come here. */
		for (unsigned i = 0; i < 40; i++) {
			send(bcast, my_mac, "hello", me, 0);
			receive(WAIT_TICKS / 40);
		}
		check(heard == 0, "a switch carries nothing from another "
		      "switch: no frame heard on sw1");
	} else {
		for (unsigned i = 0; i < 400 && !got_hello; i++) {
			bool sent = send(bcast, my_mac, "hello", me, 0);
			if (!i)
				check(sent, "5.1.6.2: the device takes a transmit "
				      "buffer");
			poll(WAIT_TICKS / 400);
		}
		check(got_hello, "the peer's broadcast arrives");
		if (me == 1) {
			/* Its peer's MAC as source: dropped by the switch. */
			send(bcast, peer_mac, "spoof", me, 0);
			/* Too long for a frame without offloads. */
			send(peer_mac, my_mac, "long", me, 1600);
		}
		/* Each unicast waits for the peer's ack (its receive ring
		 * has 8 buffers: a burst could overrun it, as on a real
		 * NIC); one resend after a long silence. */
		for (uint32_t s = 1; s <= UNICASTS; s++)
			for (unsigned t = 0; t < 2 && acked < s; t++) {
				send(peer_mac, my_mac, "data", s, PAYLOAD);
				for (uint64_t until = rdtsc() + WAIT_TICKS / 10;
				     acked < s && rdtsc() < until;)
					poll(WAIT_TICKS / 100);
			}
		check(acked == UNICASTS, "the peer acknowledged all 20 "
		      "unicast frames");
		for (uint64_t until = rdtsc() + WAIT_TICKS;
		     rx_next <= UNICASTS && rdtsc() < until;)
			poll(WAIT_TICKS / 100);
		/* The peer may wait for an ack still: answer a while. */
		poll(WAIT_TICKS / 10);
		check(rx_next == UNICASTS + 1 && !gaps,
		      "the peer's 20 unicast frames arrive, in order");
		check(!corrupt, "their payloads arrive intact, addressed to "
		      "this NIC");
		check(!from_self_mac, "no frame with this NIC's own MAC as "
		      "source arrives (the peer's spoofed one was dropped)");
		check(!from_stranger, "every frame heard came from the peer");
		check(!bad_hdr, "5.1.6.4: each received buffer holds the "
		      "header (num_buffers 1) and a whole frame");
	}
	/* 2.1.2: a buffer outside RAM makes the device need a reset. */
	send_at(0xf0000000u, 64);
	for (uint64_t until = rdtsc() + WAIT_TICKS / 20;
	     !(r8(common, 0x14) & S_NEEDS_RESET) && rdtsc() < until;)
		;
	check(r8(common, 0x14) & S_NEEDS_RESET,
	      "2.1.2: a transmit buffer outside RAM: DEVICE_NEEDS_RESET");
	w8(common, 0x14, 0);
	check(r8(common, 0x14) == 0, "4.1.4.3.1: writing 0 resets the device");
	return verdict();
}
