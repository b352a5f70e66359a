/* A virtio-console driver by hand (issue 14, `console = virtio`): finds
 * the 1af4:1043 function (4.1.2.1), negotiates VERSION_1 (3.1.1), sets up
 * port 0's receiveq and transmitq (5.3.2), writes lines on the transmit
 * queue (the host log shows them as this VM's console lines), then waits
 * for a line typed at the host console and echoes it: typed keys reach
 * the virtio console once its receive queue runs.  Ends with a transmit
 * buffer outside RAM (DEVICE_NEEDS_RESET, 2.1.2). */
#include "virtio_guest.h"

#define WAIT_TICKS 4000000000ull

static struct vq rxq __attribute__((aligned(4096)));
static struct vq txq __attribute__((aligned(4096)));
static char rxbuf[QSIZE][16];
static char txbuf[128];

static bool find_device(void)
{
	return virtio_find(0x10431af4u, 0) && common && notify_base;
}

static bool put(uint32_t addr, uint32_t len)
{
	txq.desc[0] = (struct vdesc){ addr, len, 0, 0 };
	vq_offer(&txq, 0);
	vq_kick(1);
	for (uint64_t until = rdtsc() + WAIT_TICKS / 100;
	     txq.used.idx == txq.last_used && rdtsc() < until;)
		;
	if (txq.used.idx == txq.last_used)
		return false;
	txq.last_used++;
	return true;
}

static bool write_line(const char *s)
{
	uint32_t n = 0;

	while (*s && n < sizeof(txbuf) - 1)
		txbuf[n++] = *s++;
	txbuf[n++] = '\n';
	return put((uint32_t)txbuf, n);
}

static void post_rx(uint16_t i)
{
	rxq.desc[i] = (struct vdesc){ (uint32_t)rxbuf[i], sizeof(rxbuf[i]), 2, 0 };
	vq_offer(&rxq, i);
}

int guest_main(uint32_t magic, uint32_t info)
{
	char line[40];
	unsigned n = 0;
	bool eol = false;

	(void)magic, (void)info;
	check(find_device(), "4.1.2.1: a virtio-console function 1af4:1043");
	if (!common)
		return verdict();
	w8(common, 0x14, 0);
	w8(common, 0x14, S_ACK | S_DRIVER);
	w32(common, 0x08, 1);
	w32(common, 0x0c, 1); /* VERSION_1 */
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK);
	check(r8(common, 0x14) & S_FEATURES_OK, "3.1.1: FEATURES_OK for VERSION_1");
	check(vq_setup(&rxq, 0) && vq_setup(&txq, 1),
	      "5.3.2: port 0's receiveq and transmitq");
	for (uint16_t i = 0; i < QSIZE; i++)
		post_rx(i);
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	vq_kick(0);
	check(write_line("virtio-console says hello"),
	      "5.3.6: the device takes a transmit buffer");
	write_line("virtio-console ready for input");
	for (uint64_t until = rdtsc() + WAIT_TICKS; !eol && rdtsc() < until;) {
		while (rxq.used.idx != rxq.last_used) {
			uint16_t id = (uint16_t)rxq.used.ring[rxq.last_used % QSIZE].id;
			uint32_t len = rxq.used.ring[rxq.last_used % QSIZE].len;
			rxq.last_used++;
			for (uint32_t i = 0; i < len && id < QSIZE && i < sizeof(rxbuf[0]); i++) {
				char ch = rxbuf[id][i];
				if (ch == '\r' || ch == '\n')
					eol = true;
				else if (!eol && n < sizeof(line) - 1)
					line[n++] = ch;
			}
			post_rx(id < QSIZE ? id : 0);
			vq_kick(0);
		}
	}
	line[n] = 0;
	check(eol, "a line typed at the host console arrives on the receiveq");
	puts_serial("typed over virtio-console: ");
	puts_serial(line);
	putc_serial('\n');
	put(0xf0000000u, 16);
	for (uint64_t until = rdtsc() + WAIT_TICKS / 100;
	     !(r8(common, 0x14) & S_NEEDS_RESET) && rdtsc() < until;)
		;
	check(r8(common, 0x14) & S_NEEDS_RESET,
	      "2.1.2: a transmit buffer outside RAM: DEVICE_NEEDS_RESET");
	return verdict();
}
