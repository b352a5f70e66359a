/* The operator's monitor on the host serial console (Ctrl-A m): one
 * command a line, to list, pause, resume, reset, kill and start VMs, set
 * the log level and move console input; every command also answers in
 * one JSON line when prefixed with `json `.  It runs on the boot CPU,
 * between its vCPUs' turns (kernel/vm_console.c feeds it). */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* The VMs it controls, in hv.cfg order (VM number = index + 1), an
 * array of CFG_MAX_VMS where `clone` adds VMs after the n; NULL
 * entries are VMs that could not be created.  With `keep_up`, the boot
 * CPU keeps serving the monitor when no vCPU has anything left to do
 * (on_idle = halt), so a stopped VM can still be started. */
void monitor_init(struct vm **vms, unsigned n, bool keep_up);

bool monitor_is_open(void);
void monitor_open(void);
void monitor_close(void);
/* Called by the boot CPU's console poll: keeps the per-second CPU
 * figures of `vms` current. */
void monitor_poll(void);
/* One byte typed while the monitor is open; runs the line at Enter. */
void monitor_input(uint8_t c);

/* Whether the boot CPU must stay up for the operator although no vCPU
 * can run: a VM is paused or waits for `start`, or keep_up. */
bool monitor_holds_run(void);

/* The VM with that number (1-based, as `vms` lists), or NULL. */
struct vm *monitor_vm_by_number(unsigned n);

#endif
