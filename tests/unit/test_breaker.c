// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * common/breaker.c against a fake clock: every transition, the window's
 * edges, min_requests, the backoff's steps and cap, the jitter's bounds,
 * the probe budget and close_after, the data path's trip, forced states
 * and their expiry, and the counters' deltas under a failure mask.
 */
#include <math.h>
#include <string.h>

#include "test.h"
#include "common/breaker.h"

#define MS	1000000ULL
#define S	1000000000ULL
#define T0	(1000 * S)	/* the fake clock's start: not 0 */

static struct breaker_cfg cfg_exact(void)
{
	struct breaker_cfg c;

	breaker_cfg_default(&c);
	c.jitter = 0;	/* durations exact unless a test wants jitter */
	return c;
}

static int feed(struct breaker *b, __u64 now, __u64 completed, __u64 failed,
		__u64 slow)
{
	struct breaker_sample d = { completed, failed, slow, completed };

	return breaker_tick(b, now, &d);
}

/* Closed -> open by a data trip at `now`, -> half_open when it ends:
 * the time half_open started. */
static __u64 to_half_open(struct breaker *b, __u64 now)
{
	breaker_data_trip(b, now);
	now = breaker_open_until(b);
	breaker_tick(b, now, NULL);
	return now;
}

static void test_cfg(void)
{
	struct breaker_cfg c, bad;
	char err[128];

	breaker_cfg_default(&c);
	ASSERT_OK(breaker_cfg_check(&c, err, sizeof(err)), "defaults");
	ASSERT_EQ(c.window_ns, 10 * S, "window");
	ASSERT_EQ(c.min_requests, 20, "min_requests");
	ASSERT_EQ(c.consecutive_failures, 5, "consecutive_failures");
	ASSERT_EQ(c.open_ns, 30 * S, "open");
	ASSERT_EQ(c.max_open_ns, 300 * S, "max_open");
	ASSERT_EQ(c.half_open_probes, 3, "half_open_probes");
	ASSERT_EQ(c.close_after, 3, "close_after");
	ASSERT_EQ(c.failures, SL_SVC_FAIL_DEFAULT, "failures");

	/* Each key out of range is refused, naming the key. */
#define BAD(key, stmt)							\
	do {								\
		bad = c;						\
		stmt;							\
		err[0] = 0;						\
		ASSERT_ERR(breaker_cfg_check(&bad, err, sizeof(err)), #stmt); \
		ASSERT_TRUE(!strncmp(err, key ":", strlen(key) + 1), err); \
	} while (0)
	BAD("window", bad.window_ns = 99 * MS);
	BAD("window", bad.window_ns = 3601 * S);
	BAD("min_requests", bad.min_requests = 0);
	BAD("failure_rate", bad.failure_rate = 1.01);
	BAD("failure_rate", bad.failure_rate = NAN);
	BAD("slow_rate", bad.slow_rate = -0.1);
	BAD("open", bad.open_ns = 0);
	BAD("max_open", bad.max_open_ns = bad.open_ns - 1);
	BAD("backoff", bad.backoff = 0.9);
	BAD("jitter", bad.jitter = 0.6);
	BAD("half_open_probes", bad.half_open_probes = 0);
	BAD("close_after", bad.close_after = 0);
	BAD("close_after", bad.close_after = bad.half_open_probes + 1);
	BAD("failures", bad.failures = 1U << 30);
#undef BAD
	bad = c;
	bad.failure_rate = bad.slow_rate = 0;	/* off, allowed */
	bad.backoff = 1;
	bad.jitter = 0;
	bad.max_open_ns = bad.open_ns;
	ASSERT_OK(breaker_cfg_check(&bad, err, sizeof(err)), "edges allowed");
}

static void test_sample_delta(void)
{
	struct sl_svc_stats a = {}, b = {};
	struct breaker_sample d;

	a.requests = 10;
	a.edge_replies = 2;
	b.requests = 110;
	b.edge_replies = 32;
	b.responses[SL_SVC_CODE_2XX] = 50;
	b.responses[SL_SVC_CODE_4XX] = 6;
	b.responses[SL_SVC_CODE_429] = 4;
	b.responses[SL_SVC_CODE_5XX] = 10;
	b.responses[SL_SVC_CODE_500] = 3;
	b.responses[SL_SVC_CODE_503] = 5;
	b.lat_count = 66;
	b.slow = 7;
	b.no_response = 2;
	b.timeouts = 1;

	breaker_sample_delta(&a, &b, SL_SVC_FAIL_DEFAULT, &d);
	ASSERT_EQ(d.completed, 69, "completed: responses + no_response + timeouts");
	ASSERT_EQ(d.failed, 13, "5xx + no_response + timeouts, 500/503 once");
	ASSERT_EQ(d.slow, 7, "slow");
	ASSERT_EQ(d.passed, 70, "passed: requests - edge replies");

	breaker_sample_delta(&a, &b, SL_SVC_FAIL_503 | SL_SVC_FAIL_429, &d);
	ASSERT_EQ(d.failed, 9, "503 and 429 alone");
	breaker_sample_delta(&a, &b, SL_SVC_FAIL_CLASS(4) | SL_SVC_FAIL_429 |
				     SL_SVC_FAIL_500, &d);
	ASSERT_EQ(d.failed, 9, "4xx (429 in it) and 500");
	breaker_sample_delta(&a, &b, 0, &d);
	ASSERT_EQ(d.failed, 0, "empty mask");

	/* b -> a: every counter went down (zeroed for reuse): a's values
	 * are the increase, as svc_increase takes them. */
	breaker_sample_delta(&b, &a, SL_SVC_FAIL_DEFAULT, &d);
	ASSERT_EQ(d.completed, 0, "reset: nothing completed");
	ASSERT_EQ(d.passed, 8, "reset: requests 10 - edge 2");
}

static void test_min_requests(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker b;

	breaker_init(&b, &c, 1, T0);
	ASSERT_EQ(feed(&b, T0 + 100 * MS, 19, 19, 0), 0, "19 failed of 19: too few");
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "closed at 19");
	ASSERT_EQ(feed(&b, T0 + 200 * MS, 1, 1, 0), 1, "the 20th trips");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "open at 20");
	ASSERT_EQ(b.events[0].from, BREAKER_CLOSED, "event from");
	ASSERT_EQ(b.events[0].to, BREAKER_OPEN, "event to");
	ASSERT_TRUE(strstr(b.events[0].reason, "failure rate 1.000 >= 0.500"),
		    b.events[0].reason);
	ASSERT_EQ(b.transitions[BREAKER_CLOSED][BREAKER_OPEN], 1, "counted");
}

static void test_rates(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker_view v;
	struct breaker b;

	/* 9 of 20 failed: under 0.5; one more failure of 21 is 10/21 */
	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 20, 9, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "0.45");
	breaker_view(&b, T0 + 1 * S, &v);
	ASSERT_EQ(v.completed, 20, "view completed");
	ASSERT_TRUE(fabs(v.failure_rate - 0.45) < 1e-12, "view rate");
	feed(&b, T0 + 2 * S, 1, 1, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "10/21 < 0.5");
	feed(&b, T0 + 3 * S, 1, 1, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "11/22 = 0.5 reaches it");

	/* slow: 15 of 20 under 0.8, 16 reaches it */
	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 20, 0, 15);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "slow 0.75");
	feed(&b, T0 + 2 * S, 0, 0, 0);
	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 20, 0, 16);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "slow 0.8");
	ASSERT_TRUE(strstr(b.events[0].reason, "slow rate 0.800"), b.events[0].reason);

	/* 0 turns a rate off */
	c.failure_rate = 0;
	c.slow_rate = 0;
	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 100, 100, 100);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "rates off");
}

static void test_window_edges(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker b;

	/* 19 failures at T0+1s are in the window until T0+11s, exclusive */
	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 19, 19, 0);
	feed(&b, T0 + 11 * S - 1, 1, 1, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "1 ns before the edge: 20");

	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 19, 19, 0);
	feed(&b, T0 + 11 * S, 1, 1, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "at the edge: 1 left");
	feed(&b, T0 + 11 * S + 100 * MS, 18, 18, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "19 in the window");
	feed(&b, T0 + 11 * S + 200 * MS, 1, 0, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "19 of 20");

	/* successes age out too: 20 ok, then 20 failed 10 s later */
	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 20, 0, 0);
	feed(&b, T0 + 10 * S, 19, 19, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "19 of 39");
	feed(&b, T0 + 11 * S, 1, 1, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "the 20 ok left: 20 of 20");
}

static void test_window_buckets(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker_view v;
	struct breaker b;
	__u64 t = T0;

	/* 60 s at 100 ms ticks: 600 ticks share 128 buckets; a bucket
	 * leaves with its newest sample, so the count is 600 plus at most
	 * one bucket's worth (window / 128 = 469 ms: 5 ticks) */
	c.window_ns = 60 * S;
	c.failure_rate = c.slow_rate = 0;
	breaker_init(&b, &c, 1, T0);
	for (int i = 0; i < 1200; i++) {
		t += 100 * MS;
		feed(&b, t, 1, 0, 0);
		ASSERT_LE(b.n, BREAKER_BUCKETS, "buckets held");
	}
	breaker_view(&b, t, &v);
	ASSERT_GE(v.completed, 600, "60 s of 1 a tick");
	ASSERT_LE(v.completed, 605, "within a bucket");
	ASSERT_EQ(v.completed, b.sum_completed, "view = the tick's sums");

	/* 10 s at 100 ms: a bucket per tick, exact */
	c.window_ns = 10 * S;
	breaker_init(&b, &c, 1, T0);
	t = T0;
	for (int i = 0; i < 300; i++) {
		t += 100 * MS;
		feed(&b, t, 1, 0, 0);
	}
	breaker_view(&b, t, &v);
	ASSERT_EQ(v.completed, 100, "10 s: exactly 100 ticks");
	breaker_view(&b, t + 5 * S, &v);
	ASSERT_EQ(v.completed, 50, "the view ages the window");
}

static void test_open_half_open(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker_view v;
	struct breaker b;
	__u64 t;

	breaker_init(&b, &c, 1, T0);
	ASSERT_EQ(breaker_probe_budget(&b), 0, "closed: no budget");
	ASSERT_EQ(breaker_open_until(&b), 0, "closed: not open");
	feed(&b, T0 + 1 * S, 20, 20, 0);
	ASSERT_EQ(breaker_open_until(&b), T0 + 31 * S, "open 30 s");
	breaker_view(&b, T0 + 1 * S, &v);
	ASSERT_EQ(v.next_ns, T0 + 31 * S, "next transition");
	ASSERT_EQ(v.since_ns, T0 + 1 * S, "since");
	ASSERT_EQ(v.opens_total, 1, "opens");
	ASSERT_EQ(breaker_probe_budget(&b), 0, "open: no budget");

	ASSERT_EQ(feed(&b, T0 + 31 * S - 1, 0, 0, 0), 0, "1 ns early");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "still open");
	/* what completes in the tick that ends the opening came while open */
	ASSERT_EQ(feed(&b, T0 + 31 * S, 1, 1, 0), 1, "open -> half_open");
	ASSERT_EQ(breaker_state(&b), BREAKER_HALF_OPEN, "half_open");
	ASSERT_EQ(breaker_probe_budget(&b), 3, "budget granted");
	ASSERT_EQ(breaker_open_until(&b), 0, "half_open: not open");
	ASSERT_EQ(b.transitions[BREAKER_OPEN][BREAKER_HALF_OPEN], 1, "counted");

	/* close_after 3: two probes are not enough */
	t = T0 + 31 * S;
	ASSERT_EQ(feed(&b, t + 100 * MS, 2, 0, 0), 0, "2 ok");
	ASSERT_EQ(breaker_state(&b), BREAKER_HALF_OPEN, "2 of 3");
	breaker_view(&b, t + 100 * MS, &v);
	ASSERT_EQ(v.probes_ok, 2, "probes ok");
	ASSERT_EQ(v.probes_passed, 2, "probes passed");
	ASSERT_EQ(feed(&b, t + 200 * MS, 1, 0, 0), 1, "the third closes");
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "closed");
	ASSERT_TRUE(strstr(b.events[0].reason, "3 probes succeeded"), b.events[0].reason);
	breaker_view(&b, t + 200 * MS, &v);
	ASSERT_EQ(v.completed, 0, "closing clears the window");
	ASSERT_EQ(v.opens, 1, "the backoff step stays until a healthy window");
}

static void test_probe_failure(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker b;
	__u64 t;

	breaker_init(&b, &c, 1, T0);
	t = to_half_open(&b, T0);
	ASSERT_EQ(feed(&b, t + 100 * MS, 2, 0, 0), 0, "2 ok");
	ASSERT_EQ(feed(&b, t + 200 * MS, 1, 1, 0), 1, "a failed probe");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "reopened");
	ASSERT_EQ(breaker_open_until(&b), t + 200 * MS + 60 * S, "next step: 60 s");
	ASSERT_EQ(b.transitions[BREAKER_HALF_OPEN][BREAKER_OPEN], 1, "counted");

	/* a failure among successes in one tick reopens too */
	t = breaker_open_until(&b);
	breaker_tick(&b, t, NULL);
	ASSERT_EQ(feed(&b, t + 100 * MS, 3, 1, 0), 1, "2 ok and 1 failed");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "any failure reopens");
	ASSERT_EQ(b.open_cur_ns, 120 * S, "120 s");

	/* a probe that is slow but not failed is a success */
	t = breaker_open_until(&b);
	breaker_tick(&b, t, NULL);
	feed(&b, t + 100 * MS, 3, 0, 3);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "slow probes close it");
}

static void test_probes_unanswered(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker_sample d = { .passed = 3 };
	struct breaker b;
	__u64 t;

	breaker_init(&b, &c, 1, T0);
	t = to_half_open(&b, T0);
	ASSERT_EQ(breaker_tick(&b, t + 100 * MS, &d), 0, "3 let through");
	d.passed = 0;
	/* no outcome for as long as it was open (30 s): open again */
	ASSERT_EQ(breaker_tick(&b, t + 30 * S - 1, &d), 0, "waiting");
	ASSERT_EQ(breaker_tick(&b, t + 30 * S, &d), 1, "unanswered");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "reopened");
	ASSERT_TRUE(strstr(b.events[0].reason, "unanswered"), b.events[0].reason);

	/* fewer let through than the budget: it waits for more traffic */
	t = breaker_open_until(&b);
	breaker_tick(&b, t, NULL);
	d.passed = 1;
	breaker_tick(&b, t + 100 * MS, &d);
	d.passed = 0;
	breaker_tick(&b, t + 3600 * S, &d);
	ASSERT_EQ(breaker_state(&b), BREAKER_HALF_OPEN, "budget not spent");
}

static void test_backoff(void)
{
	static const __u64 want[] = { 30, 60, 120, 240, 300, 300, 300 };
	struct breaker_cfg c = cfg_exact();
	struct breaker b;
	__u64 t = T0;

	for (__u32 n = 1; n <= 7; n++)
		ASSERT_EQ(breaker_open_base(&c, n), want[n - 1] * S, "open_base");

	breaker_init(&b, &c, 1, T0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (i == 0)
			breaker_data_trip(&b, t);
		ASSERT_EQ(breaker_open_until(&b) - t, want[i] * S, "opening i");
		ASSERT_EQ(b.opens, i + 1, "the step");
		t = breaker_open_until(&b);
		breaker_tick(&b, t, NULL);
		t += 100 * MS;
		feed(&b, t, 1, 1, 0);	/* the probe fails */
	}

	/* closed, a healthy window: the backoff starts again at 30 s */
	t = breaker_open_until(&b);
	breaker_tick(&b, t, NULL);
	feed(&b, t + 100 * MS, 3, 0, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "closed");
	t += 100 * MS;
	feed(&b, t + 10 * S - 1, 0, 0, 0);
	ASSERT_EQ(b.opens, 8, "1 ns short of a window: kept");
	ASSERT_EQ(breaker_next_open(&b), 300 * S, "next: still the cap");
	feed(&b, t + 10 * S, 0, 0, 0);
	ASSERT_EQ(b.opens, 0, "a full healthy window resets it");
	ASSERT_EQ(breaker_next_open(&b), 30 * S, "next: 30 s again");
	breaker_data_trip(&b, t + 11 * S);
	ASSERT_EQ(b.open_cur_ns, 30 * S, "30 s");

	/* closed less than a window, tripped again: the next step */
	t = breaker_open_until(&b);
	breaker_tick(&b, t, NULL);
	feed(&b, t + 100 * MS, 3, 0, 0);
	breaker_data_trip(&b, t + 5 * S);
	ASSERT_EQ(b.open_cur_ns, 60 * S, "reopened within a window: 60 s");

	/* backoff 1: the same every time */
	c.backoff = 1;
	ASSERT_EQ(breaker_open_base(&c, 9), 30 * S, "backoff 1");
}

static double fixed_u;
static double uniform_fixed(void *ctx)
{
	(void)ctx;
	return fixed_u;
}

static void test_jitter(void)
{
	struct breaker_cfg c;
	struct breaker b, b2;
	__u64 lo = ~0ULL, hi = 0, first[8];
	bool differ = false;

	breaker_cfg_default(&c);	/* jitter 0.1 */
	breaker_init(&b, &c, 1, T0);
	fixed_u = 0;
	breaker_set_uniform(&b, uniform_fixed, NULL);
	ASSERT_EQ(breaker_next_open(&b), 27 * S, "u = 0: -10%");
	fixed_u = 0.5;
	breaker_set_uniform(&b, uniform_fixed, NULL);
	ASSERT_EQ(breaker_next_open(&b), 30 * S, "u = 0.5: exact");
	fixed_u = 0x1.fffffffffffffp-1;	/* the largest below 1 */
	breaker_set_uniform(&b, uniform_fixed, NULL);
	ASSERT_LE(breaker_next_open(&b), 33 * S, "u -> 1: +10%");
	ASSERT_GE(breaker_next_open(&b), 33 * S - 1000, "u -> 1: +10%");
	fixed_u = 7;	/* out of range: the middle */
	breaker_set_uniform(&b, uniform_fixed, NULL);
	ASSERT_EQ(breaker_next_open(&b), 30 * S, "bad u: no jitter");

	/* the seeded source: within +-10% of the base, both sides reached,
	 * at the cap too (300 s +- 30 s) */
	breaker_init(&b, &c, 42, T0);
	for (int i = 0; i < 2000; i++) {
		__u64 base = breaker_open_base(&c, b.opens + 1), d;

		breaker_data_trip(&b, T0);
		d = b.open_cur_ns;
		if (i < 8)
			first[i] = d;
		ASSERT_GE(d, base - base / 10, "base - 10%");
		ASSERT_LE(d, base + base / 10, "base + 10%");
		if (b.opens >= 5) {
			ASSERT_EQ(base, 300 * S, "at the cap");
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		b.state = BREAKER_CLOSED;	/* trip again, one draw each */
	}
	ASSERT_LT(lo, 280 * S, "the low side reached");
	ASSERT_GT(hi, 320 * S, "the high side reached");

	/* the same seed gives the same durations, another seed others */
	breaker_init(&b, &c, 42, T0);
	breaker_init(&b2, &c, 43, T0);
	for (int i = 0; i < 8; i++) {
		breaker_data_trip(&b, T0);
		breaker_data_trip(&b2, T0);
		ASSERT_EQ(b.open_cur_ns, first[i], "seed 42 again");
		differ |= b2.open_cur_ns != first[i];
		b.state = b2.state = BREAKER_CLOSED;
	}
	ASSERT_TRUE(differ, "seed 43 differs");
}

static void test_data_trip(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker b;
	__u64 t;

	breaker_init(&b, &c, 1, T0);
	/* the data path tripped at T0+5s and set open_until itself */
	ASSERT_EQ(breaker_next_open(&b), 30 * S, "the data path's duration");
	ASSERT_EQ(breaker_data_trip(&b, T0 + 5 * S), 1, "closed -> open");
	ASSERT_EQ(breaker_open_until(&b), T0 + 35 * S, "agrees with the data path");
	ASSERT_TRUE(strstr(b.events[0].reason, "5 consecutive failures"),
		    b.events[0].reason);
	ASSERT_EQ(breaker_next_open(&b), 60 * S, "the next one: 60 s");
	ASSERT_EQ(breaker_data_trip(&b, T0 + 6 * S), 0, "open: nothing");
	ASSERT_EQ(breaker_open_until(&b), T0 + 35 * S, "not extended");

	t = breaker_open_until(&b);
	breaker_tick(&b, t, NULL);
	ASSERT_EQ(breaker_data_trip(&b, t + 1 * S), 1, "half_open -> open");
	ASSERT_EQ(b.open_cur_ns, 60 * S, "with the next step");

	breaker_force(&b, t + 2 * S, BREAKER_FORCE_CLOSED, 0);
	ASSERT_EQ(breaker_data_trip(&b, t + 3 * S), 0, "forced: ignored");
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "forced closed");
}

static void test_forced(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker_view v;
	struct breaker b;
	__u64 t = T0 + 1 * S;

	/* open for 60 s from closed */
	breaker_init(&b, &c, 1, T0);
	ASSERT_EQ(breaker_force(&b, t, BREAKER_FORCE_OPEN, t + 60 * S), 1, "forced open");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "open");
	ASSERT_EQ(breaker_open_until(&b), t + 60 * S, "Retry-After: the force's end");
	ASSERT_EQ(b.opens_total, 0, "not an opening of the backoff");
	breaker_view(&b, t, &v);
	ASSERT_EQ(v.force, BREAKER_FORCE_OPEN, "shows forced");
	ASSERT_EQ(v.next_ns, t + 60 * S, "next: the expiry");
	/* healthy traffic does not close a forced open, and past `open` it
	 * stays open */
	feed(&b, t + 40 * S, 50, 0, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "frozen");
	/* expiry: half_open, and this tick's outcomes are no probes */
	ASSERT_EQ(feed(&b, t + 60 * S, 5, 0, 0), 1, "expired");
	ASSERT_EQ(breaker_state(&b), BREAKER_HALF_OPEN, "back to auto, probing");
	ASSERT_EQ(b.force, BREAKER_AUTO, "auto");
	ASSERT_TRUE(strstr(b.events[0].reason, "expired"), b.events[0].reason);
	ASSERT_EQ(breaker_probe_budget(&b), 3, "probes");

	/* forced closed with failing traffic: no trip until it expires,
	 * then the window it kept trips it in the same tick */
	breaker_init(&b, &c, 1, T0);
	ASSERT_EQ(breaker_force(&b, t, BREAKER_FORCE_CLOSED, t + 10 * S), 0,
		  "closed already: no transition");
	feed(&b, t + 5 * S, 40, 40, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "forced closed holds");
	ASSERT_EQ(breaker_data_trip(&b, t + 6 * S), 0, "no data trip");
	ASSERT_EQ(feed(&b, t + 10 * S, 1, 1, 0), 1, "expired and tripped");
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "open");

	/* forced closed while open, then lifted by hand */
	ASSERT_EQ(breaker_force(&b, t + 11 * S, BREAKER_FORCE_CLOSED, 0), 1, "open -> closed");
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "forced closed");
	ASSERT_EQ(breaker_open_until(&b), 0, "not open");
	feed(&b, t + 3600 * S, 0, 0, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_CLOSED, "no expiry: held");
	ASSERT_EQ(breaker_force(&b, t + 3600 * S, BREAKER_AUTO, 0), 0, "lifted, still closed");
	ASSERT_EQ(b.force, BREAKER_AUTO, "auto");
	ASSERT_EQ(breaker_force(&b, t + 3600 * S, BREAKER_AUTO, 0), 0, "auto again: nothing");

	/* forced open without an expiry: no Retry-After of its own */
	ASSERT_EQ(breaker_force(&b, t + 3601 * S, BREAKER_FORCE_OPEN, 0), 1, "forced open");
	ASSERT_EQ(breaker_open_until(&b), 0, "no expiry");
	ASSERT_EQ(breaker_force(&b, t + 3602 * S, BREAKER_AUTO, 0), 1, "lifted: half_open");
	ASSERT_EQ(breaker_state(&b), BREAKER_HALF_OPEN, "half_open");
	ASSERT_EQ(b.transitions[BREAKER_OPEN][BREAKER_HALF_OPEN], 1, "counted");
}

static void test_reconfig(void)
{
	struct breaker_cfg c = cfg_exact();
	struct breaker b;

	breaker_init(&b, &c, 1, T0);
	feed(&b, T0 + 1 * S, 10, 10, 0);
	c.min_requests = 10;
	c.open_ns = 5 * S;
	breaker_reconfig(&b, &c);
	ASSERT_EQ(breaker_next_open(&b), 5 * S, "the new open");
	feed(&b, T0 + 2 * S, 0, 0, 0);
	ASSERT_EQ(breaker_state(&b), BREAKER_OPEN, "the window kept, the new min");
	ASSERT_EQ(breaker_open_until(&b), T0 + 7 * S, "open 5 s");
	ASSERT_STREQ(breaker_state_name(BREAKER_HALF_OPEN), "half_open", "name");
	ASSERT_STREQ(breaker_force_name(BREAKER_FORCE_CLOSED), "closed", "name");
}

TEST_MAIN("unit/breaker",
	  TEST(test_cfg),
	  TEST(test_sample_delta),
	  TEST(test_min_requests),
	  TEST(test_rates),
	  TEST(test_window_edges),
	  TEST(test_window_buckets),
	  TEST(test_open_half_open),
	  TEST(test_probe_failure),
	  TEST(test_probes_unanswered),
	  TEST(test_backoff),
	  TEST(test_jitter),
	  TEST(test_data_trip),
	  TEST(test_forced),
	  TEST(test_reconfig))
