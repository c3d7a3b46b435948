/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-CPU counters: packets and bytes per tier and verdict reason
 * (sl_counters), and parser events (sl_evcount).  Both have spare slots,
 * so a new reason or event keeps the pinned maps (include/sluice_abi.h).
 * Shared by the limiter and sluiced's migration program.
 */
#ifndef SLUICE_COUNTERS_BPF_H
#define SLUICE_COUNTERS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_abi_check.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct sl_counter);
} sl_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_EVENT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sl_evcount SEC(".maps");

static __always_inline void event_count(__u32 ev)
{
	__u64 *v = bpf_map_lookup_elem(&sl_evcount, &ev);

	if (v)
		*v += 1;
}

/* Returns this CPU's packet count of the row after it, 0 if it has none
 * (the top-talker sampler keys off it). */
static __always_inline __u64 stats_count(__u32 tier, __u32 reason,
					 __u32 bytes)
{
	__u32 idx = sl_stats_index(tier, reason);
	struct sl_counter *c = bpf_map_lookup_elem(&sl_counters, &idx);

#ifdef SL_ABI_NEXT
	event_count(SL_EV_ABI_NEXT);	/* the new event counts on old pins */
#endif
	if (!c)
		return 0;
	c->packets += 1;
	c->bytes += bytes;
	return c->packets;
}

#endif /* SLUICE_COUNTERS_BPF_H */
