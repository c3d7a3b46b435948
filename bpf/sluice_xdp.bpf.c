// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluice XDP limiter: per-client GCRA meters by tier, on every packet.
 *
 *   parse -> tier (LPM on source) -> tier verdict -> client meters -> action
 *
 * with two shortcuts for floods (lib/flood.bpf.h): a source that a packets
 * meter refused a moment ago is refused again straight after parsing, and
 * a tier with a flood guard skips the client table for sources it has
 * never held.
 *
 * Everything an operator changes at runtime lives in maps (sl_global,
 * sl_tiers, sl_pfx_v4/v6), so a config change never reloads the program.
 */
#include "lib/common.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/parse.bpf.h"
#include "lib/meter.bpf.h"
#include "lib/reply.bpf.h"
#include "lib/flood.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline __u32 classify(const struct sl_pkt *p, __u32 dflt)
{
	struct sl_pfx_val *v;

	if (p->family == SL_AF_INET) {
		struct sl_pfx_v4 k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, p->src, 4);
		v = bpf_map_lookup_elem(&sl_pfx_v4, &k);
	} else {
		struct sl_pfx_v6 k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, p->src, 16);
		v = bpf_map_lookup_elem(&sl_pfx_v6, &k);
	}
	return v ? v->tier : dflt;
}

/* Network-order mask of the first `bits` bits of a 32-bit word. */
static __always_inline __u32 mask_word(int bits)
{
	if (bits >= 32)
		return 0xffffffff;
	if (bits <= 0)
		return 0;
	return bpf_htonl(~0U << (32 - bits));
}

static __always_inline void client_key(struct sl_client_key *k,
				       const struct sl_pkt *p,
				       const struct sl_tier *t, __u32 tier)
{
	k->family = p->family;
	k->tier = tier;
	if (p->family == SL_AF_INET) {
		k->addr[0] = p->src[0] & mask_word(t->v4_prefix);
		return;
	}
#pragma unroll
	for (int i = 0; i < 4; i++)
		k->addr[i] = p->src[i] & mask_word(t->v6_prefix - 32 * i);
}

static __always_inline __u64 clock_now(const struct sl_tier *t)
{
	if (t->flags & SL_TIER_F_COARSE_CLOCK)
		return bpf_ktime_get_coarse_ns();
	return bpf_ktime_get_ns();
}

/* A source with no client entry: create one, unless the tier's flood
 * guard says new entries arrive too fast.  Then the packet is metered by
 * the tier's shared aggregate bucket, and only creates an entry if that
 * admits it.  Returns what meter_run returns, or METER_FLOOD. */
static __always_inline int client_new(const struct sl_tier *t, __u32 tier,
				      struct sl_client_key *key,
				      const struct sl_pkt *p, __u64 now)
{
	struct sl_client fresh = {};
	struct sl_client *c;
	struct sl_flood *f;

	if (t->flags & SL_TIER_F_FLOOD_GUARD) {
		const struct sl_meter *nm = &t->new_clients;
		__u64 inc, old, want;

		f = bpf_map_lookup_elem(&sl_flood, &tier);
		if (!f)
			return METER_ADMITTED;
		inc = gcra_cost_ns(nm, 1);
		old = READ_ONCE_U64(f->new_tat);
		if (!gcra_admit(old, now, inc, nm->tolerance_ns, &want)) {
			int r = meter_run(t, &f->agg, p, now);

			if (r >= 0)
				return METER_FLOOD;
		} else {
			/* One try: losing this race only admits one extra entry. */
			__sync_val_compare_and_swap(&f->new_tat, old, want);
		}
	}

	/* Insert a full bucket, then meter through the map like any known
	 * client (the other CPU may have inserted it first: BPF_NOEXIST). */
	known_set(key);
	if (bpf_map_update_elem(&sl_clients, key, &fresh, BPF_NOEXIST) == 0)
		event_count(SL_EV_CLIENT_NEW);
	c = bpf_map_lookup_elem(&sl_clients, key);
	if (!c) {
		event_count(SL_EV_CLIENT_FULL);
		return METER_ADMITTED;
	}
	return meter_run(t, c, p, now);
}

SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	struct sl_client_key key = {};
	struct sl_pkt pkt = {};
	const struct sl_global *g;
	const struct sl_tier *t;
	struct sl_client *c;
	__u32 zero = 0, tier, slot, arrived;
	int shadow, r;
	__u8 action;
	__u64 now;

	g = bpf_map_lookup_elem(&sl_global, &zero);
	if (!g)
		return XDP_PASS;
	shadow = g->mode == SL_MODE_SHADOW;

	r = parse_packet(ctx, &pkt);
	if (r == PARSE_NON_IP) {
		stats_count(SL_TIER_NONE, SL_R_NON_IP, pkt.len);
		return XDP_PASS;
	}
	if (r != PARSE_OK) {
		stats_count(SL_TIER_NONE, SL_R_MALFORMED, pkt.len);
		return g->malformed == SL_POLICY_DROP && !shadow ?
		       XDP_DROP : XDP_PASS;
	}

	/* Refused a moment ago: refused again, before any lookup. */
	if (pkt.family == SL_AF_INET) {
		struct refused_slot *rs = refused_find(pkt.src[0]);

		if (rs) {
			tier = rs->tier & (SL_MAX_TIERS - 1);
			slot = sl_tier_slot(g->tier_gen, tier);
			r = rs->meter & (SL_METERS_PER_TIER - 1);
			t = bpf_map_lookup_elem(&sl_tiers, &slot);
			if (t && rs->stamp == refused_stamp(g, t, r) &&
			    (__s64)(rs->until - clock_now(t)) > 0)
				goto refused;
		}
	}

	tier = classify(&pkt, g->default_tier);
	if (tier >= SL_MAX_TIERS)
		tier = g->default_tier;
	slot = sl_tier_slot(g->tier_gen, tier & (SL_MAX_TIERS - 1));
	t = bpf_map_lookup_elem(&sl_tiers, &slot);
	if (!t || tier >= SL_MAX_TIERS) {
		stats_count(SL_TIER_NONE, SL_R_UNMETERED, pkt.len);
		return XDP_PASS;
	}

	if (t->verdict == SL_TIER_PASS) {
		stats_count(tier, SL_R_ALLOWLISTED, pkt.len);
		return XDP_PASS;
	}
	if (t->verdict == SL_TIER_DROP) {
		stats_count(tier, SL_R_DENYLISTED, pkt.len);
		return shadow ? XDP_PASS : XDP_DROP;
	}

	client_key(&key, &pkt, t, tier);
	now = clock_now(t);
	c = NULL;
	if (!(t->flags & SL_TIER_F_FLOOD_GUARD) || known_test(&key))
		c = bpf_map_lookup_elem(&sl_clients, &key);
	if (c) {
		r = meter_run(t, c, &pkt, now);
		if (r >= 0)
			refused_note(g, &pkt, t, tier, c, r, now);
	} else {
		r = client_new(t, tier, &key, &pkt, now);
	}

	if (r == METER_ADMITTED || r == METER_UNMETERED) {
		stats_count(tier, r == METER_ADMITTED ? SL_R_PASSED :
			    SL_R_UNMETERED, pkt.len);
		return XDP_PASS;
	}
	if (r == METER_FLOOD) {
		stats_count(tier, shadow ? SL_R_SHADOW_DROP : SL_R_FLOOD_DROP,
			    pkt.len);
		return shadow ? XDP_PASS : XDP_DROP;
	}

refused:
	action = t->meters[r & (SL_METERS_PER_TIER - 1)].action;
	if (action != SL_ACT_DROP && pkt.l4proto == IPPROTO_TCP &&
	    !(pkt.tcp_flags & TCPF_RST)) {
		if (shadow) {
			stats_count(tier, SL_R_SHADOW_RESET, pkt.len);
			return XDP_PASS;
		}
		arrived = pkt.len;	/* count what arrived, not the reply */
		if (reply_tcp_rst(ctx, &pkt) == 0) {
			stats_count(tier, SL_R_RESET, arrived);
			return XDP_TX;
		}
		event_count(SL_EV_RESET_FAIL);
		stats_count(tier, SL_R_DROPPED, arrived);
		return XDP_DROP;
	}
	stats_count(tier, shadow ? SL_R_SHADOW_DROP : SL_R_DROPPED, pkt.len);
	return shadow ? XDP_PASS : XDP_DROP;
}
