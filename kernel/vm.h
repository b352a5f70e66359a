/* A virtual machine and its virtual CPUs: the types, and what code running
 * for a VM (exit handlers, devices) may ask of it.  Those asks (stop,
 * crash, restart, exit, power off) are requests: kernel/vm_request.c
 * records them and the scheduler has kernel/vm_lifecycle.c carry them out
 * between slices, never inside the handler that asked, so a handler's
 * VM never changes under its feet and nothing here depends on the
 * lifecycle code. */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/debugreg.h"
#include "../arch/paging.h"
#include "../arch/percpu.h"
#include "config.h"
#include "io_bus.h"
#include "vm_irq.h"
#include "memory.h"
#include "spinlock.h"
#include "sched_entity.h"

#define VM_MAX_VCPUS 8
#define VM_MAX_DEVICES 16 /* kernel/vm_devices.c's table, with room */
/* IA32_MTRR_DEF_TYPE as firmware leaves it: MTRRs on, default WB. */
#define MTRR_DEF_TYPE_WB_ENABLED 0x806

/* Guest general-purpose registers that the VMCS does not hold, in the
 * x86 register-number order (0 = RAX ... 15 = R15; SDM Vol. 2A 2.1.5),
 * so decoders index them directly.  Slot 4 (RSP) is unused: the guest's
 * RSP lives in the VMCS.  vmx/vmx_entry.S reads this layout through the
 * offsets vmx/asm_offsets.c generates at build time. */
enum guest_reg {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	GUEST_NREGS
};

struct guest_regs {
	uint64_t gpr[GUEST_NREGS];
	uint64_t cr2; /* not in the VMCS either (SDM Vol. 3C 25.4) */
};

/* The guest state the VMCS holds, as it was when the vCPU's last turn on
 * a CPU ended (vmx/vcpu_run.c): the monitor's `info` reads it on another
 * CPU, where the VMCS cannot be read.  A paused VM's is its state now. */
struct vcpu_view {
	uint64_t rip, rsp, rflags, cr0, cr3, cr4, efer;
	uint32_t cs_ar; /* CS access rights: L and D/B give the mode */
	bool valid;
};

enum vcpu_state {
	VCPU_RUNNABLE,
	VCPU_HALTED,  /* HLT: waits for an interrupt */
	VCPU_WAIT_SIPI, /* an application processor before its start-up IPI */
	VCPU_RESETTING, /* the boot vCPU while its VM's reset is carried out */
	VCPU_STOPPED, /* its VM stopped */
};

struct vm;
struct vlapic;
struct exit_stats;

#define VMCS_NOWHERE (~0u)

/* MSRs that guests use directly but that VM exits do not switch (the
 * SYSCALL family, KERNEL_GS_BASE): the host never uses them, so the CPU
 * holds the running vCPU's values and vmx/msr.c swaps them when another
 * vCPU runs there.  XCR0 likewise. */
#define MSR_SWAP_COUNT 6
struct msr_context {
	uint64_t val[MSR_SWAP_COUNT];
	uint64_t spec_ctrl; /* IA32_SPEC_CTRL, where the CPU has it */
};


struct vcpu {
	struct guest_regs regs; /* vmx_enter gets &regs */
	struct vm *vm;
	unsigned id;
	uint16_t vpid;
	uint64_t vmcs;          /* physical address of the VMCS region */
	unsigned vmcs_cpu;      /* the CPU it is active on, or VMCS_NOWHERE */
	bool launched;          /* VMLAUNCH done; VMRESUME from now on */
	enum vcpu_state state;
	uint32_t cpu_ctls;      /* CPU_BASED_VM_EXEC_CONTROL, cached */
	/* Until when (TSC) the last event check found nothing can be due:
	 * its next timer deadline, never (~0), or 0 when it found work.
	 * vcpu_run skips the check after quiet exits until then. */
	uint64_t quiet_until;
	uint64_t xcr0;
	uint64_t mtrr_def_type;
	uint64_t misc_enable;   /* IA32_MISC_ENABLE, vmx/msr.c */
	uint64_t tsc_adjust;    /* IA32_TSC_ADJUST: what writes moved the TSC */
	uint64_t tsc_offset;    /* the guest's TSC minus the host's: the
				   VMCS's TSC_OFFSET, mirrored by vmx/ so
				   devices need not read the VMCS */
	struct msr_context msrs;
	struct dr_context dr;   /* DR0-3, DR6: see arch/debugreg.h */
	uint64_t exits;
	struct exit_stats *stats; /* per exit reason (vmx/exit_stats.h) */
	struct vcpu_view view;  /* for the monitor's `info` */
	unsigned exit_reason;   /* the last exit's basic reason */
	uint64_t tsc_used;      /* host TSC ticks spent running this vCPU */
	struct vlapic *lapic;   /* drivers/vlapic.c */
	uint8_t *fpu;           /* XSAVE/FXSAVE area, kernel/fpu.c */
	bool start_pending;     /* a SIPI came: start at sipi_vector << 12 */
	uint8_t sipi_vector;
	bool halted_for_good;   /* HLT with interrupts off: only NMI/INIT wake */
	bool hlt_nmi_blocked;   /* HLT in its NMI handler: NMIs do not wake */
	/* Where it runs (kernel/sched.c): the CPU whose run queue holds it,
	 * and whether that CPU is inside vcpu_run with it now.  A VM's
	 * request is carried out only while none of its vCPUs runs. */
	unsigned cpu;
	bool running;
	/* Its VM was reset: the CPU-local half of the reset (the state the
	 * CPU holds for it, its VMCS, its VPID's TLB entries) is still to be
	 * done, by the CPU that runs it next (vmx/vcpu_run.c). */
	bool reset_pending;
	/* The monitor asks the CPU that holds v's VMCS and lazily switched
	 * registers to put them in memory (vcpu_unload) for a snapshot or
	 * a restore (kernel/snapshot.c); that CPU clears it when done. */
	bool unload_asked;
	struct sched_entity sched; /* the scheduler's accounting, kernel/sched.h */
};

/* Halted with interrupts enabled: an interrupt, a timer's included,
 * wakes it. */
static inline bool vcpu_waits_for_irq(const struct vcpu *v)
{
	return v->state == VCPU_HALTED && !v->halted_for_good;
}

enum vm_state { VM_RUNNING, VM_STOPPED };

enum vm_request {
	VM_REQ_NONE,
	VM_REQ_STOP,      /* vm_stop */
	VM_REQ_CRASH,     /* vm_crash: restart or stop, by on_crash */
	VM_REQ_RESTART,   /* vm_restart: the guest reset itself */
	VM_REQ_EXIT,      /* vm_exit_with_status */
	VM_REQ_POWER_OFF, /* vm_power_off */
	VM_REQ_PAUSE,     /* vm_pause: the operator's (kernel/monitor.c) */
};

struct vpic;
struct vpit;
struct vioapic;
struct vpci;

struct vm {
	char name[CFG_NAME_MAX];
	unsigned id;
	const struct vm_config *cfg;
	enum vm_state state;

	uint64_t ram_hpa, ram_size; /* guest RAM: GPA [0, ram_size) */
	struct pt_ctx ept;
	uint64_t eptp;
	uint64_t io_bitmap;  /* phys, two pages: A (ports 0-7fff), B */
	uint64_t msr_bitmap; /* phys, one page */

	unsigned nvcpus;
	struct vcpu *vcpus[VM_MAX_VCPUS];

	struct vpic *pic; /* interrupt controller, drivers/vpic.c */
	struct vpit *pit; /* timer, drivers/vpit.c */
	struct vioapic *ioapic; /* drivers/vioapic.c */
	struct vpci *pci;       /* drivers/vpci.c */
	/* Devices asserting each shared line (kernel/vm_irq.h). */
	int irq_sharers[VM_IRQ_LINES];
	struct spinlock irq_share_lock;

	void *device_state[VM_MAX_DEVICES]; /* kernel/vm_devices.c */
	uint32_t devices_present; /* bit i: table entry i attached */
	struct io_bus pio;  /* emulated ports (kernel/io_bus.h) */
	struct io_bus mmio; /* emulated MMIO, above RAM */

	uint64_t entry;             /* where the boot vCPU starts */
	uint64_t unclaimed_reads, unclaimed_writes;
	bool unassigned_logged; /* its first unassigned access (vmx/ept.c) */
	uint64_t time_limit_tsc;    /* 0: none */
	uint64_t start_tsc;         /* its first turn on a CPU (kernel/sched.c) */
	unsigned restarts;          /* crash restarts (on_crash = restart) */
	unsigned resets;            /* every reset, the guest's own included */
	enum vm_request request;    /* what the scheduler must carry out */
	char request_why[200];
	uint32_t request_status;
	uint64_t reset_zeroed;      /* bytes of RAM a reset has cleared so far */
	/* The EPT's generation: bumped when its translations may have
	 * changed (a reset); a CPU that last flushed an older one flushes
	 * (INVEPT) before it next enters one of the VM's vCPUs. */
	uint32_t ept_gen;
	uint32_t ept_gen_seen[MAX_CPUS];
	bool request_claimed;       /* vm_request.c: the first request wins */
	struct spinlock lifecycle;  /* held while a request is carried out */
	bool has_exit_status;
	uint32_t exit_status;
	/* The operator paused it (kernel/monitor.c), or it waits for its
	 * first `start` (autostart = no): its vCPUs keep their state and
	 * are not picked (sched_has_work) until `resume`/`start`. */
	bool paused;
	bool waits_for_start;
	/* The monitor's `stat reset`: each vCPU clears its exit statistics
	 * when it next runs and finds its own generation older. */
	uint32_t stats_gen;
	/* A clone (kernel/clone_ram.c): RAM pages it has not written yet are
	 * still the snapshot's, mapped read-only from cow_hpa + gpa; 0 once
	 * it shares none.  cow_shared counts them; cow_lock orders the
	 * copies; cow_copies/cow_ticks are what the copies cost. */
	uint64_t cow_hpa;
	uint64_t cow_shared;
	uint64_t cow_copies, cow_ticks;
	struct spinlock cow_lock;
	/* CPUs vm_ept_shootdown had to kick out of its guests. */
	uint64_t ept_kicks;
};

/* The requests (kernel/vm_request.c).  The first one made wins until the
 * scheduler has carried it out; a stopped VM takes none.  The vCPU that
 * made one returns to the scheduler at once (vm_has_request). */

/* Stop every vCPU, with a report naming the VM and the reason. */
void vm_stop(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The guest crashed (triple fault, access outside its memory, an exit we
 * cannot handle): restart it if its on_crash says so and it has restarts
 * left, else stop it.  Other VMs are not affected either way. */
void vm_crash(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The guest asked for a reset (keyboard controller, port 0xcf9): the VM
 * starts again from its image; nothing else is affected. */
void vm_restart(struct vm *vm, const char *why);

/* The guest powered off (ACPI S5): the VM ends, exit status 0. */
void vm_power_off(struct vm *vm);

/* The operator pauses it: every vCPU leaves its guest and is not picked
 * again until vm_resume.  False if the VM takes no request now (stopped,
 * or another request is being carried out). */
bool vm_pause(struct vm *vm);
/* Its vCPUs may run again (a paused VM, or one waiting for `start`). */
void vm_resume(struct vm *vm);

/* A write of v to the debug-exit port: the VM ends with (v << 1) | 1. */
void vm_exit_with_status(struct vm *vm, uint32_t status);

static inline bool vm_has_request(const struct vm *vm)
{
	return __atomic_load_n(&vm->request, __ATOMIC_SEQ_CST) != VM_REQ_NONE;
}

/* An event for v became pending (an interrupt, NMI, INIT or start-up IPI,
 * its VM's reset): the CPU that runs v looks at it now, leaving the guest
 * or waking from idle (kernel/sched.c; a kick IPI when that CPU is
 * another). */
void vcpu_notify(struct vcpu *v);

/* A clone's pages in [gpa, gpa+len) become its own (kernel/clone_ram.c). */
void clone_ram_own(struct vm *vm, uint64_t gpa, uint64_t len);

/* Host pointer to guest RAM [gpa, gpa+len), or NULL if not all RAM.  In
 * a clone the range is first made the clone's own, so that what hv
 * reads is what the guest sees and what it writes stays the clone's. */
static inline void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	if (__builtin_expect(__atomic_load_n(&vm->cow_hpa, __ATOMIC_ACQUIRE) != 0,
			     0))
		clone_ram_own(vm, gpa, len);
	return (uint8_t *)phys_to_virt(vm->ram_hpa) + gpa;
}

#endif
