/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-client GCRA meters, updated with compare-and-swap so they stay
 * exact when both CPUs hit one client.  A packet passes only if every
 * applicable meter admits it; only then are tokens taken, so a refused
 * packet writes nothing (the drop path stays read-only and its cache
 * lines stay shared between CPUs).
 */
#ifndef SLUICE_METER_BPF_H
#define SLUICE_METER_BPF_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_gcra.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "proto.bpf.h"

#define METER_CAS_TRIES		8

/* What metering a packet came to.  The refusing meter's index travels
 * apart from this (an out-parameter), never mixed into it. */
enum meter_result {
	METER_ADMITTED = 0,	/* every applicable meter took its tokens */
	METER_UNMETERED,	/* no meter of the tier applies to the packet */
	METER_REFUSED,		/* a meter refused: see *refuser */
	METER_FLOOD,		/* a new source the flood guard refused */
	METER_EDGE,		/* a connection the edge answers itself */
	METER_GLOBAL,		/* a global limit's grant refused: see *refuser
				 * (lib/global.bpf.h; METER_REFUSED past it) */
};

/* Cost of this packet for a meter unit, 0 when the unit does not apply. */
static __always_inline __u64 meter_cost(__u8 unit, const struct sl_pkt *p)
{
	switch (unit) {
	case SL_UNIT_PACKETS:
		return 1;
	case SL_UNIT_BYTES:
		return p->len;
	case SL_UNIT_CONNECTIONS:
		return p->l4proto == IPPROTO_TCP &&
		       (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	case SL_UNIT_REQUESTS:
		return p->is_request;
	}
	return 0;
}

/* Does any meter of the tier count this packet? */
static __always_inline int meter_counts(const struct sl_tier *t,
					const struct sl_pkt *p)
{
#pragma unroll
	for (int i = 0; i < SL_METERS_PER_TIER; i++)
		if (meter_cost(t->meters[i].unit, p))
			return 1;
	return 0;
}

/* Take `inc` from one meter; 1 on success, 0 if it now refuses. */
static __always_inline int meter_take(__u64 *tat, __u64 old, __u64 now,
				      __u64 inc, __u64 tol)
{
	__u64 want, seen;

	if (!gcra_admit(old, now, inc, tol, &want))
		return 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < METER_CAS_TRIES; i++) {
		seen = __sync_val_compare_and_swap(tat, old, want);
		if (seen == old)
			return 1;
		event_count(SL_EV_CAS_RETRY);
		old = seen;
		if (!gcra_admit(old, now, inc, tol, &want))
			return 0;
	}
	return 0;
}

/*
 * Run the tier's meters over one state (a client's, or the tier's flood
 * aggregate).  Returns METER_ADMITTED, METER_UNMETERED when no meter
 * applies to the packet, or METER_REFUSED with the index of the meter
 * that refused in *refuser.
 *
 * A global function: the verifier checks it once, not once per caller
 * and per unrolled path, which keeps the program well inside its limits.
 */
__noinline enum meter_result meter_run(const struct sl_tier *t,
				       struct sl_client *st,
				       const struct sl_pkt *p, __u64 now,
				       __u32 *refuser)
{
	__u64 inc[SL_METERS_PER_TIER] = {};
	__u64 old[SL_METERS_PER_TIER] = {};
	__u64 unused;
	int i, metered = 0;

	if (!t || !st || !p || !refuser)
		return METER_ADMITTED;
	/* Phase 1, read-only: does every applicable meter admit it? */
#pragma unroll
	for (i = 0; i < SL_METERS_PER_TIER; i++) {
		const struct sl_meter *m = &t->meters[i];
		__u64 cost = meter_cost(m->unit, p);

		if (!cost)
			continue;
		metered = 1;
		inc[i] = gcra_cost_ns(m, cost);
		old[i] = READ_ONCE_U64(st->tat[i]);
		if (!gcra_admit(old[i], now, inc[i], m->tolerance_ns, &unused)) {
			*refuser = i;
			return METER_REFUSED;
		}
	}
	if (!metered)
		return METER_UNMETERED;
	/* Phase 2: take the tokens.  A lost race that now refuses gives
	 * back what the earlier meters took. */
#pragma unroll
	for (i = 0; i < SL_METERS_PER_TIER; i++) {
		if (!inc[i])
			continue;
		if (meter_take(&st->tat[i], old[i], now, inc[i],
			       t->meters[i].tolerance_ns))
			continue;
#pragma unroll
		for (int j = 0; j < SL_METERS_PER_TIER; j++)
			if (j < i && inc[j])
				__sync_fetch_and_sub(&st->tat[j], inc[j]);
		*refuser = i;
		return METER_REFUSED;
	}
	return METER_ADMITTED;
}

#endif /* SLUICE_METER_BPF_H */
