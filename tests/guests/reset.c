/* Resets: the keyboard controller's pulse (0xfe to port 0x64), then the
 * reset control register (0x06 to port 0xcf9), each restart only this VM
 * from its image.  The stage survives in CMOS RAM, which a reset leaves
 * alone on a PC as here; RAM is zeroed by it. */
#include "guest.h"

#define CMOS_STAGE 0x50

static uint8_t stage_read(void)
{
	outb(0x70, CMOS_STAGE);
	return inb(0x71);
}

static void stage_write(uint8_t v)
{
	outb(0x70, CMOS_STAGE);
	outb(0x71, v);
}

int guest_main(uint32_t magic, uint32_t info)
{
	uint8_t stage = stage_read();

	(void)magic, (void)info;
	if (stage == 0) {
		stage_write(1);
		puts_serial("boot 1: reset through the keyboard controller\n");
		outb(0x64, 0xfe);
		check(false, "the 0x64 reset restarted the VM");
	} else if (stage == 1) {
		stage_write(2);
		puts_serial("boot 2: reset through port 0xcf9\n");
		outb(0xcf9, 0x06);
		check(false, "the 0xcf9 reset restarted the VM");
	} else {
		check(stage == 2, "boot 3, after both resets");
	}
	return verdict();
}
