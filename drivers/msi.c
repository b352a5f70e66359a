#include "msi.h"

#include "../kernel/log.h"

/* Address (SDM Vol. 3A 11.11.1, Figure 11-24): 0xfee in bits 31:20, the
 * destination ID in 19:12, RH (redirection hint) bit 3, DM (destination
 * mode) bit 2.  Data (11.11.2, Figure 11-25): vector 7:0, delivery mode
 * 10:8, level (assert) bit 14, trigger mode bit 15. */
#define MSI_DEST(a) (((a) >> 12) & 0xff)
#define MSI_RH (1u << 3)
#define MSI_DM (1u << 2)
#define MSI_VECTOR(d) ((d) & 0xff)
#define MSI_MODE(d) (((d) >> 8) & 7)
#define MSI_TRIGGER_LEVEL (1u << 15)

bool msi_decode(uint64_t addr, uint32_t data, struct apic_msg *m,
		const char **why)
{
	unsigned mode = MSI_MODE(data);

	if ((addr & ~0xfffffull) != MSI_ADDR_BASE) {
		*why = "address outside 0xfee00000-0xfeefffff";
		return false;
	}
	if (mode == 3 || mode == APIC_DM_STARTUP) {
		*why = "reserved delivery mode";
		return false;
	}
	*m = (struct apic_msg){
		.dest = MSI_DEST(addr),
		/* DM picks physical or logical destination whatever RH says:
		 * RH only allows redirection among the destinations (11.11.1
		 * "the message is sent ahead independent of whether the
		 * physical or logical destination mode is used"), and Linux
		 * sends logical messages with RH clear in flat mode, as KVM
		 * and QEMU deliver them. */
		.logical = (addr & MSI_DM) != 0,
		.mode = (enum apic_delivery)mode,
		.vector = (uint8_t)MSI_VECTOR(data),
		.level = (data & MSI_TRIGGER_LEVEL) != 0,
		.shorthand = 0,
	};
	return true;
}

void msi_deliver(struct vm *vm, uint64_t addr, uint32_t data)
{
	static bool logged[CFG_MAX_VMS];
	struct apic_msg m;
	const char *why;

	if (msi_decode(addr, data, &m, &why)) {
		vlapic_send(vm, NULL, &m);
		return;
	}
	if (!__atomic_exchange_n(&logged[vm->id], true, __ATOMIC_RELAXED))
		log_warn("vm %s: MSI %#lx/%#x dropped: %s (logged once)",
			 vm->name, addr, data, why);
}
