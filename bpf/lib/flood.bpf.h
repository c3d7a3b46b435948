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
#include "classify.bpf.h"
#include "clock.bpf.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

#define REFUSED_SETS_SHIFT	15	/* 32768 sets of 4: 2 MiB per CPU */
#define REFUSED_BLOCK_SHIFT	4	/* sets per map element */
#define REFUSED_WAYS		4
#define KNOWN_SHIFT		22	/* 4M bits: 512 KiB */
#define MARK_SHIFT		20	/* 1M bits: 128 KiB */

struct refused_slot {
	__u32 addr;		/* IPv4 source, network order; 0: empty */
	__u8  tier;
	__u8  meter;		/* the refusing meter's index */
	__u16 stamp;		/* refused_stamp() when written */
	__u64 until;		/* refuses while now < until (tier's clock) */
};

struct refused_set {
	struct refused_slot way[REFUSED_WAYS];	/* one cache line */
};

/* 16 sets per element: a per-CPU array loads one pointer per element,
 * and 2048 of those stay in cache where 32768 would not. */
struct refused_block {
	struct refused_set set[1 << REFUSED_BLOCK_SHIFT];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << (REFUSED_SETS_SHIFT - REFUSED_BLOCK_SHIFT));
	__type(key, __u32);
	__type(value, struct refused_block);
} sl_refused SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << (KNOWN_SHIFT - 6));
	__type(key, __u32);
	__type(value, __u64);
} sl_known SEC(".maps");

/* What a refusal depends on besides the client's TAT: the config
 * generation, the tier and the meter as they are now. */
/* One bit per source address hash, set with each refusal-cache entry:
 * a clear bit spares the cache line of a source never refused, which
 * under a flood of fresh sources is nearly every one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << (MARK_SHIFT - 6));
	__type(key, __u32);
	__type(value, __u64);
} sl_refmark SEC(".maps");

/* Per CPU: does the cache hold its sources?  When most new entries
 * must evict a live one (more refused sources than slots: a flood of
 * fresh sources without a flood guard), every lookup and note is a
 * cache miss for nothing: then leave the cache alone for a while, and
 * look again. */
#define REFUSED_PROBE		4096		/* notes per verdict */
#define REFUSED_REST		(1U << 20)	/* packets without the cache */

struct refused_cpu {
	__u32 notes;
	__u32 evictions;	/* notes that pushed out a live entry */
	__u32 rest;		/* packets left to pass by the cache */
	__u32 pad;
};

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
	__u32 h = ((addr * 0x85ebca6bU) ^ (addr >> 13)) * 0xc2b2ae35U;
	__u32 word;

	h >>= 32 - MARK_SHIFT;
	word = h >> 6;
	*bit = 1ULL << (h & 63);
	return bpf_map_lookup_elem(&sl_refmark, &word);
}

static __always_inline __u16 refused_stamp(const struct sl_global *g,
					   const struct sl_tier *t, __u32 r)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];
	__u64 h;

	h = (g->config_hash ^ g->tier_gen ^ (__u64)g->epoch << 32) *
	    0x9e3779b97f4a7c15ULL;
	h ^= (m->interval_fp ^ m->tolerance_ns << 1) * 0xc2b2ae3d27d4eb4fULL;
	h ^= ((__u64)t->flags << 16 | t->verdict << 8 | m->unit) *
	     0x165667b19e3779f9ULL;
	h ^= ((__u64)t->v4_prefix << 8 | t->v6_prefix) * 0xd6e8feb86659fd93ULL;
	return h >> 48;
}

static __always_inline struct refused_set *refused_set(__u32 addr)
{
	__u32 h = (addr * 0x9e3779b1U) >> (32 - REFUSED_SETS_SHIFT);
	__u32 idx = h >> REFUSED_BLOCK_SHIFT;
	struct refused_block *b = bpf_map_lookup_elem(&sl_refused, &idx);

	return b ? &b->set[h & ((1 << REFUSED_BLOCK_SHIFT) - 1)] : NULL;
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
 * refusing it?  Then the tier (its id in *tier) and the meter's index
 * in *meter; else NULL. */
static __always_inline const struct sl_tier *
refused_hit(const struct sl_global *g, const struct sl_pkt *p, __u32 *tier,
	    __u32 *meter)
{
	const struct sl_tier *t;
	struct refused_slot *rs;

	if (p->family != SL_AF_INET)
		return NULL;
	rs = refused_find(p->src[0]);
	if (!rs)
		return NULL;
	*tier = rs->tier & (SL_MAX_TIERS - 1);
	*meter = rs->meter & (SL_METERS_PER_TIER - 1);
	t = tier_lookup(g, *tier);
	if (!t || rs->stamp != refused_stamp(g, t, *meter) ||
	    (__s64)(rs->until - clock_now(t)) <= 0)
		return NULL;
	return t;
}

/* Meter `r` of tier `t` has just refused client `c`: remember until
 * when it will. */
static __always_inline void refused_note(const struct sl_global *g,
					 const struct sl_pkt *p,
					 const struct sl_tier *t, __u32 tier,
					 struct sl_client *c, __u32 r, __u64 now)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];
	struct refused_cpu *rc = refused_cpu();
	struct refused_slot *w = NULL;
	__u32 addr = p->src[0];
	struct refused_set *s;
	__u64 until, bit, *mark;

	/* Other units refuse or not depending on the next packet. */
	if (m->unit != SL_UNIT_PACKETS || p->family != SL_AF_INET || !addr ||
	    !rc || rc->rest)
		return;
	if (++rc->notes >= REFUSED_PROBE) {
		if (rc->evictions > REFUSED_PROBE / 2)
			rc->rest = REFUSED_REST;
		rc->evictions = 0;
		rc->notes = 0;
	}
	until = READ_ONCE_U64(c->tat[r & (SL_METERS_PER_TIER - 1)]) -
		m->tolerance_ns + gcra_cost_ns(m, 1);
	if ((__s64)(until - now) <= 0)
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
		w = &s->way[(addr >> 24) & (REFUSED_WAYS - 1)];
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
