/* TSC calibration with PIT channel 2, the speaker channel whose output
 * can be read at port 0x61 bit 5 without interrupts (8254 data sheet,
 * mode 0: OUT goes high when the count reaches zero). */
#include "tsc.h"

#include "cpu.h"
#include "io.h"

#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 10
#define FALLBACK_HZ 1000000000ull

static uint64_t hz;

uint64_t tsc_calibrate(void)
{
	uint16_t count = PIT_HZ / (1000 / CALIBRATE_MS);
	uint64_t t0, t1;
	uint32_t spins = 0;

	outb(PORT_B, (uint8_t)((inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_CMD, 0xb0); /* channel 2, low then high byte, mode 0 */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2) && ++spins < 100000000u)
		;
	t1 = rdtsc();
	hz = (inb(PORT_B) & PORT_B_OUT2) ? (t1 - t0) * (1000 / CALIBRATE_MS)
					  : FALLBACK_HZ;
	return hz;
}

uint64_t tsc_hz(void)
{
	return hz;
}

uint64_t tsc_from_ms(uint64_t ms)
{
	return ms * (hz / 1000);
}

/* Before calibration the fallback rate stands in (waits too long on a
 * slower TSC, never too short on one up to 1 GHz). */
void tsc_delay_us(uint64_t us)
{
	uint64_t rate = hz ? hz : FALLBACK_HZ;
	uint64_t end = rdtsc() + us * (rate / 1000000);

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}

uint64_t tsc_now(void)
{
	return rdtsc();
}
