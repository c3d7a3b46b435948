// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluice XDP limiter: per-client GCRA meters by tier, on every packet.
 *
 *   parse -> policy (control, or a rollout's canary) -> tier (LPM on
 *         source) -> tier verdict -> client meters
 *         -> one outcome -> verdict (count, shadow mode, action)
 *
 * A client over an http limit may have its new connections answered by
 * the edge itself (lib/edge_conn.bpf.h).  And
 * two shortcuts for floods (lib/flood.bpf.h): a source that a packets
 * meter refused a moment ago is refused again straight after parsing, and
 * a tier with a flood guard skips the client table for sources it has
 * never held.
 *
 * Everything an operator changes at runtime lives in maps (sl_global,
 * sl_tiers, sl_pfx_v4/v6; a rollout's sl_roll, sl_tiers_c and
 * sl_pfx_v4_c/v6_c), so a config change never reloads the program.
 * This file is the order of the steps; each step lives in lib/.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "lib/classify.bpf.h"
#include "lib/client.bpf.h"
#include "lib/clock.bpf.h"
#include "lib/flood.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/meter.bpf.h"
#include "lib/parse.bpf.h"
#include "lib/pkt_ctx.bpf.h"
#include "lib/rollout.bpf.h"
#include "lib/verdict.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline enum verdict_outcome
refused(struct verdict *v, const struct sl_tier *t, __u32 tier, __u32 meter)
{
	const struct sl_meter *m = &t->meters[meter & (SL_METERS_PER_TIER - 1)];

	v->tier = tier;
	v->meter = meter & (SL_METERS_PER_TIER - 1);
	v->meter_action = m->action;
	v->reply = m->reply;
	return VERDICT_REFUSED;
}

/* What becomes of the packet; v->tier is its counter row. */
static __always_inline enum verdict_outcome
xdp_decide(const struct pkt_ctx *c, const struct sl_global *g,
	   struct sl_pkt *pkt, struct verdict *v)
{
	struct sl_client_key key = {};
	const struct sl_tier *t;
	struct roll_sel rs = {};
	__u32 tier, meter = 0;
	int parsed;

	parsed = parse_packet(c, pkt);
	if (parsed == PARSE_NON_IP)
		return VERDICT_NON_IP;
	if (parsed != PARSE_OK)
		return VERDICT_MALFORMED;

	/* A rollout: which policy decides (lib/rollout.bpf.h). */
	if (g->tier_gen & SL_GEN_ROLL)
		roll_cohort(g, pkt, &rs);

	/* Refused a moment ago: refused again, before any lookup. */
	t = refused_hit(g, pkt, &rs, &tier, &meter, &v->wait_ns);
	if (t)
		return refused(v, t, tier, meter);

	tier = classify_tier(g, pkt, &rs);
	t = tier_lookup(g, tier, &rs);
	if (!t || tier >= SL_MAX_TIERS)
		return VERDICT_NO_TIER;
	v->tier = tier;
	if (t->verdict == SL_TIER_PASS)
		return VERDICT_ALLOWLISTED;
	if (t->verdict == SL_TIER_DROP)
		return VERDICT_DENYLISTED;

	classify_key(&key, pkt, t, tier);
	switch (client_meter(c->ctx, g, t, tier, &key, pkt, clock_now(t),
			     &meter, &v->wait_ns, &v->ec)) {
	case METER_EDGE:
		v->meter = v->ec.meter & (SL_METERS_PER_TIER - 1);
		v->ec.tier = tier;
		return VERDICT_EDGE_CONN;
	case METER_ADMITTED:
		return VERDICT_PASSED;
	case METER_UNMETERED:
		return VERDICT_UNMETERED;
	case METER_FLOOD:
		return VERDICT_FLOOD;
	case METER_REFUSED:
	case METER_GLOBAL:	/* client_meter() made it METER_REFUSED */
		break;
	}
	return refused(v, t, tier, meter);
}

SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	struct pkt_ctx c = pkt_ctx_xdp(ctx);
	struct verdict v = { .tier = SL_TIER_NONE, .meter = SL_TALK_NO_METER };
	struct sl_pkt pkt = {};
	const struct sl_global *g;
	__u32 zero = 0;

	g = bpf_map_lookup_elem(&sl_global, &zero);
	v.outcome = g ? xdp_decide(&c, g, &pkt, &v) : VERDICT_NO_CONFIG;
	return verdict_xdp(&c, g, &pkt, &v);
}
