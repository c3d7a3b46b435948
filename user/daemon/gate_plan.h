/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pure half of sluiced's breakers and degrade (daemon/gates.h): what
 * a service's sl_svc_gate should say, whether the map must be written,
 * the statistics summed over interfaces, the degrade signal, and the
 * tiers with their rates scaled by a degrade level's factors.  No BPF,
 * no clock: unit-tested on their own.
 */
#ifndef SLUICE_GATE_PLAN_H
#define SLUICE_GATE_PLAN_H

#include <stdbool.h>
#include <linux/types.h>

#include "common/breaker.h"
#include "common/degrade.h"
#include "common/svc.h"
#include "config/config.h"
#include "sluice_gate.h"

/* An until_ns the data path only turns into Retry-After (forced open
 * without an expiry, half_open, shed): kept while at least this far
 * ahead, so the map is not rewritten on every tick. */
#define GATE_SOFT_NS		1000000000ULL
#define GATE_SOFT_AHEAD_NS	(30 * GATE_SOFT_NS)

/* What sluiced wants a gate to say; the data path's own fields (trips,
 * tripped_ns, the probes it took) are not in it. */
struct gate_want {
	__u32 state;		/* enum sl_gate_state */
	__u64 until_ns;
	bool until_soft;	/* any value >= now + GATE_SOFT_NS will do */
	__u32 probes;		/* a new half_open's budget */
	__u64 half_since_ns;	/* which half_open the budget is for */
	__u32 shed;
	__u64 shed_until_ns;	/* soft */
	__u32 trip_after;
	__u64 trip_open_ns;
};

/* b NULL: a service without a breaker (closed, no data-path trip).
 * shed_until_ns 0: now + GATE_SOFT_AHEAD_NS. */
void gate_plan_want(const struct breaker *b, bool shed, __u64 shed_until_ns,
		    __u64 now_ns, struct gate_want *w);

/* Merge `w` into the gate read from the map (cur) as *out; true when it
 * must be written.  *half_since (per interface) remembers the half_open
 * whose probe budget was written, so a budget the data path spends is
 * granted once. */
bool gate_plan_merge(const struct sl_svc_gate *cur, const struct gate_want *w,
		     __u64 now_ns, __u64 *half_since, struct sl_svc_gate *out);

/* A gate the data path tripped since `seen_trips`: its tripped_ns. */
/* The part of a half-open gate's probe budget interface `nth` of
 * `count` gets: the parts add up to the budget exactly. */
__u32 gate_plan_share(__u32 budget, int nth, int count);

bool gate_plan_tripped(const struct sl_svc_gate *g, __u32 seen_trips,
		       __u64 *tripped_ns);

/* Adopt a gate found at start (a restart): an open one stays open until
 * its until_ns.  Returns true when it made b open. */
bool gate_plan_adopt(struct breaker *b, const struct sl_svc_gate *g,
		     __u64 now_ns);

/* dst += src, every counter of sl_svc_stats. */
void gate_plan_add(struct sl_svc_stats *dst, const struct sl_svc_stats *src);

/* The degrade controller's signal from a window of the services' summed
 * statistics. */
void gate_plan_signal(const struct svc_window *w, struct degrade_signal *sig);

/* Are the factors of levels a and b the same for every tier? */
bool gate_plan_factors_same(const struct sl_config *cfg, unsigned int a,
			    unsigned int b);

/* cfg's tiers with their limits' rates times the level's factor into
 * out[cfg->ntiers] (shallow copies: the match lists and replies are
 * cfg's).  A factor of 0 leaves one request a day. */
void gate_plan_scale(const struct sl_config *cfg, unsigned int level,
		     struct cfg_tier *out);

#endif /* SLUICE_GATE_PLAN_H */
