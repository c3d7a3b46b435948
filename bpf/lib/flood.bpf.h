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
 * (refused_stamp).  Userspace that deletes or rewrites client entries
 * zeroes the caches too (user/kern/refcache.c).  A bitmap by source
 * address (sl_refmark) keeps sources that were never refused away from
 * the cache's lines, and each CPU stops using its cache for a while when
 * it thrashes (sl_refstat).  sluiced rebuilds the bitmap from the live
 * entries when stale bits pile up in it (user/kern/refcache.c).
 *
 * IPv6 sources have the same in maps of their own (sl_refused6, keyed
 * by the exact 128-bit source, two ways to a cache line; sl_refmark6;
 * sl_refstat6, so one family's thrash does not rest the other's cache),
 * behind two global functions: the verifier checks them once, and the
 * IPv4 path stays inline.
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REFUSED_BLOCKS);
	__type(key, __u32);
	__type(value, struct refused_block);
} sl_refused SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KNOWN_WORDS);
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REFUSED6_BLOCKS);
	__type(key, __u32);
	__type(value, struct refused6_block);
} sl_refused6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, REFUSED_MARK_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} sl_refmark6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct refused_cpu);
} sl_refstat6 SEC(".maps");

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

static __always_inline struct refused6_set *refused6_set(const __u32 a[4])
{
	__u32 h = refused6_set_of(a);
	__u32 idx = h >> REFUSED6_BLOCK_SHIFT;
	struct refused6_block *b = bpf_map_lookup_elem(&sl_refused6, &idx);

	return b ? &b->set[h & (REFUSED6_BLOCK_SETS - 1)] : NULL;
}

/* refused_find() for an IPv6 source. */
static __always_inline struct refused6_slot *refused6_find(const __u32 a[4])
{
	__u32 zero = 0, word;
	struct refused_cpu *rc;
	struct refused6_set *s;
	__u64 bit, *mark;

	rc = bpf_map_lookup_elem(&sl_refstat6, &zero);
	if (!rc)
		return NULL;
	if (rc->rest) {
		rc->rest--;
		return NULL;
	}
	bit = refused6_mark_of(a, &word);
	mark = bpf_map_lookup_elem(&sl_refmark6, &word);
	if (mark && !(*mark & bit))
		return NULL;
	s = refused6_set(a);
	if (!s)
		return NULL;
#pragma unroll
	for (int i = 0; i < REFUSED_WAYS; i++)
		if (refused6_same(s->way[i].addr, a))
			return &s->way[i];
	return NULL;
}

/* What tier_lookup() needs of a roll_sel, as one scalar: a pointer to
 * it would keep it out of registers in the caller (its stack is full). */
#define REFUSED6_SEL(s)	(((s)->canary & 1) | ((s)->mask & 1) << 1 | \
			 ((s)->gen & 1) << 2)

/* A hit of refused6_hit(): the tier and the meter, packed. */
#define REFUSED6_HIT		0x100
#define REFUSED6_TIER(h)	(((h) >> 2) & (SL_MAX_TIERS - 1))
#define REFUSED6_METER(h)	((h) & (SL_METERS_PER_TIER - 1))

/* refused_hit() for an IPv6 source, all of it: 0, or REFUSED6_HIT with
 * the tier and the meter, and *wait_ns.  A global function, verified
 * once: the hit path after it is one more path, not one per branch in
 * here; scalars, not a struct, since the program's stack is full. */
__noinline int refused6_hit(const struct sl_global *g, const struct sl_pkt *p,
			    __u32 selbits, __s64 *wait_ns)
{
	struct roll_sel sel = { .canary = selbits & 1,
				.mask = -((selbits >> 1) & 1),
				.gen = (selbits >> 2) & 1 };
	const struct refused6_slot *rs;
	const struct sl_tier *t;
	__u32 tier, meter;
	__s64 wait;

	if (!g || !p || !wait_ns)
		return 0;
	rs = refused6_find(p->src);
	if (!rs)
		return 0;
	tier = rs->tier & (SL_MAX_TIERS - 1);
	meter = rs->meter & (SL_METERS_PER_TIER - 1);
	t = tier_lookup(g, tier, &sel);
	if (!t || rs->stamp != refused_stamp(g, t, meter))
		return 0;
	wait = rs->until - clock_now(t);
	if (wait <= 0)
		return 0;
	*wait_ns = wait;
	return REFUSED6_HIT | tier << 2 | meter;
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

	if (p->family == SL_AF_INET6) {
		int h = refused6_hit(g, p, REFUSED6_SEL(sel), wait_ns);

		*tier = REFUSED6_TIER(h);
		*meter = REFUSED6_METER(h);
		return h ? tier_lookup(g, *tier, sel) : NULL;
	}
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

/* What a note remembers besides the source and `until`, packed: one
 * scalar, as a global function's arguments must be. */
#define REFUSED_NOTE(tier, meter, stamp) \
	((__u32)(stamp) << 16 | ((tier) & (SL_MAX_TIERS - 1)) << 8 | \
	 ((meter) & (SL_METERS_PER_TIER - 1)))
#define REFUSED_NOTE_TIER(w)	(((w) >> 8) & (SL_MAX_TIERS - 1))
#define REFUSED_NOTE_METER(w)	((w) & (SL_METERS_PER_TIER - 1))

static __always_inline void refused_note4(__u32 addr, __u64 until,
					  __u32 what, __u64 now)
{
	struct refused_cpu *rc = refused_cpu();
	struct refused_slot *w = NULL;
	struct refused_set *s;
	__u64 bit, *mark;

	if (!addr || !rc || rc->rest)
		return;
	refused_probe(rc);
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
		w = &s->way[refused_victim(addr)];
		rc->evictions++;
	}
	mark = refused_mark(addr, &bit);
	if (mark && !(*mark & bit))
		__sync_fetch_and_or(mark, bit);
	w->addr = addr;
	w->tier = REFUSED_NOTE_TIER(what);
	w->meter = REFUSED_NOTE_METER(what);
	w->stamp = what >> 16;
	w->until = until;
}

static __always_inline void refused_note6(const __u32 a[4], __u64 until,
					  __u32 what, __u64 now)
{
	struct refused6_slot *w = NULL;
	struct refused_cpu *rc;
	struct refused6_set *s;
	__u32 zero = 0, word;
	__u64 bit, *mark;

	if (!(a[0] | a[1] | a[2] | a[3]))
		return;
	rc = bpf_map_lookup_elem(&sl_refstat6, &zero);
	if (!rc || rc->rest)
		return;
	refused_probe(rc);
	if ((__s64)(until - now) <= 0)
		return;
	s = refused6_set(a);
	if (!s)
		return;
#pragma unroll
	for (int i = 0; i < REFUSED_WAYS; i++) {
		if (refused6_same(s->way[i].addr, a)) {
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
		w = &s->way[refused6_victim(a)];
		rc->evictions++;
	}
	bit = refused6_mark_of(a, &word);
	mark = bpf_map_lookup_elem(&sl_refmark6, &word);
	if (mark && !(*mark & bit))
		__sync_fetch_and_or(mark, bit);
	w->addr[0] = a[0];
	w->addr[1] = a[1];
	w->addr[2] = a[2];
	w->addr[3] = a[3];
	w->tier = REFUSED_NOTE_TIER(what);
	w->meter = REFUSED_NOTE_METER(what);
	w->stamp = what >> 16;
	w->until = until;
}

/* Note the packet's source in its family's cache: refused until `until`
 * as `what` (REFUSED_NOTE) says.  A global function: notes are rare next
 * to hits, and the program's stack and verifier budget are not. */
__noinline int refused_note_src(const struct sl_pkt *p, __u64 until,
				__u32 what, __u64 now)
{
	if (!p)
		return 0;
	if (p->family == SL_AF_INET)
		refused_note4(p->src[0], until, what, now);
	else if (p->family == SL_AF_INET6)
		refused_note6(p->src, until, what, now);
	return 0;
}

/* Meter `r` of tier `t` has just refused the packet's client, and goes
 * on refusing it for `wait` ns (client_wait): remember until when. */
static __always_inline void refused_note(const struct sl_global *g,
					 const struct sl_pkt *p,
					 const struct sl_tier *t, __u32 tier,
					 __u32 r, __s64 wait, __u64 now)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];

	/* Other units refuse or not depending on the next packet. */
	if (m->unit == SL_UNIT_PACKETS)
		refused_note_src(p, now + wait,
				 REFUSED_NOTE(tier, r, refused_stamp(g, t, r)),
				 now);
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
