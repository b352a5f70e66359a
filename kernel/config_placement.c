/*
 * Placement: which host CPUs each VM's vCPUs may use, checked against the
 * host's CPUs before anything starts (config.h, config_place()).
 *
 * A dedicated VM's vCPU i owns the i-th lowest CPU of its `cpus` (the
 * Jailhouse/ACRN partition: nothing else runs there); a shared VM's vCPUs
 * run on the CPUs of its `cpus` that no dedicated vCPU owns.  Dedicated
 * VMs are placed first, in file order, so a shared VM's check sees every
 * owned CPU.
 */
#include <stdio.h>

#include "config_parse.h"

/* CPUs in a mask (by hand: the UEFI stage links no libgcc for
 * __builtin_popcountll). */
static unsigned cpu_count(uint64_t mask)
{
	unsigned n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

/* Lowest CPU number in a non-empty mask. */
static unsigned lowest_cpu(uint64_t mask)
{
	return (unsigned)__builtin_ctzll(mask);
}

/* The section's line, or the key's when the key was written. */
static unsigned key_line(const struct vm_config *vm, unsigned line)
{
	return line ? line : vm->line;
}

/* "0-3" or "0,2,5-7", for messages about the host's CPUs. */
static void cpu_list_text(uint64_t mask, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < CFG_HOST_CPUS_MAX && n < cap; c++) {
		unsigned last = c;

		if (!(mask >> c & 1))
			continue;
		while (last + 1 < CFG_HOST_CPUS_MAX && (mask >> (last + 1) & 1))
			last++;
		if (last == c)
			n += (size_t)snprintf(buf + n, cap - n, "%s%u",
					      n ? "," : "", c);
		else
			n += (size_t)snprintf(buf + n, cap - n, "%s%u-%u",
					      n ? "," : "", c, last);
		c = last;
	}
}

/* Every CPU a `cpus` line names must be there: a list is taken at its
 * word, "0-63" too (no line, the default, means the host's CPUs). */
static int check_host_has(const struct vm_config *vm, uint64_t host,
			  struct config_error *err)
{
	char have[96];

	if (!vm->cpus_line || !(vm->cpus & ~host))
		return 0;
	cpu_list_text(host, have, sizeof(have));
	return config_error_set(err, key_line(vm, vm->cpus_line),
				"[vm %s] cpus names CPU %u, which the host lacks (it has CPUs %s)",
				vm->name, lowest_cpu(vm->cpus & ~host), have);
}

/* vCPU i of dedicated VM `i_vm` owns the i-th lowest CPU of its set. */
static int place_dedicated(const struct hv_config *c, unsigned i_vm,
			   uint64_t host, struct cfg_placement *out,
			   int8_t owner[CFG_HOST_CPUS_MAX],
			   struct config_error *err)
{
	const struct vm_config *vm = &c->vms[i_vm];
	uint64_t set = vm->cpus & host;

	if (!vm->cpus_line)
		return config_error_set(err, key_line(vm, vm->sched_line),
					"[vm %s] sched = dedicated needs a 'cpus' list of the CPUs it owns",
					vm->name);
	if (cpu_count(set) < vm->vcpus)
		return config_error_set(err, vm->cpus_line,
					"[vm %s] has %u vCPUs but cpus gives it %u CPUs (sched = dedicated needs one per vCPU)",
					vm->name, vm->vcpus, cpu_count(set));
	for (unsigned i = 0; i < vm->vcpus; i++) {
		unsigned cpu = lowest_cpu(set);

		if (owner[cpu] >= 0)
			return config_error_set(err, vm->cpus_line,
						"[vm %s] and [vm %s] are both dedicated to CPU %u",
						c->vms[owner[cpu]].name,
						vm->name, cpu);
		owner[cpu] = (int8_t)i_vm;
		out->vcpu_cpu[i_vm][i] = (uint8_t)cpu;
		out->cpus[i_vm] |= (uint64_t)1 << cpu;
		out->owned |= (uint64_t)1 << cpu;
		set &= set - 1;
	}
	return 0;
}

static int place_shared(const struct hv_config *c, unsigned i_vm,
			uint64_t host, struct cfg_placement *out,
			const int8_t owner[CFG_HOST_CPUS_MAX],
			struct config_error *err)
{
	const struct vm_config *vm = &c->vms[i_vm];
	uint64_t set = vm->cpus & host;

	out->cpus[i_vm] = set & ~out->owned;
	if (out->cpus[i_vm])
		return 0;
	if (!vm->cpus_line)
		return config_error_set(err, vm->line,
					"[vm %s] has no CPU left: dedicated VMs own every host CPU",
					vm->name);
	return config_error_set(err, vm->cpus_line,
				"[vm %s] has no CPU left: CPU %u of its cpus is dedicated to [vm %s]%s",
				vm->name, lowest_cpu(set),
				c->vms[owner[lowest_cpu(set)]].name,
				set & (set - 1) ? " and the others too" : "");
}

int config_place(const struct hv_config *c, uint64_t host_cpus,
		 struct cfg_placement *out, struct config_error *err)
{
	struct config_error scratch_err;
	struct cfg_placement scratch;
	int8_t owner[CFG_HOST_CPUS_MAX];

	if (!err)
		err = &scratch_err;
	if (!out)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	memset(owner, -1, sizeof(owner));
	err->line = 0;
	err->msg[0] = '\0';
	if (!host_cpus)
		return config_error_set(err, 0, "the host has no CPU");
	for (unsigned i = 0; i < c->nvms; i++)
		if (check_host_has(&c->vms[i], host_cpus, err) < 0)
			return -1;
	for (unsigned i = 0; i < c->nvms; i++)
		if (c->vms[i].sched == CFG_SCHED_DEDICATED &&
		    place_dedicated(c, i, host_cpus, out, owner, err) < 0)
			return -1;
	for (unsigned i = 0; i < c->nvms; i++)
		if (c->vms[i].sched == CFG_SCHED_SHARED &&
		    place_shared(c, i, host_cpus, out, owner, err) < 0)
			return -1;
	return 0;
}
