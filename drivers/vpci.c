#include "vpci.h"

#include <stdlib.h>

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define RESET_CONTROL 0xcf9
#define KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xfe
#define RCR_RESET_CPU 0x04
#define CONFIG_ENABLE (1u << 31)

struct vpci {
	struct vm *vm;
	uint32_t address;
	uint8_t rcr;
};

/* Config space of 00:00.0 (PCI Local Bus 3.0, 6.1): Intel 82441FX host
 * bridge, class 06/00/00, header type 0; everything else reads zero. */
static uint32_t host_bridge_dword(unsigned reg)
{
	switch (reg) {
	case 0x00: return 0x12378086; /* device, vendor */
	case 0x04: return 0x00000006; /* memory and bus master on */
	case 0x08: return 0x06000002; /* class code, revision */
	default: return 0;
	}
}

static uint32_t config_read(const struct vpci *p)
{
	unsigned bus = (p->address >> 16) & 0xff, dev = (p->address >> 11) & 0x1f;
	unsigned fn = (p->address >> 8) & 7;

	if (!(p->address & CONFIG_ENABLE) || bus || dev || fn)
		return 0xffffffffu; /* no device: all ones (master abort) */
	return host_bridge_dword(p->address & 0xfc);
}

static enum io_result vpci_read(void *dev, uint16_t port, unsigned size,
				uint32_t *val)
{
	struct vpci *p = dev;

	if (port == RESET_CONTROL && size == 1) {
		*val = p->rcr;
	} else if (port == CONFIG_ADDRESS && size == 4) {
		*val = p->address;
	} else if (port >= CONFIG_DATA) {
		*val = config_read(p) >> (8 * (port - CONFIG_DATA));
	} else if (port == KBC_COMMAND) {
		*val = 0xff; /* no keyboard controller behind it */
	} else {
		return IO_UNHANDLED;
	}
	return IO_HANDLED;
}

static enum io_result vpci_write(void *dev, uint16_t port, unsigned size,
				 uint32_t val)
{
	struct vpci *p = dev;

	if (port == RESET_CONTROL && size == 1) {
		p->rcr = val & 0x0e;
		if (val & RCR_RESET_CPU)
			vm_restart(p->vm, "reset through port 0xcf9");
	} else if (port == CONFIG_ADDRESS && size == 4) {
		p->address = val & 0x80fffffc;
	} else if (port == KBC_COMMAND) {
		if ((val & 0xff) == KBC_PULSE_RESET)
			vm_restart(p->vm, "reset through the keyboard controller");
	} else if (port < CONFIG_DATA) {
		return IO_UNHANDLED;
	} /* config writes: the bridge has nothing writable */
	return IO_HANDLED;
}

static const struct pio_ops vpci_ops = { vpci_read, vpci_write };

bool vpci_attach(struct vm *vm)
{
	struct vpci *p = calloc(1, sizeof(*p));

	if (!p)
		return false;
	p->vm = vm;
	return pio_register(vm, CONFIG_ADDRESS, 8, &vpci_ops, p) == 0 &&
	       pio_register(vm, KBC_COMMAND, 1, &vpci_ops, p) == 0;
}
