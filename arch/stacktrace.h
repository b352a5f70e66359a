/* A frame-pointer stack trace for reports of our own faults and panics
 * (the kernel is built with -fno-omit-frame-pointer). */
#ifndef ARCH_STACKTRACE_H
#define ARCH_STACKTRACE_H

#include <stdint.h>

/* Prints the return addresses on the frame-pointer chain from rbp. */
void print_stack_trace(uint64_t rbp);

#endif
