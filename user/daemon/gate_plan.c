// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The pure half of the breakers and degrade in sluiced (gate_plan.h). */
#include <math.h>
#include <string.h>

#include "daemon/gate_plan.h"
#include "common/gcra.h"

/* Factors under this count as this: a rate must stay representable. */
#define GATE_FACTOR_MIN		0.001

void gate_plan_want(const struct breaker *b, bool shed, __u64 shed_until_ns,
		    __u64 now_ns, struct gate_want *w)
{
	memset(w, 0, sizeof(*w));
	w->shed = shed;
	w->shed_until_ns = shed_until_ns ? shed_until_ns :
			   now_ns + GATE_SOFT_AHEAD_NS;
	if (!b)
		return;
	switch (breaker_state(b)) {
	case BREAKER_OPEN:
		w->state = SL_GATE_OPEN;
		w->until_ns = breaker_open_until(b);
		if (!w->until_ns) {	/* forced open, no expiry */
			w->until_ns = now_ns + b->cfg.open_ns;
			w->until_soft = true;
		}
		break;
	case BREAKER_HALF_OPEN:
		w->state = SL_GATE_HALF_OPEN;
		w->probes = breaker_probe_budget(b);
		w->half_since_ns = b->since_ns;
		/* Past the budget: ask again about when the probes decide
		 * (refreshed about once a second, not every tick). */
		w->until_ns = now_ns + 2 * GATE_SOFT_NS;
		w->until_soft = true;
		break;
	default:
		w->state = SL_GATE_CLOSED;
		break;
	}
	/* Forced: the data path must not trip it on its own. */
	if (!b->force) {
		w->trip_after = b->cfg.consecutive_failures;
		w->trip_open_ns = breaker_next_open(b);
	}
}

static bool soft_ok(__u64 have, __u64 now_ns)
{
	return have >= now_ns + GATE_SOFT_NS;
}

bool gate_plan_merge(const struct sl_svc_gate *cur, const struct gate_want *w,
		     __u64 now_ns, __u64 *half_since, struct sl_svc_gate *out)
{
	*out = *cur;
	out->state = w->state;
	out->shed = w->shed;
	out->trip_after = w->trip_after;
	out->trip_open_ns = w->trip_open_ns;
	if (w->state == SL_GATE_CLOSED) {
		out->until_ns = 0;
		out->probes = 0;
	} else if (!w->until_soft || cur->state != w->state ||
		   !soft_ok(cur->until_ns, now_ns)) {
		out->until_ns = w->until_ns;
	}
	if (w->state == SL_GATE_HALF_OPEN &&
	    (cur->state != SL_GATE_HALF_OPEN || *half_since != w->half_since_ns)) {
		out->probes = (__s32)w->probes;
		*half_since = w->half_since_ns;
	}
	if (!w->shed)
		out->shed_until_ns = 0;
	else if (!cur->shed || !soft_ok(cur->shed_until_ns, now_ns))
		out->shed_until_ns = w->shed_until_ns;
	return memcmp(cur, out, sizeof(*out)) != 0;
}

__u32 gate_plan_share(__u32 budget, int nth, int count)
{
	if (count <= 1)
		return budget;
	return budget / count + ((__u32)nth < budget % count);
}

bool gate_plan_tripped(const struct sl_svc_gate *g, __u32 seen_trips,
		       __u64 *tripped_ns)
{
	if (g->trips == seen_trips)
		return false;
	*tripped_ns = g->tripped_ns;
	return true;
}

bool gate_plan_adopt(struct breaker *b, const struct sl_svc_gate *g,
		     __u64 now_ns)
{
	__u64 until = g->until_ns, next = breaker_next_open(b);

	if (g->state == SL_GATE_CLOSED)
		return false;
	/* Half-open (its probes in flight) or open past its time: open
	 * until now, so the next tick probes afresh. */
	if (g->state != SL_GATE_OPEN || until < now_ns)
		until = now_ns;
	/* breaker_data_trip opens until its time + next_open: the time
	 * that makes it the gate's. */
	breaker_data_trip(b, until > next ? until - next : 0);
	b->open_until_ns = until;
	return breaker_state(b) == BREAKER_OPEN;
}

void gate_plan_add(struct sl_svc_stats *dst, const struct sl_svc_stats *src)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(__u64); i++)
		d[i] += s[i];
}

void gate_plan_signal(const struct svc_window *w, struct degrade_signal *sig)
{
	struct svc_rates r;
	double outcomes;

	svc_window_rates(w, &r);
	outcomes = r.responses - r.codes[SL_SVC_CODE_1XX] + r.no_response +
		   r.timeouts;
	sig->error_rate = r.error_ratio;
	sig->p99_s = r.p99_s;
	sig->requests = r.span_s > 0 && outcomes > 0 ?
			(__u64)llround(outcomes * r.span_s) : 0;
}

static double factor(const struct cfg_tier *t, unsigned int level)
{
	double f = level < DEGRADE_LEVELS ? t->degrade[level] : 1.0;

	return f >= 1 || !(f == f) ? 1.0 : f < GATE_FACTOR_MIN ? GATE_FACTOR_MIN : f;
}

bool gate_plan_factors_same(const struct sl_config *cfg, unsigned int a,
			    unsigned int b)
{
	for (int i = 0; i < cfg->ntiers; i++)
		if (factor(&cfg->tiers[i], a) != factor(&cfg->tiers[i], b))
			return false;
	return true;
}

static void scale_meter(struct cfg_meter *m, double f)
{
	struct sl_meter probe;
	double period = (double)m->period_ns / f;

	if (f >= 1 || period >= 1e18)
		return;
	/* Unrepresentable scaled (a huge byte rate): the rate as is. */
	if (gcra_meter_set(&probe, m->count, (uint64_t)period, m->burst,
			   m->unit, m->action))
		return;
	m->period_ns = (uint64_t)period;
}

void gate_plan_scale(const struct sl_config *cfg, unsigned int level,
		     struct cfg_tier *out)
{
	for (int i = 0; i < cfg->ntiers; i++) {
		double f = factor(&cfg->tiers[i], level);

		out[i] = cfg->tiers[i];
		for (int k = 0; k < out[i].nmeters; k++)
			scale_meter(&out[i].meters[k], f);
	}
}
