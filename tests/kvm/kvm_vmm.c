/* kvm_vmm: the smallest VMM that runs hv's bench guest under Linux's KVM
 * (issue 15: "KVM beside us, in one run").
 *
 *     kvm_vmm GUEST.ELF [WORD...]
 *
 * Loads a 32-bit Multiboot v1 ELF (tests/guests/start.S) into 4 MiB of
 * guest RAM at guest-physical 0, as hv does, builds a Multiboot info
 * structure whose command line is "GUEST.ELF WORD...", and enters the
 * guest in 32-bit protected mode with paging off, EAX = 0x2BADB002,
 * EBX = the info.  Then it serves the guest's devices from the exits
 * KVM_RUN returns (Documentation/virt/kvm/api.rst, "struct kvm_run"):
 *
 *   - KVM_EXIT_IO: the 16550 UART at 0x3f8 (THR writes are printed, one
 *     line at a time, "[kvm] " first; LSR at 0x3fd reads 0x60: THR empty;
 *     other UART registers, 0x3ff the scratch register included, read
 *     0), port 0x80 (POST codes: dropped), port 0xf4 (the guests'
 *     debug-exit port: the guest is done, its code is the exit status);
 *   - KVM_EXIT_MMIO: the test device at 0xfeb00000 (reads 0);
 *   - KVM_EXIT_HLT / KVM_EXIT_SHUTDOWN: the guest stopped.
 * VMCALL never comes here: KVM answers it itself (kvm_emulate_hypercall,
 * -KVM_ENOSYS for an unknown number).  There is no in-kernel irqchip
 * (no KVM_CREATE_IRQCHIP): the bench guest's single-vCPU rows ("solo")
 * use no local APIC, and without one a HLT exits to us.
 *
 * No libc: raw Linux system calls, our own _start.  Built with
 * gcc -static -nostdlib -ffreestanding (tests/kvm/kvm.mk). */
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "../linux/nolibc.h"

/* ---- system calls (x86-64: number in rax, args rdi rsi rdx r10 r8 r9) ---- */

#define SYS_mmap 9
#define SYS_ioctl 16

#define O_RDONLY 0
#define O_RDWR 2
#define O_CLOEXEC 02000000
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000

static long sys_read(int fd, void *buf, size_t n)
{
	return syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}

static long sys_write(int fd, const void *buf, size_t n)
{
	return syscall6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
}

static int sys_open(const char *path, int flags)
{
	return (int)syscall6(SYS_open, (long)path, flags, 0, 0, 0, 0);
}

static void sys_close(int fd)
{
	syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

static void *sys_mmap(size_t len, int prot, int flags, int fd)
{
	return (void *)syscall6(SYS_mmap, 0, (long)len, prot, flags, fd, 0);
}

static long sys_ioctl(int fd, unsigned long req, long arg)
{
	return syscall6(SYS_ioctl, fd, (long)req, arg, 0, 0, 0);
}

/* A failed system call returns -errno, which mmap reports as a pointer
 * in the last page. */
static int failed(long r)
{
	return r < 0 && r > -4096;
}

/* gcc may emit calls to these even with -ffreestanding. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* ---- output ---- */

static void put(const char *s)
{
	sys_write(1, s, str_len(s));
}

static void put_dec(long v)
{
	char buf[24];
	int n = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	do
		buf[n++] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		buf[n++] = '-';
	while (n) {
		char c = buf[--n];
		sys_write(1, &c, 1);
	}
}

static void put_hex(unsigned long v)
{
	char buf[19] = "0x";
	int n = 2;

	for (int i = 60; i >= 0; i -= 4)
		if ((v >> i) || !i || n > 2)
			buf[n++] = "0123456789abcdef"[(v >> i) & 0xf];
	sys_write(1, buf, (size_t)n);
}

static __attribute__((noreturn)) void die(const char *what, long err)
{
	put("kvm_vmm: ");
	put(what);
	if (err) {
		put(": error ");
		put_dec(err);
	}
	put("\n");
	sys_exit(2);
}

/* What the guest writes to the UART's THR, one line at a time, so that
 * a line is one write(2) (the serial console prints it in one piece). */
static char line[256];
static size_t line_len;

static void flush_line(void)
{
	if (!line_len)
		return;
	put("[kvm] ");
	sys_write(1, line, line_len);
	if (line[line_len - 1] != '\n')
		put("\n");
	line_len = 0;
}

static void guest_putc(char c)
{
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		flush_line();
}

/* ---- the guest ---- */

#define GUEST_RAM (4u << 20)	  /* what hv gives the bench VM */
#define MB_INFO 0x9000u		  /* Multiboot info, below 1 MiB */
#define MB_CMDLINE 0x9100u	  /* and its command line */
#define MB_CMDLINE_MAX 0x700u
#define MB_MAGIC 0x2BADB002u
#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
/* KVM_SET_TSS_ADDR: three pages below 4 GiB outside RAM and MMIO, where
 * QEMU puts them; kvm_intel needs them only for real-mode guests without
 * unrestricted guest, but api.rst says the ioctl "is required on
 * Intel-based hosts". */
#define TSS_ADDR 0xfffbd000ul

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THR_EMPTY 0x60 /* THRE | TEMT */
#define POST_PORT 0x80
#define DEBUG_EXIT_PORT 0xf4
#define TESTDEV_BASE 0xfeb00000ull
#define TESTDEV_SIZE 0x1000ull

static uint8_t elf_file[2u << 20];

/* The ELF's PT_LOAD segments at their physical addresses; the entry. */
static uint32_t load_elf(uint8_t *ram, const uint8_t *f, size_t size)
{
	uint32_t entry, phoff;
	uint16_t phentsize, phnum;

	if (size < 52 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' ||
	    f[3] != 'F' || f[4] != 1 /* ELFCLASS32 */)
		die("not a 32-bit ELF", 0);
	memcpy(&entry, f + 24, 4);
	memcpy(&phoff, f + 28, 4);
	memcpy(&phentsize, f + 42, 2);
	memcpy(&phnum, f + 44, 2);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + (size_t)i * phentsize;
		uint32_t type, off, paddr, filesz, memsz;

		if ((size_t)(ph - f) + 32 > size)
			die("ELF program header past the file's end", 0);
		memcpy(&type, ph, 4);
		memcpy(&off, ph + 4, 4);
		memcpy(&paddr, ph + 12, 4);
		memcpy(&filesz, ph + 16, 4);
		memcpy(&memsz, ph + 20, 4);
		if (type != 1 /* PT_LOAD */)
			continue;
		if (filesz > memsz || (uint64_t)off + filesz > size ||
		    (uint64_t)paddr + memsz > GUEST_RAM)
			die("ELF segment outside the file or the guest's RAM", 0);
		memcpy(ram + paddr, f + off, filesz);
		memset(ram + paddr + filesz, 0, memsz - filesz);
	}
	return entry;
}

/* The Multiboot v1 info: memory sizes and the command line. */
static void write_multiboot_info(uint8_t *ram, int argc, char **argv)
{
	uint32_t info[8] = { 0 };
	char *cmd = (char *)ram + MB_CMDLINE;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		size_t len = str_len(argv[i]);

		if (n + len + 2 > MB_CMDLINE_MAX)
			die("command line too long", 0);
		if (i > 1)
			cmd[n++] = ' ';
		memcpy(cmd + n, argv[i], len);
		n += len;
	}
	cmd[n] = 0;
	info[0] = MB_INFO_MEMORY | MB_INFO_CMDLINE; /* flags */
	info[1] = 640;				    /* mem_lower, KiB */
	info[2] = (GUEST_RAM >> 10) - 1024;	    /* mem_upper, KiB */
	info[4] = MB_CMDLINE;			    /* cmdline */
	memcpy(ram + MB_INFO, info, sizeof(info));
}

/* A flat 4 GiB segment, as start.S's GDT has them. */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector,
		.type = type, .present = 1, .dpl = 0, .db = 1, .s = 1,
		.l = 0, .g = 1,
	};
}

/* KVM_GET_SUPPORTED_CPUID -> KVM_SET_CPUID2, as any VMM does: without
 * it KVM's CPUID exit answers zeros (the guest would still run, but
 * CPUID is one of the rows and should do what a real VMM's does). */
static struct {
	struct kvm_cpuid2 head;
	struct kvm_cpuid_entry2 entries[100];
} cpuid;

static void set_cpuid(int kvm, int vcpu)
{
	long r;

	cpuid.head.nent = sizeof(cpuid.entries) / sizeof(cpuid.entries[0]);
	r = sys_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, (long)&cpuid);
	if (failed(r))
		die("KVM_GET_SUPPORTED_CPUID", r);
	r = sys_ioctl(vcpu, KVM_SET_CPUID2, (long)&cpuid);
	if (failed(r))
		die("KVM_SET_CPUID2", r);
}

static void set_registers(int vcpu, uint32_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	long r;

	r = sys_ioctl(vcpu, KVM_GET_SREGS, (long)&sregs);
	if (failed(r))
		die("KVM_GET_SREGS", r);
	/* 32-bit protected mode, paging off: CR0.PE | CR0.ET; code
	 * execute/read accessed (type 11), data read/write accessed (3). */
	sregs.cs = flat_segment(0x08, 11);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
		flat_segment(0x10, 3);
	sregs.cr0 = 0x11;
	sregs.cr4 = 0;
	sregs.efer = 0;
	r = sys_ioctl(vcpu, KVM_SET_SREGS, (long)&sregs);
	if (failed(r))
		die("KVM_SET_SREGS", r);
	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rax = MB_MAGIC;
	regs.rbx = MB_INFO;
	regs.rflags = 2; /* bit 1 is always 1; interrupts off */
	r = sys_ioctl(vcpu, KVM_SET_REGS, (long)&regs);
	if (failed(r))
		die("KVM_SET_REGS", r);
}

/* KVM_EXIT_IO: size bytes, count times (string I/O), at data_offset in
 * the kvm_run page.  Returns nonzero when the guest is done. */
static int serve_io(struct kvm_run *run, int *status)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (port == COM1)
				guest_putc((char)data[0]);
			else if (port == DEBUG_EXIT_PORT) {
				uint32_t v = 0;

				memcpy(&v, data, run->io.size);
				*status = (int)v;
				return 1;
			}
			/* POST codes, other UART registers: dropped */
		} else {
			memset(data, 0, run->io.size);
			if (port == COM1_LSR)
				data[0] = LSR_THR_EMPTY;
			/* the scratch register (0x3ff), the rest: 0 */
		}
	}
	return 0;
}

/* KVM_EXIT_MMIO: reads of the test device (and anything else outside
 * RAM) are 0; writes are dropped. */
static void serve_mmio(struct kvm_run *run)
{
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (run->mmio.phys_addr - TESTDEV_BASE >= TESTDEV_SIZE) {
		put("kvm_vmm: MMIO outside the test device at ");
		put_hex(run->mmio.phys_addr);
		put("\n");
	}
}

static int run_vm(int argc, char **argv)
{
	int kvm, vm, vcpu, fd, status = 0;
	long r, size = 0, mmap_size;
	uint8_t *ram;
	struct kvm_run *run;
	struct kvm_userspace_memory_region region;

	fd = sys_open(argv[1], O_RDONLY | O_CLOEXEC);
	if (failed(fd))
		die("cannot open the guest ELF", fd);
	while ((r = sys_read(fd, elf_file + size, sizeof(elf_file) - size)) > 0)
		size += r;
	if (failed(r))
		die("cannot read the guest ELF", r);
	sys_close(fd);

	kvm = sys_open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (failed(kvm))
		die("cannot open /dev/kvm", kvm);
	r = sys_ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION)
		die("KVM_GET_API_VERSION is not 12", r);
	vm = (int)sys_ioctl(kvm, KVM_CREATE_VM, 0);
	if (failed(vm))
		die("KVM_CREATE_VM", vm);
	r = sys_ioctl(vm, KVM_SET_TSS_ADDR, (long)TSS_ADDR);
	if (failed(r))
		die("KVM_SET_TSS_ADDR", r);

	ram = sys_mmap(GUEST_RAM, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (failed((long)ram))
		die("mmap of the guest's RAM", (long)ram);
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .flags = 0, .guest_phys_addr = 0,
		.memory_size = GUEST_RAM, .userspace_addr = (uint64_t)ram,
	};
	r = sys_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (long)&region);
	if (failed(r))
		die("KVM_SET_USER_MEMORY_REGION", r);

	uint32_t entry = load_elf(ram, elf_file, (size_t)size);
	write_multiboot_info(ram, argc, argv);

	vcpu = (int)sys_ioctl(vm, KVM_CREATE_VCPU, 0);
	if (failed(vcpu))
		die("KVM_CREATE_VCPU", vcpu);
	mmap_size = sys_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (failed(mmap_size) || mmap_size < (long)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE", mmap_size);
	run = sys_mmap((size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vcpu);
	if (failed((long)run))
		die("mmap of the vCPU's kvm_run", (long)run);
	set_cpuid(kvm, vcpu);
	set_registers(vcpu, entry);

	for (;;) {
		r = sys_ioctl(vcpu, KVM_RUN, 0);
		if (r == -4 /* EINTR */)
			continue;
		if (failed(r))
			die("KVM_RUN", r);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (serve_io(run, &status)) {
				flush_line();
				put("kvm_vmm: guest exit ");
				put_dec(status);
				put("\n");
				return status;
			}
			break;
		case KVM_EXIT_MMIO:
			serve_mmio(run);
			break;
		case KVM_EXIT_HLT:
			flush_line();
			put("kvm_vmm: guest halted\n");
			return 0;
		case KVM_EXIT_SHUTDOWN:
			flush_line();
			put("kvm_vmm: guest shut down (triple fault?)\n");
			return 3;
		case KVM_EXIT_FAIL_ENTRY:
			flush_line();
			put("kvm_vmm: VM entry failed, hardware reason ");
			put_hex(run->fail_entry.hardware_entry_failure_reason);
			put("\n");
			return 4;
		case KVM_EXIT_INTERNAL_ERROR:
			flush_line();
			put("kvm_vmm: KVM internal error, suberror ");
			put_dec(run->internal.suberror);
			put("\n");
			return 4;
		default:
			flush_line();
			put("kvm_vmm: unexpected exit reason ");
			put_dec(run->exit_reason);
			put("\n");
			return 4;
		}
	}
}

static int program_main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: kvm_vmm GUEST.ELF [WORD...]", 0);
	return run_vm(argc, argv);
}
