/* VM snapshots in hypervisor memory (see snapshot.h; the format is
 * docs/SNAPSHOT.md's).  A snapshot is taken and restored with the VM
 * paused (paused here first if it ran, and resumed after), so nothing of
 * it changes meanwhile: no vCPU runs, and each vCPU's VMCS and the
 * registers its CPU keeps for it lazily (MSRs, debug registers, XSAVE
 * state) are first put in memory by that CPU (vcpu_unload, as a move to
 * another CPU does; asked through vcpu->unload_asked and served in its
 * scheduler loop, snapshot_serve).  This CPU then makes each VMCS current
 * in turn to read or write its fields (vmx/vcpu_state.c) and clears it
 * again, so that whichever CPU runs the vCPU next loads it afresh: host
 * state and a VPID flush come with that load (vmcs_load), which also
 * drops TLB entries of the guest's later page tables after a restore.
 *
 * Guest time: each vCPU's TSC goes on from its value at the snapshot
 * (its TSC offset is set so at the restore), and device timers keep
 * host TSC stamps, all moved by the time between the two, so a restored
 * guest sees no gap and owes no missed timer ticks. */
#include "snapshot.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/percpu.h"
#include "../arch/smp.h"
#include "../arch/tsc.h"
#include "../drivers/vlapic.h"
#include "../vmx/ept.h"
#include "../vmx/vcpu_run.h"
#include "../vmx/vcpu_state.h"
#include "clone_ram.h"
#include "fpu.h"
#include "log.h"
#include "memory.h"
#include "page_alloc.h"
#include "sched.h"
#include "spinlock.h"
#include "vm.h"
#include "vm_devices.h"
#include "vm_lifecycle.h"

#define SNAP_MAGIC "HVSNAP\0\0"
#define SNAP_VERSION 1
#define SNAP_ALIGN 64

/* The format (docs/SNAPSHOT.md): this header, the vCPU records, the
 * device records, then guest RAM from page-aligned ram_offset on. */
struct snap_header {
	char magic[8];
	uint32_t version;
	uint32_t header_bytes;
	char vm_name[CFG_NAME_MAX];
	char tag[SNAPSHOT_TAG_MAX];
	uint32_t nvcpus, ndevices;
	uint64_t host_tsc; /* when it was taken: device stamps are against it */
	uint64_t tsc_hz;
	uint64_t ram_size;
	uint64_t vcpu_offset, vcpu_record_bytes;
	uint64_t device_offset, device_bytes;
	uint64_t ram_offset;
	uint64_t total_bytes;
};

/* One per vCPU, vcpu_record_bytes apart: this, then the local APIC's
 * bytes, then the XSAVE (or FXSAVE) area. */
struct snap_vcpu {
	uint32_t id;
	uint32_t state; /* enum vcpu_state */
	uint8_t halted_for_good, start_pending, sipi_vector, reset_pending;
	uint32_t nfields;
	uint64_t guest_tsc; /* the vCPU's TSC at host_tsc */
	uint64_t gpr[GUEST_NREGS];
	uint64_t cr2;
	uint64_t xcr0, mtrr_def_type, misc_enable, tsc_adjust;
	uint64_t msr[MSR_SWAP_COUNT];
	uint64_t spec_ctrl;
	uint64_t dr[4], dr6;
	uint32_t lapic_bytes, fpu_bytes;
	struct vmcs_field_value field[VCPU_STATE_FIELDS_MAX];
};

/* One per device with state, packed, each SNAP_ALIGN-aligned. */
struct snap_device {
	uint32_t index; /* in kernel/vm_devices.c's table */
	uint32_t bytes; /* that follow */
};

struct snapshot {
	char tag[SNAPSHOT_TAG_MAX];
	struct vm *vm;
	uint64_t hpa, frames;
	uint64_t pause_ticks, restore_ticks;
	/* Copy-on-write: bit i set when RAM chunk i (COW_CHUNK bytes) is in
	 * the buffer.  NULL once all of RAM is (or it was copied whole). */
	uint8_t *copied;
	uint64_t cow_copies, cow_ticks; /* chunks copied at writes, their cost */
	/* VMs cloned from it (kernel/clone_ram.c): each may still map pages
	 * of its RAM; a drop gives them their own copies first. */
	struct vm *clones[SNAPSHOT_CLONES_MAX];
	unsigned nclones;
};

/* The unit of copy-on-write: the EPT maps RAM with 2 MiB pages where it
 * can (kernel/vm_lifecycle.c), so a write fault copies at least that. */
#define COW_CHUNK (2ull << 20)

static uint64_t budget, used;
static struct snapshot snaps[SNAPSHOT_MAX];
static unsigned nsnaps;
static char why[200];
/* Taken by the EPT write fault (on the CPU of the vCPU that writes), a
 * hypervisor write to guest RAM, and the monitor while it changes the
 * table or a snapshot's copy-on-write state: a chunk is copied before any
 * CPU may write it, once. */
static struct spinlock cow_lock;
static unsigned cow_active; /* snapshots with `copied`: a fast "none" */

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

void snapshot_init(uint64_t bytes)
{
	budget = bytes;
	spin_init(&cow_lock, "snapshot copy-on-write");
}

uint64_t snapshot_budget(void)
{
	return budget;
}

uint64_t snapshot_used(void)
{
	return used;
}

bool snapshot_get(unsigned i, struct snapshot_info *out)
{
	const struct snapshot *s = &snaps[i];

	if (i >= nsnaps)
		return false;
	memcpy(out->tag, s->tag, sizeof(out->tag));
	out->vm = s->vm->name;
	out->bytes = s->frames * PAGE_SIZE;
	out->taken_tsc = ((const struct snap_header *)phys_to_virt(s->hpa))->host_tsc;
	out->pause_ticks = s->pause_ticks;
	out->restore_ticks = s->restore_ticks;
	out->cow_copies = s->cow_copies;
	out->cow_ticks = s->cow_ticks;
	out->cow_pending = s->copied != NULL;
	return true;
}

/* Tags go into JSON answers and the format's header unescaped. */
static bool valid_tag(const char *tag)
{
	size_t n = strlen(tag);

	if (!n || n >= SNAPSHOT_TAG_MAX)
		return false;
	for (; *tag; tag++)
		if (!isalnum((unsigned char)*tag) && !strchr("-_.", *tag))
			return false;
	return true;
}

static struct snapshot *find(const char *tag)
{
	for (unsigned i = 0; i < nsnaps; i++)
		if (!strcmp(snaps[i].tag, tag))
			return &snaps[i];
	return NULL;
}

bool snapshot_get_tag(const char *tag, struct snapshot_info *out)
{
	const struct snapshot *s = find(tag);

	return s && snapshot_get((unsigned)(s - snaps), out);
}

/* ---- copy-on-write ---- */

static uint8_t *ram_in(const struct snapshot *s)
{
	const struct snap_header *h = phys_to_virt(s->hpa);

	return (uint8_t *)phys_to_virt(s->hpa) + h->ram_offset;
}

/* RAM chunks overlapping [gpa, gpa+len) into s, those not there yet.
 * Under cow_lock. */
static void copy_chunks(struct snapshot *s, uint64_t gpa, uint64_t len)
{
	uint64_t ram = s->vm->ram_size;
	uint8_t *dst = ram_in(s);
	const uint8_t *src = phys_to_virt(s->vm->ram_hpa);

	if (!len || gpa >= ram)
		return;
	if (len > ram - gpa)
		len = ram - gpa;
	for (uint64_t c = gpa / COW_CHUNK; c <= (gpa + len - 1) / COW_CHUNK;
	     c++) {
		uint64_t off = c * COW_CHUNK;
		uint64_t n = ram - off < COW_CHUNK ? ram - off : COW_CHUNK;

		if (s->copied[c / 8] & (1u << (c % 8)))
			continue;
		memcpy(dst + off, src + off, n);
		s->copied[c / 8] |= (uint8_t)(1u << (c % 8));
	}
}

/* The VM's snapshot that still shares RAM with it, or NULL.  Under
 * cow_lock. */
static struct snapshot *cow_of(const struct vm *vm)
{
	for (unsigned i = 0; i < nsnaps; i++)
		if (snaps[i].vm == vm && snaps[i].copied)
			return &snaps[i];
	return NULL;
}

/* s takes the rest of RAM and shares none with the VM any more; its RAM
 * is writable again.  Under cow_lock. */
static void cow_end(struct snapshot *s, bool copy_rest)
{
	if (copy_rest)
		copy_chunks(s, 0, s->vm->ram_size);
	ept_ram_set_writable(s->vm, 0, s->vm->ram_size, true);
	free(s->copied);
	s->copied = NULL;
	cow_active--;
}

bool snapshot_cow_fault(struct vm *vm, uint64_t gpa)
{
	struct snapshot *s;
	uint64_t base, size, t0 = rdtsc();
	uint64_t flags;

	if (!__atomic_load_n(&cow_active, __ATOMIC_ACQUIRE))
		return false;
	flags = spin_lock_irqsave(&cow_lock);
	s = cow_of(vm);
	if (!s || !ept_ram_leaf(vm, gpa, &base, &size)) {
		spin_unlock_irqrestore(&cow_lock, flags);
		return false;
	}
	copy_chunks(s, base, size);
	ept_ram_set_writable(vm, base, size, true);
	s->cow_copies++;
	s->cow_ticks += rdtsc() - t0;
	spin_unlock_irqrestore(&cow_lock, flags);
	return true;
}

void snapshot_host_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct snapshot *s;
	uint64_t flags;

	if (!__atomic_load_n(&cow_active, __ATOMIC_ACQUIRE))
		return;
	flags = spin_lock_irqsave(&cow_lock);
	if ((s = cow_of(vm))) {
		copy_chunks(s, gpa, len);
		ept_ram_set_writable(vm, gpa, len, true);
	}
	spin_unlock_irqrestore(&cow_lock, flags);
}

/* ---- the CPU-local half ---- */

/* How many vCPUs are asked to unload (raised before the kick that asks,
 * lowered once served), so that a scheduler pass with nothing asked of
 * any CPU, the common case, returns here without the run queue's lock
 * (issue 15: ~20 instructions of every pass, a halted vCPU's wake-up
 * included). */
static unsigned unloads_asked;

void snapshot_serve(struct runqueue *q)
{
	if (!__atomic_load_n(&unloads_asked, __ATOMIC_SEQ_CST))
		return;
	for (;;) {
		struct vcpu *v = NULL;

		spin_lock(&q->lock);
		for (unsigned i = 0; i < q->n && !v; i++)
			if (__atomic_load_n(&q->v[i]->unload_asked,
					    __ATOMIC_SEQ_CST))
				v = q->v[i];
		spin_unlock(&q->lock);
		if (!v)
			return;
		vcpu_unload(v);
		__atomic_store_n(&v->unload_asked, false, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&unloads_asked, 1, __ATOMIC_SEQ_CST);
	}
}

/* Every vCPU's VMCS and lazily kept registers in memory, each put there
 * by the CPU that holds them (this one's at once).  The VM is paused, so
 * none runs and the balancer moves none (sched_pullable); one already
 * on its way to another CPU is served there, so the kick follows v->cpu. */
static void unload_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (__atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE) == this_cpu_id() &&
		    !v->sched.leaving)
			vcpu_unload(v);
		else {
			__atomic_store_n(&v->unload_asked, true, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&unloads_asked, 1, __ATOMIC_SEQ_CST);
		}
	}
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		while (__atomic_load_n(&v->unload_asked, __ATOMIC_SEQ_CST)) {
			uint64_t until = rdtsc() + tsc_from_ms(1);
			unsigned cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);

			if (cpu == this_cpu_id()) { /* it arrived here */
				snapshot_serve(this_cpu()->runq);
				continue;
			}
			/* The vCPU that CPU runs now (another VM's, maybe,
			 * spinning without exits) ends its turn at the kick,
			 * not at its slice's end: the scheduler loop serves
			 * the ask. */
			__atomic_store_n(&percpu_of(cpu)->resched, true,
					 __ATOMIC_SEQ_CST);
			smp_kick(cpu);
			while (__atomic_load_n(&v->unload_asked, __ATOMIC_SEQ_CST) &&
			       rdtsc() < until)
				cpu_relax();
		}
	}
}

/* Pauses vm unless it is paused; false if it takes no request now. */
static bool hold(struct vm *vm, bool *was_paused)
{
	*was_paused = __atomic_load_n(&vm->paused, __ATOMIC_SEQ_CST);
	if (*was_paused)
		return true;
	if (!vm_pause(vm))
		return false;
	vm_handle_request(vm);
	while (vm_has_request(vm))
		cpu_relax();
	return vm->state == VM_RUNNING;
}

static void release(struct vm *vm, bool was_paused)
{
	if (!was_paused && vm->state == VM_RUNNING)
		vm_resume(vm);
}

/* ---- layout ---- */

static uint64_t vcpu_record_bytes(void)
{
	return align_up(sizeof(struct snap_vcpu) + vlapic_snap_size() +
			fpu_area_size(), SNAP_ALIGN);
}

static uint64_t device_bytes(const struct vm *vm)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vm_device_count(); i++) {
		const struct dev_snap *d = vm_device_snap(i);

		if (d && vm->device_state[i])
			n += align_up(sizeof(struct snap_device) + d->to - d->from,
				      SNAP_ALIGN);
	}
	return n;
}

static void layout(const struct vm *vm, struct snap_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, SNAP_MAGIC, sizeof(h->magic));
	h->version = SNAP_VERSION;
	h->header_bytes = sizeof(*h);
	snprintf(h->vm_name, sizeof(h->vm_name), "%s", vm->name);
	h->nvcpus = vm->nvcpus;
	h->tsc_hz = tsc_hz();
	h->ram_size = vm->ram_size;
	h->vcpu_offset = align_up(sizeof(*h), SNAP_ALIGN);
	h->vcpu_record_bytes = vcpu_record_bytes();
	h->device_offset = h->vcpu_offset + vm->nvcpus * h->vcpu_record_bytes;
	h->device_bytes = device_bytes(vm);
	h->ram_offset = align_up(h->device_offset + h->device_bytes, PAGE_SIZE);
	h->total_bytes = h->ram_offset + vm->ram_size;
}

/* ---- capture and apply ---- */

static void save_vcpu(struct vcpu *v, struct snap_vcpu *r, uint64_t now)
{
	uint8_t *tail = (uint8_t *)(r + 1);

	memset(r, 0, sizeof(*r));
	r->id = v->id;
	r->state = v->state;
	r->halted_for_good = v->halted_for_good;
	r->start_pending = v->start_pending;
	r->sipi_vector = v->sipi_vector;
	r->reset_pending = v->reset_pending;
	r->guest_tsc = now + v->tsc_offset;
	memcpy(r->gpr, v->regs.gpr, sizeof(r->gpr));
	r->cr2 = v->regs.cr2;
	r->xcr0 = v->xcr0;
	r->mtrr_def_type = v->mtrr_def_type;
	r->misc_enable = v->misc_enable;
	r->tsc_adjust = v->tsc_adjust;
	memcpy(r->msr, v->msrs.val, sizeof(r->msr));
	r->spec_ctrl = v->msrs.spec_ctrl;
	memcpy(r->dr, v->dr.dr, sizeof(r->dr));
	r->dr6 = v->dr.dr6;
	r->lapic_bytes = (uint32_t)vlapic_snap_size();
	r->fpu_bytes = (uint32_t)fpu_area_size();
	vlapic_snap_save(v, tail);
	memcpy(tail + r->lapic_bytes, v->fpu, r->fpu_bytes);
	r->nfields = vcpu_state_save(v, r->field);
}

static bool load_vcpu(struct vcpu *v, const struct snap_vcpu *r, uint64_t now,
		      uint64_t delta)
{
	const uint8_t *tail = (const uint8_t *)(r + 1);

	memcpy(v->regs.gpr, r->gpr, sizeof(r->gpr));
	v->regs.cr2 = r->cr2;
	v->xcr0 = r->xcr0;
	v->mtrr_def_type = r->mtrr_def_type;
	v->misc_enable = r->misc_enable;
	v->tsc_adjust = r->tsc_adjust;
	memcpy(v->msrs.val, r->msr, sizeof(r->msr));
	v->msrs.spec_ctrl = r->spec_ctrl;
	memcpy(v->dr.dr, r->dr, sizeof(r->dr));
	v->dr.dr6 = r->dr6;
	vlapic_snap_restore(v, tail, delta);
	memcpy(v->fpu, tail + r->lapic_bytes, r->fpu_bytes);
	v->halted_for_good = r->halted_for_good;
	v->start_pending = r->start_pending;
	v->sipi_vector = r->sipi_vector;
	__atomic_store_n(&v->reset_pending, r->reset_pending, __ATOMIC_SEQ_CST);
	/* The VMCS first: it gives hlt_nmi_blocked, which a scheduler pass
	 * on another CPU reads as soon as it sees the state (HALTED). */
	bool ok = vcpu_state_restore(v, r->field, r->nfields,
				     r->guest_tsc - now);
	__atomic_store_n(&v->state, (enum vcpu_state)r->state, __ATOMIC_SEQ_CST);
	return ok;
}

static void save_devices(const struct vm *vm, uint8_t *p)
{
	for (unsigned i = 0; i < vm_device_count(); i++) {
		const struct dev_snap *d = vm_device_snap(i);
		struct snap_device *r = (struct snap_device *)p;

		if (!d || !vm->device_state[i])
			continue;
		r->index = i;
		r->bytes = (uint32_t)(d->to - d->from);
		memcpy(r + 1, (const uint8_t *)vm->device_state[i] + d->from,
		       r->bytes);
		p += align_up(sizeof(*r) + r->bytes, SNAP_ALIGN);
	}
}

static void load_devices(struct vm *vm, const uint8_t *p, uint64_t len,
			 uint64_t delta)
{
	const uint8_t *end = p + len;

	while (p < end) {
		const struct snap_device *r = (const struct snap_device *)p;
		const struct dev_snap *d = vm_device_snap(r->index);
		uint8_t *state = vm->device_state[r->index];

		memcpy(state + d->from, r + 1, r->bytes);
		if (d->shift_time)
			d->shift_time(state, delta);
		p += align_up(sizeof(*r) + r->bytes, SNAP_ALIGN);
	}
}

/* Every vCPU record and device record of the snapshot at base into vm,
 * guest time going on from the snapshot's; false if a VMCS field was
 * refused. */
static bool load_state(struct vm *vm, const uint8_t *base)
{
	const struct snap_header *h = (const struct snap_header *)base;
	uint64_t now = rdtsc(), delta = now - h->host_tsc;
	bool ok = true;

	for (unsigned i = 0; i < h->nvcpus; i++)
		ok &= load_vcpu(vm->vcpus[i],
				(const struct snap_vcpu *)(base + h->vcpu_offset +
				i * h->vcpu_record_bytes), now, delta);
	load_devices(vm, base + h->device_offset, h->device_bytes, delta);
	return ok;
}

static const char *can_hold(const struct vm *vm)
{
	if (vm->state != VM_RUNNING || vm->waits_for_start) {
		snprintf(why, sizeof(why), "vm %s is %s: it does not run",
			 vm->name, vm->state != VM_RUNNING ? "stopped" : "created");
		return why;
	}
	if (vm->vcpus[0]->state == VCPU_RESETTING) {
		snprintf(why, sizeof(why), "vm %s is resetting; try again",
			 vm->name);
		return why;
	}
	return NULL;
}

const char *snapshot_take(struct vm *vm, const char *tag)
{
	struct snap_header h;
	struct snapshot *s, *older;
	uint8_t *base, *copied;
	uint64_t cow_flags;
	uint64_t t0, frames, now;
	bool was_paused;
	const char *no;

	if (!budget)
		return "snapshots are off: no snapshot_memory in [hypervisor]";
	if (vm->cfg->npio || vm->cfg->npci) {
		snprintf(why, sizeof(why), "vm %s has passed-through devices: "
			 "their state is in real hardware, which a snapshot "
			 "cannot hold", vm->name);
		return why;
	}
	if (vm->cfg->ndisks || vm->cfg->nnets || vm->cfg->virtio_console) {
		/* Their queues' (and disks' copy-on-write layers') state is
		 * not in the snapshot format yet: refused rather than
		 * restored wrong. */
		snprintf(why, sizeof(why), "vm %s has virtio %s, which "
			 "snapshots do not hold yet", vm->name,
			 vm->cfg->ndisks ? "disks" : vm->cfg->nnets ? "NICs"
							      : "consoles");
		return why;
	}
	if (!valid_tag(tag)) {
		snprintf(why, sizeof(why), "a tag is 1 to %u letters, digits, "
			 "'-', '_' or '.'", SNAPSHOT_TAG_MAX - 1);
		return why;
	}
	if (find(tag)) {
		snprintf(why, sizeof(why), "snapshot '%s' exists ('drop %s' "
			 "frees it)", tag, tag);
		return why;
	}
	if (nsnaps == SNAPSHOT_MAX)
		return "the snapshot table is full ('drop TAG' frees one)";
	if ((no = can_hold(vm)))
		return no;
	/* A clone's shared pages are another snapshot's; this one's
	 * copy-on-write works on the clone's own RAM, so it owns it all
	 * first. */
	clone_ram_unshare(vm, true);
	layout(vm, &h);
	frames = h.total_bytes / PAGE_SIZE;
	if (used + h.total_bytes > budget) {
		snprintf(why, sizeof(why), "over budget: vm %s needs %lu KiB, "
			 "%lu KiB of snapshot_memory %lu KiB are free", vm->name,
			 h.total_bytes >> 10, (budget - used) >> 10, budget >> 10);
		return why;
	}
	s = &snaps[nsnaps];
	s->hpa = page_alloc(frames, 1);
	if (!s->hpa) {
		snprintf(why, sizeof(why), "no %lu KiB of hypervisor memory in "
			 "one piece", h.total_bytes >> 10);
		return why;
	}
	base = phys_to_virt(s->hpa);
	copied = calloc(1, (vm->ram_size + 8 * COW_CHUNK - 1) / (8 * COW_CHUNK));
	t0 = rdtsc();
	if (!hold(vm, &was_paused)) {
		free(copied);
		page_free(s->hpa, frames);
		snprintf(why, sizeof(why), "vm %s is busy with another "
			 "request; try again", vm->name);
		return why;
	}
	unload_all(vm);
	now = rdtsc();
	h.host_tsc = now;
	snprintf(h.tag, sizeof(h.tag), "%s", tag);
	h.ndevices = 0;
	for (unsigned i = 0; i < vm_device_count(); i++)
		h.ndevices += vm_device_snap(i) && vm->device_state[i];
	for (unsigned i = 0; i < vm->nvcpus; i++)
		save_vcpu(vm->vcpus[i], (struct snap_vcpu *)(base + h.vcpu_offset +
					 i * h.vcpu_record_bytes), now);
	save_devices(vm, base + h.device_offset);
	memcpy(base, &h, sizeof(h));
	snprintf(s->tag, sizeof(s->tag), "%s", tag);
	s->vm = vm;
	s->frames = frames;
	s->restore_ticks = s->cow_copies = s->cow_ticks = 0;
	/* RAM: copy-on-write.  The VM's EPT loses its write rights and
	 * every CPU flushes it before it next enters the VM (ept_gen); a
	 * chunk is copied here when the guest (snapshot_cow_fault) or hv
	 * (snapshot_host_write) first writes it.  An older snapshot of the
	 * VM still sharing RAM takes the rest of it first. */
	cow_flags = spin_lock_irqsave(&cow_lock);
	if ((older = cow_of(vm)))
		cow_end(older, true);
	s->copied = copied;
	if (copied) {
		cow_active++;
		ept_ram_set_writable(vm, 0, vm->ram_size, false);
		__atomic_add_fetch(&vm->ept_gen, 1, __ATOMIC_SEQ_CST);
	} else { /* no bitmap: a full copy now */
		memcpy(base + h.ram_offset, phys_to_virt(vm->ram_hpa),
		       vm->ram_size);
	}
	nsnaps++;
	spin_unlock_irqrestore(&cow_lock, cow_flags);
	release(vm, was_paused);
	s->pause_ticks = rdtsc() - t0;
	used += h.total_bytes;
	log_info("vm %s: snapshot '%s' taken: %lu KiB, VM held %lu TSC ticks",
		 vm->name, tag, h.total_bytes >> 10, s->pause_ticks);
	return NULL;
}

const char *snapshot_restore(struct vm *vm, const char *tag)
{
	struct snapshot *s = find(tag);
	const struct snap_header *h;
	const uint8_t *base;
	uint64_t t0, flags;
	bool was_paused, ok = true;
	const char *no;

	if (!s) {
		snprintf(why, sizeof(why), "no snapshot '%s' ('snapshots' "
			 "lists them)", tag);
		return why;
	}
	if (s->vm != vm) {
		snprintf(why, sizeof(why), "snapshot '%s' is of vm %s, not of "
			 "vm %s", tag, s->vm->name, vm->name);
		return why;
	}
	if ((no = can_hold(vm)))
		return no;
	base = phys_to_virt(s->hpa);
	h = (const struct snap_header *)base;
	t0 = rdtsc();
	if (!hold(vm, &was_paused)) {
		snprintf(why, sizeof(why), "vm %s is busy with another "
			 "request; try again", vm->name);
		return why;
	}
	unload_all(vm);
	flags = spin_lock_irqsave(&cow_lock);
	if (s->copied) {
		/* Still sharing RAM with the VM: a chunk not copied yet was
		 * not written since, so only the copied ones go back. */
		uint8_t *ram = phys_to_virt(vm->ram_hpa);

		for (uint64_t c = 0; c * COW_CHUNK < h->ram_size; c++) {
			uint64_t off = c * COW_CHUNK;

			if (s->copied[c / 8] & (1u << (c % 8)))
				memcpy(ram + off, base + h->ram_offset + off,
				       h->ram_size - off < COW_CHUNK
					       ? h->ram_size - off : COW_CHUNK);
		}
	} else {
		struct snapshot *newer = cow_of(vm);

		if (newer) /* it keeps what RAM holds now */
			cow_end(newer, true);
		memcpy(phys_to_virt(vm->ram_hpa), base + h->ram_offset,
		       h->ram_size);
	}
	spin_unlock_irqrestore(&cow_lock, flags);
	ok = load_state(vm, base);
	release(vm, was_paused);
	s->restore_ticks = rdtsc() - t0;
	log_info("vm %s: restored from snapshot '%s' (VM held %lu TSC ticks)%s",
		 vm->name, tag, s->restore_ticks,
		 ok ? "" : "; a VMCS field was refused");
	if (!ok)
		vm_stop(vm, "restore from snapshot '%s': a VMCS field was refused",
			tag);
	return NULL;
}

const char *snapshot_drop(const char *tag)
{
	struct snapshot *s = find(tag);

	if (!s) {
		snprintf(why, sizeof(why), "no snapshot '%s' ('snapshots' "
			 "lists them)", tag);
		return why;
	}
	uint64_t hpa = s->hpa, frames = s->frames, flags;

	/* Its clones keep running on copies of their own. */
	for (unsigned i = 0; i < s->nclones; i++)
		if (__atomic_load_n(&s->clones[i]->cow_hpa, __ATOMIC_ACQUIRE))
			clone_ram_unshare(s->clones[i], true);
	flags = spin_lock_irqsave(&cow_lock);
	if (s->copied)
		cow_end(s, false);
	*s = snaps[--nsnaps];
	spin_unlock_irqrestore(&cow_lock, flags);
	page_free(hpa, frames);
	used -= frames * PAGE_SIZE;
	return NULL;
}

/* ---- clones ---- */

/* VM names are printed in JSON and prefix console lines: the tag's
 * characters, within the config's length. */
const char *snapshot_clone(const char *tag, const char *name, unsigned id,
			   struct vm **out)
{
	struct snapshot *s = find(tag);
	const struct snap_header *h;
	const uint8_t *base;
	struct vm_config *cfg;
	struct vm *vm;
	uint64_t flags, t0 = rdtsc();
	bool ok = true;

	if (!s) {
		snprintf(why, sizeof(why), "no snapshot '%s' ('snapshots' "
			 "lists them)", tag);
		return why;
	}
	if (!valid_tag(name) || strlen(name) >= CFG_NAME_MAX) {
		snprintf(why, sizeof(why), "a VM name is 1 to %u letters, "
			 "digits, '-', '_' or '.'",
			 (CFG_NAME_MAX < SNAPSHOT_TAG_MAX ? CFG_NAME_MAX
							  : SNAPSHOT_TAG_MAX) - 1);
		return why;
	}
	if (s->nclones == SNAPSHOT_CLONES_MAX) {
		snprintf(why, sizeof(why), "snapshot '%s' has %u clones, the "
			 "most it takes", tag, SNAPSHOT_CLONES_MAX);
		return why;
	}
	if (s->vm->cfg->sched == CFG_SCHED_DEDICATED) {
		snprintf(why, sizeof(why), "vm %s owns its CPUs (sched = "
			 "dedicated): a clone would have to share them",
			 s->vm->name);
		return why;
	}
	/* A snapshot still sharing RAM with its VM takes the rest of it
	 * now: the clone maps the snapshot's copy, which must be whole and
	 * never change again. */
	flags = spin_lock_irqsave(&cow_lock);
	if (s->copied)
		cow_end(s, true);
	spin_unlock_irqrestore(&cow_lock, flags);
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return "out of memory";
	*cfg = *s->vm->cfg;
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	cfg->autostart = true;
	base = phys_to_virt(s->hpa);
	h = (const struct snap_header *)base;
	vm = vm_create_clone(cfg, id, s->hpa + h->ram_offset);
	if (!vm) {
		free(cfg);
		snprintf(why, sizeof(why), "vm %s could not be created (the "
			 "log says why)", name);
		return why;
	}
	ok = load_state(vm, base);
	s->clones[s->nclones++] = vm;
	log_info("vm %s: cloned from snapshot '%s' of vm %s: %lu KiB of RAM "
		 "shared copy-on-write (VM created in %lu TSC ticks)", name,
		 tag, s->vm->name, vm->ram_size >> 10, rdtsc() - t0);
	if (!ok)
		vm_stop(vm, "clone of snapshot '%s': a VMCS field was refused",
			tag);
	/* Each vCPU starts on the CPU its original's runs on (the
	 * balancer moves it later like any other), so a clone of an SMP
	 * guest runs spread as that guest does. */
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *o = s->vm->vcpus[i];

		sched_add(vm->vcpus[i], o->sched.allowed, false,
			  (int)__atomic_load_n(&o->cpu, __ATOMIC_RELAXED));
	}
	*out = vm;
	return NULL;
}
