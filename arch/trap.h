/* Exceptions taken by the hypervisor itself. */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

/* Layout built by arch/isr.S: GPRs pushed last come first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void trap_handler(struct trap_frame *f);

/* Prints the return addresses on the frame-pointer chain from rbp. */
void print_stack_trace(uint64_t rbp);

const char *exception_name(uint64_t vector);

/* Host NMIs survived so far (each logged, rate-limited). */
uint64_t trap_host_nmis(void);

#endif
