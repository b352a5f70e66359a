/* The TSC's rate, measured against the 8254 PIT at boot. */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <stdint.h>

/* Measures and remembers the TSC frequency; returns it in Hz. */
uint64_t tsc_calibrate(void);
uint64_t tsc_hz(void);
uint64_t tsc_from_ms(uint64_t ms);
/* Busy-waits us microseconds (start-up IPI timings, not a scheduler). */
void tsc_delay_us(uint64_t us);
/* The host TSC now: the clock of the device models (drivers/), which read
 * it here rather than with the instruction so that their host unit tests
 * can set the time. */
uint64_t tsc_now(void);

#endif
