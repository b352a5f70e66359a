#include "passthrough.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/ioapic.h"
#include "../arch/irq.h"
#include "../arch/lapic.h"
#include "../drivers/pci.h"
#include "../drivers/vioapic.h"
#include "../drivers/vpci.h"
#include "../vmx/ept.h"
#include "acpi.h"
#include "console.h"
#include "host_ports.h"
#include "log.h"
#include "memory.h"
#include "power.h"

/* Ports that stay the host's whatever hv.cfg says (kernel/host_ports.c):
 * the legacy devices the hypervisor drives or that reach the whole
 * machine, and the host's ACPI fixed-hardware blocks. */
static struct host_ports host_owned;
static bool host_owned_ready;

/* The PIIX4 power-management function (Bochs's and QEMU's i440FX
 * machines: 00:01.3, 8086:7113): PMBA, config 0x40 bits 15:6, is the base
 * of its 64 ports (PM1 event/control, PM timer, GPE0), live when PMIOSE,
 * config 0x80 bit 0, is set (Intel 82371AB datasheet, 7.1). */
#define PIIX4_PM_BDF PCI_BDF(0, 1, 3)
#define PIIX4_PM_ID 0x71138086u
#define PIIX4_PMBA 0x40
#define PIIX4_PMREGMISC 0x80
#define PIIX4_PMIOSE 1u
#define PIIX4_PM_PORTS 64

void passthrough_init(uint64_t acpi_rsdp)
{
	size_t len = 0;
	const uint8_t *fadt = acpi_find_fadt(acpi_rsdp, &len);
	unsigned before;

	host_ports_init(&host_owned);
	before = host_owned.n;
	if (fadt) {
		host_ports_add_fadt(&host_owned, fadt, len);
	} else if (pci_read(PIIX4_PM_BDF, PCI_CFG_ID) == PIIX4_PM_ID &&
		   (pci_read(PIIX4_PM_BDF, PIIX4_PMREGMISC) & PIIX4_PMIOSE)) {
		/* No FADT (OVMF under Bochs publishes none): the chip says
		 * where its blocks are. */
		host_ports_add(&host_owned,
			       pci_read(PIIX4_PM_BDF, PIIX4_PMBA) & 0xffc0,
			       PIIX4_PM_PORTS,
			       "the host's ACPI PM1/GPE blocks (PIIX4 PMBA)");
	}
	host_owned_ready = true;
	for (unsigned i = before; i < host_owned.n; i++)
		log_info("passthrough: ports %#x-%#x kept: %s",
			 host_owned.b[i].first, host_owned.b[i].last,
			 host_owned.b[i].what);
	if (host_owned.n == before)
		log_info("passthrough: no host ACPI register blocks found "
			 "(no FADT, no PIIX4 PM function)");
}

static char reason[160];

static bool overlaps(struct cfg_port_range r, uint16_t first, uint16_t last)
{
	return r.first <= last && first <= r.last;
}

static const char *refusal(const struct vm *vm, struct cfg_port_range r)
{
	uint16_t con = console_port();
	const char *owner;

	if (!host_owned_ready) { /* no passthrough_init: legacy blocks only */
		host_ports_init(&host_owned);
		host_owned_ready = true;
	}
	if ((owner = host_ports_owner(&host_owned, r.first, r.last)) != NULL)
		return owner;
	if (con && overlaps(r, con, (uint16_t)(con + 7)))
		return "the hypervisor's console UART";
	for (unsigned i = 0; i < 2; i++) {
		uint16_t pm1 = power_pm1_port(i);
		if (pm1 && overlaps(r, pm1, (uint16_t)(pm1 + 1)))
			return "the host's ACPI PM1 control (power-off)";
	}
	if (io_bus_overlaps(&vm->pio, r.first, r.last - r.first + 1u))
		return "a device this VM already emulates there";
	return NULL;
}

/* A clear bit in bitmap A (ports 0-0x7fff) or B lets the port through
 * (SDM Vol. 3C 25.6.4). */
static void open_port(struct vm *vm, uint16_t port)
{
	uint8_t *bm = phys_to_virt(vm->io_bitmap);

	bm[port / 8] &= (uint8_t)~(1u << (port % 8));
}

/* ---- PCI functions ------------------------------------------------------ */

/* A host function a VM owns (hv.cfg passthrough_pci). */
struct pt_function {
	struct vm *vm;
	uint16_t bdf;
	uint16_t command; /* as firmware left it: what a VM reset restores */
	struct pci_bar bar[PCI_NUM_BARS]; /* as probed at attach */
};

#define PT_MAX_FUNCTIONS (CFG_MAX_VMS * CFG_PCI_MAX)
static struct pt_function functions[PT_MAX_FUNCTIONS];
static unsigned nfunctions;

/* A memory BAR smaller than a page shares its page with other registers
 * (often another function's), so EPT cannot give it alone: each access
 * exits and is done here.  Only an access that lies wholly inside the BAR
 * reaches the device (kernel/io_bus.c sees to that).  One that runs past
 * its end is not decoded by this function: on a real bus the bytes beyond
 * belong to whatever decodes them, and here that is registers no one gave
 * this VM.  So, as for an address nobody decodes (a master abort, PCI
 * Local Bus 3.0 3.7.3.3), reads return all ones and writes are dropped,
 * rather than splitting the access into a part the BAR takes and a part
 * that is lost. */
static enum io_result small_bar_read(void *dev, struct vcpu *v,
				     uint64_t gpa, unsigned size, uint64_t *val)
{
	volatile void *p = phys_to_virt(gpa);

	(void)dev, (void)v;
	switch (size) {
	case 1: *val = *(volatile uint8_t *)p; break;
	case 2: *val = *(volatile uint16_t *)p; break;
	case 4: *val = *(volatile uint32_t *)p; break;
	default: *val = *(volatile uint64_t *)p; break;
	}
	return IO_HANDLED;
}

static enum io_result small_bar_write(void *dev, struct vcpu *v,
				      uint64_t gpa, unsigned size, uint64_t val)
{
	volatile void *p = phys_to_virt(gpa);

	(void)dev, (void)v;
	switch (size) {
	case 1: *(volatile uint8_t *)p = (uint8_t)val; break;
	case 2: *(volatile uint16_t *)p = (uint16_t)val; break;
	case 4: *(volatile uint32_t *)p = (uint32_t)val; break;
	default: *(volatile uint64_t *)p = val; break;
	}
	return IO_HANDLED;
}

static const struct io_ops small_bar_ops = { small_bar_read,
						small_bar_write };

/* Gives BAR i to the VM at its host address; NULL or why not. */
static const char *map_bar(struct vm *vm, const struct pci_bar *b)
{
	if (b->io) {
		struct cfg_port_range r = { (uint16_t)b->base,
					    (uint16_t)(b->base + b->size - 1) };
		const char *owner = refusal(vm, r);
		if (owner)
			return owner;
		for (uint32_t port = r.first; port <= r.last; port++)
			open_port(vm, (uint16_t)port);
		return NULL;
	}
	if (b->base < vm->ram_size)
		return "it overlaps this VM's RAM (give the VM less memory)";
	if (io_bus_overlaps(&vm->mmio, b->base, b->size))
		return "it overlaps a device this VM emulates";
	if ((b->base | b->size) & (PAGE_SIZE - 1)) {
		if (b->base + b->size > 4ull << 30)
			return "smaller than a page and above 4 GiB";
		if (io_bus_register(&vm->mmio, b->base, b->size,
				    &small_bar_ops, NULL))
			return "too many emulated MMIO ranges in this VM";
		return NULL;
	}
	/* Uncached, as device registers must be (SDM Vol. 3C 29.3.7.2):
	 * with IPAT clear the guest's PAT can only make it stricter. */
	if (pt_map(&vm->ept, b->base, b->base, b->size,
		   EPT_R | EPT_W | EPT_MT_UC, true))
		return "out of memory for its EPT mapping";
	return NULL;
}

static const char *check_function(uint16_t bdf)
{
	if (!pci_present(bdf))
		return "no such PCI function on this machine";
	if (PCI_HEADER_TYPE(pci_read(bdf, PCI_CFG_HEADER)) != 0)
		return "a PCI bridge (only endpoint functions can be given)";
	if (pci_read(bdf, PCI_CFG_CLASS) >> 24 == PCI_CLASS_BRIDGE)
		return "a host, ISA or other bridge, which the host keeps";
	return NULL;
}

/* ---- INTx: a device's interrupt line, forwarded ------------------------- */

/* A host line forwarded to the VM's I/O APIC pin of the same number.
 * PCI INTx is level-triggered and may stay up until the guest's driver
 * services the device, so the host pin is masked from the moment it
 * fires until the guest's EOI (the virtual line is up in between), as
 * KVM and ACRN do for assigned devices' INTx. */
struct pt_irq {
	struct vm *vm;
	unsigned gsi;
	uint8_t vector;
	bool asserted;
};

static struct pt_irq irqs[IRQ_VECTORS];
static unsigned nirqs;

static void host_line_fired(void *ctx)
{
	struct pt_irq *q = ctx;

	ioapic_mask(q->gsi, true);
	if (q->vm->state != VM_RUNNING)
		return;
	q->asserted = true;
	vioapic_set_line(q->vm->ioapic, q->gsi, true);
}

static void guest_ended_irq(void *ctx)
{
	struct pt_irq *q = ctx;

	if (!q->asserted)
		return;
	q->asserted = false;
	vioapic_set_line(q->vm->ioapic, q->gsi, false);
	ioapic_mask(q->gsi, false); /* still up: it fires again at once */
}

/* Forwards the function's INTx line; NULL, or why it cannot be. */
static const char *forward_intx(struct vm *vm, uint16_t bdf)
{
	uint32_t intr = pci_read(bdf, PCI_CFG_INTERRUPT);
	unsigned line = intr & 0xff, pin = (intr >> 8) & 0xff;
	uint16_t flags;

	if (!pin || line >= ACPI_ISA_IRQS)
		return NULL; /* no INTx, or firmware routed none: polled only */
	unsigned gsi = ioapic_isa_gsi(line, &flags);
	if (!ioapic_has_gsi(gsi) || gsi >= VIOAPIC_PINS)
		return "its interrupt line has no I/O APIC pin here";
	for (unsigned i = 0; i < nirqs; i++) {
		if (!irqs[i].vm || irqs[i].gsi != gsi)
			continue;
		if (irqs[i].vm != vm)
			return "its interrupt line is shared with a device "
			       "given to another VM";
		return NULL; /* two functions of this VM on one line */
	}
	unsigned slot = 0;
	while (slot < nirqs && irqs[slot].vm) /* one a failed VM left */
		slot++;
	if (slot == IRQ_VECTORS)
		return "no host interrupt vector left";
	struct pt_irq *q = &irqs[slot];
	*q = (struct pt_irq){ vm, gsi, 0, false };
	if (!(q->vector = irq_alloc(host_line_fired, q))) {
		q->vm = NULL;
		return "no host interrupt vector left";
	}
	if (slot == nirqs)
		nirqs++;
	/* PCI lines are level-triggered, active low, unless the MADT's
	 * override for that IRQ says otherwise (ACPI 6.5 5.2.12.5). */
	bool edge = (flags & ACPI_INTI_TRIGGER_LEVEL) == ACPI_INTI_TRIGGER_EDGE;
	bool high = (flags & ACPI_INTI_POLARITY_LOW) == ACPI_INTI_POLARITY_HIGH;
	ioapic_route(gsi, q->vector, !edge, !high, lapic_id());
	vioapic_watch_eoi(vm->ioapic, gsi, guest_ended_irq, q);
	ioapic_mask(gsi, false);
	log_info("vm %s: pci %02x:%02x.%x interrupt: IRQ %u (GSI %u, %s) "
		 "forwarded as host vector %#x", vm->name, PCI_BDF_BUS(bdf),
		 PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), line, gsi,
		 edge ? "edge" : "level", q->vector);
	return NULL;
}

bool passthrough_has_irq(const struct vm *vm)
{
	for (unsigned i = 0; i < nirqs; i++)
		if (irqs[i].vm == vm)
			return vm->state == VM_RUNNING;
	return false;
}

static bool attach_function(struct vm *vm, uint16_t bdf, const char **why)
{
	const struct vm_config *cfg = vm->cfg;
	struct pci_bar bar[PCI_NUM_BARS];
	const char *err = check_function(bdf);
	unsigned i = 0, bad_bar = PCI_NUM_BARS;

	if (!err) {
		pci_probe_bars(bdf, bar);
		for (; i < PCI_NUM_BARS && !err; i++)
			if (bar[i].size && (err = map_bar(vm, &bar[i])) != NULL)
				bad_bar = i;
	}
	if (!err && (nfunctions == PT_MAX_FUNCTIONS ||
		     !vpci_add_host_device(vm, bdf, bar)))
		err = "too many PCI functions";
	if (!err)
		err = forward_intx(vm, bdf);
	if (err) {
		int n = snprintf(reason, sizeof(reason),
				 "hv.cfg:%u: passthrough_pci %02x:%02x.%x: ",
				 cfg->pci_line, PCI_BDF_BUS(bdf),
				 PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf));
		if (bad_bar < PCI_NUM_BARS)
			n += snprintf(reason + n, sizeof(reason) - (size_t)n,
				      "BAR%u: ", bad_bar);
		snprintf(reason + n, sizeof(reason) - (size_t)n, "%s", err);
		*why = reason;
		return false;
	}
	uint16_t cmd = pci_read(bdf, PCI_CFG_COMMAND) & 0xffff;
	functions[nfunctions] = (struct pt_function){ vm, bdf,
		(uint16_t)(cmd & ~PCI_COMMAND_MASTER), { { 0 } } };
	memcpy(functions[nfunctions++].bar, bar, sizeof(bar));
	/* No IOMMU confines the device's DMA: bus mastering stays off. */
	pci_write(bdf, PCI_CFG_COMMAND, cmd & ~PCI_COMMAND_MASTER);
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (bar[i].size)
			log_info("vm %s: pci %02x:%02x.%x BAR%u: %s %#lx-%#lx "
				 "passed through", vm->name, PCI_BDF_BUS(bdf),
				 PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf), i,
				 bar[i].io ? "ports" : "memory", bar[i].base,
				 bar[i].base + bar[i].size - 1);
	return true;
}

/* map_bar's choice again: memory, whole pages. */
static bool bar_mapped(const struct pci_bar *b)
{
	return b->size && !b->io && !((b->base | b->size) & (PAGE_SIZE - 1));
}

unsigned passthrough_mapped_bars(const struct vm *vm, struct pci_bar *out,
				 unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nfunctions; i++)
		for (unsigned j = 0; functions[i].vm == vm && j < PCI_NUM_BARS;
		     j++)
			if (bar_mapped(&functions[i].bar[j]) && n < max)
				out[n++] = functions[i].bar[j];
	return n;
}

void passthrough_reset(struct vm *vm)
{
	vpci_reset_host_devices(vm);
	for (unsigned i = 0; i < nfunctions; i++)
		if (functions[i].vm == vm)
			pci_write(functions[i].bdf, PCI_CFG_COMMAND,
				  functions[i].command);
	for (unsigned i = 0; i < nirqs; i++)
		if (irqs[i].vm == vm) {
			irqs[i].asserted = false; /* the I/O APIC was reset */
			ioapic_mask(irqs[i].gsi, false);
		}
}

void passthrough_quiesce(struct vm *vm)
{
	for (unsigned i = 0; i < nfunctions; i++)
		if (functions[i].vm == vm)
			pci_write(functions[i].bdf, PCI_CFG_COMMAND,
				  PCI_COMMAND_INTX_DISABLE);
	for (unsigned i = 0; i < nirqs; i++)
		if (irqs[i].vm == vm)
			ioapic_mask(irqs[i].gsi, true);
}

void passthrough_detach(struct vm *vm)
{
	passthrough_quiesce(vm);
	for (unsigned i = 0; i < nfunctions; i++)
		if (functions[i].vm == vm)
			functions[i].vm = NULL;
	for (unsigned i = 0; i < nirqs; i++)
		if (irqs[i].vm == vm) {
			irq_free(irqs[i].vector);
			irqs[i] = (struct pt_irq){ 0 };
		}
}

bool passthrough_attach(struct vm *vm, const char **why)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned i = 0; i < cfg->npio; i++) {
		struct cfg_port_range r = cfg->pio[i];
		const char *owner = refusal(vm, r);
		if (owner) {
			snprintf(reason, sizeof(reason),
				 "hv.cfg:%u: passthrough_io %#x-%#x: %s",
				 cfg->pio_line, r.first, r.last, owner);
			*why = reason;
			return false;
		}
	}
	for (unsigned i = 0; i < cfg->npio; i++) {
		for (uint32_t port = cfg->pio[i].first; port <= cfg->pio[i].last;
		     port++)
			open_port(vm, (uint16_t)port);
		log_info("vm %s: host ports %#x-%#x passed through", vm->name,
			 cfg->pio[i].first, cfg->pio[i].last);
	}
	for (unsigned i = 0; i < cfg->npci; i++)
		if (!attach_function(vm, cfg->pci[i], why))
			return false;
	return true;
}
