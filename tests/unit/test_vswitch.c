/* The virtual switch's forwarding (drivers/vswitch.c): learning, floods,
 * isolation between switches, the source-MAC rule. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../drivers/vswitch.h"
#include "../../kernel/log.h"
#include "unit.h"

static unsigned warnings;
void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	(void)fmt;
	warnings += level == CFG_LOG_WARN;
}

#define NPORTS 4
static struct vswitch_port port[NPORTS];
static unsigned got[NPORTS];
static uint8_t last[NPORTS][64];

static void deliver(struct vswitch_port *p, const uint8_t *frame,
		    uint32_t len)
{
	unsigned i = (unsigned)(p - port);

	got[i]++;
	memcpy(last[i], frame, len < 64 ? len : 64);
}

static void mac(uint8_t *m, uint8_t last_octet)
{
	const uint8_t base[5] = { 0x52, 0x54, 0x00, 0x00, 0x00 };

	memcpy(m, base, 5);
	m[5] = last_octet;
}

/* Ports 0-2 on switch "a" (MACs ..:01 ..:03), port 3 on "b" (..:01:
 * the same MAC as port 0, on another switch). */
static void setup(const char *a, const char *b)
{
	memset(port, 0, sizeof(port));
	memset(got, 0, sizeof(got));
	for (unsigned i = 0; i < NPORTS; i++) {
		mac(port[i].mac, (uint8_t)(i < 3 ? i + 1 : 1));
		port[i].owner = "test port";
		port[i].deliver = deliver;
		CHECK(vswitch_attach(vswitch_get(i < 3 ? a : b), &port[i]) == NULL);
	}
}

static void teardown(void)
{
	for (unsigned i = 0; i < NPORTS; i++)
		vswitch_detach(&port[i]);
}

static void frame(uint8_t *f, const uint8_t *dst, const uint8_t *src)
{
	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
}

static void send_locked(unsigned from, const uint8_t *f)
{
	struct spinlock *l = vswitch_lock(port[from].sw);

	spin_lock(l);
	vswitch_send(&port[from], f, 60);
	spin_unlock(l);
}

TEST(unicast_goes_to_its_port_alone)
{
	uint8_t f[60];

	setup("a", "b");
	frame(f, port[1].mac, port[0].mac);
	send_locked(0, f);
	CHECK(got[0] == 0 && got[1] == 1 && got[2] == 0 && got[3] == 0);
	CHECK(!memcmp(last[1], f, 60));
	teardown();
}

TEST(broadcast_floods_its_switch_only)
{
	uint8_t f[60], bc[6];

	memset(bc, 0xff, 6);
	setup("a", "b");
	frame(f, bc, port[0].mac);
	send_locked(0, f);
	CHECK(got[0] == 0 && got[1] == 1 && got[2] == 1);
	CHECK(got[3] == 0); /* another switch */
	teardown();
}

TEST(unknown_unicast_floods_then_learned_goes_direct)
{
	uint8_t f[60], other[6], stranger[6];

	setup("a", "b");
	mac(other, 0x77);
	mac(stranger, 0x99);
	/* Port 2 uses a second address: learned on its first frame. */
	frame(f, stranger, other);
	send_locked(2, f);
	CHECK(got[0] == 1 && got[1] == 1 && got[2] == 0); /* flooded */
	frame(f, other, port[0].mac);
	send_locked(0, f);
	CHECK(got[2] == 1 && got[1] == 1); /* straight to port 2 */
	teardown();
}

TEST(spoofed_source_is_dropped_and_logged_once)
{
	uint8_t f[60], bc[6];
	unsigned w = warnings;

	memset(bc, 0xff, 6);
	setup("a", "b");
	frame(f, bc, port[1].mac); /* port 0 claims port 1's MAC */
	send_locked(0, f);
	send_locked(0, f);
	CHECK(got[1] == 0 && got[2] == 0);
	CHECK(port[0].spoofed == 2);
	CHECK(warnings == w + 1);
	/* Port 1 still gets its own traffic. */
	frame(f, port[1].mac, port[2].mac);
	send_locked(2, f);
	CHECK(got[1] == 1 && got[0] == 0);
	teardown();
}

TEST(duplicate_mac_on_one_switch_is_refused)
{
	struct vswitch_port dup = { 0 };

	setup("a", "b");
	memcpy(dup.mac, port[0].mac, 6);
	dup.owner = "dup";
	dup.deliver = deliver;
	CHECK(vswitch_attach(port[0].sw, &dup) != NULL);
	teardown();
}

TEST(group_source_and_runts_are_dropped)
{
	uint8_t f[60], bc[6];

	memset(bc, 0xff, 6);
	setup("a", "b");
	frame(f, port[1].mac, bc); /* broadcast as source */
	send_locked(0, f);
	spin_lock(vswitch_lock(port[0].sw));
	vswitch_send(&port[0], f, 13); /* shorter than a header */
	spin_unlock(vswitch_lock(port[0].sw));
	CHECK(got[1] == 0 && got[2] == 0);
	teardown();
}

TEST(storm_control_bounds_floods_per_burst)
{
	uint8_t f[60], bc[6];
	unsigned w = warnings;

	memset(bc, 0xff, 6);
	setup("a", "b");
	frame(f, bc, port[0].mac);
	vswitch_burst_start(&port[0]);
	for (unsigned i = 0; i < VSWITCH_FLOODS_PER_BURST + 8; i++)
		send_locked(0, f);
	CHECK(got[1] == VSWITCH_FLOODS_PER_BURST);
	CHECK(got[2] == VSWITCH_FLOODS_PER_BURST);
	CHECK(port[0].storm_dropped == 8);
	CHECK(warnings == w + 1);
	/* Unicast to a known port is not a flood: it still goes. */
	frame(f, port[1].mac, port[0].mac);
	send_locked(0, f);
	CHECK(got[1] == VSWITCH_FLOODS_PER_BURST + 1);
	/* The next burst floods again; other ports were never limited. */
	frame(f, bc, port[0].mac);
	vswitch_burst_start(&port[0]);
	send_locked(0, f);
	CHECK(got[2] == VSWITCH_FLOODS_PER_BURST + 1);
	frame(f, bc, port[2].mac);
	send_locked(2, f);
	CHECK(got[0] == 1);
	teardown();
}

UNIT_MAIN("vswitch")

/* One port's addresses cannot fill the table: after its quota, another
 * port's new address is still learned (and not flooded to the first). */
TEST(learning_is_bounded_per_port)
{
	uint8_t f[60], m[6], dst[6], fresh[6];

	setup("a", "b");
	mac(dst, 0xee); /* nobody's: every frame below floods */
	for (unsigned i = 0; i < 200; i++) {
		mac(m, (uint8_t)(0x10 + (i & 0x7f)));
		m[4] = (uint8_t)(i >> 7);
		frame(f, dst, m);
		send_locked(0, f);
		port[0].burst_floods = 0; /* a new burst each */
	}
	mac(fresh, 0xd0);
	fresh[4] = 0x40;
	frame(f, dst, fresh);
	send_locked(1, f); /* port 1 uses a second address: learned */
	memset(got, 0, sizeof(got));
	frame(f, fresh, port[2].mac);
	send_locked(2, f);
	CHECK(got[1] == 1 && got[0] == 0); /* straight to port 1 */
	/* Port 0's fifth address was not learned: frames to it flood. */
	mac(m, 0x14);
	memset(got, 0, sizeof(got));
	frame(f, m, port[2].mac);
	send_locked(2, f);
	CHECK(got[0] == 1 && got[1] == 1);
	teardown();
}
