/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps of the XDP limiter.  Names come from include/sluice_abi.h and
 * are what sluiced pins under /sys/fs/bpf/sluice/<ifname>/.
 */
#ifndef SLUICE_MAPS_BPF_H
#define SLUICE_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_global);
} sl_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_TIER_SLOTS);
	__type(key, __u32);
	__type(value, struct sl_tier);
} sl_tiers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v4);
	__type(value, struct sl_pfx_val);
} sl_pfx_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v6);
	__type(value, struct sl_pfx_val);
} sl_pfx_v6 SEC(".maps");

/* Sized by the loader from config (client_table_size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_DEFAULT_CLIENTS);
	__type(key, struct sl_client_key);
	__type(value, struct sl_client);
} sl_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_TIERS);
	__type(key, __u32);
	__type(value, struct sl_flood);
} sl_flood SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct sl_counter);
} sl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_EV__MAX);
	__type(key, __u32);
	__type(value, __u64);
} sl_events SEC(".maps");

static __always_inline void event_count(__u32 ev)
{
	__u64 *v = bpf_map_lookup_elem(&sl_events, &ev);

	if (v)
		*v += 1;
}

static __always_inline void stats_count(__u32 tier, __u32 reason, __u32 bytes)
{
	__u32 idx = sl_stats_index(tier, reason);
	struct sl_counter *c = bpf_map_lookup_elem(&sl_stats, &idx);

	if (c) {
		c->packets += 1;
		c->bytes += bytes;
	}
}

#endif /* SLUICE_MAPS_BPF_H */
