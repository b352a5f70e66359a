/* A VM's console output on the host log: whole lines, each prefixed with
 * the VM's name, e.g. "[hello] PASS".  Fed by the VM's UART and by the
 * console-write hypercall. */
#ifndef KERNEL_VM_CONSOLE_H
#define KERNEL_VM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

void vm_console_write(struct vm *vm, const char *buf, size_t len);

/* Console input: a VM's UART registers where typed bytes go.  One VM has
 * the focus (the first registered); typing Ctrl-A three times in a row
 * moves it to the next running VM, as on Xen's console. */
typedef void (*console_input_fn)(void *dev, uint8_t byte);
void vm_console_register_input(struct vm *vm, console_input_fn fn, void *dev);
/* The VM's input goes away (it failed to start). */
void vm_console_unregister_input(struct vm *vm);
/* Reads what the host console has received and hands it to the focused
 * VM.  Called by the scheduler between slices. */
void vm_console_poll_input(void);
/* Prints a partial last line (when the VM stops). */
void vm_console_flush(struct vm *vm);

#endif
