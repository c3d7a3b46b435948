// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A config tier translated to the map value the XDP program reads:
 * meters in GCRA form, key prefixes, the clock and flood-guard flags. */
#include "test.h"
#include "config_util.h"
#include "kern/tier_abi.h"

static void test_tier_to_abi(void)
{
	struct sl_config *cfg = parse_ok(
		HEAD "  - name: default\n    match: [0.0.0.0/0]\n"
		"    limits: [{unit: requests, rate: 1/s, burst: 5, action: http}]\n"
		/* 1000/s burst 10: a 10 ms window, under 4 coarse ticks. */
		"  - name: tight\n    match: [198.18.1.0/24]\n"
		"    limits: [{unit: packets, rate: 1000, burst: 10},\n"
		"             {unit: requests, rate: 1}]\n"
		/* 1000/s burst 16: exactly 16 ms, coarse is fine. */
		"  - name: edge\n    match: [198.18.2.0/24]\n"
		"    key: {v4_prefix: 24, v6_prefix: 56}\n"
		"    limits: [{unit: packets, rate: 1000, burst: 16}]\n"
		/* A tight flood guard keeps the precise clock. */
		"  - name: guarded\n    match: [198.18.3.0/24]\n"
		"    limits: [{unit: packets, rate: 10}]\n"
		"    flood_guard: {new_clients: 100000/s, burst: 1}\n"
		"  - name: allow\n    match: [198.18.4.0/24]\n    verdict: pass\n"
		"  - name: unguarded\n    match: [198.18.5.0/24]\n"
		"    limits: [{unit: requests, rate: 1/s, burst: 5}]\n"
		"    flood_guard: off\n");
	struct sl_tier t;

	if (!cfg)
		return;
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[0], &t), "default")) {
		ASSERT_EQ(t.verdict, SL_TIER_LIMIT, "verdict");
		ASSERT_EQ(t.nmeters, 1, "nmeters");
		ASSERT_EQ(t.v4_prefix, 32, "v4");
		ASSERT_EQ(t.v6_prefix, 64, "v6");
		ASSERT_EQ(t.meters[0].interval_fp, SEC_NS << SL_FP_SHIFT, "1/s interval");
		ASSERT_EQ(t.meters[0].tolerance_ns, 5 * SEC_NS, "burst 5 tolerance");
		ASSERT_EQ(t.meters[0].unit, SL_UNIT_REQUESTS, "unit");
		ASSERT_EQ(t.meters[0].action, SL_ACT_HTTP, "action");
		ASSERT_EQ(t.meters[0].burst, 5, "burst");
		/* Nothing said about floods: the default guard (10485/s,
		 * burst 20970: 2 s of tolerance) keeps the coarse clock. */
		ASSERT_EQ(t.flags, SL_TIER_F_COARSE_CLOCK | SL_TIER_F_FLOOD_GUARD,
			  "coarse, the default flood guard");
		ASSERT_EQ(t.new_clients.burst, 20970, "default guard burst");
	}
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[1], &t), "tight")) {
		ASSERT_EQ(t.nmeters, 2, "nmeters");
		ASSERT_EQ(t.meters[0].tolerance_ns, 10000000, "10 ms");
		ASSERT_EQ(t.flags & SL_TIER_F_COARSE_CLOCK, 0, "one tight meter: precise clock");
	}
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[2], &t), "edge")) {
		ASSERT_EQ(t.meters[0].tolerance_ns, CFG_COARSE_MIN_TOL_NS, "16 ms");
		ASSERT_EQ(t.flags, SL_TIER_F_COARSE_CLOCK | SL_TIER_F_FLOOD_GUARD,
			  "16 ms: coarse (and the default guard)");
		ASSERT_EQ(t.v4_prefix, 24, "v4 key");
		ASSERT_EQ(t.v6_prefix, 56, "v6 key");
	}
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[3], &t), "guarded")) {
		ASSERT_EQ(t.flags, SL_TIER_F_FLOOD_GUARD, "flood guard, precise clock");
		ASSERT_EQ(t.new_clients.interval_fp, 10000ULL << SL_FP_SHIFT, "10 us");
		ASSERT_EQ(t.new_clients.tolerance_ns, 10000, "burst 1");
	}
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[4], &t), "allow")) {
		ASSERT_EQ(t.verdict, SL_TIER_PASS, "pass");
		ASSERT_EQ(t.nmeters, 0, "no meters");
		ASSERT_EQ(t.flags & SL_TIER_F_FLOOD_GUARD, 0, "no flood guard");
	}
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[5], &t), "unguarded"))
		ASSERT_EQ(t.flags, SL_TIER_F_COARSE_CLOCK, "coarse, no flood guard");
	cfg_free(cfg);
}

TEST_MAIN("unit/tier_abi",
	  TEST(test_tier_to_abi))
