/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Classification: a packet's tier from the LPM tries on its source
 * address, the tier's config from the live half of sl_tiers, and the
 * client key (include/sluice_key.h, shared with sluicectl).
 */
#ifndef SLUICE_CLASSIFY_BPF_H
#define SLUICE_CLASSIFY_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_key.h"
#include "sluice_pfxcache.h"
#include "sluice_rollout.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

/* 1 when the packet is a rollout's canary policy's to decide, else 0,
 * without a branch (the barrier keeps clang from making the comparison
 * one): state canary (2: its bit 1) and a cohort point below the share
 * (include/sluice_rollout.h). */
static __always_inline __u32 roll_canary(const struct sl_roll *r,
					 const struct sl_pkt *p)
{
	__u64 d = (__u64)sl_cohort_point(r->seed, p->family, p->src) -
		  r->share;

	asm volatile("" : "+r"(d));
	return (__u32)(d >> 63) & (r->state >> 1) & 1;
}

/* Which policy classifies a packet: `canary` 1 for a rollout's canary
 * (its tries, tiers and default tier), 0 for the control; `mask` is
 * -canary, computed apart from it, and `gen`, `dflt` the canary's
 * (sl_roll), all 0 for the control.  Only the lookups branch on
 * `canary`; the rest selects with `mask`. */
struct roll_sel {
	__u32 canary;
	__u32 mask;
	__u32 gen;
	__u32 dflt;
};

static __always_inline __u32 roll_select(__u32 control, __u32 canary,
					 __u32 mask)
{
	return control ^ ((control ^ canary) & mask);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_pfxc_block);
} sl_pfx_cache SEC(".maps");

/* The source's slot in this CPU's classification cache
 * (include/sluice_pfxcache.h), or NULL. */
static __always_inline struct sl_pfxc_slot *
classify_cached(const struct sl_pkt *p)
{
	struct sl_pfxc_block *b;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&sl_pfx_cache, &zero);
	if (!b)
		return NULL;
	return &b->slot[sl_pfxc_index(p->src) & (SL_PFXC_SLOTS - 1)];
}

/* Does slot `cs` hold the packet's source under this epoch and default
 * tier?  One branch: the words compared without one each. */
static __always_inline int classify_hit(const struct sl_pfxc_slot *cs,
					const struct sl_pkt *p, __u32 epoch,
					__u32 dflt)
{
	return ((cs->addr[0] ^ p->src[0]) | (cs->addr[1] ^ p->src[1]) |
		(cs->addr[2] ^ p->src[2]) | (cs->addr[3] ^ p->src[3]) |
		(cs->epoch ^ epoch) | (cs->dflt ^ dflt) |
		(cs->family ^ p->family)) == 0;
}

/* The tier of the longest prefix holding the source, else the default
 * tier; a tier id past SL_MAX_TIERS also falls to the default, which
 * may itself be out of range (tier_lookup() then finds nothing).  The
 * control's answer is cached per CPU under the prefix epoch, read
 * before the walk: a rewrite of the tries bumps it after the fact, so
 * a tier from a half-written trie is never kept. */
static __always_inline __u32 classify_walk(const struct sl_pkt *p,
					    const struct roll_sel *rs,
					    __u32 dflt)
{
	struct sl_pfx_val *v;
	__u32 tier;

	if (p->family == SL_AF_INET) {
		struct sl_pfx_v4 k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, p->src, 4);
		if (rs->canary) {
			v = bpf_map_lookup_elem(&sl_pfx_v4_c, &k);
			tier = v ? v->tier : dflt;
			KEEP_APART(tier, "v4c");
		} else {
			v = bpf_map_lookup_elem(&sl_pfx_v4, &k);
			tier = v ? v->tier : dflt;
			KEEP_APART(tier, "v4");
		}
	} else {
		struct sl_pfx_v6 k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, p->src, 16);
		if (rs->canary) {
			v = bpf_map_lookup_elem(&sl_pfx_v6_c, &k);
			tier = v ? v->tier : dflt;
			KEEP_APART(tier, "v6c");
		} else {
			v = bpf_map_lookup_elem(&sl_pfx_v6, &k);
			tier = v ? v->tier : dflt;
			KEEP_APART(tier, "v6");
		}
	}
	return tier < SL_MAX_TIERS ? tier : dflt;
}

/* classify_walk(), the control's through this CPU's cache.  Each way
 * out returns apart: a merged one costs the verifier ~5,000 states. */
static __always_inline __u32 classify_tier(const struct sl_global *g,
					   const struct sl_pkt *p,
					   const struct roll_sel *rs)
{
	__u32 tier, dflt = roll_select(g->default_tier, rs->dflt, rs->mask);
	struct sl_pfxc_slot *cs;
	__u32 epoch;

	if (rs->canary)
		return classify_walk(p, rs, dflt);
	epoch = *(volatile __u32 *)&g->epoch;
	cs = classify_cached(p);
	if (!cs)
		return classify_walk(p, rs, dflt);
	if (classify_hit(cs, p, epoch, dflt))
		return cs->tier;
	tier = classify_walk(p, rs, dflt);
	__builtin_memcpy(cs->addr, p->src, sizeof(cs->addr));
	cs->epoch = epoch;
	cs->tier = tier;
	cs->dflt = dflt;
	cs->family = p->family;
	return tier;
}

/* Tier `tier` of the live generation of the control's tiers or of the
 * canary's, or NULL. */
static __always_inline const struct sl_tier *
tier_lookup(const struct sl_global *g, __u32 tier, const struct roll_sel *rs)
{
	__u32 gen = roll_select(g->tier_gen, rs->gen, rs->mask) & 1;
	__u32 slot = gen * SL_MAX_TIERS + (tier & (SL_MAX_TIERS - 1));
	const struct sl_tier *t;

	/* Two calls, never one on a choice of maps (see KEEP_APART): the
	 * control's stays inlined by the verifier. */
	if (rs->canary) {
		t = bpf_map_lookup_elem(&sl_tiers_c, &slot);
		KEEP_APART(slot, "tc");
	} else {
		t = bpf_map_lookup_elem(&sl_tiers, &slot);
		KEEP_APART(slot, "t");
	}
	return t;
}

/* A canary tier keyed or metered unlike the control's tier of its id
 * keeps its buckets apart (include/sluice_rollout.h); a control tier
 * never has SL_TIER_F_ROLL_APART. */
static __always_inline void classify_key(struct sl_client_key *k,
					 const struct sl_pkt *p,
					 const struct sl_tier *t, __u32 tier)
{
	sl_key_make(k, p->src, p->family, t, tier);
	if (t->flags & SL_TIER_F_ROLL_APART)
		k->pad[0] = SL_KEY_CANARY;
}

#endif /* SLUICE_CLASSIFY_BPF_H */
