/* The hypercall ABI (docs/ARCHITECTURE.md, "Hypercalls").
 *
 * A guest at CPL 0 executes VMCALL with the call number in RAX and its
 * arguments in RBX, RCX, RDX; the result comes back in RAX (negative:
 * an error below).  Other registers are preserved.  Addresses are guest
 * physical. */
#ifndef VMX_HYPERCALL_H
#define VMX_HYPERCALL_H

/* CPUID 0x40000001 EAX: major << 16 | minor. */
#define HV_INTERFACE_VERSION 0x00010000u

enum hypercall_nr {
	HC_VERSION = 0,       /* -> HV_INTERFACE_VERSION */
	HC_CONSOLE_WRITE = 1, /* RBX = gpa, RCX = length (<= 4096) -> bytes
				 written, at most HC_CONSOLE_WRITE_CHUNK */
	HC_EXIT = 2,          /* RBX = status; the VM ends; does not return */
};

enum hypercall_error {
	HV_EPERM = -1,   /* not called from CPL 0 */
	HV_EFAULT = -14, /* the buffer is not in the VM's RAM */
	HV_EINVAL = -22, /* a bad argument (length too large) */
	HV_ENOSYS = -38, /* no such call */
};

#define HC_CONSOLE_WRITE_MAX 4096
/* The console is a UART that prints about 11.5 bytes per millisecond, and
 * the hypervisor waits for it: one call prints at most this many bytes (a
 * partial write, as write(2) may do; the guest calls again for the rest),
 * so a guest cannot hold the CPU, and every other VM, for longer than one
 * console line takes. */
#define HC_CONSOLE_WRITE_CHUNK 128

#endif
