/*
 * hv.cfg parser: INI-like text -> struct hv_config.
 *
 * Pure C11 with no allocation and no global state, because the same files are
 * built into the freestanding kernel, the UEFI boot stage and a host unit
 * test.  The input is a (pointer, length) pair read straight from the file:
 * it need not be NUL-terminated.
 *
 * Format summary (see docs for the full grammar):
 *   # comment            ; comment
 *   [hypervisor]         serial, log, on_idle, selftest, snapshot_memory
 *   [vm NAME]            type, kernel, initrd, module (repeatable),
 *                        cmdline (may be empty), memory, vcpus,
 *                        cpus, sched, weight, on_crash, time_limit,
 *                        passthrough_io, passthrough_pci,
 *                        unassigned_memory, autostart, testdev,
 *                        disk (repeatable), net (repeatable), console
 *   key = value          # trailing comment ('#' after a blank)
 * Keys and keyword values are case-sensitive (lowercase); only the memory
 * suffixes K/M/G are case-insensitive.
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_VMS 64
#define CFG_NAME_MAX 32      /* including NUL */
#define CFG_PATH_MAX 128     /* including NUL */
#define CFG_CMDLINE_MAX 512  /* including NUL */
#define CFG_MODULES_MAX 4        /* `module` lines per VM */
#define CFG_DISKS_MAX 4          /* `disk` lines per VM */
#define CFG_NETS_MAX 2           /* `net` lines per VM */
#define CFG_SWITCH_NAME_MAX 16   /* a virtual switch's name, with NUL */
#define CFG_MODULE_ARGS_MAX 128  /* a module's arguments, including NUL */

/* Limits on [vm] values, exposed so callers and docs agree with the parser. */
#define CFG_MEMORY_DEFAULT (64ull << 20)
#define CFG_MEMORY_MAX (64ull << 30)
#define CFG_VCPUS_MAX 64
#define CFG_CPUS_ANY (~(uint64_t)0)  /* default `cpus`: may run on any CPU */
#define CFG_PIO_MAX 8                /* passthrough_io ranges per VM */
#define CFG_PCI_MAX 4                /* passthrough_pci devices per VM */
#define CFG_WEIGHT_MIN 1             /* `weight`: a shared VM's CPU share */
#define CFG_WEIGHT_MAX 1000
#define CFG_WEIGHT_DEFAULT 100
#define CFG_HOST_CPUS_MAX 64         /* CPU numbers 0..63 in `cpus` */

enum cfg_log_level { CFG_LOG_ERROR, CFG_LOG_WARN, CFG_LOG_INFO, CFG_LOG_DEBUG };
enum cfg_on_idle { CFG_IDLE_HALT, CFG_IDLE_POWEROFF };
enum cfg_on_crash { CFG_CRASH_STOP, CFG_CRASH_RESTART };
enum cfg_vm_type { CFG_VM_MULTIBOOT, CFG_VM_LINUX };
/* A guest access to a guest-physical address with neither RAM nor a
 * device: ones, as a PC's bus does (reads all ones, writes dropped), or
 * stop the VM (for research: every such access is a finding). */
enum cfg_unassigned { CFG_UNASSIGNED_ONES, CFG_UNASSIGNED_STOP };
/* `testdev`: the extra test devices a VM has; qemu adds QEMU's pc-testdev
 * (drivers/pc_testdev.h) for test kernels written for QEMU. */
enum cfg_testdev { CFG_TESTDEV_NONE, CFG_TESTDEV_QEMU };
/* shared: vCPUs time-sliced with others by weight; dedicated: each vCPU
 * owns one host CPU of `cpus` (partitioning). */
enum cfg_sched { CFG_SCHED_SHARED, CFG_SCHED_DEDICATED };

/* A `module = PATH ARGS` line: a Multiboot module (a file the UEFI stage
 * loads) and the arguments in its string. */
/* A virtio-blk disk backed by an image file from the ESP. */
struct cfg_disk {
	char path[CFG_PATH_MAX];
	bool ro;      /* `, ro`: writes fail (and VIRTIO_BLK_F_RO is offered) */
	uint64_t size; /* `, size=SIZE`: the disk's size in bytes, at least
			  its image's (zeros past it); 0: the image's */
	unsigned line;
};
/* A disk's `size=`: whole sectors, at most 1 TiB. */
#define CFG_DISK_SIZE_MAX (1ull << 40)

/* A virtio-net NIC on a virtual switch between VMs (`net = sw0` or
 * `net = sw0, mac=52:54:00:12:34:56`). */
struct cfg_net {
	char sw[CFG_SWITCH_NAME_MAX];
	uint8_t mac[6];
	bool mac_set; /* else 52:54:00:68:<VM number>:<NIC index> */
	unsigned line;
};

struct cfg_module {
	char path[CFG_PATH_MAX];       /* as written, up to the first blank */
	char args[CFG_MODULE_ARGS_MAX]; /* the rest, trimmed; "" when none */
	unsigned line;
};

/* Host I/O ports first..last, inclusive. */
struct cfg_port_range {
	uint16_t first, last;
};

struct vm_config {
	char name[CFG_NAME_MAX];       /* [A-Za-z0-9_-]{1,31} */
	enum cfg_vm_type type;         /* default multiboot */
	char kernel[CFG_PATH_MAX];     /* required */
	char initrd[CFG_PATH_MAX];     /* "" when absent */
	char cmdline[CFG_CMDLINE_MAX]; /* "" when absent or empty */
	/* Multiboot modules in file order (after the initrd, if any). */
	struct cfg_module modules[CFG_MODULES_MAX];
	/* virtio-blk disks in file order (PCI 00:04.0, 00:05.0, ...). */
	struct cfg_disk disks[CFG_DISKS_MAX];
	unsigned ndisks;
	/* `console = virtio`: a virtio console (PCI 00:0a.0) beside COM1. */
	bool virtio_console;
	/* virtio-net NICs in file order (PCI 00:08.0, 00:09.0). */
	struct cfg_net nets[CFG_NETS_MAX];
	unsigned nnets;
	unsigned nmodules;
	uint64_t memory;               /* bytes; >0, 4 KiB multiple, <= 64G */
	unsigned vcpus;                /* 1..64, default 1 */
	uint64_t cpus;                 /* bit n = host CPU n allowed */
	enum cfg_sched sched;          /* default shared */
	unsigned weight;               /* 1..1000, default 100 */
	enum cfg_on_crash on_crash;    /* default stop */
	uint64_t time_limit_ms;        /* guest CPU time allowed; 0 = none */
	enum cfg_unassigned unassigned; /* default ones */
	bool autostart;                /* default yes; no: waits for `start` */
	enum cfg_testdev testdev;      /* default none */
	/* Host I/O ports this VM reaches directly; no two VMs share one. */
	struct cfg_port_range pio[CFG_PIO_MAX];
	unsigned npio;
	/* Host PCI functions this VM owns, as bus << 8 | dev << 3 | fn; no
	 * two VMs share one. */
	uint16_t pci[CFG_PCI_MAX];
	unsigned npci;
	/* 1-based hv.cfg line numbers, so the loader can report
	 * "hv.cfg:12: cannot open ..." against the right line.  0 = absent. */
	unsigned line, kernel_line, initrd_line, pio_line, pci_line;
	unsigned vcpus_line, cpus_line, sched_line; /* for placement errors */
};

/*
 * Whole configuration.  About 31 KiB: keep it static or in .bss rather than
 * on a small kernel stack.
 */
struct hv_config {
	uint16_t serial_port;      /* 0x3f8 (com1, default), ..., 0 = none */
	enum cfg_log_level log;    /* default info */
	enum cfg_on_idle on_idle;  /* default halt */
	bool selftest;             /* default no */
	uint64_t snapshot_memory;  /* bytes for the monitor's snapshots
				      (kernel/snapshot.c); 0 (default): none */
	unsigned nvms;             /* vms[0..nvms-1] are valid, file order */
	struct vm_config vms[CFG_MAX_VMS];
};

struct config_error {
	unsigned line;             /* 1-based line of the offending text */
	char msg[128];             /* NUL-terminated, may be truncated */
};

/* Reset *c to the documented defaults with no VMs (everything else zero). */
void config_defaults(struct hv_config *c);

/*
 * Parse `len` bytes of hv.cfg text into *out (which is first reset by
 * config_defaults).  Returns 0 on success.  On error returns a negative
 * value, stops at the first error detected and describes it in *err (which
 * may be NULL); *out is then partially filled and must not be used.
 * A file with no [vm] section is accepted: whether that is fatal is the
 * caller's policy.
 */
int config_parse(const char *text, size_t len, struct hv_config *out,
		 struct config_error *err);

/* "multiboot" or "linux" (for log lines); "?" for an invalid value. */
const char *cfg_vm_type_name(enum cfg_vm_type t);

/* ---- placement (config_placement.c) ---- */

/* The host's CPUs 0..ncpus-1 as a mask (what config_place() takes). */
static inline uint64_t config_host_cpus(unsigned ncpus)
{
	return ncpus >= CFG_HOST_CPUS_MAX ? ~(uint64_t)0
					  : ((uint64_t)1 << ncpus) - 1;
}

/*
 * Where each VM's vCPUs may run, decided once from the whole file and the
 * host's CPUs.  A dedicated VM's vCPU i owns the i-th lowest CPU of its
 * `cpus` (CPUs of the set beyond its vCPU count stay free for shared VMs);
 * a shared VM's vCPUs run on the CPUs of its set that no dedicated vCPU
 * owns.
 */
struct cfg_placement {
	uint64_t owned;                   /* CPUs owned by dedicated vCPUs */
	/* Per VM (config order): a shared VM's allowed CPUs; for a
	 * dedicated VM the CPUs its vCPUs own. */
	uint64_t cpus[CFG_MAX_VMS];
	/* Dedicated VMs only: the host CPU that vCPU i owns. */
	uint8_t vcpu_cpu[CFG_MAX_VMS][CFG_VCPUS_MAX];
};

/*
 * Checks c against the host's CPUs (bit n = CPU n is there) and fills *out
 * (may be NULL).  Returns 0, or -1 with *err (may be NULL) set to the line
 * of the offending key (or the VM's section) and the reason, when:
 *   - a `cpus` list names a CPU the host lacks (shared or dedicated: a
 *     list is taken literally, so a typo is not silently dropped);
 *   - a dedicated VM has no `cpus` line (owning CPUs is stated, never
 *     guessed), or fewer CPUs in its set than vCPUs;
 *   - two dedicated VMs would own the same CPU;
 *   - a shared VM is left no CPU (every CPU of its set is owned).
 * Both the UEFI stage and the kernel call it, with the same host CPUs, so
 * they agree.
 */
int config_place(const struct hv_config *c, uint64_t host_cpus,
		 struct cfg_placement *out, struct config_error *err);

#endif /* HV_CONFIG_H */
