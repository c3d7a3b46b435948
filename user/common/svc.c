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

/* What a window's counters grew by from its oldest reading to its
 * newest, word by word (every field of sl_svc_stats is a counter); the
 * span in ns, 0 with fewer than two readings. */
static __u64 window_delta(const struct svc_window *w, struct sl_svc_stats *d)
{
	unsigned int newest = (w->head + SVC_WINDOW_SLOTS - 1) % SVC_WINDOW_SLOTS;
	unsigned int oldest = (w->head + SVC_WINDOW_SLOTS - w->n) % SVC_WINDOW_SLOTS;
	const __u64 *a = (const __u64 *)&w->s[oldest];
	const __u64 *b = (const __u64 *)&w->s[newest];
	__u64 *o = (__u64 *)d;

	memset(d, 0, sizeof(*d));
	if (w->n < 2 || w->t_ns[newest] <= w->t_ns[oldest])
		return 0;
	for (size_t i = 0; i < sizeof(*d) / sizeof(__u64); i++)
		o[i] = svc_increase(a[i], b[i]);
	return w->t_ns[newest] - w->t_ns[oldest];
}

void svc_windows_rates(const struct svc_window *const *w, size_t n,
		       struct svc_rates *r)
{
	__u64 lat[SL_SVC_LAT_BOUNDS + 1] = {}, fail = 0, outcomes = 0;
	__u64 timed = 0, slow = 0;
	double bounds[SL_SVC_LAT_BOUNDS];
	struct sl_svc_stats d;

	memset(r, 0, sizeof(*r));
	r->p50_s = r->p90_s = r->p99_s = NAN;
	for (size_t k = 0; k < n; k++) {
		__u64 dt = window_delta(w[k], &d);
		double s = dt / 1e9;

		if (!dt)
			continue;
		/* Each window its own rate: interfaces sample apart. */
		if (s > r->span_s)
			r->span_s = s;
		r->requests += d.requests / s;
		for (int c = 0; c < SL_SVC_CODES; c++)
			r->codes[c] += d.responses[c] / s;
		/* Classes add up to every response; the codes are counted twice. */
		for (int c = SL_SVC_CODE_OTHER; c <= SL_SVC_CODE_5XX; c++)
			r->responses += d.responses[c] / s;
		r->slow += d.slow / s;
		r->no_response += d.no_response / s;
		r->timeouts += d.timeouts / s;
		fail += d.responses[SL_SVC_CODE_5XX] + d.no_response + d.timeouts;
		/* Every final response has a latency; interim 1xx are no outcome. */
		outcomes += d.lat_count + d.no_response + d.timeouts;
		timed += d.lat_count;
		slow += d.slow;
		for (int i = 0; i <= SL_SVC_LAT_BOUNDS; i++)
			lat[i] += d.lat[i];
	}
	r->error_ratio = outcomes ? (double)fail / outcomes : 0;
	r->slow_ratio = timed ? (double)slow / timed : 0;
	svc_lat_bounds(bounds);
	r->p50_s = svc_quantile(0.5, bounds, lat, SL_SVC_LAT_BOUNDS + 1);
	r->p90_s = svc_quantile(0.9, bounds, lat, SL_SVC_LAT_BOUNDS + 1);
	r->p99_s = svc_quantile(0.99, bounds, lat, SL_SVC_LAT_BOUNDS + 1);
}

void svc_window_rates(const struct svc_window *w, struct svc_rates *r)
{
	svc_windows_rates(&w, 1, r);
}
