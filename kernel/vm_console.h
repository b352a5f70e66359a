/* A VM's console output on the host log: whole lines, each prefixed with
 * the VM's name, e.g. "[hello] PASS".  Fed by the VM's UART and by the
 * console-write hypercall. */
#ifndef KERNEL_VM_CONSOLE_H
#define KERNEL_VM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* At start-up, before any VM exists. */
void vm_console_init(void);
void vm_console_write(struct vm *vm, const char *buf, size_t len);

/* Console input: a VM's UART registers where typed bytes go.  One VM has
 * the focus (the first registered); Ctrl-A n (or Ctrl-A three times in a
 * row, as on Xen's console) moves it to the next running VM, Ctrl-A 1-9
 * to that VM, Ctrl-A m opens the operator's monitor (kernel/monitor.c). */
typedef void (*console_input_fn)(void *dev, uint8_t byte);
/* A VM's later registration replaces its earlier one (its virtio console
 * takes over from its UART, passing on what it cannot take). */
void vm_console_register_input(struct vm *vm, console_input_fn fn, void *dev);
/* The VM's registered input, if any. */
bool vm_console_input_of(struct vm *vm, console_input_fn *fn, void **dev);
/* The VM's input goes away (it failed to start). */
void vm_console_unregister_input(struct vm *vm);
/* Reads what the host console has received and hands it to the focused
 * VM.  Called by the scheduler between slices. */
void vm_console_poll_input(void);
/* Prints a partial last line (when the VM stops). */
void vm_console_flush(struct vm *vm);

/* The name of the VM that gets console input now, or NULL: none has any. */
const char *vm_console_focused(void);
/* Console input goes to vm from now on; false if it has none. */
bool vm_console_focus(struct vm *vm);
/* The monitor's own output (never held). */
void vm_console_write_host(const char *buf, size_t len);
/* While on, VMs' lines are kept and printed when it goes off (the
 * monitor is open meanwhile); a full buffer is printed, never dropped. */
void vm_console_hold(bool on);

#endif
