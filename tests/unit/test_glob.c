// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The global limits' arithmetic (common/glob.h) on a fake clock: every
 * number below is worked out by hand in the comment next to it.
 */
#include <math.h>
#include <stdio.h>

#include "test.h"
#include "common/glob.h"

#define S	1000000ULL		/* one second in us */
#define MS	1000ULL
#define T	(100 * MS)		/* the sync interval */
#define T0	(1000 * S)		/* the fake clock's start */

static bool near(double got, double want, const char *what)
{
	if (fabs(got - want) <= 1e-6 * (fabs(want) > 1 ? fabs(want) : 1))
		return true;
	TEST_FAILF("%s: expected %.6f, got %.6f", what, want, got);
	return false;
}

/* Every host in hosts[0..n) reports `per_sync[i]` units each sync
 * interval for `syncs` intervals from *now. */
static void report(struct glob_demand *hosts, int n, const double *per_sync,
		   int syncs, uint64_t *now)
{
	for (int k = 0; k < syncs; k++) {
		*now += T;
		for (int i = 0; i < n; i++)
			glob_demand_report(&hosts[i], per_sync[i], *now, T);
	}
}

static void test_one_host_gets_everything(void)
{
	struct glob_demand h[1] = {};
	uint64_t now = T0;
	int fresh;

	/* 3 units in the first sync: 3 / 0.1 s = 30/s. */
	glob_demand_report(&h[0], 3, now, T);
	near(h[0].rate, 30, "first report: one interval's rate");
	near(glob_share(h, 1, 0, now, &fresh), 1, "alone: share 1");
	ASSERT_EQ(fresh, 1, "one fresh host");
	/* Even with no demand at all, a lone host keeps it all. */
	h[0].rate = 0;
	near(glob_share(h, 1, 0, now, NULL), 1, "alone and idle: share 1");
}

static void test_three_equal_hosts(void)
{
	struct glob_demand h[3] = {};
	const double per[3] = { 1, 1, 1 };	/* 10/s each */
	uint64_t now = T0;
	int fresh;

	report(h, 3, per, 20, &now);
	for (int i = 0; i < 3; i++)
		near(glob_share(h, 3, i, now, &fresh), 1.0 / 3, "a third each");
	ASSERT_EQ(fresh, 3, "three fresh hosts");
	/* No demand anywhere: equal parts, not nothing. */
	h[0].rate = h[1].rate = h[2].rate = 0;
	near(glob_share(h, 3, 2, now, NULL), 1.0 / 3, "idle: a third each");
}

static void test_shares_follow_a_shift(void)
{
	struct glob_demand h[2] = {};
	const double even[2] = { 5, 5 }, skewed[2] = { 9, 1 };
	uint64_t now = T0;
	double s;

	report(h, 2, even, 20, &now);
	near(glob_share(h, 2, 0, now, NULL), 0.5, "even: half");
	/* One sync after the shift: each rate moves a tenth of the way
	 * (weight T / tau = 0.1): host 0 50 + (90 - 50) x 0.1 = 54, host 1
	 * 50 + (10 - 50) x 0.1 = 46: share 54 / 100. */
	report(h, 2, skewed, 1, &now);
	near(h[0].rate, 54, "host 0 after one sync");
	near(glob_share(h, 2, 0, now, NULL), 0.54, "a tenth of the way");
	/* After 3 s (30 syncs) the gap is 0.9^31 of 40 = 1.5: close to 0.9. */
	report(h, 2, skewed, 30, &now);
	s = glob_share(h, 2, 0, now, NULL);
	ASSERT_TRUE(s > 0.88 && s < 0.9, "followed the shift within 3 s");
}

static void test_a_silent_host_drops_out(void)
{
	struct glob_demand h[3] = {};
	const double per[3] = { 2, 1, 1 };
	uint64_t now = T0;
	int fresh;

	report(h, 3, per, 20, &now);
	near(glob_share(h, 3, 0, now, NULL), 0.5, "20 of 40/s");
	/* Host 2 stops reporting; hosts 0 and 1 go on. */
	for (int k = 0; k < 29; k++) {
		now += T;
		glob_demand_report(&h[0], 2, now, T);
		glob_demand_report(&h[1], 1, now, T);
	}
	/* 2.9 s since host 2's last report: still counted. */
	near(glob_share(h, 3, 0, now, &fresh), 0.5, "2.9 s: still three");
	ASSERT_EQ(fresh, 3, "2.9 s: three fresh");
	now += T;
	glob_demand_report(&h[0], 2, now, T);
	glob_demand_report(&h[1], 1, now, T);
	/* 3 s: stale; 20 / (20 + 10). */
	near(glob_share(h, 3, 0, now, &fresh), 2.0 / 3, "3 s: two left");
	ASSERT_EQ(fresh, 2, "3 s: two fresh");
	/* Host 2's own view still counts itself. */
	glob_share(h, 3, 2, now, &fresh);
	ASSERT_EQ(fresh, 3, "a host always counts itself");
}

static void test_token_bucket(void)
{
	struct glob_tb b = {};
	const double rate = 30, burst = 30;
	uint64_t now = T0;

	/* New: full. */
	glob_tb_update(&b, rate, burst, 0, now);
	near(b.tokens, 30, "new bucket full");
	/* share 1: 30 + 30/s x 0.1 s = 33 */
	near(glob_tb_allowance(&b, rate, T, 1), 33, "alone: burst + one interval");
	/* a third: 11 */
	near(glob_tb_allowance(&b, rate, T, 1.0 / 3), 11, "a third of it");
	/* 33 used in the next 0.1 s: the refill stops at the cap (30)
	 * before the debit, 30 - 33 = -3: the interval granted ahead is a
	 * small debt, paid back before the burst refills. */
	now += T;
	glob_tb_update(&b, rate, burst, 33, now);
	near(b.tokens, -3, "drained, 3 in debt");
	near(glob_tb_allowance(&b, rate, T, 1), 3, "drained: one interval's");
	/* 3 a sync from then on keeps it there: -3 + 3 - 3. */
	now += T;
	glob_tb_update(&b, rate, burst, 3, now);
	near(b.tokens, -3, "steady: rate x T a sync");
	/* Refill is capped at burst: 10 s idle is 30, not 300. */
	now += 10 * S;
	glob_tb_update(&b, rate, burst, 0, now);
	near(b.tokens, 30, "capped at burst");
}

static void test_token_bucket_debt(void)
{
	struct glob_tb b = {};
	const double rate = 10, burst = 20;
	uint64_t now = T0;

	glob_tb_update(&b, rate, burst, 0, now);
	/* Hosts over-used 100 in one interval: 20 + 1 - 100 = -79, floored
	 * at -burst = -20. */
	now += T;
	glob_tb_update(&b, rate, burst, 100, now);
	near(b.tokens, -20, "debt floored at -burst");
	/* In debt the allowance is one interval's, no more: 0 + 1. */
	near(glob_tb_allowance(&b, rate, T, 1), 1, "in debt: one interval");
	/* 1 s later, nothing used: -20 + 10 = -10: still in debt, the burst
	 * comes back only once the debt is paid. */
	now += S;
	glob_tb_update(&b, rate, burst, 0, now);
	near(b.tokens, -10, "paying the debt back");
	now += 3 * S;
	glob_tb_update(&b, rate, burst, 0, now);
	near(b.tokens, 20, "-10 + 30 capped at 20");
}

static void test_sliding_window(void)
{
	const uint64_t win = S;
	struct glob_win w = {};
	uint64_t now = T0;	/* T0 is aligned to the second */

	glob_win_update(&w, win, 10, now);
	ASSERT_EQ(w.start_us, T0, "aligned start");
	near(glob_win_estimate(&w, win, now, true), 10, "first window: cur");
	/* 30/s x 1 s = 30 - 10 = 20 left; a half share: 10. */
	near(glob_win_allowance(30, win, 10, 0.5), 10, "half of what is left");
	now += 600 * MS;
	glob_win_update(&w, win, 14, now);
	near(w.cur, 24, "same window: counts add");
	/* Next window, 250 ms in: prev 24 x (1 - 0.25) + cur 6 = 24. */
	now = T0 + S + 250 * MS;
	glob_win_update(&w, win, 6, now);
	near(w.prev, 24, "rolled: prev");
	near(w.cur, 6, "rolled: cur");
	near(glob_win_estimate(&w, win, now, true), 24, "sliding estimate");
	near(glob_win_estimate(&w, win, now, false), 6, "fixed: cur only");
	near(glob_win_allowance(30, win, 24, 1), 6, "30 - 24");
	/* At the next window's very start the one before counts whole:
	 * 6 x (1 - 0) + 0. */
	now = T0 + 2 * S;
	glob_win_update(&w, win, 0, now);
	near(glob_win_estimate(&w, win, now, true), 6, "edge: prev (6) whole");
	/* Over the limit: no allowance, never negative. */
	near(glob_win_allowance(30, win, 45, 1), 0, "over: nothing");
	/* Two windows skipped: prev is empty, not the old cur. */
	now = T0 + 5 * S + 100 * MS;
	glob_win_update(&w, win, 3, now);
	near(w.prev, 0, "a gap empties prev");
	near(glob_win_estimate(&w, win, now, true), 3, "after a gap: cur");
}

static void test_fallback_share(void)
{
	struct glob_tb b = {};
	double rate, burst;
	uint64_t now = T0;

	/* 30/s burst 30 over 3 hosts last seen: 10/s burst 10 here. */
	rate = glob_fallback_part(30, 3);
	burst = glob_fallback_part(30, 3);
	near(rate, 10, "rate / hosts");
	near(glob_fallback_part(30, 0), 30, "no host seen: the whole rate");
	glob_tb_update(&b, rate, burst, 0, now);
	/* 10 + 10/s x 0.1 = 11 */
	near(glob_tb_allowance(&b, rate, T, 1), 11, "fresh: burst / 3 + T");
	now += T;
	glob_tb_update(&b, rate, burst, 11, now);
	near(b.tokens, -1, "10 (capped) - 11");
	near(glob_tb_allowance(&b, rate, T, 1), 1, "then 1 per interval");
}

static void test_units_carry(void)
{
	uint32_t carry = 0;
	uint64_t sum = 0;

	ASSERT_EQ(glob_units(3000, &carry), 3, "whole units");
	ASSERT_EQ(carry, 0, "no carry");
	/* 0.4 a sync: 0, 0, 1 (1.2), 0, 1 (1.0): 2 in 5 syncs. */
	for (int i = 0; i < 5; i++)
		sum += glob_units(400, &carry);
	ASSERT_EQ(sum, 2, "0.4 x 5 = 2");
	ASSERT_EQ(carry, 0, "carry used up");
	ASSERT_EQ(glob_units(-500, &carry), 0, "negative: nothing");
}

static void test_idle(void)
{
	ASSERT_FALSE(glob_idle(1000, 1000 + GLOB_IDLE_MS, 0), "30 s: not yet");
	ASSERT_TRUE(glob_idle(1000, 1001 + GLOB_IDLE_MS, 0), "past 30 s: idle");
	ASSERT_TRUE(glob_idle(0, 501, 500), "own timeout");
}

TEST_MAIN("unit/glob",
	  TEST(test_one_host_gets_everything),
	  TEST(test_three_equal_hosts),
	  TEST(test_shares_follow_a_shift),
	  TEST(test_a_silent_host_drops_out),
	  TEST(test_token_bucket),
	  TEST(test_token_bucket_debt),
	  TEST(test_sliding_window),
	  TEST(test_fallback_share),
	  TEST(test_units_carry),
	  TEST(test_idle))
