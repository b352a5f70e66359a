/* Virtual switches between VMs (see vswitch.h). */
#include "vswitch.h"

#include <stdio.h>
#include <string.h>

#include "../kernel/config.h"
#include "../kernel/log.h"

#define VSWITCH_MAX 8
/* Addresses learned beyond the ports' own (a guest that changed its
 * MAC, or bridges others): at most VSWITCH_LEARN_PER_PORT per port, so
 * the table never fills and no guest can make the addresses another
 * guest uses unlearnable (its frames would then be flooded to every
 * port, the attacker's included).  A port's further addresses are not
 * learned: frames to them are flooded. */
#define VSWITCH_LEARN_PER_PORT 4
#define VSWITCH_LEARN_MAX (VSWITCH_PORTS_MAX * VSWITCH_LEARN_PER_PORT)

struct learned {
	uint8_t mac[ETH_ALEN];
	struct vswitch_port *port;
};

struct vswitch {
	char name[CFG_SWITCH_NAME_MAX];
	struct spinlock lock;
	struct vswitch_port *port[VSWITCH_PORTS_MAX];
	unsigned nports;
	struct learned learned[VSWITCH_LEARN_MAX];
	unsigned nlearned;
};

static struct vswitch switches[VSWITCH_MAX];
static unsigned nswitches;

struct vswitch *vswitch_get(const char *name)
{
	struct vswitch *sw;

	for (unsigned i = 0; i < nswitches; i++)
		if (!strcmp(switches[i].name, name))
			return &switches[i];
	if (nswitches == VSWITCH_MAX)
		return NULL;
	sw = &switches[nswitches++];
	snprintf(sw->name, sizeof(sw->name), "%s", name);
	spin_init(&sw->lock, "virtual switch");
	return sw;
}

struct spinlock *vswitch_lock(struct vswitch *sw)
{
	return &sw->lock;
}

/* The port whose own or learned address mac is, or NULL. */
static struct vswitch_port *owner_of(struct vswitch *sw, const uint8_t *mac)
{
	for (unsigned i = 0; i < sw->nports; i++)
		if (!memcmp(sw->port[i]->mac, mac, ETH_ALEN))
			return sw->port[i];
	for (unsigned i = 0; i < sw->nlearned; i++)
		if (!memcmp(sw->learned[i].mac, mac, ETH_ALEN))
			return sw->learned[i].port;
	return NULL;
}

const char *vswitch_attach(struct vswitch *sw, struct vswitch_port *p)
{
	static char why[96];
	struct vswitch_port *other;
	const char *no = NULL;

	spin_lock(&sw->lock);
	if ((other = owner_of(sw, p->mac))) {
		snprintf(why, sizeof(why), "its MAC is %s's on switch %s",
			 other->owner, sw->name);
		no = why;
	} else if (sw->nports == VSWITCH_PORTS_MAX) {
		no = "its switch has no free port";
	} else {
		p->sw = sw;
		sw->port[sw->nports++] = p;
	}
	spin_unlock(&sw->lock);
	return no;
}

void vswitch_detach(struct vswitch_port *p)
{
	struct vswitch *sw = p->sw;

	if (!sw)
		return;
	spin_lock(&sw->lock);
	for (unsigned i = 0; i < sw->nports; i++)
		if (sw->port[i] == p)
			sw->port[i] = sw->port[--sw->nports];
	for (unsigned i = 0; i < sw->nlearned;)
		if (sw->learned[i].port == p)
			sw->learned[i] = sw->learned[--sw->nlearned];
		else
			i++;
	spin_unlock(&sw->lock);
	p->sw = NULL;
}

static unsigned learned_by(const struct vswitch *sw,
			   const struct vswitch_port *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sw->nlearned; i++)
		n += sw->learned[i].port == p;
	return n;
}

void vswitch_send(struct vswitch_port *from, const uint8_t *frame,
		  uint32_t len)
{
	struct vswitch *sw = from->sw;
	const uint8_t *dst = frame, *src = frame + ETH_ALEN;
	struct vswitch_port *to, *src_owner;

	if (len < 2 * ETH_ALEN + 2 || (src[0] & 1))
		return; /* no Ethernet header, or a group address as source */
	src_owner = owner_of(sw, src);
	if (src_owner && src_owner != from) {
		from->spoofed++;
		if (!from->spoof_logged) {
			from->spoof_logged = true;
			log_warn("switch %s: %s sent frames with %s's MAC as "
				 "source: dropped (logged once)", sw->name,
				 from->owner, src_owner->owner);
		}
		return;
	}
	if (!src_owner && learned_by(sw, from) < VSWITCH_LEARN_PER_PORT) {
		memcpy(sw->learned[sw->nlearned].mac, src, ETH_ALEN);
		sw->learned[sw->nlearned++].port = from;
	}
	to = (dst[0] & 1) ? NULL : owner_of(sw, dst);
	if (to) {
		if (to != from)
			to->deliver(to, frame, len);
		return;
	}
	if (from->burst_floods == VSWITCH_FLOODS_PER_BURST) {
		from->storm_dropped++;
		if (!from->storm_logged) {
			from->storm_logged = true;
			log_warn("switch %s: %s flooded more than %u frames at "
				 "once: the rest dropped (storm control; logged "
				 "once)", sw->name, from->owner,
				 VSWITCH_FLOODS_PER_BURST);
		}
		return;
	}
	from->burst_floods++;
	for (unsigned i = 0; i < sw->nports; i++) /* flood */
		if (sw->port[i] != from)
			sw->port[i]->deliver(sw->port[i], frame, len);
}
