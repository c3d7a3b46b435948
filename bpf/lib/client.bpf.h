/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A packet's client: find its entry in sl_clients and run the tier's
 * meters over it, or create the entry, under the tier's flood guard
 * when it has one.
 */
#ifndef SLUICE_CLIENT_BPF_H
#define SLUICE_CLIENT_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_gcra.h"
#include "common.bpf.h"
#include "edge_conn.bpf.h"
#include "flood.bpf.h"
#include "global.bpf.h"
#include "maps.bpf.h"
#include "meter.bpf.h"
#include "parse.bpf.h"

/* How long meter `r` goes on refusing client `c`: until its TAT less
 * the tolerance plus one unit (an edge reply's Retry-After). */
static __always_inline __s64 client_wait(const struct sl_tier *t,
					 struct sl_client *c, __u32 r,
					 __u64 now)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];

	return READ_ONCE_U64(c->tat[r & (SL_METERS_PER_TIER - 1)]) -
	       m->tolerance_ns + gcra_cost_ns(m, 1) - now;
}

/* A source with no client entry: create one, unless the tier's flood
 * guard says new entries arrive too fast.  Then the packet is metered by
 * the tier's shared aggregate bucket, and only creates an entry if that
 * admits it (METER_FLOOD if not). */
static __always_inline enum meter_result
client_new(const struct sl_tier *t, __u32 tier, struct sl_client_key *key,
	   const struct sl_pkt *p, __u64 now, __u32 *refuser, __s64 *wait_ns)
{
	enum meter_result r;
	struct sl_client fresh = {};
	struct sl_client *c;
	struct sl_flood *f;

	/* A packet no meter counts needs no bucket (a full one admits it
	 * all the same): a spoofed flood of them, UDP or SYNs on a
	 * requests-only tier, must not fill the table, guard or not. */
	if (!meter_counts(t, p))
		return METER_UNMETERED;
	if (t->flags & SL_TIER_F_FLOOD_GUARD) {
		const struct sl_meter *nm = &t->new_clients;
		__u64 inc, old, want;

		f = bpf_map_lookup_elem(&sl_flood, &tier);
		if (!f)
			return METER_ADMITTED;
		inc = gcra_cost_ns(nm, 1);
		old = READ_ONCE_U64(f->new_tat);
		if (!gcra_admit(old, now, inc, nm->tolerance_ns, &want)) {
			if (meter_run(t, &f->agg, p, now, refuser) ==
			    METER_REFUSED)
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
	r = glob_meter(t, c, key, p, now, refuser, wait_ns);
	if (r == METER_GLOBAL)
		return METER_REFUSED;
	if (r == METER_REFUSED)
		*wait_ns = client_wait(t, c, *refuser, now);
	return r;
}

/* Meter the packet as client `key` of tier `t` (id `tier`).  A known
 * client that a meter refuses goes into the refusal cache; *wait_ns
 * says for how long the refusing meter refuses. */
static __always_inline enum meter_result
client_meter(struct xdp_md *ctx, const struct sl_global *g,
	     const struct sl_tier *t, __u32 tier, struct sl_client_key *key,
	     const struct sl_pkt *p, __u64 now, __u32 *refuser,
	     __s64 *wait_ns, struct edge_conn *ec)
{
	struct sl_client *c = NULL;
	enum meter_result r;
	int edge;

	/* With a flood guard, a source the known filter never saw has no
	 * entry: skip the lookup, the guard decides. */
	if (!(t->flags & SL_TIER_F_FLOOD_GUARD) || known_test(key))
		c = bpf_map_lookup_elem(&sl_clients, key);
	if (!c)
		return client_new(t, tier, key, p, now, refuser, wait_ns);
	/* A segment of a connection the edge answers takes no token; a SYN
	 * is metered first (lib/edge_conn.bpf.h). */
	edge = edge_conn_tier(g, t, p);
	ec->now = now;
	if (edge && !(p->tcp_flags & TCPF_SYN) && edge_conn_near(t, c, now) &&
	    edge_conn_seg(ctx, t, c, p, ec))
		return METER_EDGE;
	r = glob_meter(t, c, key, p, now, refuser, wait_ns);
	/* The grant's refusal holds till the next sync at most: never
	 * cached (lib/global.bpf.h). */
	if (r == METER_GLOBAL)
		return METER_REFUSED;
	if (edge && r != METER_REFUSED && (p->tcp_flags & TCPF_SYN) &&
	    edge_conn_syn(ctx, t, c, p, ec))
		return METER_EDGE;
	if (r == METER_REFUSED) {
		/* One wait for the edge reply and the refusal cache. */
		*wait_ns = client_wait(t, c, *refuser, now);
		/* A cached refusal skips the meters, and with them a global
		 * meter's demand: its own refusals stay uncached. */
		if (!(t->flags & SL_TIER_F_GLOBAL) ||
		    *refuser != SL_TIER_GLOBAL_METER(t->flags))
			refused_note(g, p, t, tier, *refuser, *wait_ns, now);
	}
	return r;
}

#endif /* SLUICE_CLIENT_BPF_H */
