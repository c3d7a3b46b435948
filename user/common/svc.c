// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>
#include <string.h>

#include "common/svc.h"

void svc_lat_bounds(double out[SL_SVC_LAT_BOUNDS])
{
	static const __u32 us[SL_SVC_LAT_BOUNDS] = SL_SVC_LAT_BOUNDS_US;

	for (int i = 0; i < SL_SVC_LAT_BOUNDS; i++)
		out[i] = us[i] / 1e6;
}

bool svc_due(const struct sl_conn *c, const __u64 timeout_ns[SL_MAX_SERVICES],
	     __u64 now_ns)
{
	__u64 t;

	if (c->pending != 1 || c->service >= SL_MAX_SERVICES)
		return false;
	t = timeout_ns[c->service];
	/* A start after now (another clock's reading) is not old. */
	return t && now_ns > c->start_ns && now_ns - c->start_ns > t;
}

size_t svc_sweep_pick(const struct sl_conn_key *keys,
		      const struct sl_conn *vals, size_t n,
		      const __u64 timeout_ns[SL_MAX_SERVICES], __u64 now_ns,
		      struct sl_svc_sweep *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		if (!svc_due(&vals[i], timeout_ns, now_ns))
			continue;
		memset(&out[k], 0, sizeof(out[k]));
		out[k].key = keys[i];
		out[k].start_ns = vals[i].start_ns;
		k++;
	}
	return k;
}

__u64 svc_increase(__u64 before, __u64 after)
{
	return after >= before ? after - before : after;
}

double svc_rate(__u64 before, __u64 after, __u64 dt_ns)
{
	return dt_ns ? (double)svc_increase(before, after) * 1e9 / dt_ns : 0;
}

double svc_quantile(double q, const double *bounds, const __u64 *counts,
		    size_t n)
{
	double rank, total = 0, below = 0, start, end;
	size_t i;

	if (n < 2)
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	for (i = 0; i < n; i++)
		total += counts[i];
	if (total == 0)
		return NAN;
	rank = q * total;
	/* The first finite bucket whose cumulative count reaches the rank
	 * (Prometheus searches all but +Inf). */
	for (i = 0; i + 1 < n; i++) {
		if (below + counts[i] >= rank)
			break;
		below += counts[i];
	}
	if (i + 1 == n)
		return bounds[n - 2];
	if (i == 0 && bounds[0] <= 0)
		return bounds[0];
	start = i ? bounds[i - 1] : 0;
	end = bounds[i];
	/* 0/0 (q = 0 on an empty first bucket) is NaN there too */
	return start + (end - start) * ((rank - below) / counts[i]);
}

void svc_window_push(struct svc_window *w, __u64 now_ns,
		     const struct sl_svc_stats *s)
{
	w->t_ns[w->head] = now_ns;
	w->s[w->head] = *s;
	w->head = (w->head + 1) % SVC_WINDOW_SLOTS;
	if (w->n < SVC_WINDOW_SLOTS)
		w->n++;
}

void svc_window_rates(const struct svc_window *w, struct svc_rates *r)
{
	unsigned int newest = (w->head + SVC_WINDOW_SLOTS - 1) % SVC_WINDOW_SLOTS;
	unsigned int oldest = (w->head + SVC_WINDOW_SLOTS - w->n) % SVC_WINDOW_SLOTS;
	const struct sl_svc_stats *a = &w->s[oldest], *b = &w->s[newest];
	__u64 dt, lat[SL_SVC_LAT_BOUNDS + 1], fail, outcomes;
	double bounds[SL_SVC_LAT_BOUNDS];

	memset(r, 0, sizeof(*r));
	r->p50_s = r->p90_s = r->p99_s = NAN;
	if (w->n < 2 || w->t_ns[newest] <= w->t_ns[oldest])
		return;
	dt = w->t_ns[newest] - w->t_ns[oldest];
	r->span_s = dt / 1e9;
	r->requests = svc_rate(a->requests, b->requests, dt);
	for (int c = 0; c < SL_SVC_CODES; c++)
		r->codes[c] = svc_rate(a->responses[c], b->responses[c], dt);
	/* Classes add up to every response; the codes are counted twice. */
	for (int c = SL_SVC_CODE_OTHER; c <= SL_SVC_CODE_5XX; c++)
		r->responses += r->codes[c];
	r->slow = svc_rate(a->slow, b->slow, dt);
	r->no_response = svc_rate(a->no_response, b->no_response, dt);
	r->timeouts = svc_rate(a->timeouts, b->timeouts, dt);
	fail = svc_increase(a->responses[SL_SVC_CODE_5XX],
			    b->responses[SL_SVC_CODE_5XX]) +
	       svc_increase(a->no_response, b->no_response) +
	       svc_increase(a->timeouts, b->timeouts);
	/* Every final response has a latency; interim 1xx are no outcome. */
	outcomes = svc_increase(a->lat_count, b->lat_count) +
		   svc_increase(a->no_response, b->no_response) +
		   svc_increase(a->timeouts, b->timeouts);
	r->error_ratio = outcomes ? (double)fail / outcomes : 0;
	if (svc_increase(a->lat_count, b->lat_count))
		r->slow_ratio = (double)svc_increase(a->slow, b->slow) /
				svc_increase(a->lat_count, b->lat_count);
	for (int i = 0; i <= SL_SVC_LAT_BOUNDS; i++)
		lat[i] = svc_increase(a->lat[i], b->lat[i]);
	svc_lat_bounds(bounds);
	r->p50_s = svc_quantile(0.5, bounds, lat, SL_SVC_LAT_BOUNDS + 1);
	r->p90_s = svc_quantile(0.9, bounds, lat, SL_SVC_LAT_BOUNDS + 1);
	r->p99_s = svc_quantile(0.99, bounds, lat, SL_SVC_LAT_BOUNDS + 1);
}
