/* The little a static Linux program of ours needs with no libc (the
 * bench's tests/linux/hvbench.c and tests/kvm/kvm_vmm.c): system calls
 * by number, and the process entry.  x86-64 Linux ABI: the number in
 * RAX, arguments in RDI, RSI, RDX, R10, R8, R9; RCX and R11 clobbered
 * (arch/x86/entry/entry_64.S); numbers from syscall_64.tbl.  The program
 * defines `static int program_main(int argc, char **argv)`; its return
 * value is the exit status. */
#ifndef TESTS_LINUX_NOLIBC_H
#define TESTS_LINUX_NOLIBC_H

#include <stddef.h>

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_exit_group 231

static long syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		syscall6(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

static int program_main(int argc, char **argv);

/* The kernel's initial stack: argc, then argv[], NULL, envp[] (System V
 * x86-64 ABI, process initialisation); aligned to 16 bytes at _start. */
__attribute__((used)) static void nolibc_start(long *sp)
{
	sys_exit(program_main((int)sp[0], (char **)(sp + 1)));
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call nolibc_start\n"
	"	hlt\n");

#endif
