// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Global limits in the config (issue 12): scope, algorithm and window on
 * a limit, the local fallback burst of a window limit, the flags that
 * reach sl_tier, and every message for what is refused. */
#include <errno.h>

#include "test.h"
#include "config_util.h"
#include "kern/tier_abi.h"
#include "sluice_glob.h"

#define REDIS		"redis: {address: 198.18.200.1:6390}\n"
/* One tier, limits given inline; a redis section after it. */
#define TIER(lims)	HEAD "  - name: default\n    limits: [" lims "]\n"
/* flood_guard: off, so "no other flag" below means no other flag. */
#define GTIER(lims)	TIER(lims) "    flood_guard: off\n" REDIS

static void test_default_local(void)
{
	struct sl_config *cfg = parse_ok(TIER("{unit: requests, rate: 10, burst: 20}"));
	const struct cfg_meter *m;
	struct sl_tier t;

	if (!cfg)
		return;
	m = &cfg->tiers[0].meters[0];
	ASSERT_EQ(m->scope, CFG_SCOPE_LOCAL, "local by default");
	ASSERT_EQ(m->algorithm, CFG_ALG_TOKEN_BUCKET, "token bucket");
	ASSERT_EQ(m->window_ns, SEC_NS, "window 1 s");
	ASSERT_EQ(m->burst, 20, "burst");
	ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[0], &t), "to abi");
	ASSERT_EQ(t.flags & (SL_TIER_F_GLOBAL | 3U << SL_TIER_GLOBAL_SHIFT), 0,
		  "no global flags");
	cfg_free(cfg);

	cfg = parse_ok(TIER("{unit: requests, rate: 10, scope: local}"));
	if (cfg)
		ASSERT_EQ(cfg->tiers[0].meters[0].scope, CFG_SCOPE_LOCAL,
			  "scope: local");
	cfg_free(cfg);
}

static void test_global_forms(void)
{
	static const struct {
		const char *what, *text;
		int meter, alg;
		uint64_t window_ns;
		uint32_t burst;
	} ok[] = {
		{ "token bucket by default",
		  GTIER("{unit: requests, rate: 30, burst: 30, action: http, scope: global}"),
		  0, CFG_ALG_TOKEN_BUCKET, SEC_NS, 30 },
		{ "token bucket, default burst",
		  GTIER("{unit: requests, rate: 30, scope: global, algorithm: token_bucket}"),
		  0, CFG_ALG_TOKEN_BUCKET, SEC_NS, 30 },
		{ "sliding window of 1 s: burst = rate",
		  GTIER("{unit: requests, rate: 30, scope: global, algorithm: sliding_window}"),
		  0, CFG_ALG_SLIDING_WINDOW, SEC_NS, 30 },
		{ "sliding window of 10 s: burst = rate x 10 s",
		  GTIER("{unit: requests, rate: 30, scope: global, algorithm: sliding_window, window: 10s}"),
		  0, CFG_ALG_SLIDING_WINDOW, 10 * SEC_NS, 300 },
		{ "fixed window of 1 m at 600/m",
		  GTIER("{unit: requests, rate: 600/m, scope: global, algorithm: fixed_window, window: 1m}"),
		  0, CFG_ALG_FIXED_WINDOW, 60 * SEC_NS, 600 },
		{ "window 100ms at 0.5/s: rounded up to 1",
		  GTIER("{unit: packets, rate: 0.5/s, scope: global, algorithm: fixed_window, window: 100ms}"),
		  0, CFG_ALG_FIXED_WINDOW, SEC_NS / 10, 1 },
		{ "window 250ms at 10/s: 2.5 rounded up",
		  GTIER("{unit: packets, rate: 10, scope: global, algorithm: sliding_window, window: 250ms}"),
		  0, CFG_ALG_SLIDING_WINDOW, SEC_NS / 4, 3 },
		{ "window with a burst given: the burst",
		  GTIER("{unit: requests, rate: 30, burst: 5, scope: global, algorithm: sliding_window, window: 1h}"),
		  0, CFG_ALG_SLIDING_WINDOW, 3600 * SEC_NS, 5 },
		{ "bytes window: at least one full frame",
		  GTIER("{unit: bytes, rate: 1000, scope: global, algorithm: fixed_window, window: 1s}"),
		  0, CFG_ALG_FIXED_WINDOW, SEC_NS, 1518 },
		{ "the third limit global",
		  GTIER("{unit: packets, rate: 100}, {unit: connections, rate: 5}, {unit: requests, rate: 3, scope: global}, {unit: bytes, rate: 1MB/s}"),
		  2, CFG_ALG_TOKEN_BUCKET, SEC_NS, 3 },
		{ "the fourth limit global",
		  GTIER("{unit: packets, rate: 100}, {unit: connections, rate: 5}, {unit: requests, rate: 3}, {unit: bytes, rate: 1MB/s, scope: global}"),
		  3, CFG_ALG_TOKEN_BUCKET, SEC_NS, 1000000 },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sl_config *cfg;
		const struct cfg_meter *m;
		struct sl_tier t;

		test_subtest_begin(ok[i].what);
		cfg = parse_ok(ok[i].text);
		if (!cfg) {
			test_subtest_end();
			continue;
		}
		m = &cfg->tiers[0].meters[ok[i].meter];
		ASSERT_EQ(m->scope, CFG_SCOPE_GLOBAL, "global");
		ASSERT_EQ(m->algorithm, ok[i].alg, "algorithm");
		ASSERT_EQ(m->window_ns, ok[i].window_ns, "window");
		ASSERT_EQ(m->burst, ok[i].burst, "burst");
		for (int k = 0; k < cfg->tiers[0].nmeters; k++)
			if (k != ok[i].meter)
				ASSERT_EQ(cfg->tiers[0].meters[k].scope,
					  CFG_SCOPE_LOCAL, "the others local");
		ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[0], &t), "to abi");
		ASSERT_TRUE(t.flags & SL_TIER_F_GLOBAL, "SL_TIER_F_GLOBAL");
		ASSERT_EQ(SL_TIER_GLOBAL_METER(t.flags), ok[i].meter,
			  "global meter index");
		ASSERT_EQ(t.flags & ~(SL_TIER_F_COARSE_CLOCK |
				      SL_TIER_GLOBAL_FLAGS(3)),
			  0, "no other flag");
		ASSERT_EQ(t.meters[ok[i].meter].burst, ok[i].burst,
			  "local fallback burst");
		cfg_free(cfg);
		test_subtest_end();
	}
}

/* A global limit in one tier, local ones in the others; redis from the
 * config_source section does not count, the redis section does. */
static void test_tiers(void)
{
	struct sl_config *cfg = parse_ok(
		HEAD "  - name: default\n    limits: [{unit: requests, rate: 10}]\n"
		"  - name: vip\n    match: [198.18.10.0/24]\n"
		"    limits: [{unit: packets, rate: 100}, {unit: requests, rate: 30, scope: global}]\n"
		"  - name: partner\n    match: [198.18.20.0/24]\n"
		"    limits: [{unit: requests, rate: 5, scope: global, algorithm: fixed_window}]\n"
		REDIS);
	struct sl_tier t;

	if (!cfg)
		return;
	ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[0], &t), "default");
	ASSERT_FALSE(t.flags & SL_TIER_F_GLOBAL, "default: local");
	ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[1], &t), "vip");
	ASSERT_EQ(t.flags & SL_TIER_GLOBAL_FLAGS(3), SL_TIER_GLOBAL_FLAGS(1),
		  "vip: meter 1");
	ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[2], &t), "partner");
	ASSERT_EQ(t.flags & SL_TIER_GLOBAL_FLAGS(3), SL_TIER_GLOBAL_FLAGS(0),
		  "partner: meter 0");
	cfg_free(cfg);
}

#define LIM(yaml)	TIER(yaml) REDIS

static void test_errors(void)
{
	static const struct cfg_bad bad[] = {
		{ "unknown scope", LIM("{unit: requests, rate: 10, scope: shared}"),
		  "t.yaml:4:48: tiers[0].limits[0].scope: expected one of local|global, got 'shared'" },
		{ "unknown algorithm",
		  LIM("{unit: requests, rate: 10, scope: global, algorithm: leaky_bucket}"),
		  "t.yaml:4:67: tiers[0].limits[0].algorithm: expected one of token_bucket|sliding_window|fixed_window, got 'leaky_bucket'" },
		{ "algorithm on a local limit",
		  LIM("{unit: requests, rate: 10, algorithm: sliding_window}"),
		  "t.yaml:4:52: tiers[0].limits[0].algorithm: expected no algorithm on a local limit (local limits are token buckets; sliding_window and fixed_window need scope: global), got 'sliding_window'" },
		{ "token_bucket on an explicit local limit",
		  LIM("{unit: requests, rate: 10, scope: local, algorithm: token_bucket}"),
		  "t.yaml:4:66: tiers[0].limits[0].algorithm: expected no algorithm on a local limit (local limits are token buckets; sliding_window and fixed_window need scope: global), got 'token_bucket'" },
		{ "window on a local limit",
		  LIM("{unit: requests, rate: 10, window: 1s}"),
		  "t.yaml:4:49: tiers[0].limits[0].window: expected a window only with algorithm: sliding_window or fixed_window (a token bucket has none), got '1s'" },
		{ "window on a global token bucket",
		  LIM("{unit: requests, rate: 10, scope: global, window: 1s}"),
		  "t.yaml:4:64: tiers[0].limits[0].window: expected a window only with algorithm: sliding_window or fixed_window (a token bucket has none), got '1s'" },
		{ "window too short",
		  LIM("{unit: requests, rate: 10, scope: global, algorithm: fixed_window, window: 99ms}"),
		  "t.yaml:4:89: tiers[0].limits[0].window: expected a duration like 500ms, 10s or 5m (100ms..1h), got '99ms'" },
		{ "window too long",
		  LIM("{unit: requests, rate: 10, scope: global, algorithm: fixed_window, window: 61m}"),
		  "t.yaml:4:89: tiers[0].limits[0].window: expected a duration like 500ms, 10s or 5m (100ms..1h), got '61m'" },
		{ "window without a unit",
		  LIM("{unit: requests, rate: 10, scope: global, algorithm: fixed_window, window: 10}"),
		  "t.yaml:4:89: tiers[0].limits[0].window: expected a duration like 500ms, 10s or 5m (100ms..1h), got '10'" },
		{ "rate x window past 32 bits",
		  LIM("{unit: packets, rate: 2000000/s, scope: global, algorithm: sliding_window, window: 1h}"),
		  "t.yaml:4:97: tiers[0].limits[0].window: expected a window in which the rate comes to at most 4294967295 units (the local burst is rate x window), got '1h'" },
		{ "rate x default window past 32 bits",
		  LIM("{unit: packets, rate: 5000000000/s, scope: global, algorithm: sliding_window}"),
		  "t.yaml:4:76: tiers[0].limits[0].algorithm: expected a window in which the rate comes to at most 4294967295 units (the local burst is rate x window), got 'sliding_window'" },
		{ "two global limits in a tier",
		  LIM("{unit: packets, rate: 100, scope: global},\n"
		      "              {unit: requests, rate: 10, scope: global}"),
		  "t.yaml:5:49: tiers[0].limits[1].scope: expected at most one global limit per tier, got a second one (limits[0] at line 4 is global already)" },
		{ "a global third after a local and a global",
		  LIM("{unit: packets, rate: 100},\n"
		      "              {unit: bytes, rate: 1MB/s, scope: global},\n"
		      "              {unit: requests, rate: 10, scope: global}"),
		  "t.yaml:6:49: tiers[0].limits[2].scope: expected at most one global limit per tier, got a second one (limits[1] at line 5 is global already)" },
		{ "no redis section",
		  TIER("{unit: requests, rate: 30, burst: 30, action: http, scope: global}"),
		  "t.yaml:4:73: tiers[0].limits[0].scope: expected a redis section for the global limit of tier 'default' to be shared through, got none (add one like redis: {address: 127.0.0.1:6379})" },
		{ "no redis section, the second tier's second limit",
		  HEAD "  - name: default\n    limits: [{unit: requests, rate: 10}]\n"
		  "  - name: vip\n    match: [198.18.10.0/24]\n"
		  "    limits: [{unit: packets, rate: 100}, {unit: requests, rate: 30, scope: global}]\n",
		  "t.yaml:7:76: tiers[1].limits[1].scope: expected a redis section for the global limit of tier 'vip' to be shared through, got none (add one like redis: {address: 127.0.0.1:6379})" },
		{ "config_source's own redis is not the redis section",
		  TIER("{unit: requests, rate: 30, scope: global}")
		  "config_source: {redis: {address: 198.18.200.1:6390}}\n",
		  "t.yaml:4:48: tiers[0].limits[0].scope: expected a redis section for the global limit of tier 'default' to be shared through, got none (add one like redis: {address: 127.0.0.1:6379})" },
		{ "unknown key names the new ones",
		  LIM("{unit: requests, rate: 10, scop: global}"),
		  "t.yaml:4:41: tiers[0].limits[0].scop: expected a key among unit, rate, burst, action, reply, scope, algorithm, window, got 'scop'" },
	};

	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST_MAIN("unit/config_global", TEST(test_default_local),
	  TEST(test_global_forms), TEST(test_tiers), TEST(test_errors))
