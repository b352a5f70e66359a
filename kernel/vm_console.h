/* A VM's console output on the host log: whole lines, each prefixed with
 * the VM's name, e.g. "[hello] PASS".  Fed by the VM's UART and by the
 * console-write hypercall. */
#ifndef KERNEL_VM_CONSOLE_H
#define KERNEL_VM_CONSOLE_H

#include <stddef.h>

struct vm;

void vm_console_write(struct vm *vm, const char *buf, size_t len);
/* Prints a partial last line (when the VM stops). */
void vm_console_flush(struct vm *vm);

#endif
