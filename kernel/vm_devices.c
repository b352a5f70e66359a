/* The emulated devices of every VM.  Each attaches its state to the VM
 * and registers its ranges on the VM's I/O buses (kernel/io_bus.h); the
 * table below is the whole machine, in the order the devices are made
 * (the I/O APIC before the local APICs' page, which routes EOIs to it). */
#include "vm_devices.h"

#include <stdio.h>
#include <stdlib.h>

#include "../drivers/debug_exit.h"
#include "../drivers/fw_cfg.h"
#include "../drivers/pc_testdev.h"
#include "../drivers/testdev.h"
#include "../drivers/vacpi_pm.h"
#include "../drivers/vioapic.h"
#include "../drivers/vlapic.h"
#include "../drivers/vpci.h"
#include "../drivers/vpic.h"
#include "../drivers/vpit.h"
#include "../drivers/vrtc.h"
#include "../drivers/virtio_blk.h"
#include "../drivers/virtio_console.h"
#include "../drivers/virtio_net.h"
#include "../drivers/vuart.h"
#include "snapshot.h"
#include "vm.h"

/* attach stores its state in *state as soon as it has one, so that a
 * failure later in attach still leaves it to detach; detach NULL means
 * the state is one calloc'd block. */
struct vm_device {
	const char *name;
	bool (*attach)(struct vm *vm, void **state);
	void (*detach)(struct vm *vm, void *state);
	const struct dev_snap *snap; /* what a snapshot keeps; NULL: none */
};

static const struct vm_device devices[] = {
	{ "COM1 UART", vuart_attach, vuart_detach, &vuart_snap },
	{ "debug exit port", debug_exit_attach, NULL, NULL },
	{ "fw_cfg", fw_cfg_attach, NULL, &fw_cfg_snap },
	{ "test device", testdev_attach, NULL, &testdev_snap },
	{ "QEMU pc-testdev", pc_testdev_attach, NULL, &pc_testdev_snap },
	{ "8259 PIC", vpic_attach, NULL, &vpic_snap },
	{ "8254 PIT", vpit_attach, NULL, &vpit_snap },
	{ "CMOS RTC", vrtc_attach, NULL, &vrtc_snap },
	{ "PCI configuration ports", vpci_attach, NULL, &vpci_snap },
	{ "virtio-blk disks", virtio_blk_attach, virtio_blk_detach, NULL },
	{ "virtio-net NICs", virtio_net_attach, virtio_net_detach, NULL },
	{ "virtio console", virtio_console_attach, virtio_console_detach, NULL },
	{ "ACPI PM registers", vacpi_pm_attach, NULL, &vacpi_pm_snap },
	{ "I/O APIC", vioapic_attach, NULL, &vioapic_snap },
	{ "local APIC page", vlapic_attach, NULL, NULL },
};

_Static_assert(sizeof(devices) / sizeof(devices[0]) <= VM_MAX_DEVICES,
	       "struct vm has a state slot per device");

bool vm_devices_attach(struct vm *vm, const char **why)
{
	static char reason[80];

	for (unsigned i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		unsigned ranges = vm->pio.n + vm->mmio.n;

		if (!devices[i].attach(vm, &vm->device_state[i])) {
			snprintf(reason, sizeof(reason),
				 "its %s could not be attached (out of memory "
				 "or bus ranges)", devices[i].name);
			*why = reason;
			vm_devices_detach(vm);
			return false;
		}
		/* A device the VM's config leaves out registers nothing. */
		if (vm->pio.n + vm->mmio.n != ranges)
			vm->devices_present |= 1u << i;
	}
	return true;
}

/* A VM reset: what the devices keep beyond their registers goes (the
 * disks' copy-on-write layers), and the PCI functions are at power-on. */
void vm_devices_reset(struct vm *vm)
{
	for (unsigned i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (devices[i].attach == virtio_blk_attach)
			virtio_blk_vm_reset(vm, vm->device_state[i]);
	vpci_reset_functions(vm);
}

unsigned vm_device_count(void)
{
	return sizeof(devices) / sizeof(devices[0]);
}

const struct dev_snap *vm_device_snap(unsigned i)
{
	return i < vm_device_count() ? devices[i].snap : NULL;
}

const char *vm_device_name(const struct vm *vm, unsigned i)
{
	if (i >= sizeof(devices) / sizeof(devices[0]) ||
	    !(vm->devices_present & 1u << i))
		return NULL;
	return devices[i].name;
}

void vm_devices_detach(struct vm *vm)
{
	for (unsigned i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		if (devices[i].detach)
			devices[i].detach(vm, vm->device_state[i]);
		else
			free(vm->device_state[i]);
		vm->device_state[i] = NULL;
	}
	vm->devices_present = 0;
	vm->pic = NULL;
	vm->pit = NULL;
	vm->ioapic = NULL;
	vm->pci = NULL;
}
