/* The host ports no VM may be given (kernel/host_ports.c): the legacy
 * table and the ACPI blocks read from a FADT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/host_ports.h"
#include "unit.h"

static struct host_ports hp;

static const char *owner(uint16_t first, uint16_t last)
{
	return host_ports_owner(&hp, first, last);
}

#define OWNED_BY(first, last, text)                                      \
	do {                                                             \
		const char *o_ = owner(first, last);                     \
		CHECK(o_ != NULL);                                       \
		CHECK_STR(o_, text);                                  \
	} while (0)

TEST(legacy_blocks_refused)
{
	host_ports_init(&hp);
	OWNED_BY(0x92, 0x92, "the host's fast reset/A20 port");
	OWNED_BY(0x00, 0x0f, "the host's ISA DMA controller (DMA into host "
			     "memory below 16 MiB)");
	OWNED_BY(0x1f, 0x1f, "the host's ISA DMA controller (DMA into host "
			     "memory below 16 MiB)");
	OWNED_BY(0x81, 0x81, "the host's ISA DMA page registers (DMA into "
			     "host memory below 16 MiB)");
	OWNED_BY(0x9f, 0x9f, "the host's ISA DMA page registers (DMA into "
			     "host memory below 16 MiB)");
	OWNED_BY(0xb2, 0xb2, "the host's SMI command port");
	OWNED_BY(0xc0, 0xdf, "the host's ISA DMA controller 2 (DMA into "
			     "host memory below 16 MiB)");
	OWNED_BY(0x20, 0x20, "the host's 8259 PIC (master)");
	OWNED_BY(0xcf9, 0xcf9, "PCI configuration space and the reset "
			       "register");
	/* A range over two blocks is refused with the specific one. */
	OWNED_BY(0x90, 0x93, "the host's fast reset/A20 port");
}

TEST(free_ports_given)
{
	host_ports_init(&hp);
	CHECK(owner(0x80, 0x80) == NULL); /* POST code / I/O delay */
	CHECK(owner(0xe9, 0xe9) == NULL);
	CHECK(owner(0x2f8, 0x2ff) == NULL);
	CHECK(owner(0xc000, 0xc03f) == NULL);
	CHECK(owner(0xe0, 0xff) == NULL);
	CHECK(owner(0xb4, 0xbf) == NULL);
}

/* A FADT of revision 6 in an exact-size heap buffer (ASan catches reads
 * past it), with QEMU's PIIX4 layout: PM base 0xb000. */
static uint8_t *fadt_piix4(size_t len)
{
	uint8_t *f = calloc(1, len);
	uint32_t v;

	if (!f)
		abort();
	memcpy(f, "FACP", 4);
	v = (uint32_t)len;
	memcpy(f + 4, &v, 4);
	v = 0xb2;
	memcpy(f + 48, &v, 4);     /* SMI_CMD */
	v = 0xb000;
	memcpy(f + 56, &v, 4);     /* PM1a_EVT_BLK */
	v = 0xb004;
	memcpy(f + 64, &v, 4);     /* PM1a_CNT_BLK */
	v = 0xb008;
	memcpy(f + 76, &v, 4);     /* PM_TMR_BLK */
	v = 0xafe0;
	memcpy(f + 80, &v, 4);     /* GPE0_BLK */
	f[88] = 4;                 /* PM1_EVT_LEN */
	f[89] = 2;                 /* PM1_CNT_LEN */
	f[91] = 4;                 /* PM_TMR_LEN */
	f[92] = 4;                 /* GPE0_BLK_LEN */
	return f;
}

TEST(fadt_blocks_refused)
{
	uint8_t *f = fadt_piix4(116);

	host_ports_init(&hp);
	host_ports_add_fadt(&hp, f, 116);
	free(f);
	OWNED_BY(0xb000, 0xb000, "the host's ACPI PM1a event block");
	OWNED_BY(0xb003, 0xb003, "the host's ACPI PM1a event block");
	OWNED_BY(0xb005, 0xb005, "the host's ACPI PM1a control block");
	OWNED_BY(0xb00b, 0xb00b, "the host's ACPI PM timer");
	OWNED_BY(0xafe0, 0xafe3, "the host's ACPI GPE0 block");
	CHECK(owner(0xb006, 0xb007) == NULL);
	CHECK(owner(0xafe4, 0xafff) == NULL);
	CHECK(owner(0xb00c, 0xb00c) == NULL);
}

/* The X_ Generic Address Structures win when they are in I/O space, and
 * the reset register counts when it is a port. */
TEST(fadt_extended_blocks)
{
	uint8_t *f = fadt_piix4(244);
	uint64_t addr = 0x1800;

	f[148] = 1;                /* X_PM1a_EVT_BLK: System I/O */
	memcpy(f + 152, &addr, 8);
	f[116] = 1;                /* RESET_REG: System I/O, port 0x64 */
	addr = 0x1864;
	memcpy(f + 120, &addr, 8);
	f[220] = 0;                /* X_GPE0_BLK in memory space: ignored */
	addr = 0xfed00000;
	memcpy(f + 224, &addr, 8);
	host_ports_init(&hp);
	host_ports_add_fadt(&hp, f, 244);
	free(f);
	OWNED_BY(0x1800, 0x1803, "the host's ACPI PM1a event block");
	CHECK(owner(0xb000, 0xb003) == NULL);
	OWNED_BY(0x1864, 0x1864, "the host's ACPI reset register");
	OWNED_BY(0xafe0, 0xafe0, "the host's ACPI GPE0 block");
}

TEST(short_fadt_names_nothing)
{
	uint8_t *f = fadt_piix4(116);

	host_ports_init(&hp);
	unsigned before = hp.n;
	host_ports_add_fadt(&hp, f, 80);
	free(f);
	CHECK_EQ_U64(hp.n, before);
}

TEST(add_bounds)
{
	host_ports_init(&hp);
	unsigned before = hp.n;
	host_ports_add(&hp, 0, 4, "zero");
	host_ports_add(&hp, 0xfffe, 4, "past the end");
	host_ports_add(&hp, 0x1000, 0, "empty");
	CHECK_EQ_U64(hp.n, before);
	for (unsigned i = 0; i < HOST_PORTS_MAX + 4; i++)
		host_ports_add(&hp, 0x2000 + i, 1, "many");
	CHECK_EQ_U64(hp.n, HOST_PORTS_MAX);
}

UNIT_MAIN("host_ports")
