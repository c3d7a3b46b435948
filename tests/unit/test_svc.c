// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * common/svc.c: the timeout sweep's decisions against a fake clock,
 * rates with counter resets, histogram_quantile's interpolation (the
 * expected values are what Prometheus computes for the same buckets),
 * and the 10 s window.
 */
#include <math.h>
#include <string.h>

#include "test.h"
#include "common/svc.h"
#include "sluice_abi.h"

#define S	1000000000ULL

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

#define ASSERT_NEAR(got, want, what)					\
	({								\
		bool ___ok = near((got), (want));			\
		if (!___ok)						\
			TEST_FAILF("%s: expected %.9g, got %.9g", what,	\
				   (double)(want), (double)(got));	\
		___ok;							\
	})

static void test_due(void)
{
	__u64 t[SL_MAX_SERVICES] = { [1] = 30 * S, [2] = 0, [5] = S };
	__u64 now = 1000 * S;	/* the fake clock */
	static const struct {
		const char *what;
		struct sl_conn c;
		bool due;
	} c[] = {
		{ "31 s old, timeout 30 s", { .start_ns = 969 * S, .service = 1, .pending = 1 }, true },
		{ "exactly 30 s: not past it", { .start_ns = 970 * S, .service = 1, .pending = 1 }, false },
		{ "29 s old", { .start_ns = 971 * S, .service = 1, .pending = 1 }, false },
		{ "answered", { .start_ns = 1, .service = 1, .pending = 0 }, false },
		{ "no timeout", { .start_ns = 1, .service = 2, .pending = 1 }, false },
		{ "unknown service", { .start_ns = 1, .service = 9, .pending = 1 }, false },
		{ "id past the table", { .start_ns = 1, .service = 200, .pending = 1 }, false },
		{ "start after now", { .start_ns = 1001 * S, .service = 5, .pending = 1 }, false },
		{ "1 s + 1 ns", { .start_ns = 999 * S - 1, .service = 5, .pending = 1 }, true },
		{ "pending holds 2", { .start_ns = 1, .service = 5, .pending = 2 }, false },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ASSERT_EQ(svc_due(&c[i].c, t, now), c[i].due, c[i].what);
}

static void test_pick(void)
{
	__u64 t[SL_MAX_SERVICES] = { [0] = 10 * S };
	struct sl_conn_key k[6] = {};
	struct sl_conn v[6] = {};
	struct sl_svc_sweep out[6];
	__u64 now = 100 * S;

	for (int i = 0; i < 6; i++) {
		k[i].family = SL_AF_INET;
		k[i].client_port = 1000 + i;
		v[i].pending = 1;
		/* 0, 2, 4 are 20 s old; 1, 3, 5 are 5 s old */
		v[i].start_ns = now - (i % 2 ? 5 : 20) * S;
	}
	ASSERT_EQ(svc_sweep_pick(k, v, 6, t, now, out, 6), 3, "three due");
	ASSERT_EQ(out[1].key.client_port, 1002, "in table order");
	ASSERT_EQ(out[2].start_ns, v[4].start_ns, "with the start seen");
	ASSERT_EQ(out[0].timed_out, 0, "out field cleared");
	ASSERT_EQ(svc_sweep_pick(k, v, 6, t, now, out, 2), 2, "bounded");
	ASSERT_EQ(svc_sweep_pick(k, v, 6, t, now + 6 * S, out, 6), 6,
		  "six seconds on: all");
	ASSERT_EQ(svc_sweep_pick(k, v, 0, t, now, out, 6), 0, "none");
}

static void test_rate(void)
{
	ASSERT_NEAR(svc_rate(100, 150, 10 * S), 5.0, "50 in 10 s");
	ASSERT_NEAR(svc_rate(100, 100, S), 0.0, "none");
	ASSERT_NEAR(svc_rate(100, 30, 10 * S), 3.0, "after a reset: 30 in 10 s");
	ASSERT_NEAR(svc_rate(1, 2, 0), 0.0, "no time: 0, not inf");
	ASSERT_EQ(svc_increase(7, 3), 3, "reset");
}

static void test_quantile(void)
{
	/* bounds 0.1, 0.5, 1, +Inf */
	const double b[] = { 0.1, 0.5, 1 };
	const __u64 c1[] = { 10, 10, 0, 0 };	/* cumulative 10 20 20 20 */
	const __u64 c2[] = { 0, 0, 0, 5 };	/* all in +Inf */
	const __u64 c3[] = { 0, 4, 0, 0 };
	const __u64 c4[] = { 1, 0, 0, 99 };
	const __u64 none[] = { 0, 0, 0, 0 };
	double bounds[SL_SVC_LAT_BOUNDS];
	__u64 lat[SL_SVC_LAT_BOUNDS + 1] = {};

	/* rank 10 of 20: the first bucket's top */
	ASSERT_NEAR(svc_quantile(0.5, b, c1, 4), 0.1, "p50 at a boundary");
	/* rank 5: half of the first bucket, from 0 */
	ASSERT_NEAR(svc_quantile(0.25, b, c1, 4), 0.05, "p25 from 0");
	/* rank 18: 8 of 10 into (0.1, 0.5] */
	ASSERT_NEAR(svc_quantile(0.9, b, c1, 4), 0.1 + 0.4 * 0.8, "p90");
	ASSERT_NEAR(svc_quantile(1, b, c1, 4), 0.5, "p100: the top of the last used bucket");
	ASSERT_NEAR(svc_quantile(0.99, b, c2, 4), 1, "in +Inf: the last bound");
	ASSERT_NEAR(svc_quantile(0.5, b, c3, 4), 0.1 + 0.4 * 0.5, "p50 in the second");
	/* Prometheus: rank 0 stops at the empty first bucket, 0/0 */
	ASSERT_TRUE(isnan(svc_quantile(0, b, c3, 4)), "p0, empty first bucket: NaN");
	ASSERT_NEAR(svc_quantile(0.005, b, c4, 4), 0.05, "p0.5 of 100");
	ASSERT_NEAR(svc_quantile(0.5, b, c4, 4), 1, "p50 in +Inf");
	ASSERT_TRUE(isnan(svc_quantile(0.5, b, none, 4)), "no observations: NaN");
	ASSERT_TRUE(isinf(svc_quantile(-0.1, b, c1, 4)) &&
		    svc_quantile(-0.1, b, c1, 4) < 0, "q < 0: -Inf");
	ASSERT_TRUE(isinf(svc_quantile(1.1, b, c1, 4)), "q > 1: +Inf");

	/* The real bounds: 100 responses of 200 ms fall in (150, 250] ms. */
	svc_lat_bounds(bounds);
	ASSERT_NEAR(bounds[0], 0.001, "first bound 1 ms");
	ASSERT_NEAR(bounds[SL_SVC_LAT_BOUNDS - 1], 30, "last bound 30 s");
	lat[9] = 100;
	ASSERT_NEAR(svc_quantile(0.5, bounds, lat, SL_SVC_LAT_BOUNDS + 1), 0.2,
		    "p50 of 200 ms responses: the middle of (150, 250] ms");
	ASSERT_NEAR(svc_quantile(0.99, bounds, lat, SL_SVC_LAT_BOUNDS + 1),
		    0.15 + 0.1 * 0.99, "p99");
}

static void test_window(void)
{
	struct svc_window w;
	struct sl_svc_stats s = {};
	struct svc_rates r;
	__u64 t = 500 * S;

	memset(&w, 0, sizeof(w));
	svc_window_rates(&w, &r);
	ASSERT_NEAR(r.span_s, 0, "empty: no span");
	ASSERT_TRUE(isnan(r.p99_s), "empty: no p99");
	/* 12 readings a second apart, 10 requests and 10 responses a
	 * second (8 2xx, 2 503), one slow, 100 ms each: the window keeps
	 * the last 11, a 10 s span. */
	for (int i = 0; i < 12; i++) {
		svc_window_push(&w, t + i * S, &s);
		s.requests += 10;
		s.responses[SL_SVC_CODE_2XX] += 8;
		s.responses[SL_SVC_CODE_5XX] += 2;
		s.responses[SL_SVC_CODE_503] += 2;
		s.lat[7] += 10;		/* (75, 100] ms */
		s.lat_count += 10;
		s.slow += 1;
	}
	svc_window_rates(&w, &r);
	ASSERT_NEAR(r.span_s, 10, "span 10 s");
	ASSERT_NEAR(r.requests, 10, "requests/s");
	ASSERT_NEAR(r.responses, 10, "responses/s (codes not counted twice)");
	ASSERT_NEAR(r.codes[SL_SVC_CODE_503], 2, "503/s");
	ASSERT_NEAR(r.error_ratio, 0.2, "error ratio");
	ASSERT_NEAR(r.slow_ratio, 0.1, "slow ratio");
	ASSERT_NEAR(r.p50_s, 0.0875, "p50 in (75, 100] ms");
	ASSERT_NEAR(r.p99_s, 0.075 + 0.025 * 0.99, "p99");
}

/* One service on two interfaces sampled apart: rates add, quantiles
 * and ratios come from the summed counts; an empty window adds nothing. */
static void test_windows(void)
{
	struct svc_window a, b, e;
	const struct svc_window *ws[3] = { &a, &b, &e };
	struct sl_svc_stats s = {}, u = {};
	struct svc_rates r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&e, 0, sizeof(e));
	for (int i = 0; i < 6; i++) {
		svc_window_push(&a, 100 * S + i * S, &s);
		svc_window_push(&b, 100 * S + i * S + S / 2, &u);
		/* a: 4 2xx a second at (150, 250] ms; b: 1 500 a second at
		 * (1, 1.5] s, slow */
		s.requests += 4;
		s.responses[SL_SVC_CODE_2XX] += 4;
		s.lat[9] += 4;
		s.lat_count += 4;
		u.requests += 1;
		u.responses[SL_SVC_CODE_5XX] += 1;
		u.responses[SL_SVC_CODE_500] += 1;
		u.lat[14] += 1;
		u.lat_count += 1;
		u.slow += 1;
	}
	svc_windows_rates(ws, 3, &r);
	ASSERT_NEAR(r.span_s, 5, "span: 5 s");
	ASSERT_NEAR(r.requests, 5, "requests/s added");
	ASSERT_NEAR(r.codes[SL_SVC_CODE_2XX], 4, "2xx/s");
	ASSERT_NEAR(r.codes[SL_SVC_CODE_500], 1, "500/s");
	ASSERT_NEAR(r.responses, 5, "responses/s");
	ASSERT_NEAR(r.error_ratio, 0.2, "error ratio of the sums");
	ASSERT_NEAR(r.slow_ratio, 0.2, "slow ratio of the sums");
	/* 20 in (150, 250] ms then 5 in (1, 1.5] s: rank 12.5 of 25 */
	ASSERT_NEAR(r.p50_s, 0.15 + 0.1 * 12.5 / 20, "p50 of the summed histogram");
	ASSERT_NEAR(r.p90_s, 1 + 0.5 * 2.5 / 5, "p90 in the slow bucket");
	svc_windows_rates(ws + 2, 1, &r);
	ASSERT_TRUE(isnan(r.p50_s) && r.span_s == 0, "an empty window alone: nothing");
}

TEST_MAIN("unit/svc", TEST(test_due), TEST(test_pick), TEST(test_rate),
	  TEST(test_quantile), TEST(test_window), TEST(test_windows));
