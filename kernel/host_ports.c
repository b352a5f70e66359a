#include "host_ports.h"

#include <string.h>

/* The first match gives the reason, so specific blocks come before the
 * wider ones around them (0x92 inside the DMA page register aliases). */
static const struct host_port_block legacy[] = {
	/* 8237 DMA controller 1 (0x00-0x0f, aliased to 0x1f on PC chipsets):
	 * a VM that programs it makes the ISA DMA engine read or write any
	 * host memory below 16 MiB. */
	{ 0x0000, 0x001f, "the host's ISA DMA controller (DMA into host "
			  "memory below 16 MiB)" },
	{ 0x0020, 0x0021, "the host's 8259 PIC (master)" },
	{ 0x0040, 0x0043, "the host's 8254 PIT" },
	{ 0x0060, 0x0064, "the host's keyboard controller (reset)" },
	{ 0x0061, 0x0061, "the host's PIT gate" },
	/* Port 0x80 is no DMA page register (those are 0x81-0x83, 0x87,
	 * 0x89-0x8b, 0x8f): it is the POST-code and I/O-delay port, safe
	 * to give and what OSes write for a short delay. */
	{ 0x0092, 0x0092, "the host's fast reset/A20 port" },
	{ 0x0081, 0x009f, "the host's ISA DMA page registers (DMA into host "
			  "memory below 16 MiB)" },
	{ 0x00a0, 0x00a1, "the host's 8259 PIC (slave)" },
	/* APM control and status (Intel PIIX4 and ICH/PCH: APMC, APMS):
	 * a write to 0xb2 raises an SMI into the host firmware. */
	{ 0x00b2, 0x00b3, "the host's SMI command port" },
	{ 0x00c0, 0x00df, "the host's ISA DMA controller 2 (DMA into host "
			  "memory below 16 MiB)" },
	{ 0x04d0, 0x04d1, "the host's interrupt edge/level registers" },
	{ 0x0cf8, 0x0cff, "PCI configuration space and the reset register" },
};

void host_ports_init(struct host_ports *hp)
{
	hp->n = 0;
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		hp->b[hp->n++] = legacy[i];
}

void host_ports_add(struct host_ports *hp, uint32_t base, uint32_t len,
		    const char *what)
{
	if (!base || !len || base + len - 1 > 0xffff ||
	    hp->n == HOST_PORTS_MAX)
		return;
	hp->b[hp->n++] = (struct host_port_block){
		(uint16_t)base, (uint16_t)(base + len - 1), what };
}

const char *host_ports_owner(const struct host_ports *hp, uint16_t first,
			     uint16_t last)
{
	for (unsigned i = 0; i < hp->n; i++)
		if (first <= hp->b[i].last && hp->b[i].first <= last)
			return hp->b[i].what;
	return NULL;
}

/* ---- FADT (ACPI 6.5 Table 5.9): byte offsets of the fields read ---- */

#define FADT_SMI_CMD 48
#define FADT_PM1A_EVT 56     /* then PM1b_EVT, PM1a_CNT, PM1b_CNT, PM2_CNT,
				PM_TMR, GPE0, GPE1: 4 bytes each */
#define FADT_PM1_EVT_LEN 88  /* then PM1_CNT, PM2_CNT, PM_TMR, GPE0, GPE1 */
#define FADT_RESET_REG 116   /* a Generic Address Structure */
#define FADT_X_PM1A_EVT 148  /* X_ blocks, 12-byte GAS each, same order */
#define GAS_SIZE 12
#define GAS_SPACE_IO 1       /* ACPI 6.5 Table 5.1: System I/O */

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A GAS in I/O space: its port, else 0. */
static uint32_t gas_port(const uint8_t *fadt, size_t len, size_t off)
{
	uint64_t addr;

	if (off + GAS_SIZE > len || fadt[off] != GAS_SPACE_IO)
		return 0;
	memcpy(&addr, fadt + off + 4, sizeof(addr));
	return addr <= 0xffff ? (uint32_t)addr : 0;
}

void host_ports_add_fadt(struct host_ports *hp, const uint8_t *fadt,
			 size_t len)
{
	/* Block i of PM1a_EVT .. GPE1; its length field (PM1 event and
	 * control lengths cover each of the a/b pair). */
	static const struct {
		uint8_t len_field;
		const char *what;
	} blocks[8] = {
		{ 0, "the host's ACPI PM1a event block" },
		{ 0, "the host's ACPI PM1b event block" },
		{ 1, "the host's ACPI PM1a control block" },
		{ 1, "the host's ACPI PM1b control block" },
		{ 2, "the host's ACPI PM2 control block" },
		{ 3, "the host's ACPI PM timer" },
		{ 4, "the host's ACPI GPE0 block" },
		{ 5, "the host's ACPI GPE1 block" },
	};

	if (len < FADT_PM1_EVT_LEN + 6)
		return; /* too short to hold the blocks: none named */
	host_ports_add(hp, get32(fadt + FADT_SMI_CMD), 1,
		       "the host's SMI command port");
	for (unsigned i = 0; i < 8; i++) {
		uint32_t port = gas_port(fadt, len,
					 FADT_X_PM1A_EVT + i * GAS_SIZE);
		if (!port)
			port = get32(fadt + FADT_PM1A_EVT + 4 * i);
		host_ports_add(hp, port,
			       fadt[FADT_PM1_EVT_LEN + blocks[i].len_field],
			       blocks[i].what);
	}
	host_ports_add(hp, gas_port(fadt, len, FADT_RESET_REG), 1,
		       "the host's ACPI reset register");
}
