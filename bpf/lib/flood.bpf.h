/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Two shortcuts for the flood path, where the client table's cache and
 * TLB misses (a 1M-entry LRU hash spans ~100 MB) and the calls a hash
 * lookup makes cost more than the rest of the program together.
 *
 * The refusal cache (sl_refused): a per-CPU, 4-way set-associative table
 * of IPv4 sources that a packets meter refused, with the time until
 * which that meter will go on refusing them: tat - tolerance + one
 * interval, a lower bound, since a TAT only grows.  A hit drops the
 * packet after one cache line, without the prefix trie, the client table
 * or the meters, and writes nothing.  An entry lasts at most one
 * emission interval and is ignored once the config generation, the
 * prefix epoch, the tier, its key prefixes or the meter changes
 * (refused_stamp).  Userspace that deletes or
 * rewrites client entries zeroes sl_refused too, or lives with refusals
 * that outlast the edit by up to that interval.  IPv6 sources are not
 * cached.  A bitmap by source address (sl_refmark, never cleared) keeps
 * sources that were never refused away from the cache's lines, and each
 * CPU stops using its cache for a while when it thrashes (sl_refstat).
 *
 * The known filter (sl_known): one bit per client key hash, set when an
 * entry is created.  In a tier with a flood guard, a clear bit means the
 * source has no entry, so the guard and the aggregate bucket decide
 * without a lookup in the client table.  Bits are never cleared (a bit
 * left by an evicted client only costs the lookup it always cost).
 */
#ifndef SLUICE_FLOOD_BPF_H
#define SLUICE_FLOOD_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_gcra.h"
#include "sluice_refcache.h"
#include "classify.bpf.h"
#include "clock.bpf.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

#define KNOWN_SHIFT		22	/* 4M bits: 512 KiB */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REFUSED_BLOCKS);
	__type(key, __u32);
	__type(value, struct refused_block);
} sl_refused SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << (KNOWN_SHIFT - 6));
	__type(key, __u32);
	__type(value, __u64);
} sl_known SEC(".maps");

/* One bit per source address hash, set with each refusal-cache entry:
 * a clear bit spares the cache line of a source never refused, which
 * under a flood of fresh sources is nearly every one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, REFUSED_MARK_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} sl_refmark SEC(".maps");

/* Per CPU: does the cache hold its sources (refused_probe)? */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct refused_cpu);
} sl_refstat SEC(".maps");

static __always_inline struct refused_cpu *refused_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sl_refstat, &zero);
}

static __always_inline __u64 *refused_mark(__u32 addr, __u64 *bit)
{
	__u32 word;

	*bit = refused_mark_of(addr, &word);
	return bpf_map_lookup_elem(&sl_refmark, &word);
}

static __always_inline struct refused_set *refused_set(__u32 addr)
{
	__u32 h = refused_set_of(addr);
	__u32 idx = h >> REFUSED_BLOCK_SHIFT;
	struct refused_block *b = bpf_map_lookup_elem(&sl_refused, &idx);

	return b ? &b->set[h & (REFUSED_BLOCK_SETS - 1)] : NULL;
}

/* The slot of `addr`, or NULL; the caller checks its stamp and time. */
static __always_inline struct refused_slot *refused_find(__u32 addr)
{
	struct refused_cpu *rc = refused_cpu();
	struct refused_set *s;
	__u64 bit, *mark;

	if (!rc)
		return NULL;
	if (rc->rest) {
		rc->rest--;
		return NULL;
	}
	mark = refused_mark(addr, &bit);
	if (mark && !(*mark & bit))
		return NULL;
	s = refused_set(addr);
	if (!s)
		return NULL;
#pragma unroll
	for (int i = 0; i < REFUSED_WAYS; i++)
		if (s->way[i].addr == addr)
			return &s->way[i];
	return NULL;
}

/* Was the packet's source refused a moment ago, by a meter that goes on
 * refusing it?  Then the tier (its id in *tier), the meter's index in
 * *meter and how long it goes on refusing in *wait_ns; else NULL. */
static __always_inline const struct sl_tier *
refused_hit(const struct sl_global *g, const struct sl_pkt *p,
	    const struct roll_sel *sel, __u32 *tier, __u32 *meter, __s64 *wait_ns)
{
	const struct sl_tier *t;
	struct refused_slot *rs;
	__s64 wait;

	if (p->family != SL_AF_INET)
		return NULL;
	rs = refused_find(p->src[0]);
	if (!rs)
		return NULL;
	*tier = rs->tier & (SL_MAX_TIERS - 1);
	*meter = rs->meter & (SL_METERS_PER_TIER - 1);
	t = tier_lookup(g, *tier, sel);
	if (!t || rs->stamp != refused_stamp(g, t, *meter))
		return NULL;
	wait = rs->until - clock_now(t);
	if (wait <= 0)
		return NULL;
	*wait_ns = wait;
	return t;
}

/* Meter `r` of tier `t` has just refused the packet's client, and goes
 * on refusing it for `wait` ns (client_wait): remember until when. */
static __always_inline void refused_note(const struct sl_global *g,
					 const struct sl_pkt *p,
					 const struct sl_tier *t, __u32 tier,
					 __u32 r, __s64 wait, __u64 now)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];
	struct refused_cpu *rc = refused_cpu();
	struct refused_slot *w = NULL;
	__u32 addr = p->src[0];
	struct refused_set *s;
	__u64 until = now + wait, bit, *mark;

	/* Other units refuse or not depending on the next packet. */
	if (m->unit != SL_UNIT_PACKETS || p->family != SL_AF_INET || !addr ||
	    !rc || rc->rest)
		return;
	refused_probe(rc);
	if (wait <= 0)
		return;
	s = refused_set(addr);
	if (!s)
		return;
	/* The source's own slot, else an expired one, else by address. */
#pragma unroll
	for (int i = 0; i < REFUSED_WAYS; i++) {
		if (s->way[i].addr == addr) {
			w = &s->way[i];
			break;
		}
	}
	if (!w) {
#pragma unroll
		for (int i = 0; i < REFUSED_WAYS; i++) {
			if ((__s64)(s->way[i].until - now) <= 0) {
				w = &s->way[i];
				break;
			}
		}
	}
	if (!w) {
		w = &s->way[refused_victim(addr)];
		rc->evictions++;
	}
	mark = refused_mark(addr, &bit);
	if (mark && !(*mark & bit))
		__sync_fetch_and_or(mark, bit);
	w->addr = addr;
	w->tier = tier;
	w->meter = r;
	w->stamp = refused_stamp(g, t, r);
	w->until = until;
}

static __always_inline __u32 known_bit(const struct sl_client_key *k)
{
	__u64 h = ((__u64)k->addr[0] << 32 | k->addr[1]) * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)k->addr[2] << 32 | k->addr[3] | (__u64)k->tier << 8) *
	     0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return h >> (64 - KNOWN_SHIFT);
}

/* Might the client have an entry?  False: it certainly has none. */
static __always_inline int known_test(const struct sl_client_key *k)
{
	__u32 bit = known_bit(k), word = bit >> 6;
	__u64 *v = bpf_map_lookup_elem(&sl_known, &word);

	return !v || (*v & (1ULL << (bit & 63)));
}

static __always_inline void known_set(const struct sl_client_key *k)
{
	__u32 bit = known_bit(k), word = bit >> 6;
	__u64 *v = bpf_map_lookup_elem(&sl_known, &word);

	if (v && !(*v & (1ULL << (bit & 63))))
		__sync_fetch_and_or(v, 1ULL << (bit & 63));
}

#endif /* SLUICE_FLOOD_BPF_H */
