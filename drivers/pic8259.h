/* The host's legacy 8259 PIC pair: masked for good, so that no interrupt
 * the firmware left enabled reaches the hypervisor (it uses the LAPIC). */
#ifndef DRIVERS_PIC8259_H
#define DRIVERS_PIC8259_H

void pic_disable(void);

#endif
