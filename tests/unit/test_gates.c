// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * daemon/gate_plan.c, the pure half of the breakers and degrade in
 * sluiced: the gate wanted in each breaker state (forced ones too), when
 * the map is written and what the data path's fields keep, a half-open
 * budget granted once, data-path trips, adopting an open gate at start,
 * the summed statistics, and the tiers' rates scaled by a level.
 */
#include <string.h>

#include "test.h"
#include "daemon/gate_plan.h"

#define MS	1000000ULL
#define S	1000000000ULL
#define T0	(1000 * S)

static void brk(struct breaker *b)
{
	struct breaker_cfg c;

	breaker_cfg_default(&c);
	c.jitter = 0;
	breaker_init(b, &c, 1, T0);
}

static void test_want_states(void)
{
	struct breaker b;
	struct gate_want w;

	brk(&b);
	gate_plan_want(&b, false, 0, T0, &w);
	ASSERT_EQ(w.state, SL_GATE_CLOSED, "closed");
	ASSERT_EQ(w.trip_after, 5, "trip_after = consecutive_failures");
	ASSERT_EQ(w.trip_open_ns, 30 * S, "trip_open = the next opening");
	breaker_data_trip(&b, T0);
	gate_plan_want(&b, false, 0, T0, &w);
	ASSERT_EQ(w.state, SL_GATE_OPEN, "open");
	ASSERT_EQ(w.until_ns, T0 + 30 * S, "until = open_until");
	ASSERT_FALSE(w.until_soft, "a breaker's own time is exact");
	ASSERT_EQ(w.trip_open_ns, 60 * S, "the next opening: one backoff step");
	breaker_tick(&b, T0 + 30 * S, NULL);
	gate_plan_want(&b, false, 0, T0 + 30 * S, &w);
	ASSERT_EQ(w.state, SL_GATE_HALF_OPEN, "half_open");
	ASSERT_EQ(w.probes, 3, "the probe budget");
	ASSERT_EQ(w.half_since_ns, T0 + 30 * S, "for this half_open");
	breaker_force(&b, T0 + 31 * S, BREAKER_FORCE_OPEN, 0);
	gate_plan_want(&b, true, 0, T0 + 31 * S, &w);
	ASSERT_EQ(w.state, SL_GATE_OPEN, "forced open");
	ASSERT_TRUE(w.until_soft, "forced without expiry: a soft until");
	ASSERT_EQ(w.trip_after, 0, "forced: no data-path trip");
	ASSERT_EQ(w.shed, 1, "shed");
	ASSERT_EQ(w.shed_until_ns, T0 + 31 * S + GATE_SOFT_AHEAD_NS, "shed until: soft");
	gate_plan_want(NULL, false, 0, T0, &w);
	ASSERT_EQ(w.state, SL_GATE_CLOSED, "no breaker: closed");
	ASSERT_EQ(w.trip_after, 0, "no breaker: no trip");
}

static void test_merge(void)
{
	struct sl_svc_gate cur = { 0 }, out;
	struct gate_want w = { .state = SL_GATE_CLOSED, .trip_after = 5,
			       .trip_open_ns = 30 * S };
	__u64 half = 0;

	ASSERT_TRUE(gate_plan_merge(&cur, &w, T0, &half, &out), "a new trip_after: written");
	cur = out;
	ASSERT_FALSE(gate_plan_merge(&cur, &w, T0 + S, &half, &out), "nothing new: not written");
	/* the data path's fields survive */
	cur.trips = 7;
	cur.tripped_ns = T0;
	w = (struct gate_want){ .state = SL_GATE_HALF_OPEN, .probes = 3,
				.half_since_ns = T0 + 5 * S, .until_ns = T0 + 7 * S,
				.until_soft = true };
	ASSERT_TRUE(gate_plan_merge(&cur, &w, T0 + 5 * S, &half, &out), "half_open: written");
	ASSERT_EQ(out.probes, 3, "the budget granted");
	ASSERT_EQ(out.trips, 7, "trips kept");
	ASSERT_EQ(out.tripped_ns, T0, "tripped_ns kept");
	ASSERT_EQ(half, T0 + 5 * S, "the half_open remembered");
	cur = out;
	cur.probes = -2;	/* spent by the data path */
	w.until_ns = T0 + 7 * S + 100 * MS;
	ASSERT_FALSE(gate_plan_merge(&cur, &w, T0 + 5 * S + 100 * MS, &half, &out),
		     "the same half_open: the budget is not granted again");
	w.half_since_ns = T0 + 9 * S;
	ASSERT_TRUE(gate_plan_merge(&cur, &w, T0 + 9 * S, &half, &out), "a new half_open");
	ASSERT_EQ(out.probes, 3, "a new budget");
	/* soft until: refreshed only when near */
	cur = out;
	cur.until_ns = T0 + 9 * S + 500 * MS;
	w.until_ns = T0 + 10 * S;
	ASSERT_TRUE(gate_plan_merge(&cur, &w, T0 + 9 * S, &half, &out), "a soft until too near: refreshed");
	ASSERT_EQ(out.until_ns, T0 + 10 * S, "refreshed");
}

static void test_tripped_adopt(void)
{
	struct sl_svc_gate g = { .state = SL_GATE_OPEN, .until_ns = T0 + 12 * S,
				 .trips = 2, .tripped_ns = T0 - S };
	struct breaker b;
	__u64 t = 0;

	ASSERT_FALSE(gate_plan_tripped(&g, 2, &t), "no new trip");
	ASSERT_TRUE(gate_plan_tripped(&g, 1, &t), "a new trip");
	ASSERT_EQ(t, T0 - S, "when");
	brk(&b);
	ASSERT_TRUE(gate_plan_adopt(&b, &g, T0), "an open gate: adopted");
	ASSERT_EQ(breaker_open_until(&b), T0 + 12 * S, "open until the gate's time");
	brk(&b);
	g.until_ns = T0 - S;
	ASSERT_TRUE(gate_plan_adopt(&b, &g, T0), "open past its time: adopted");
	breaker_tick(&b, T0 + MS, NULL);
	ASSERT_EQ(breaker_state(&b), BREAKER_HALF_OPEN, "then half_open at once");
	brk(&b);
	g.state = SL_GATE_CLOSED;
	ASSERT_FALSE(gate_plan_adopt(&b, &g, T0), "a closed gate: nothing");
}

static void test_add_signal(void)
{
	struct sl_svc_stats a = { .requests = 3, .lat_count = 2 }, b = { .requests = 4 };
	struct svc_window w = { 0 };
	struct degrade_signal sig;
	struct sl_svc_stats s = { 0 };

	gate_plan_add(&a, &b);
	ASSERT_EQ(a.requests, 7, "summed");
	svc_window_push(&w, T0, &s);
	s.responses[SL_SVC_CODE_2XX] = 60;
	s.responses[SL_SVC_CODE_5XX] = 40;
	s.lat_count = 100;
	s.lat[0] = 100;
	svc_window_push(&w, T0 + S, &s);
	gate_plan_signal(&w, &sig);
	ASSERT_EQ(sig.requests, 100, "completed in the window");
	ASSERT_TRUE(sig.error_rate > 0.39 && sig.error_rate < 0.41, "error rate 0.4");
}

static void test_scale(void)
{
	struct cfg_tier t[2] = { 0 }, out[2];
	struct sl_config cfg = { .ntiers = 2, .tiers = t };

	for (int i = 0; i < 2; i++) {
		t[i].nmeters = 1;
		t[i].meters[0] = (struct cfg_meter){ .unit = SL_UNIT_REQUESTS,
			.count = 10, .period_ns = S, .burst = 5 };
		for (int l = 0; l < DEGRADE_LEVELS; l++)
			t[i].degrade[l] = 1.0;
	}
	t[0].degrade[1] = 0.5;
	t[0].degrade[3] = 0;
	ASSERT_TRUE(gate_plan_factors_same(&cfg, 0, 2), "levels 0 and 2: all 1.0");
	ASSERT_FALSE(gate_plan_factors_same(&cfg, 0, 1), "level 1 differs");
	gate_plan_scale(&cfg, 1, out);
	ASSERT_EQ(out[0].meters[0].period_ns, 2 * S, "x0.5: half the rate");
	ASSERT_EQ(out[0].meters[0].burst, 5, "the burst kept");
	ASSERT_EQ(out[1].meters[0].period_ns, S, "x1.0: unchanged");
	gate_plan_scale(&cfg, 3, out);
	ASSERT_EQ(out[0].meters[0].period_ns, 1000 * S, "x0: the floor factor 0.001");
	ASSERT_EQ(t[0].meters[0].period_ns, S, "the config is untouched");
}

/* A service on several interfaces: its probe budget shared out, the
 * parts adding up to it exactly. */
static void test_share(void)
{
	static const struct { __u32 budget; int count; } c[] = {
		{ 3, 1 }, { 3, 2 }, { 3, 3 }, { 3, 4 }, { 10, 3 }, { 0, 2 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		__u32 sum = 0, lo = ~0U, hi = 0;

		for (int k = 0; k < c[i].count; k++) {
			__u32 p = gate_plan_share(c[i].budget, k, c[i].count);

			sum += p;
			lo = p < lo ? p : lo;
			hi = p > hi ? p : hi;
		}
		ASSERT_EQ(sum, c[i].budget, "the parts add up to the budget");
		ASSERT_LE(hi - lo, 1, "no part more than one above another");
	}
	ASSERT_EQ(gate_plan_share(3, 0, 0), 3, "no interface counted: the budget");
}

TEST_MAIN("unit/gates",
	  TEST(test_want_states),
	  TEST(test_merge),
	  TEST(test_tripped_adopt),
	  TEST(test_add_signal),
	  TEST(test_scale),
	  TEST(test_share))
