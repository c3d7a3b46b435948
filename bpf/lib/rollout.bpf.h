/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rollouts (include/sluice_rollout.h): which policy decides a packet,
 * and in a shadow phase what the canary policy would have done with it.
 *
 *   off (sl_global.tier_gen without SL_GEN_ROLL): nothing, the one
 *                      test per packet
 *   state canary:      a source whose cohort point is below the share
 *                      is classified and metered by the canary policy
 *                      and counted in sl_counters_c as well
 *   state shadow:      the control policy decides every packet; the
 *                      canary meters it on sl_clients_s and counts what
 *                      it would have done in sl_counters_c
 */
#ifndef SLUICE_ROLLOUT_BPF_H
#define SLUICE_ROLLOUT_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_rollout.h"
#include "classify.bpf.h"
#include "clock.bpf.h"
#include "edge.bpf.h"
#include "maps.bpf.h"
#include "meter.bpf.h"
#include "parse.bpf.h"
#include "proto.bpf.h"

/* A shadow decision's key, bucket and refuser, off the stack: the XDP
 * program's frame, this one's and meter_run()'s must fit in 512 bytes
 * together.  Per CPU, one packet's worth, nothing kept. */
struct roll_scratch {
	struct sl_client_key key;
	__u32 refuser;
	struct sl_client fresh;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct roll_scratch);
} sl_roll_scratch SEC(".maps");

/* Count the packet in the canary's row of tier x reason. */
static __always_inline void roll_count(__u32 tier, __u32 reason, __u32 bytes)
{
	__u32 idx = sl_stats_index(tier, reason);
	struct sl_counter *c = bpf_map_lookup_elem(&sl_counters_c, &idx);

	if (!c)
		return;
	c->packets += 1;
	c->bytes += bytes;
}

/* What a refusal by meter `m` would have been answered with: the shadow
 * reasons, chosen as verdict_plan() chooses the enforced ones. */
static __always_inline __u32 roll_shadow_reason(const struct sl_pkt *p,
						const struct sl_meter *m)
{
	if (m->action == SL_ACT_DROP || p->l4proto != IPPROTO_TCP ||
	    (p->tcp_flags & TCPF_RST))
		return SL_R_SHADOW_DROP;
	return edge_is_http(p, m->action, m->reply) ? SL_R_SHADOW_HTTP :
						       SL_R_SHADOW_RESET;
}

/* The canary policy's decision on packet `p`, counted, never enforced:
 * its local meters only (no flood guard, no global limit, no edge
 * connection), on the shadow buckets.  A global function: verified
 * once, apart from the hot path. */
__noinline int roll_shadow(const struct sl_global *g, const struct sl_roll *r,
			   const struct sl_pkt *p)
{
	struct roll_sel rs = { .canary = 1, .mask = ~0U };
	const struct sl_tier *t;
	struct roll_scratch *s;
	struct sl_client *c;
	__u32 tier, reason, zero = 0;

	if (!g || !r || !p || r->state != SL_ROLL_SHADOW)
		return 0;
	rs.gen = r->gen;
	rs.dflt = r->default_tier;
	s = bpf_map_lookup_elem(&sl_roll_scratch, &zero);
	if (!s)
		return 0;
	tier = classify_tier(g, p, &rs);
	t = tier_lookup(g, tier, &rs);
	if (!t || tier >= SL_MAX_TIERS) {
		roll_count(SL_TIER_NONE, SL_R_UNMETERED, p->len);
		return 0;
	}
	if (t->verdict == SL_TIER_PASS) {
		reason = SL_R_ALLOWLISTED;
	} else if (t->verdict == SL_TIER_DROP) {
		reason = SL_R_DENYLISTED;
	} else {
		__builtin_memset(s, 0, sizeof(*s));
		classify_key(&s->key, p, t, tier);
		c = bpf_map_lookup_elem(&sl_clients_s, &s->key);
		if (!c) {
			bpf_map_update_elem(&sl_clients_s, &s->key, &s->fresh,
					    BPF_NOEXIST);
			c = bpf_map_lookup_elem(&sl_clients_s, &s->key);
		}
		reason = SL_R_PASSED;	/* no room: admitted, as sl_clients does */
		switch (c ? meter_run(t, c, p, clock_now(t), &s->refuser) :
			    METER_ADMITTED) {
		case METER_UNMETERED:
			reason = SL_R_UNMETERED;
			break;
		case METER_REFUSED:
			reason = roll_shadow_reason(p,
				&t->meters[s->refuser & (SL_METERS_PER_TIER - 1)]);
			break;
		default:
			break;
		}
	}
	roll_count(tier, reason, p->len);
	return 0;
}

static __always_inline const struct sl_roll *roll_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sl_roll, &zero);
}

/* At the exit, with a rollout on: a canary packet counts in
 * sl_counters_c too.  A global function, verified once, not once for
 * every state that reaches the exit; it asks roll_canary() again rather
 * than have a value carried through the meters. */
__noinline int roll_count_canary(const struct sl_pkt *p, __u32 tier,
				 __u32 reason, __u32 bytes)
{
	const struct sl_roll *r = roll_get();

	if (r && p && roll_canary(r, p))
		roll_count(tier, reason, bytes);
	return 0;
}

/* Called only when a rollout is on (SL_GEN_ROLL): which policy decides
 * the packet, into *rs.  In a shadow phase it runs the shadow and the
 * control decides. */
static __always_inline void roll_cohort(const struct sl_global *g,
					const struct sl_pkt *p,
					struct roll_sel *rs)
{
	const struct sl_roll *r = roll_get();

	if (!r)
		return;
	if (r->state == SL_ROLL_SHADOW) {
		roll_shadow(g, r, p);
		return;
	}
	rs->canary = roll_canary(r, p);
	rs->mask = -rs->canary;
	rs->gen = r->gen;
	rs->dflt = r->default_tier;
}

#endif /* SLUICE_ROLLOUT_BPF_H */
