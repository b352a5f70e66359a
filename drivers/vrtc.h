/* The guests' CMOS RTC (MC146818, ports 0x70/0x71): the time and date
 * come from the host's RTC, read-only; the rest of CMOS is the VM's own. */
#ifndef DRIVERS_VRTC_H
#define DRIVERS_VRTC_H

#include <stdbool.h>

#include "../kernel/vm.h"

bool vrtc_attach(struct vm *vm);

#endif
