/* A virtual machine and its virtual CPUs. */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/debugreg.h"
#include "../arch/paging.h"
#include "config.h"

#define VM_MAX_VCPUS 8
/* IA32_MTRR_DEF_TYPE as firmware leaves it: MTRRs on, default WB. */
#define MTRR_DEF_TYPE_WB_ENABLED 0x806
#define VM_MAX_PIO 16
#define VM_MAX_MMIO 8

/* Guest general-purpose registers that the VMCS does not hold, in the
 * x86 register-number order (0 = RAX ... 15 = R15; SDM Vol. 2A 2.1.5),
 * so decoders index them directly.  Slot 4 (RSP) is unused: the guest's
 * RSP lives in the VMCS.  vmx/vmx_entry.S depends on this layout. */
enum guest_reg {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	GUEST_NREGS
};

struct guest_regs {
	uint64_t gpr[GUEST_NREGS];
	uint64_t cr2; /* not in the VMCS either (SDM Vol. 3C 25.4) */
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
	struct guest_regs regs; /* first: the entry stub gets its address */
	struct vm *vm;
	unsigned id;
	uint16_t vpid;
	uint64_t vmcs;          /* physical address of the VMCS region */
	bool launched;          /* VMLAUNCH done; VMRESUME from now on */
	enum vcpu_state state;
	uint32_t cpu_ctls;      /* CPU_BASED_VM_EXEC_CONTROL, cached */
	uint64_t xcr0;
	uint64_t mtrr_def_type;
	uint64_t tsc_adjust;    /* IA32_TSC_ADJUST: what writes moved the TSC */
	struct msr_context msrs;
	struct dr_context dr;   /* DR0-3, DR6: see arch/debugreg.h */
	uint64_t exits;
	uint64_t tsc_used;      /* host TSC ticks spent running this vCPU */
	struct vlapic *lapic;   /* drivers/vlapic.c */
	uint8_t *fpu;           /* XSAVE/FXSAVE area, kernel/fpu.c */
	bool start_pending;     /* a SIPI came: start at sipi_vector << 12 */
	uint8_t sipi_vector;
	bool halted_for_good;   /* HLT with interrupts off: only NMI/INIT wake */
};

/* Halted with interrupts enabled: an interrupt, a timer's included,
 * wakes it. */
static inline bool vcpu_waits_for_irq(const struct vcpu *v)
{
	return v->state == VCPU_HALTED && !v->halted_for_good;
}

/* Port I/O handlers return one of these (Jailhouse's MMIO result enum,
 * used for both kinds of access). */
enum io_result { IO_HANDLED, IO_UNHANDLED, IO_ERROR };

struct pio_ops {
	enum io_result (*read)(void *dev, uint16_t port, unsigned size,
			       uint32_t *val);
	enum io_result (*write)(void *dev, uint16_t port, unsigned size,
				uint32_t val);
};

struct pio_range {
	uint16_t base, len;
	const struct pio_ops *ops;
	void *dev;
};

struct mmio_ops {
	enum io_result (*read)(void *dev, uint64_t gpa, unsigned size,
			       uint64_t *val);
	enum io_result (*write)(void *dev, uint64_t gpa, unsigned size,
				uint64_t val);
};

struct mmio_range {
	uint64_t base, len;
	const struct mmio_ops *ops;
	void *dev;
};

enum vm_state { VM_RUNNING, VM_STOPPED };

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

	unsigned npio, nmmio;
	struct pio_range pio[VM_MAX_PIO];
	struct mmio_range mmio[VM_MAX_MMIO];

	uint64_t entry;             /* where the boot vCPU starts */
	uint64_t unclaimed_reads, unclaimed_writes;
	uint64_t time_limit_tsc;    /* 0: none */
	unsigned restarts;
	unsigned generation;        /* bumped by every reset */
	uint64_t reset_zeroed;      /* bytes of RAM a reset has cleared so far */
	bool has_exit_status;
	uint32_t exit_status;
};

/* Creates a VM from its config: RAM, EPT, bitmaps, vCPUs, devices, and
 * its image loaded.  On failure logs why and returns NULL; nothing of it
 * remains. */
struct vm *vm_create(const struct vm_config *cfg, unsigned id);

/* Stops every vCPU of the VM with a report naming the VM and the reason. */
void vm_stop(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The guest crashed (triple fault, access outside its memory, an exit we
 * cannot handle): restart it if its on_crash says so and it has restarts
 * left, else stop it.  Other VMs are not affected either way. */
void vm_crash(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define VM_MAX_RESTARTS 3

/* The guest asked for a reset (keyboard controller, port 0xcf9): the VM
 * starts again from its image; nothing else is affected.  The reset is
 * carried out later, by vm_reset_step, between slices. */
void vm_restart(struct vm *vm, const char *why);

/* How much of a reset runs in one turn of the VM's boot vCPU: a fraction
 * of a slice (memset speed is several GiB/s natively; in Bochs 4 MiB
 * costs about as many TSC ticks as a third of a slice). */
#define VM_RESET_CHUNK (4ull << 20)

/* One piece of a requested reset (the scheduler calls it for a vCPU in
 * VCPU_RESETTING): clears the next chunk of RAM, and after the last one
 * puts the vCPUs in their reset state and reloads the image. */
void vm_reset_step(struct vm *vm);

/* The guest powered off (ACPI S5): the VM ends, exit status 0. */
void vm_power_off(struct vm *vm);

/* A write of v to the debug-exit port: the VM ends with (v << 1) | 1. */
void vm_exit_with_status(struct vm *vm, uint32_t status);

/* Host pointer to guest RAM [gpa, gpa+len), or NULL if not all RAM. */
void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);

int pio_register(struct vm *vm, uint16_t base, uint16_t len,
		 const struct pio_ops *ops, void *dev);
int mmio_register(struct vm *vm, uint64_t base, uint64_t len,
		  const struct mmio_ops *ops, void *dev);
const struct pio_range *pio_find(const struct vm *vm, uint16_t port);
const struct mmio_range *mmio_find(const struct vm *vm, uint64_t gpa);

#endif
