/* A virtio-blk driver by hand (issue 14), checking the device against the
 * Virtio 1.2 specification, each check citing its section: PCI discovery
 * through the virtio vendor capabilities (4.1.4), feature negotiation
 * (3.1.1: a feature the device did not offer keeps FEATURES_OK clear), a
 * split virtqueue (2.7) with MSI-X (4.1.5.1), then requests (5.2.6):
 * read the image's known pattern, get-id, write and read back, flush,
 * discard, out of range (IOERR), an unknown type (UNSUPP), a request
 * longer than seg_max x size_max (IOERR); and what a
 * hostile driver does: a queue size that is not a power of two, a
 * notification before DRIVER_OK, a chain that loops, one too long, a
 * buffer outside RAM (the device sets DEVICE_NEEDS_RESET and works again
 * after a reset).
 *
 * Command line: "tag=N" (this VM's write pattern), "ro=1" (the disk is
 * read-only: writes must fail), "sectors=N" (the disk's size), "image=N"
 * (the image's size, when `size=` made the disk larger).  Two VMs
 * with the same image write different patterns to sector 5 and must
 * each read back only their own (copy-on-write per VM). */
#include "virtio_guest.h"

#define LAPIC 0xfee00000u
#define MSI_VECTOR_Q 0x40
#define MSI_VECTOR_CFG 0x41

/* Status (2.1) and features. */
#define F_BLK_RO (1u << 5)
#define F_INDIRECT (1u << 28)

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11

static volatile uint32_t q_irqs, cfg_irqs;

/* The queue: 16-aligned descriptors, 2-aligned available ring, 4-aligned
 * used ring (2.7, Table "Virtqueue Part Alignment"). */
static struct vdesc desc[QSIZE] __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[QSIZE], used_event; } avail
	__attribute__((aligned(2)));
static volatile struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; } used
	__attribute__((aligned(4)));
static uint16_t last_used;

static uint8_t hdr[16] __attribute__((aligned(16)));
static uint8_t data[4096] __attribute__((aligned(4096)));
/* Where request() puts its data buffer: `data`, or a bigger scratch area
 * for the over-long request. */
static uint8_t *data_at = data;
#define SCRATCH 0x200000u /* 1 MiB of the VM's 4 MiB that nothing uses */
#define F_BLK_SIZE_MAX (1u << 1)
static volatile uint8_t status;


static void on_irq(uint32_t vector)
{
	if (vector == MSI_VECTOR_Q)
		q_irqs++;
	else if (vector == MSI_VECTOR_CFG)
		cfg_irqs++;
	*(volatile uint32_t *)(LAPIC + 0xb0) = 0; /* EOI */
}

/* Finds the first 1af4:1042 function from `from` on; its BAR0 layout. */
static bool find_device(unsigned from)
{
	return virtio_find(0x10421af4u, from);
}

static void msix_on(void)
{
	unsigned cap;

	for (cap = cfg_read(0x34) & 0xff; cap && (cfg_read(cap) & 0xff) != 0x11;
	     cap = (cfg_read(cap) >> 8) & 0xff)
		;
	msix_table[0] = LAPIC;            /* vector 0: the queue, to APIC 0 */
	msix_table[1] = 0;
	msix_table[2] = MSI_VECTOR_Q;
	msix_table[3] = 0;                /* unmasked */
	msix_table[4] = LAPIC;            /* vector 1: configuration */
	msix_table[5] = 0;
	msix_table[6] = MSI_VECTOR_CFG;
	msix_table[7] = 0;
	cfg_write(cap, cfg_read(cap) | (1u << 31)); /* MSI-X Enable */
	w16(common, 0x10, 1); /* configuration changes: vector 1 */
}

/* 3.1.1 steps 1-6 with `hi`/`lo` as the driver's features; the status
 * after FEATURES_OK. */
static uint8_t negotiate(uint32_t lo, uint32_t hi)
{
	w8(common, 0x14, 0);
	w8(common, 0x14, S_ACK);
	w8(common, 0x14, S_ACK | S_DRIVER);
	w32(common, 0x08, 0);
	w32(common, 0x0c, lo);
	w32(common, 0x08, 1);
	w32(common, 0x0c, hi);
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK);
	return r8(common, 0x14);
}

static uint32_t device_features(unsigned half)
{
	w32(common, 0x00, half);
	return r32(common, 0x04);
}

/* Queue 0 with `size` entries at our rings; true if it took. */
static bool setup_queue(uint16_t size)
{
	for (unsigned i = 0; i < QSIZE; i++)
		desc[i].next = 0;
	avail.idx = avail.flags = 0;
	used.idx = 0;
	last_used = 0;
	w16(common, 0x16, 0);
	w16(common, 0x18, size);
	w16(common, 0x1a, 0);                 /* MSI-X vector 0 */
	w32(common, 0x20, (uint32_t)desc);
	w32(common, 0x24, 0);
	w32(common, 0x28, (uint32_t)&avail);
	w32(common, 0x2c, 0);
	w32(common, 0x30, (uint32_t)&used);
	w32(common, 0x34, 0);
	w16(common, 0x1c, 1);
	return r16(common, 0x1c) == 1;
}

static void notify(void)
{
	w16(notify_base, r16(common, 0x1e) * notify_mult, 0);
}

#define LONG_CHAIN 65
static struct vdesc long_chain[LONG_CHAIN] __attribute__((aligned(16)));

/* Makes descriptor 0 available: the chain there breaks a queue rule.
 * True if the device said DEVICE_NEEDS_RESET; then resets it and sets
 * the queue up again. */
static bool breaks_device(void)
{
	bool broken;

	avail.ring[avail.idx % QSIZE] = 0;
	__asm__ volatile("" ::: "memory");
	avail.idx++;
	notify();
	broken = (r8(common, 0x14) & S_NEEDS_RESET) != 0;
	negotiate(F_INDIRECT, F_VERSION_1_HI);
	msix_on();
	setup_queue(QSIZE);
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return broken;
}

/* One request: header, data (len bytes, the device writes it if `in`),
 * status; true if the device completed it (used ring), with *st. */
static bool request(uint32_t type, uint32_t sector, uint32_t len, bool in,
		    uint8_t *st, uint32_t *used_len)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++)
		hdr[i] = 0;
	*(uint32_t *)hdr = type;
	*(uint32_t *)(hdr + 8) = sector;
	status = 0xff;
	desc[n] = (struct vdesc){ (uint32_t)hdr, 16, 1, 1 };
	n++;
	if (len) {
		desc[n] = (struct vdesc){ (uint32_t)data_at, len, (uint16_t)(1 | (in ? 2 : 0)), 2 };
		n++;
	}
	desc[n] = (struct vdesc){ (uint32_t)&status, 1, 2, 0 };
	desc[n - 1].next = (uint16_t)n;
	avail.ring[avail.idx % QSIZE] = 0;
	__asm__ volatile("" ::: "memory");
	avail.idx++;
	notify();
	for (unsigned spin = 0; spin < 1000000 && used.idx == last_used; spin++)
		__asm__ volatile("pause");
	if (used.idx == last_used)
		return false;
	*used_len = used.ring[last_used % QSIZE].len;
	last_used++;
	*st = status;
	return true;
}

/* 4.1.4.9: the VIRTIO_PCI_CAP_PCI_CFG capability's window onto BAR0:
 * num_queues (2 bytes at 0x12) read through it equals the MMIO read,
 * queue_select (0x16) set to 7 through it reads back 7 over MMIO, and
 * hostile windows do nothing. */
static bool pci_cfg_window(void)
{
	unsigned cap;
	bool ok;

	for (cap = cfg_read(0x34) & 0xff; cap; cap = (cfg_read(cap) >> 8) & 0xff)
		if ((cfg_read(cap) & 0xff) == 0x09 && (cfg_read(cap) >> 24) == 5)
			break;
	if (!cap)
		return false;
	cfg_write(cap + 4, 0);      /* bar 0 */
	cfg_write(cap + 8, 0x12);   /* offset: num_queues */
	cfg_write(cap + 12, 2);     /* length */
	ok = (cfg_read(cap + 16) & 0xffff) == r16(common, 0x12) &&
	     r16(common, 0x12) >= 1;
	cfg_write(cap + 8, 0x16);   /* queue_select */
	cfg_write(cap + 16, 7);
	ok = ok && r16(common, 0x16) == 7;
	w16(common, 0x16, 0);
	/* Windows that name nothing: another BAR, a length other than 1, 2
	 * or 4, an offset not aligned to it, or far past the BAR.  Reads
	 * give 0 and writes change nothing (hv checks them all). */
	cfg_write(cap + 4, 1);      /* bar 1: none */
	cfg_write(cap + 12, 2);
	cfg_write(cap + 16, 5);     /* would be queue_select */
	ok = ok && r16(common, 0x16) == 0;
	cfg_write(cap + 8, 0x12);
	ok = ok && cfg_read(cap + 16) == 0;
	cfg_write(cap + 4, 0);
	cfg_write(cap + 12, 3);
	ok = ok && cfg_read(cap + 16) == 0;
	cfg_write(cap + 8, 0x13);
	cfg_write(cap + 12, 2);
	ok = ok && cfg_read(cap + 16) == 0;
	cfg_write(cap + 8, 0xfffffffcu);
	cfg_write(cap + 12, 4);
	cfg_write(cap + 16, 0xffffffffu);
	ok = ok && cfg_read(cap + 16) == 0;
	cfg_write(cap + 8, 0x12);   /* and the window still works */
	cfg_write(cap + 12, 2);
	ok = ok && (cfg_read(cap + 16) & 0xffff) == r16(common, 0x12);
	return ok;
}

/* `make bench` (bench=1 on the command line): the round trip of a read
 * at queue depth 1, as the guest sees it (the notify exit, the request
 * served in it, the used ring, the MSI-X interrupt), 256 of each size;
 * "BENCH name mean best" in guest TSC ticks. */
static void bench_reads(void)
{
	static const uint32_t sizes[] = { 512, 4096 };
	uint32_t ulen;
	uint8_t st;

	for (unsigned k = 0; k < 2; k++) {
		uint64_t total = 0, best = ~0ull;

		for (unsigned i = 0; i < 256; i++) {
			uint64_t t0 = rdtsc(), t;
			request(T_IN, (i * 8) % 64, sizes[k], true, &st, &ulen);
			t = rdtsc() - t0;
			total += t;
			best = t < best ? t : best;
		}
		puts_serial("BENCH blk_read_");
		print_dec(sizes[k]);
		puts_serial(" ");
		print_dec(total / 256);
		puts_serial(" ");
		print_dec(best);
		putc_serial('\n');
	}
}

static uint8_t pattern(uint32_t sector, uint32_t i)
{
	return (uint8_t)(sector * 7 + i);
}

int guest_main(uint32_t magic, uint32_t info)
{
	const char *cl = cmdline(info);
	uint32_t tag = word_number(cl, "tag"), sectors = word_number(cl, "sectors");
	uint32_t image = word_number(cl, "image"); /* 0: as sectors */
	bool ro = word_value(cl, "ro") != 0;
	uint32_t ulen;
	uint8_t st;
	bool ok;

	(void)magic;
	irq_handler = on_irq;
	*(volatile uint32_t *)(LAPIC + 0xf0) |= 0x100; /* APIC on */
	__asm__ volatile("sti");

	check(find_device(0) && common && isr && devcfg && notify_base &&
		      msix_table,
	      "4.1.4: a virtio-blk function (1af4:1042) with common, notify, "
	      "ISR, device configuration and MSI-X capabilities");
	if (!common)
		return verdict();
	check(pci_cfg_window(), "4.1.4.9: the PCI configuration access "
	      "capability reads and writes the common configuration; "
	      "windows that name nothing read 0 and write nothing");
	check((device_features(1) & F_VERSION_1_HI) != 0,
	      "6.1: the device offers VIRTIO_F_VERSION_1");
	check(((device_features(0) & F_BLK_RO) != 0) == ro,
	      "5.2.3: VIRTIO_BLK_F_RO exactly when the disk is read-only");
	check(!(negotiate(F_INDIRECT, F_VERSION_1_HI | (1u << 8)) & S_FEATURES_OK),
	      "3.1.1: a feature the device did not offer: FEATURES_OK stays clear");
	check(!(negotiate(F_INDIRECT, 0) & S_FEATURES_OK),
	      "6.1: a driver without VERSION_1 is refused (no legacy interface)");
	check(negotiate(F_INDIRECT, F_VERSION_1_HI) & S_FEATURES_OK,
	      "3.1.1: offered features are accepted: FEATURES_OK");
	check(*(volatile uint32_t *)devcfg == sectors,
	      "5.2.4: capacity is the disk's size in sectors");

	/* A queue size that is not a power of two (2.7: Queue Size). */
	w16(common, 0x16, 0);
	check(r16(common, 0x18) >= QSIZE, "4.1.4.3: queue 0 offers at least 8 entries");
	setup_queue(6);
	check(r8(common, 0x14) & S_NEEDS_RESET,
	      "2.7: a queue size that is not a power of two: DEVICE_NEEDS_RESET");

	negotiate(F_INDIRECT, F_VERSION_1_HI);
	check(!(r8(common, 0x14) & S_NEEDS_RESET), "2.4: a reset clears DEVICE_NEEDS_RESET");
	msix_on();
	setup_queue(QSIZE);
	/* A notification before DRIVER_OK (3.1.1) is not served. */
	desc[0] = (struct vdesc){ (uint32_t)hdr, 16, 1, 1 };
	desc[1] = (struct vdesc){ (uint32_t)&status, 1, 2, 0 };
	avail.ring[0] = 0;
	avail.idx = 1;
	notify();
	for (volatile int i = 0; i < 10000; i++)
		;
	check(used.idx == 0, "3.1.1: a notification before DRIVER_OK uses no buffer");
	avail.idx = 0;
	setup_queue(QSIZE); /* enable is idempotent: rings as before */
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);

	ok = request(T_IN, 0, 512, true, &st, &ulen);
	bool same = ok && st == 0;
	for (uint32_t i = 0; same && i < 512; i++)
		same = data[i] == pattern(0, i);
	check(same && ulen == 513,
	      "5.2.6: reading sector 0 gives the image's bytes, used length 513");
	check(q_irqs >= 1, "4.1.5.1: the completion arrives on its MSI-X vector");
	if (word_value(cl, "bench"))
		bench_reads();

	ok = request(T_GET_ID, 0, 20, true, &st, &ulen);
	check(ok && st == 0 && data[0] == 'h' && data[1] == 'v' && data[2] == '-',
	      "5.2.6: GET_ID answers the disk's serial (hv-...)");

	for (uint32_t i = 0; i < 512; i++)
		data[i] = (uint8_t)(tag + i);
	ok = request(T_OUT, 5, 512, false, &st, &ulen);
	check(ok && st == (ro ? 1 : 0),
	      ro ? "5.2.6: a write to a read-only disk fails (IOERR)"
		 : "5.2.6: a write completes (OK)");
	check(request(T_FLUSH, 0, 0, false, &st, &ulen) && st == 0,
	      "5.2.6: FLUSH completes");
	/* Let the other VM on the same image write its own pattern. */
	for (uint64_t until = rdtsc() + 30000000ull; rdtsc() < until;)
		__asm__ volatile("pause");
	ok = request(T_IN, 5, 512, true, &st, &ulen);
	same = ok && st == 0;
	for (uint32_t i = 0; same && i < 512; i++)
		same = data[i] == (ro ? pattern(5, i) : (uint8_t)(tag + i));
	check(same, ro ? "5.2.6: the read-only disk still holds the image's bytes"
		       : "issue 14: this VM reads back its own write, not another VM's");

	check(request(T_IN, sectors, 512, true, &st, &ulen) && st == 1,
	      "5.2.6: a read past the end fails with IOERR");
	if (image && image < sectors) {
		/* hv's `disk = PATH, size=SIZE`: a disk larger than its
		 * image reads zeros past it and, unless read-only, takes
		 * writes up to its last sector. */
		ok = request(T_IN, image, 512, true, &st, &ulen);
		same = ok && st == 0;
		for (uint32_t i = 0; same && i < 512; i++)
			same = data[i] == 0;
		check(same, "hv size=: the first sector past the image reads "
		      "as zeros");
		/* Its last sector and the first past it, in one request: the
		 * image's bytes, then zeros (the image need not end on a
		 * 4 KiB block). */
		ok = request(T_IN, image - 1, 1024, true, &st, &ulen);
		same = ok && st == 0;
		for (uint32_t i = 0; same && i < 512; i++)
			same = data[i] == pattern(image - 1, i) &&
			       data[512 + i] == 0;
		check(same, "hv size=: a read across the image's end gives its "
		      "last bytes, then zeros");
		for (uint32_t i = 0; i < 512; i++)
			data[i] = (uint8_t)(tag ^ i);
		ok = request(T_OUT, sectors - 1, 512, false, &st, &ulen);
		check(ok && st == (ro ? 1 : 0),
		      ro ? "hv size=: a write to the last sector of a read-only "
			   "disk fails (IOERR)"
			 : "hv size=: a write to the last sector completes");
		if (!ro) {
			ok = request(T_IN, sectors - 1, 512, true, &st, &ulen);
			same = ok && st == 0;
			for (uint32_t i = 0; same && i < 512; i++)
				same = data[i] == (uint8_t)(tag ^ i);
			check(same, "hv size=: the last sector reads back what "
			      "was written");
		}
	}
	check(request(99, 0, 0, false, &st, &ulen) && st == 2,
	      "5.2.6: an unknown request type answers UNSUPP");
	if (sectors >= 512) {
		/* hv bounds one request (so one exit's copying): seg_max
		 * segments of size_max bytes (5.2.4).  One more sector,
		 * inside the disk, fails with IOERR and writes nothing. */
		volatile uint32_t *cfg32 = (volatile uint32_t *)devcfg;
		uint32_t max = cfg32[2] * cfg32[3], len = max + 512;
		volatile uint8_t *buf = (volatile uint8_t *)SCRATCH;

		check((device_features(0) & F_BLK_SIZE_MAX) && cfg32[2] &&
		      max >= 65536 && len / 512 <= sectors,
		      "5.2.4: the device offers size_max and seg_max (a bound "
		      "the test disk exceeds)");
		for (uint32_t i = 0; i < len; i += 4096)
			buf[i] = 0xa5;
		buf[len - 1] = 0xa5;
		data_at = (uint8_t *)SCRATCH;
		ok = request(T_IN, 0, len, true, &st, &ulen);
		same = buf[len - 1] == 0xa5;
		for (uint32_t i = 0; i < len; i += 4096)
			same = same && buf[i] == 0xa5;
		check(ok && st == 1 && same,
		      "5.2.4: a read longer than seg_max x size_max fails with "
		      "IOERR and writes nothing");
		ok = request(T_IN, 0, max, true, &st, &ulen);
		data_at = data;
		check(ok && st == 0 && buf[0] == pattern(0, 0) &&
		      buf[max - 1] == pattern((max - 1) / 512, 511),
		      "5.2.4: a read of exactly the bound succeeds");
	}
	{
		uint32_t seg[4] = { 2, 0, 4, 0 }; /* sector 2, 4 sectors, flags 0 */
		for (unsigned i = 0; i < 16; i++)
			data[i] = ((uint8_t *)seg)[i];
		check(request(T_DISCARD, 0, 16, false, &st, &ulen) &&
			      st == (ro ? 1 : 0),
		      "5.2.6: DISCARD of a valid range completes");
		/* Two segments where max_discard_seg (5.2.4) offers one. */
		uint32_t two[8] = { 2, 0, 4, 0, 8, 0, 1, 0 };
		for (unsigned i = 0; i < 32; i++)
			data[i] = ((uint8_t *)two)[i];
		check(request(T_DISCARD, 0, 32, false, &st, &ulen) && st == 1,
		      "5.2.4: DISCARD of more segments than max_discard_seg "
		      "fails with IOERR");
	}

	/* A chain that loops (2.7.5.1: the driver MUST NOT create one),
	 * and one longer than any chain can be (through an indirect table
	 * of 65 entries; hv's bound is 64): DEVICE_NEEDS_RESET, each. */
	desc[0] = (struct vdesc){ (uint32_t)hdr, 16, 1, 1 };
	desc[1] = (struct vdesc){ (uint32_t)hdr, 16, 1, 0 };
	check(breaks_device(), "2.7.5.1: a descriptor chain that loops: "
	      "DEVICE_NEEDS_RESET");
	for (unsigned i = 0; i < LONG_CHAIN; i++)
		long_chain[i] = (struct vdesc){ (uint32_t)hdr, 16,
						i + 1 < LONG_CHAIN ? 1 : 2,
						(uint16_t)(i + 1) };
	desc[0] = (struct vdesc){ (uint32_t)long_chain,
				  sizeof(long_chain), 4 /* INDIRECT */, 0 };
	check(breaks_device(), "2.7.5.3.1: an indirect chain of 65 "
	      "descriptors (over the device's bound): DEVICE_NEEDS_RESET");
	ok = request(T_IN, 3, 512, true, &st, &ulen);
	check(ok && st == 0, "2.4: after those resets the device serves "
	      "requests again");

	/* A buffer outside the VM's RAM (2.7.5): the device must not touch
	 * it, and marks itself broken. */
	desc[0] = (struct vdesc){ 0x7ff00000u, 16, 1, 1 };
	desc[1] = (struct vdesc){ (uint32_t)&status, 1, 2, 0 };
	avail.ring[avail.idx % QSIZE] = 0;
	avail.idx++;
	notify();
	for (volatile int i = 0; i < 10000; i++)
		;
	check(r8(common, 0x14) & S_NEEDS_RESET,
	      "2.7: a buffer outside the VM's memory: DEVICE_NEEDS_RESET");
	check(cfg_irqs >= 1, "4.1.5.1: and a configuration-change interrupt");
	negotiate(F_INDIRECT, F_VERSION_1_HI);
	msix_on();
	setup_queue(QSIZE);
	w8(common, 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	ok = request(T_IN, 3, 512, true, &st, &ulen);
	same = ok && st == 0;
	for (uint32_t i = 0; same && i < 512; i++)
		same = data[i] == pattern(3, i);
	check(same, "2.4: after a reset the device serves requests again");
	return verdict();
}
