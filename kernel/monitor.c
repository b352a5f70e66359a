/* The operator's monitor (see monitor.h).  Xen has xl through dom0 and
 * ACRN a shell in its service VM; hv has neither, so its monitor lives on
 * the host serial console, like ACRN's hypervisor shell.  Commands act
 * through the VM requests of kernel/vm.h, carried out here at once when
 * no CPU runs the VM (its vCPUs are kicked out of their guests first), so
 * the monitor never changes a VM under a running vCPU. */
#include "monitor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/cpu.h"
#include "../arch/tsc.h"
#include "../drivers/vlapic.h"
#include "../vmx/exit_stats.h"
#include "log.h"
#include "snapshot.h"
#include "vm.h"
#include "vm_console.h"
#include "vm_devices.h"
#include "vm_lifecycle.h"

#define MONITOR_LINE_MAX 120
#define MONITOR_ARGS_MAX 4
#define PROMPT "hv> "

static struct vm **vm_table; /* CFG_MAX_VMS entries: clones go last */
static unsigned vm_count;
static bool keep_up;
static bool open_now;
static char line[MONITOR_LINE_MAX];
static size_t line_len;

/* Each VM's CPU time one second ago and the share of a CPU it used over
 * the second before that, for `vms` (monitor_sample). */
static uint64_t sample_tsc, sample_used[CFG_MAX_VMS];
static unsigned permille_last_second[CFG_MAX_VMS];

void monitor_init(struct vm **vms, unsigned n, bool keep)
{
	vm_table = vms;
	vm_count = n < CFG_MAX_VMS ? n : CFG_MAX_VMS;
	keep_up = keep;
}

bool monitor_is_open(void)
{
	return __atomic_load_n(&open_now, __ATOMIC_ACQUIRE);
}

struct vm *monitor_vm_by_number(unsigned n)
{
	return n >= 1 && n <= vm_count ? vm_table[n - 1] : NULL;
}

bool monitor_holds_run(void)
{
	if (keep_up || monitor_is_open())
		return true;
	for (unsigned i = 0; i < vm_count; i++) {
		const struct vm *vm = vm_table[i];
		if (vm && vm->state == VM_RUNNING &&
		    __atomic_load_n(&vm->paused, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/* A command's answer is gathered here and written in one piece
 * (out_flush), so no log line from another CPU lands inside it (a JSON
 * answer stays one line).  An answer longer than this goes out in
 * pieces. */
static char answer[4096];
static size_t answer_len;

static void out_flush(void)
{
	vm_console_write_host(answer, answer_len);
	answer_len = 0;
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (answer_len + (size_t)n > sizeof(answer))
		out_flush();
	memcpy(answer + answer_len, buf, (size_t)n);
	answer_len += (size_t)n;
}

static uint64_t vm_used(const struct vm *vm)
{
	uint64_t used = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++)
		used += __atomic_load_n(&vm->vcpus[i]->tsc_used, __ATOMIC_RELAXED);
	return used;
}

static uint64_t vm_exits(const struct vm *vm)
{
	uint64_t exits = 0;

	for (unsigned i = 0; i < vm->nvcpus; i++)
		exits += __atomic_load_n(&vm->vcpus[i]->exits, __ATOMIC_RELAXED);
	return exits;
}

/* Once a second at most, from the boot CPU's console poll. */
static void sample(void)
{
	uint64_t now = rdtsc(), second = tsc_hz();

	if (sample_tsc && now - sample_tsc < second)
		return;
	for (unsigned i = 0; i < vm_count; i++) {
		uint64_t used;

		if (!vm_table[i])
			continue;
		used = vm_used(vm_table[i]);
		permille_last_second[i] = sample_tsc
			? (unsigned)((used - sample_used[i]) /
				     ((now - sample_tsc) / 1000 + 1))
			: 0;
		sample_used[i] = used;
	}
	sample_tsc = now;
}

static const char *vcpu_state_name(const struct vcpu *v)
{
	switch (v->state) {
	case VCPU_RUNNABLE: return "runnable";
	case VCPU_HALTED: return "halted";
	case VCPU_WAIT_SIPI: return "wait-for-sipi";
	case VCPU_RESETTING: return "resetting";
	case VCPU_STOPPED: return "stopped";
	}
	return "?";
}

/* running, paused, halted (every vCPU waits for an interrupt or a
 * start-up IPI), stopped, exited; "created" while it waits for `start`. */
static const char *vm_state_name(const struct vm *vm)
{
	if (vm->state == VM_STOPPED)
		return vm->has_exit_status ? "exited" : "stopped";
	if (vm->waits_for_start)
		return "created";
	if (vm->paused)
		return "paused";
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i]->state == VCPU_RUNNABLE ||
		    vm->vcpus[i]->state == VCPU_RESETTING)
			return "running";
	return "halted";
}

/* ---- commands ---- */

struct cmd_ctx {
	bool json;
	unsigned argc;
	char *argv[MONITOR_ARGS_MAX];
};

static void fail(const struct cmd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(const struct cmd_ctx *c, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages name VMs and commands only: [A-Za-z0-9_ -] and quotes
	 * are what they hold; a double quote typed by the operator is
	 * replaced so the JSON stays valid. */
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '\'';
	if (c->json)
		out("{\"ok\":false,\"error\":\"%s\"}\n", msg);
	else
		out("error: %s\n", msg);
}

static void done(const struct cmd_ctx *c, const struct vm *vm,
		 const char *what)
{
	if (c->json)
		out("{\"ok\":true,\"vm\":\"%s\",\"state\":\"%s\"}\n", vm->name,
		    vm_state_name(vm));
	else
		out("vm %s: %s (now %s)\n", vm->name, what, vm_state_name(vm));
}

/* A VM named by its name or its number, or NULL with the error said. */
static struct vm *find_vm(const struct cmd_ctx *c, unsigned arg)
{
	const char *s;
	char *end;
	unsigned long n;

	if (c->argc <= arg) {
		fail(c, "'%s' needs a VM (a name or number; 'vms' lists them)",
		     c->argv[0]);
		return NULL;
	}
	s = c->argv[arg];
	for (unsigned i = 0; i < vm_count; i++)
		if (vm_table[i] && !strcmp(vm_table[i]->name, s))
			return vm_table[i];
	n = strtoul(s, &end, 10);
	if (*s && !*end && monitor_vm_by_number((unsigned)n))
		return monitor_vm_by_number((unsigned)n);
	fail(c, "no VM '%s' ('vms' lists them)", s);
	return NULL;
}

/* Carries out the request just made, unless a CPU that ran one of the
 * VM's vCPUs already does: the kick makes them leave their guests, and
 * vm_handle_request waits until none runs. */
static void settle(struct vm *vm)
{
	vm_handle_request(vm);
	while (vm_has_request(vm))
		cpu_relax();
}

static void cmd_vms(const struct cmd_ctx *c)
{
	if (c->json)
		out("{\"ok\":true,\"vms\":[");
	for (unsigned i = 0, first = 1; i < vm_count; i++) {
		const struct vm *vm = vm_table[i];
		char cpus[64] = "";
		size_t n = 0;

		if (!vm)
			continue;
		for (unsigned j = 0; j < vm->nvcpus && n < sizeof(cpus); j++)
			n += (size_t)snprintf(cpus + n, sizeof(cpus) - n, "%s%u",
					      j ? "," : "", vm->vcpus[j]->cpu);
		/* A clone's pages still shared with its snapshot. */
		uint64_t shared = __atomic_load_n(&vm->cow_hpa, __ATOMIC_ACQUIRE)
					  ? vm->cow_shared * PAGE_SIZE : 0;

		if (c->json) {
			out("%s{\"n\":%u,\"name\":\"%s\",\"state\":\"%s\","
			    "\"vcpus\":%u,\"cpus\":[%s],\"memory\":%lu,"
			    "\"shared\":%lu,\"cow_copies\":%lu,\"cow_ticks\":%lu,"
			    "\"ept_kicks\":%lu,\"cpu_ticks\":%lu,"
			    "\"cpu_permille_last_second\":%u,\"exits\":%lu}",
			    first ? "" : ",", i + 1, vm->name,
			    vm_state_name(vm), vm->nvcpus, cpus, vm->ram_size,
			    shared, vm->cow_copies, vm->cow_ticks, vm->ept_kicks,
			    vm_used(vm),
			    permille_last_second[i], vm_exits(vm));
			first = 0;
		} else {
			out("%2u %-16s %-8s vcpus %u on cpus %-8s memory %4lu MiB "
			    "cpu %lu ticks (%u.%u%% last second) exits %lu",
			    i + 1, vm->name, vm_state_name(vm), vm->nvcpus, cpus,
			    vm->ram_size >> 20, vm_used(vm),
			    permille_last_second[i] / 10,
			    permille_last_second[i] % 10, vm_exits(vm));
			if (shared)
				out(" (%lu KiB shared with its snapshot)",
				    shared >> 10);
			out("\n");
		}
	}
	if (c->json)
		out("]}\n");
}

/* The CPU mode from CR0.PE, EFER.LMA and CS's L and D/B bits (SDM
 * Vol. 3A 2.2, 5.2.1). */
static const char *mode_name(const struct vcpu_view *w)
{
	if (!(w->cr0 & 1))
		return "real";
	if (w->rflags & (1u << 17))
		return "virtual-8086";
	if (w->efer & (1u << 10))
		return w->cs_ar & (1u << 13) ? "64-bit" : "compatibility";
	return w->cs_ar & (1u << 14) ? "protected 32-bit" : "protected 16-bit";
}

static void info_vcpu(const struct cmd_ctx *c, struct vcpu *v, unsigned i)
{
	const struct vcpu_view *w = &v->view;
	int vec = vlapic_pending_vector(v);
	bool nmi = vlapic_take_nmi(v, false);

	if (c->json) {
		out("%s{\"id\":%u,\"state\":\"%s\",\"cpu\":%u,"
		    "\"exits\":%lu,\"cpu_ticks\":%lu,\"pending_vector\":%d,"
		    "\"pending_nmi\":%s", i ? "," : "", i, vcpu_state_name(v),
		    v->cpu, v->exits, v->tsc_used, vec, nmi ? "true" : "false");
		if (w->valid)
			out(",\"mode\":\"%s\",\"rip\":%lu,\"rsp\":%lu,"
			    "\"rflags\":%lu,\"cr0\":%lu,\"cr3\":%lu,\"cr4\":%lu,"
			    "\"efer\":%lu", mode_name(w), w->rip, w->rsp,
			    w->rflags, w->cr0, w->cr3, w->cr4, w->efer);
		out("}");
		return;
	}
	out("  vcpu %u: %s on cpu %u, %lu exits, %lu ticks; pending: ", i,
	    vcpu_state_name(v), v->cpu, v->exits, v->tsc_used);
	if (vec >= 0)
		out("vector %#x%s\n", vec, nmi ? ", NMI" : "");
	else
		out("%s\n", nmi ? "NMI" : "none");
	if (!w->valid) {
		out("    (not run yet)\n");
		return;
	}
	out("    %s mode  rip 0x%016lx  rsp 0x%016lx  rflags 0x%08lx\n",
	    mode_name(w), w->rip, w->rsp, w->rflags);
	out("    cr0 0x%08lx  cr3 0x%016lx  cr4 0x%08lx  efer 0x%lx\n", w->cr0,
	    w->cr3, w->cr4, w->efer);
}

/* Registers are those of each vCPU's last turn end: a paused or halted
 * vCPU's are current; a running one's are a moment old. */
static void cmd_info(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);
	const char *d;

	if (!vm)
		return;
	if (c->json)
		out("{\"ok\":true,\"vm\":\"%s\",\"state\":\"%s\",\"memory\":%lu,"
		    "\"resets\":%u,\"vcpus\":[", vm->name, vm_state_name(vm),
		    vm->ram_size, vm->resets);
	else
		out("vm %s: %s, memory %lu MiB, %u resets\n", vm->name,
		    vm_state_name(vm), vm->ram_size >> 20, vm->resets);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		info_vcpu(c, vm->vcpus[i], i);
	out(c->json ? "],\"devices\":[" : "  devices:");
	for (unsigned i = 0, n = 0; i < 32; i++)
		if ((d = vm_device_name(vm, i)))
			out(c->json ? "%s\"%s\"" : "%s %s", n++ ? "," : "", d);
	out(c->json ? "]}\n" : "\n");
}

/* The VM's exits per reason, summed over its vCPUs; a vCPU whose
 * counters predate a `stat reset` it has not yet applied counts as 0. */
static void stat_sum(const struct vm *vm, struct exit_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		const struct exit_stats *s = vm->vcpus[i]->stats;

		if (s->gen != __atomic_load_n(&vm->stats_gen, __ATOMIC_RELAXED))
			continue;
		for (unsigned r = 0; r < EXIT_REASON_MAX; r++) {
			sum->reason[r].count += s->reason[r].count;
			sum->reason[r].ticks += s->reason[r].ticks;
			for (unsigned b = 0; b < EXIT_STAT_BUCKETS; b++)
				sum->reason[r].hist[b] += s->reason[r].hist[b];
		}
	}
}

static void stat_one(const struct cmd_ctx *c, const struct vm *vm,
		     bool first)
{
	static struct exit_stats sum; /* 9 KiB: not on the stack */
	uint64_t total = 0;

	stat_sum(vm, &sum);
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		total += sum.reason[r].count;
	if (c->json)
		out("%s{\"vm\":\"%s\",\"exits\":%lu,\"reasons\":[",
		    first ? "" : ",", vm->name, total);
	else
		out("vm %s: %lu exits\n  %-20s %10s %14s %8s  %s\n", vm->name,
		    total, "reason", "count", "ticks", "mean",
		    "log2(ticks):count");
	for (unsigned r = 0, n = 0; r < EXIT_REASON_MAX; r++) {
		const struct exit_stat *st = &sum.reason[r];

		if (!st->count)
			continue;
		if (c->json)
			out("%s{\"reason\":\"%s\",\"number\":%u,\"count\":%lu,"
			    "\"ticks\":%lu,\"mean\":%lu,\"hist\":{", n++ ? "," : "",
			    exit_reason_name(r), r, st->count, st->ticks,
			    st->ticks / st->count);
		else
			out("  %-20s %10lu %14lu %8lu ", exit_reason_name(r),
			    st->count, st->ticks, st->ticks / st->count);
		for (unsigned b = 0, m = 0; b < EXIT_STAT_BUCKETS; b++) {
			if (!st->hist[b])
				continue;
			if (c->json)
				out("%s\"%u\":%u", m++ ? "," : "", b, st->hist[b]);
			else
				out(" %u:%u", b, st->hist[b]);
		}
		out(c->json ? "}}" : "\n");
	}
	if (c->json)
		out("]}");
}

static void cmd_stat(const struct cmd_ctx *c)
{
	const struct vm *one = NULL;
	bool first = true;

	if (c->argc == 2 && !strcmp(c->argv[1], "reset")) {
		for (unsigned i = 0; i < vm_count; i++)
			if (vm_table[i])
				__atomic_add_fetch(&vm_table[i]->stats_gen, 1,
						   __ATOMIC_RELAXED);
		if (c->json)
			out("{\"ok\":true}\n");
		else
			out("exit statistics cleared\n");
		return;
	}
	if (c->argc == 2 && (!strcmp(c->argv[1], "on") ||
			     !strcmp(c->argv[1], "off"))) {
		__atomic_store_n(&exit_stats_on, c->argv[1][1] == 'n',
				 __ATOMIC_RELAXED);
		if (c->json)
			out("{\"ok\":true,\"counting\":%s}\n",
			    exit_stats_on ? "true" : "false");
		else
			out("exit statistics %s\n", exit_stats_on
				? "counted" : "not counted (stat on counts again)");
		return;
	}
	if (c->argc == 2 && !(one = find_vm(c, 1)))
		return;
	if (c->json)
		out("{\"ok\":true,\"stats\":[");
	for (unsigned i = 0; i < vm_count; i++) {
		if (!vm_table[i] || (one && vm_table[i] != one))
			continue;
		stat_one(c, vm_table[i], first);
		first = false;
	}
	if (c->json)
		out("]}\n");
}

static void cmd_pause(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);

	if (!vm)
		return;
	if (vm->state != VM_RUNNING || vm->paused) {
		fail(c, "vm %s is %s, not running", vm->name, vm_state_name(vm));
		return;
	}
	if (!vm_pause(vm)) {
		fail(c, "vm %s is busy with another request; try again",
		     vm->name);
		return;
	}
	settle(vm);
	done(c, vm, "paused");
}

static void cmd_resume(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);

	if (!vm)
		return;
	if (vm->state != VM_RUNNING || !vm->paused || vm->waits_for_start) {
		fail(c, "vm %s is %s, not paused%s", vm->name,
		     vm_state_name(vm),
		     vm->waits_for_start ? " ('start' starts it)" : "");
		return;
	}
	vm_resume(vm);
	log_info("vm %s: resumed", vm->name);
	done(c, vm, "resumed");
}

static void cmd_reset(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);

	if (!vm)
		return;
	if (vm->state != VM_RUNNING || vm->waits_for_start) {
		fail(c, "vm %s is %s; 'start' starts it", vm->name,
		     vm_state_name(vm));
		return;
	}
	vm_restart(vm, "reset by the operator");
	settle(vm);
	done(c, vm, "reset");
}

static void cmd_kill(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);

	if (!vm)
		return;
	if (vm->state != VM_RUNNING) {
		fail(c, "vm %s is %s already", vm->name, vm_state_name(vm));
		return;
	}
	vm_stop(vm, "killed by the operator");
	settle(vm);
	done(c, vm, "killed");
}

static void cmd_start(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);

	if (!vm)
		return;
	if (vm->state == VM_RUNNING && vm->waits_for_start) {
		log_info("vm %s: started by the operator", vm->name);
		vm_resume(vm);
	} else if (vm->state != VM_STOPPED || !vm_start_again(vm)) {
		fail(c, "vm %s is %s; only a stopped, exited or created VM "
		     "starts", vm->name, vm_state_name(vm));
		return;
	}
	done(c, vm, "started");
}

static void cmd_log(const struct cmd_ctx *c)
{
	static const char *const levels[] = {
		[CFG_LOG_ERROR] = "error", [CFG_LOG_WARN] = "warn",
		[CFG_LOG_INFO] = "info", [CFG_LOG_DEBUG] = "debug",
	};

	for (unsigned i = 0; c->argc == 2 && i < 4; i++)
		if (!strcmp(c->argv[1], levels[i])) {
			log_set_level((enum cfg_log_level)i);
			if (c->json)
				out("{\"ok\":true,\"log\":\"%s\"}\n", levels[i]);
			else
				out("log level: %s\n", levels[i]);
			return;
		}
	fail(c, "log takes one of error, warn, info, debug");
}

static void cmd_console(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);

	if (!vm)
		return;
	if (!vm_console_focus(vm)) {
		fail(c, "vm %s has no console input", vm->name);
		return;
	}
	done(c, vm, "has the console input; monitor closed");
	monitor_close();
}

static void cmd_quit(const struct cmd_ctx *c)
{
	if (c->json)
		out("{\"ok\":true}\n");
	monitor_close();
}

/* Snapshots (kernel/snapshot.c): the VM is held paused while one is
 * taken or restored, and goes on running after unless it was paused. */
static void cmd_snapshot(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);
	struct snapshot_info si;
	const char *no;

	if (!vm)
		return;
	if (c->argc != 3) {
		fail(c, "snapshot takes a VM and a tag: snapshot VM TAG");
		return;
	}
	if ((no = snapshot_take(vm, c->argv[2]))) {
		fail(c, "%s", no);
		return;
	}
	if (!snapshot_get_tag(c->argv[2], &si))
		return;
	if (c->json)
		out("{\"ok\":true,\"vm\":\"%s\",\"tag\":\"%s\","
		    "\"bytes\":%lu,\"pause_ticks\":%lu,\"state\":\"%s\"}\n",
		    vm->name, si.tag, si.bytes, si.pause_ticks,
		    vm_state_name(vm));
	else
		out("vm %s: snapshot '%s' taken, %lu KiB, VM held %lu TSC "
		    "ticks (now %s)\n", vm->name, si.tag, si.bytes >> 10,
		    si.pause_ticks, vm_state_name(vm));
}

static void cmd_restore(const struct cmd_ctx *c)
{
	struct vm *vm = find_vm(c, 1);
	struct snapshot_info si;
	const char *no;

	if (!vm)
		return;
	if (c->argc != 3) {
		fail(c, "restore takes a VM and a tag: restore VM TAG");
		return;
	}
	if ((no = snapshot_restore(vm, c->argv[2]))) {
		fail(c, "%s", no);
		return;
	}
	if (!snapshot_get_tag(c->argv[2], &si))
		return;
	if (c->json)
		out("{\"ok\":true,\"vm\":\"%s\",\"tag\":\"%s\","
		    "\"restore_ticks\":%lu,\"state\":\"%s\"}\n", vm->name,
		    si.tag, si.restore_ticks, vm_state_name(vm));
	else
		out("vm %s: restored from snapshot '%s', VM held %lu TSC "
		    "ticks (now %s)\n", vm->name, si.tag, si.restore_ticks,
		    vm_state_name(vm));
}

static void cmd_snapshots(const struct cmd_ctx *c)
{
	struct snapshot_info si;
	uint64_t ms = tsc_hz() / 1000 + 1;

	if (c->json)
		out("{\"ok\":true,\"budget\":%lu,\"used\":%lu,\"snapshots\":[",
		    snapshot_budget(), snapshot_used());
	else
		out("snapshot_memory: %lu KiB used of %lu KiB\n",
		    snapshot_used() >> 10, snapshot_budget() >> 10);
	for (unsigned i = 0; snapshot_get(i, &si); i++) {
		if (c->json)
			out("%s{\"tag\":\"%s\",\"vm\":\"%s\",\"bytes\":%lu,"
			    "\"taken_ms\":%lu,\"pause_ticks\":%lu,"
			    "\"restore_ticks\":%lu,\"shares_ram\":%s,"
			    "\"cow_copies\":%lu,\"cow_ticks\":%lu}", i ? "," : "",
			    si.tag, si.vm, si.bytes, si.taken_tsc / ms,
			    si.pause_ticks, si.restore_ticks,
			    si.cow_pending ? "true" : "false", si.cow_copies,
			    si.cow_ticks);
		else
			out("  %-16s vm %-16s %8lu KiB  taken at %lu ms  held "
			    "%lu ticks  %s, %lu copied at writes (%lu ticks)\n",
			    si.tag, si.vm, si.bytes >> 10, si.taken_tsc / ms,
			    si.pause_ticks, si.cow_pending ? "shares RAM"
							 : "RAM copied",
			    si.cow_copies, si.cow_ticks);
	}
	if (c->json)
		out("]}\n");
}

static void cmd_drop(const struct cmd_ctx *c)
{
	const char *no;

	if (c->argc != 2) {
		fail(c, "drop takes a tag: drop TAG");
		return;
	}
	if ((no = snapshot_drop(c->argv[1]))) {
		fail(c, "%s", no);
		return;
	}
	if (c->json)
		out("{\"ok\":true,\"dropped\":\"%s\"}\n", c->argv[1]);
	else
		out("snapshot '%s' dropped\n", c->argv[1]);
}

/* A new VM from a snapshot (kernel/snapshot.c): it takes the next
 * number and runs at once. */
static void cmd_clone(const struct cmd_ctx *c)
{
	const char *no, *name = c->argv[2];
	struct vm *vm;

	if (c->argc != 3) {
		fail(c, "clone takes a tag and a new VM's name: clone TAG NEWNAME");
		return;
	}
	for (unsigned i = 0; i < vm_count; i++)
		if (vm_table[i] && !strcmp(vm_table[i]->name, name)) {
			fail(c, "a VM named '%s' exists", name);
			return;
		}
	if (strspn(name, "0123456789") == strlen(name)) {
		fail(c, "'%s' is a number, which names VM %s: pick a name "
		     "with a letter", name, name);
		return;
	}
	if (vm_count == CFG_MAX_VMS) {
		fail(c, "hv runs at most %u VMs", CFG_MAX_VMS);
		return;
	}
	if ((no = snapshot_clone(c->argv[1], name, vm_count, &vm))) {
		fail(c, "%s", no);
		return;
	}
	vm_table[vm_count] = vm;
	sample_used[vm_count] = 0;
	permille_last_second[vm_count++] = 0;
	if (c->json)
		out("{\"ok\":true,\"vm\":\"%s\",\"n\":%u,\"tag\":\"%s\","
		    "\"shared\":%lu,\"state\":\"%s\"}\n", vm->name, vm_count,
		    c->argv[1], vm->cow_shared * PAGE_SIZE, vm_state_name(vm));
	else
		out("vm %s (number %u): cloned from snapshot '%s', %lu KiB "
		    "shared copy-on-write (now %s)\n", vm->name, vm_count,
		    c->argv[1], (vm->cow_shared * PAGE_SIZE) >> 10,
		    vm_state_name(vm));
}

static void cmd_help(const struct cmd_ctx *c);

struct command {
	const char *name;
	const char *usage;
	void (*fn)(const struct cmd_ctx *c);
};

static const struct command commands[] = {
	{ "help", "help                 this list", cmd_help },
	{ "vms", "vms                  every VM: number, state, vCPUs and CPUs, "
		 "memory, CPU time, exits", cmd_vms },
	{ "info", "info VM              each vCPU: state, CPU, exits, mode and "
		  "registers, pending interrupts; the VM's devices",
	  cmd_info },
	{ "stat", "stat [VM]|reset|on|off exits per reason: count, TSC ticks "
		  "in root (total, mean), log2 histogram; off: not counted",
	  cmd_stat },
	{ "pause", "pause VM             stop running its vCPUs (state kept)",
	  cmd_pause },
	{ "resume", "resume VM            run a paused VM again", cmd_resume },
	{ "reset", "reset VM             restart it from its image, as a reset "
		   "button", cmd_reset },
	{ "kill", "kill VM              stop it for good (start starts it "
		  "afresh)", cmd_kill },
	{ "start", "start VM             start a VM with autostart = no, or a "
		   "stopped one afresh", cmd_start },
	{ "snapshot", "snapshot VM TAG      capture the VM whole (vCPUs, devices, "
		      "RAM) in hypervisor memory", cmd_snapshot },
	{ "restore", "restore VM TAG       put the VM back as it was at snapshot "
		     "TAG", cmd_restore },
	{ "snapshots", "snapshots            every snapshot: tag, VM, size, when "
		       "taken; the budget", cmd_snapshots },
	{ "clone", "clone TAG NEWNAME    start a new VM from snapshot TAG, its "
		   "RAM shared copy-on-write", cmd_clone },
	{ "drop", "drop TAG             free snapshot TAG (its clones keep "
		  "copies)", cmd_drop },
	{ "log", "log LEVEL            error, warn, info or debug", cmd_log },
	{ "console", "console VM           send console input to VM and leave "
		     "the monitor", cmd_console },
	{ "quit", "quit                 leave the monitor (Ctrl-A m opens it)",
	  cmd_quit },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(const struct cmd_ctx *c)
{
	if (c->json) {
		out("{\"ok\":true,\"commands\":[");
		for (unsigned i = 0; i < NCOMMANDS; i++)
			out("%s\"%s\"", i ? "," : "", commands[i].name);
		out("]}\n");
		return;
	}
	for (unsigned i = 0; i < NCOMMANDS; i++)
		out("  %s\n", commands[i].usage);
	out("  json COMMAND         the same answer as one JSON line\n");
}

static void run_line(char *s)
{
	struct cmd_ctx c = { .json = false };
	char *w;

	/* strtok: only the boot CPU runs the monitor. */
	for (w = strtok(s, " \t"); w && c.argc < MONITOR_ARGS_MAX;
	     w = strtok(NULL, " \t")) {
		if (!c.argc && !c.json && !strcmp(w, "json")) {
			c.json = true;
			continue;
		}
		c.argv[c.argc++] = w;
	}
	if (!c.argc) {
		if (c.json)
			fail(&c, "json needs a command");
		return;
	}
	for (unsigned i = 0; i < NCOMMANDS; i++)
		if (!strcmp(c.argv[0], commands[i].name)) {
			commands[i].fn(&c);
			return;
		}
	fail(&c, "unknown command '%s' ('help' lists them)", c.argv[0]);
}

void monitor_open(void)
{
	if (monitor_is_open())
		return;
	line_len = 0;
	vm_console_hold(true);
	__atomic_store_n(&open_now, true, __ATOMIC_RELEASE);
	out("\nhv monitor: 'help' lists the commands, 'quit' leaves\n" PROMPT);
	out_flush();
}

void monitor_close(void)
{
	if (!monitor_is_open())
		return;
	__atomic_store_n(&open_now, false, __ATOMIC_RELEASE);
	out("hv monitor: closed\n");
	out_flush();
	/* What the VMs printed meanwhile, in order. */
	vm_console_hold(false);
}

void monitor_input(uint8_t c)
{
	if (c == '\r' || c == '\n') {
		out("\n");
		out_flush();
		line[line_len] = '\0';
		line_len = 0;
		run_line(line);
		if (monitor_is_open())
			out(PROMPT);
		out_flush();
		return;
	}
	if (c == 0x7f || c == '\b') {
		if (line_len) {
			line_len--;
			out("\b \b");
		}
		out_flush();
		return;
	}
	if (c < 0x20 || c >= 0x7f || line_len == MONITOR_LINE_MAX - 1)
		return;
	line[line_len++] = (char)c;
	out("%c", c); /* the echo */
	out_flush();
}

void monitor_poll(void)
{
	sample();
}
