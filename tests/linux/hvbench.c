/* hvbench: the I/O loads `make bench` runs inside a Linux guest (issue
 * 14), as fio and iperf would, but small enough to build here with no
 * libc: raw system calls, static, no start-up code beyond _start.
 *
 *   hvbench seq DEV MIB         read MIB MiB from DEV in 1 MiB O_DIRECT
 *                               reads (dd bs=1M iflag=direct)
 *   hvbench rand DEV N QD       N random 4 KiB O_DIRECT reads of DEV, in
 *                               batches of QD submitted with one
 *                               io_submit (Linux AIO), so QD requests are
 *                               in flight at once (fio's libaio engine
 *                               with iodepth = iodepth_batch = QD)
 *   hvbench send IP PORT MIB    MIB MiB over TCP to IP:PORT, until the
 *                               receiver's one-byte answer
 *   hvbench recv PORT MIB       accept one TCP connection on PORT, read
 *                               MIB MiB from it and answer one byte
 *
 * Each prints one line, `HVBENCH NAME bytes=B ops=N ticks=T ns=NS`: the
 * guest's TSC ticks (under Bochs with clock sync=none: instructions) and
 * CLOCK_MONOTONIC nanoseconds the work took (for recv: from the first
 * byte received).  Errors go to stdout as `HVBENCH NAME error ...`.
 * Linux x86-64 system call numbers and structures are the kernel's ABI
 * (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/linux/aio_abi.h). */
#include <stddef.h>
#include <stdint.h>

#include <linux/aio_abi.h>

#include "nolibc.h"

#define SYS_lseek 8
#define SYS_nanosleep 35
#define SYS_socket 41
#define SYS_connect 42
#define SYS_accept 43
#define SYS_bind 49
#define SYS_listen 50
#define SYS_setsockopt 54
#define SYS_io_setup 206
#define SYS_io_getevents 208
#define SYS_io_submit 209
#define SYS_clock_gettime 228

#define O_RDONLY 0
#define O_DIRECT 040000
#define SEEK_END 2
#define AF_INET 2
#define SOCK_STREAM 1
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define CLOCK_MONOTONIC 1

#define MIB (1024 * 1024)
#define SEQ_CHUNK MIB
#define RAND_BLOCK 4096
#define MAX_QD 64
#define NET_CHUNK 65536

#define sys6 syscall6
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* The block buffers are page-aligned, as O_DIRECT wants them. */
static uint8_t buf[SEQ_CHUNK] __attribute__((aligned(4096)));
static uint8_t rbuf[MAX_QD][RAND_BLOCK] __attribute__((aligned(4096)));

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys3(SYS_write, 1, s, slen(s));
}

static void put_u(uint64_t v)
{
	char d[24];
	int i = sizeof(d) - 1;

	d[i] = 0;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(d + i);
}

static uint64_t parse_u(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static __attribute__((noreturn)) void fail(const char *name, const char *what,
					   long err)
{
	put("HVBENCH ");
	put(name);
	put(" error ");
	put(what);
	put(" errno ");
	put_u((uint64_t)-err);
	put("\n");
	sys_exit(1);
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct { long sec, nsec; } ts;

	sys3(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0);
	return (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
}

struct mark {
	uint64_t tsc, ns;
};

static struct mark mark(void)
{
	return (struct mark){ rdtsc(), now_ns() };
}

static void report(const char *name, uint64_t bytes, uint64_t ops,
		   struct mark t0)
{
	struct mark t1 = mark();

	put("HVBENCH ");
	put(name);
	put(" bytes=");
	put_u(bytes);
	put(" ops=");
	put_u(ops);
	put(" ticks=");
	put_u(t1.tsc - t0.tsc);
	put(" ns=");
	put_u(t1.ns - t0.ns);
	put("\n");
}

static long open_direct(const char *name, const char *dev)
{
	long fd = sys3(SYS_open, dev, O_RDONLY | O_DIRECT, 0);

	if (fd < 0)
		fail(name, "open", fd);
	return fd;
}

static void seq(const char *dev, uint64_t mib)
{
	long fd = open_direct("seq", dev);
	struct mark t0 = mark();

	for (uint64_t i = 0; i < mib; i++) {
		long n = sys3(SYS_read, fd, buf, SEQ_CHUNK);

		if (n != SEQ_CHUNK)
			fail("seq", "short read", n < 0 ? n : 0);
	}
	report("seq", mib * MIB, mib, t0);
	sys3(SYS_close, fd, 0, 0);
}

/* Random 4 KiB blocks of the first `blocks` of the device (xorshift64). */
static void rand_read(const char *dev, uint64_t n, unsigned qd)
{
	long fd = open_direct("rand", dev);
	aio_context_t ctx = 0;
	struct iocb cb[MAX_QD], *cbp[MAX_QD];
	struct io_event ev[MAX_QD];
	uint64_t x = 0x9e3779b97f4a7c15ull, blocks, done = 0;
	struct mark t0;
	long r;

	/* The device's size, in whole blocks. */
	blocks = (uint64_t)sys3(SYS_lseek, fd, 0, SEEK_END) / RAND_BLOCK;
	if (!blocks)
		fail("rand", "empty device", 0);
	if ((r = sys3(SYS_io_setup, MAX_QD, &ctx, 0)) < 0)
		fail("rand", "io_setup", r);
	t0 = mark();
	while (done < n) {
		for (unsigned i = 0; i < qd; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			cb[i] = (struct iocb){
				.aio_lio_opcode = IOCB_CMD_PREAD,
				.aio_fildes = (uint32_t)fd,
				.aio_buf = (uint64_t)(uintptr_t)rbuf[i],
				.aio_nbytes = RAND_BLOCK,
				.aio_offset = (int64_t)((x % blocks) * RAND_BLOCK),
			};
			cbp[i] = &cb[i];
		}
		if ((r = sys3(SYS_io_submit, ctx, qd, cbp)) != (long)qd)
			fail("rand", "io_submit", r < 0 ? r : 0);
		for (unsigned got = 0; got < qd; got += (unsigned)r) {
			r = sys6(SYS_io_getevents, (long)ctx, qd - got,
				 qd - got, (long)ev, 0, 0);
			if (r <= 0)
				fail("rand", "io_getevents", r);
			for (long i = 0; i < r; i++)
				if (ev[i].res != RAND_BLOCK)
					fail("rand", "read", ev[i].res);
		}
		done += qd;
	}
	report("rand", done * RAND_BLOCK, done, t0);
}

struct sockaddr_in4 {
	uint16_t family, port; /* port in network order */
	uint32_t addr;         /* network order */
	uint8_t zero[8];
};

static uint32_t parse_ip(const char *s)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		a |= (uint32_t)parse_u(s) << (8 * i); /* network order */
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '.')
			s++;
	}
	return a;
}

static uint16_t be16(uint64_t v)
{
	return (uint16_t)((v & 0xff) << 8 | (v >> 8 & 0xff));
}

static void send_tcp(const char *ip, uint64_t port, uint64_t mib)
{
	struct sockaddr_in4 sa = { AF_INET, be16(port), parse_ip(ip), { 0 } };
	struct { long sec, nsec; } pause = { 0, 200000000 };
	uint64_t left = mib * MIB;
	struct mark t0;
	long s = -1, r = -1;

	for (int tries = 0; tries < 150 && r < 0; tries++) {
		if (s >= 0) {
			sys3(SYS_close, s, 0, 0);
			sys3(SYS_nanosleep, &pause, 0, 0);
		}
		s = sys3(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			fail("send", "socket", s);
		r = sys3(SYS_connect, s, &sa, sizeof(sa));
	}
	if (r < 0)
		fail("send", "connect", r);
	for (unsigned i = 0; i < NET_CHUNK; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	t0 = mark();
	while (left) {
		r = sys3(SYS_write, s, buf, left < NET_CHUNK ? left : NET_CHUNK);
		if (r <= 0)
			fail("send", "write", r);
		left -= (uint64_t)r;
	}
	/* Done when the receiver has it all: it answers one byte. */
	if ((r = sys3(SYS_read, s, buf, 1)) != 1)
		fail("send", "no answer", r < 0 ? r : 0);
	report("send", mib * MIB, 0, t0);
	sys3(SYS_close, s, 0, 0);
}

static void recv_tcp(uint64_t port, uint64_t mib)
{
	struct sockaddr_in4 sa = { AF_INET, be16(port), 0, { 0 } };
	uint64_t want = mib * MIB, got = 0;
	struct mark t0 = { 0, 0 };
	int one = 1;
	long s, c, r;

	s = sys3(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		fail("recv", "socket", s);
	sys6(SYS_setsockopt, s, SOL_SOCKET, SO_REUSEADDR, (long)&one,
	     sizeof(one), 0);
	if ((r = sys3(SYS_bind, s, &sa, sizeof(sa))) < 0)
		fail("recv", "bind", r);
	if ((r = sys3(SYS_listen, s, 1, 0)) < 0)
		fail("recv", "listen", r);
	put("HVBENCH recv listening\n");
	if ((c = sys3(SYS_accept, s, 0, 0)) < 0)
		fail("recv", "accept", c);
	while (got < want) {
		r = sys3(SYS_read, c, buf, SEQ_CHUNK);
		if (r <= 0)
			fail("recv", "read", r);
		if (!got)
			t0 = mark();
		got += (uint64_t)r;
	}
	report("recv", got, 0, t0);
	sys3(SYS_write, c, "!", 1); /* the sender's time ends here */
	sys3(SYS_close, c, 0, 0);
}

static int program_main(int argc, char **argv)
{
	if (argc == 4 && streq(argv[1], "seq"))
		seq(argv[2], parse_u(argv[3]));
	else if (argc == 5 && streq(argv[1], "rand") &&
		 parse_u(argv[4]) >= 1 && parse_u(argv[4]) <= MAX_QD)
		rand_read(argv[2], parse_u(argv[3]), (unsigned)parse_u(argv[4]));
	else if (argc == 5 && streq(argv[1], "send"))
		send_tcp(argv[2], parse_u(argv[3]), parse_u(argv[4]));
	else if (argc == 4 && streq(argv[1], "recv"))
		recv_tcp(parse_u(argv[2]), parse_u(argv[3]));
	else {
		put("usage: hvbench seq DEV MIB | rand DEV N QD | "
		    "send IP PORT MIB | recv PORT MIB\n");
		return 2;
	}
	return 0;
}
