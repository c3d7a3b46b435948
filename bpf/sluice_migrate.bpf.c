// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluiced's one-time move of the first release's counters (sl_stats,
 * sl_events: rows as wide as that release's enums) into sl_counters and
 * sl_evcount, run once per old row with BPF_PROG_TEST_RUN once the link
 * runs the new program (user/kern/pins.c).
 *
 * One run empties the old row on every CPU and adds the sum to this
 * CPU's new row with an atomic add.  Userspace could not do that: its
 * read-modify-write of a per-CPU row would overwrite what the running
 * program counts meanwhile.  And a run cannot be cut in half, so a
 * daemon that dies mid-way leaves every row moved or not, never both:
 * the next start moves the rest.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/counters.bpf.h"
#include "sluice_migrate.h"

/* The old maps; sluiced reuses their pins, sizes and all. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_counter);
} sl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sl_events SEC(".maps");

struct fold {
	__u32 from;
	__u32 kind;
	__u64 packets;
	__u64 bytes;
};

static long fold_cpu(__u32 cpu, struct fold *f)
{
	if (f->kind == SL_MIGRATE_COUNTERS) {
		struct sl_counter *c;

		c = bpf_map_lookup_percpu_elem(&sl_stats, &f->from, cpu);
		if (c) {
			f->packets += c->packets;
			f->bytes += c->bytes;
			c->packets = c->bytes = 0;
		}
	} else {
		__u64 *v = bpf_map_lookup_percpu_elem(&sl_events, &f->from, cpu);

		if (v) {
			f->packets += *v;
			*v = 0;
		}
	}
	return 0;
}

SEC("syscall")
int sl_migrate(struct sl_migrate *a)
{
	struct fold f = { .from = a->from, .kind = a->kind };
	__u32 to = a->to;

	if (f.kind == SL_MIGRATE_COUNTERS) {
		struct sl_counter *c = bpf_map_lookup_elem(&sl_counters, &to);

		if (!c)
			return -1;
		bpf_loop(a->ncpus, fold_cpu, &f, 0);
		__sync_fetch_and_add(&c->packets, f.packets);
		__sync_fetch_and_add(&c->bytes, f.bytes);
	} else {
		__u64 *v = bpf_map_lookup_elem(&sl_evcount, &to);

		if (!v)
			return -1;
		bpf_loop(a->ncpus, fold_cpu, &f, 0);
		__sync_fetch_and_add(v, f.packets);
	}
	a->packets = f.packets;
	a->bytes = f.bytes;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
