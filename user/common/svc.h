/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pure arithmetic over the services' statistics (include/sluice_service.h),
 * no BPF: which pending requests the sweep times out, rates between two
 * readings, and quantiles of the fixed-bucket latency histogram the way
 * Prometheus' histogram_quantile computes them, so `sluicectl services`
 * and a dashboard agree.
 */
#ifndef SLUICE_SVC_H
#define SLUICE_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sluice_service.h"

/* The histogram's upper bounds in seconds (SL_SVC_LAT_BOUNDS_US), the
 * `le` labels of its buckets; the +Inf slot comes after them. */
void svc_lat_bounds(double out[SL_SVC_LAT_BOUNDS]);

/* Is `c` a pending request past its service's timeout at `now_ns`?
 * timeout_ns[id] 0: the service has none (or no longer exists). */
bool svc_due(const struct sl_conn *c, const __u64 timeout_ns[SL_MAX_SERVICES],
	     __u64 now_ns);

/* The due ones among n entries, into out[] (at most `max`, the sweep's
 * bound per tick): their count. */
size_t svc_sweep_pick(const struct sl_conn_key *keys,
		      const struct sl_conn *vals, size_t n,
		      const __u64 timeout_ns[SL_MAX_SERVICES], __u64 now_ns,
		      struct sl_svc_sweep *out, size_t max);

/* Per second between two readings of a counter dt_ns apart; a counter
 * that went down was reset (zeroed for reuse): what it holds now is
 * its increase, as Prometheus' rate() takes it. */
double svc_rate(__u64 before, __u64 after, __u64 dt_ns);
__u64 svc_increase(__u64 before, __u64 after);

/* The q-quantile (0..1) of a histogram of per-bucket counts (not
 * cumulative; n = bounds + 1, the last +Inf) with upper bounds
 * bounds[0..n-2], interpolated linearly inside the bucket like
 * histogram_quantile: NaN with no observations, the last finite bound
 * when the rank falls in +Inf, -Inf/+Inf for q < 0 / q > 1. */
double svc_quantile(double q, const double *bounds, const __u64 *counts,
		    size_t n);

/* Readings of one service's counters (summed over CPUs), one a tick,
 * the last SVC_WINDOW_SLOTS kept: the span from the oldest to the newest
 * is the window rates are taken over (10 s at one reading a second). */
#define SVC_WINDOW_SLOTS	11

struct svc_window {
	__u64 t_ns[SVC_WINDOW_SLOTS];
	struct sl_svc_stats s[SVC_WINDOW_SLOTS];
	unsigned int n, head;	/* readings held; the next slot */
};

void svc_window_push(struct svc_window *w, __u64 now_ns,
		     const struct sl_svc_stats *s);

struct svc_rates {
	double span_s;		/* 0: fewer than two readings, all 0 */
	double requests;	/* per second */
	double responses;	/* per second, every class */
	double codes[SL_SVC_CODES];	/* per second, by enum sl_svc_code */
	double slow, no_response, timeouts;	/* per second */
	double error_ratio;	/* (5xx + no_response + timeouts) / outcomes
				 * (final responses + no_response + timeouts) */
	double slow_ratio;	/* slow / responses with a latency */
	double p50_s, p90_s, p99_s;	/* NaN without a response */
};

/* Rates and quantiles over the window. */
void svc_window_rates(const struct svc_window *w, struct svc_rates *r);

/* The same over n windows together (one service on several
 * interfaces): rates added, ratios and quantiles of the summed counts;
 * span_s the longest span. */
void svc_windows_rates(const struct svc_window *const *w, size_t n,
		       struct svc_rates *r);

#endif /* SLUICE_SVC_H */
