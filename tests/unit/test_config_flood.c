// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flood guard in the config (issue 14): a limit tier that says
 * nothing about floods gets flood_guard_default() of its client table,
 * `off` and `false` turn it off, a mapping is kept as written, pass and
 * drop tiers get none; what reaches sl_tier, and every refusal. */
#include "test.h"
#include "config_util.h"
#include "config/flood_default.h"
#include "config/tiers.h"
#include "common/gcra.h"
#include "kern/tier_abi.h"

#define LIMIT	"    limits: [{unit: packets, rate: 10}]\n"

/* The figures by hand: a hundredth of the table per second, at least
 * 100, burst two seconds' worth. */
static const struct {
	uint32_t clients;
	uint64_t per_sec;
	uint32_t burst;
} sizes[] = {
	{ 1024, 100, 200 },		/* the smallest table: the floor */
	{ 4096, 100, 200 },
	{ 10000, 100, 200 },		/* exactly the floor */
	{ 65536, 655, 1310 },		/* the netns lab's table */
	{ 100000, 1000, 2000 },
	{ 1048576, 10485, 20970 },	/* the default table */
	{ 67108864, 671088, 1342176 },	/* the largest */
};

static void expect_default(const struct cfg_tier *t, uint64_t per_sec,
			   uint32_t burst)
{
	ASSERT_EQ(t->flood_guard, 1, "a flood guard runs");
	ASSERT_TRUE(t->flood_default, "the default one");
	ASSERT_EQ(t->new_clients.count, per_sec, "new clients per second");
	ASSERT_EQ(t->new_clients.period_ns, SEC_NS, "per second");
	ASSERT_EQ(t->new_clients.burst, burst, "burst: two seconds' worth");
	ASSERT_EQ(t->new_clients.unit, SL_UNIT_PACKETS, "one unit per entry");
	ASSERT_EQ(t->new_clients.action, SL_ACT_DROP, "action drop");
}

static void expect_none(const struct cfg_tier *t, const char *what)
{
	ASSERT_EQ(t->flood_guard, 0, what);
	ASSERT_FALSE(t->flood_default, "not the default either");
}

static void test_default_sizes(void)
{
	char name[32], text[512];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sl_config *cfg;
		uint64_t per_sec;
		uint32_t burst;

		snprintf(name, sizeof(name), "%u clients", sizes[i].clients);
		test_subtest_begin(name);
		flood_guard_default(sizes[i].clients, &per_sec, &burst);
		ASSERT_EQ(per_sec, sizes[i].per_sec, "flood_guard_default: rate");
		ASSERT_EQ(burst, sizes[i].burst, "flood_guard_default: burst");
		/* client_table_size after the tiers: sized all the same. */
		snprintf(text, sizeof(text), HEAD "  - name: default\n" LIMIT
			 "client_table_size: %u\n", sizes[i].clients);
		cfg = parse_ok(text);
		if (cfg)
			expect_default(&cfg->tiers[0], sizes[i].per_sec,
				       sizes[i].burst);
		cfg_free(cfg);
		test_subtest_end();
	}
}

/* Without client_table_size: the default table's. */
static void test_default_table(void)
{
	struct sl_config *cfg = parse_ok(HEAD "  - name: default\n" LIMIT);

	if (cfg)
		expect_default(&cfg->tiers[0], 10485, 20970);
	cfg_free(cfg);
}

/* Off, explicit, and the tiers that get none, side by side. */
static void test_forms(void)
{
	struct sl_config *cfg = parse_ok(
		HEAD "  - name: default\n    match: [0.0.0.0/0]\n" LIMIT
		"  - name: is_off\n    match: [198.18.1.0/24]\n" LIMIT
		"    flood_guard: off\n"
		"  - name: is_false\n    match: [198.18.2.0/24]\n" LIMIT
		"    flood_guard: false\n"
		"  - name: given\n    match: [198.18.3.0/24]\n" LIMIT
		"    flood_guard: {new_clients: 100/s, burst: 50}\n"
		"  - name: rate_only\n    match: [198.18.4.0/24]\n" LIMIT
		"    flood_guard: {new_clients: 30/m}\n"
		"  - name: allow\n    match: [198.18.5.0/24]\n    verdict: pass\n"
		"  - name: deny\n    match: [198.18.6.0/24]\n    verdict: drop\n"
		"  - name: allow_off\n    match: [198.18.7.0/24]\n    verdict: pass\n"
		"    flood_guard: off\n"
		"  - name: meterless\n    match: [198.18.8.0/24]\n"
		"client_table_size: 65536\n");

	if (!cfg)
		return;
	expect_default(&cfg->tiers[0], 655, 1310);
	expect_none(&cfg->tiers[1], "off: none");
	expect_none(&cfg->tiers[2], "false: none");
	ASSERT_EQ(cfg->tiers[3].flood_guard, 1, "given: runs");
	ASSERT_FALSE(cfg->tiers[3].flood_default, "given: not the default");
	ASSERT_EQ(cfg->tiers[3].new_clients.count, 100, "given: rate as written");
	ASSERT_EQ(cfg->tiers[3].new_clients.burst, 50, "given: burst as written");
	ASSERT_EQ(cfg->tiers[4].flood_guard, 1, "rate only: runs");
	ASSERT_FALSE(cfg->tiers[4].flood_default, "rate only: not the default");
	ASSERT_EQ(cfg->tiers[4].new_clients.count, 30, "rate only: 30");
	ASSERT_EQ(cfg->tiers[4].new_clients.period_ns, 60 * SEC_NS, "per minute");
	ASSERT_EQ(cfg->tiers[4].new_clients.burst, 1, "burst as for limits: a second's worth, at least 1");
	expect_none(&cfg->tiers[5], "pass tier: none");
	expect_none(&cfg->tiers[6], "drop tier: none");
	expect_none(&cfg->tiers[7], "pass tier with off: none");
	expect_none(&cfg->tiers[8], "limit tier without limits: none (it meters nothing)");
	cfg_free(cfg);
}

/* What the XDP program reads: the default sized from the table the
 * clients live in, the flag, the coarse clock kept. */
static void test_abi(void)
{
	struct sl_config *cfg = parse_ok(
		HEAD "  - name: default\n    match: [0.0.0.0/0]\n" LIMIT
		"  - name: is_off\n    match: [198.18.1.0/24]\n" LIMIT
		"    flood_guard: off\n"
		"  - name: given\n    match: [198.18.3.0/24]\n" LIMIT
		"    flood_guard: {new_clients: 100/s, burst: 50}\n");
	struct sl_meter want;
	struct sl_tier t;

	if (!cfg)
		return;
	if (ASSERT_OK(cfg_tier_to_abi(&cfg->tiers[0], &t), "default")) {
		ASSERT_EQ(t.flags, SL_TIER_F_FLOOD_GUARD | SL_TIER_F_COARSE_CLOCK,
			  "default guard, coarse clock (2 s of tolerance)");
		ASSERT_OK(gcra_meter_set(&want, 10485, SEC_NS, 20970,
					 SL_UNIT_PACKETS, SL_ACT_DROP), "want");
		ASSERT_EQ(t.new_clients.interval_fp, want.interval_fp, "10485/s");
		ASSERT_EQ(t.new_clients.tolerance_ns, want.tolerance_ns, "burst 20970");
		ASSERT_EQ(t.new_clients.burst, 20970, "burst");
	}
	/* An interface whose pinned table kept 4096 entries. */
	if (ASSERT_OK(cfg_tier_to_abi_in(&cfg->tiers[0], 4096, &t), "default in 4096")) {
		ASSERT_OK(gcra_meter_set(&want, 100, SEC_NS, 200,
					 SL_UNIT_PACKETS, SL_ACT_DROP), "want");
		ASSERT_EQ(t.new_clients.interval_fp, want.interval_fp, "100/s");
		ASSERT_EQ(t.new_clients.burst, 200, "burst 200");
		ASSERT_EQ(t.flags, SL_TIER_F_FLOOD_GUARD | SL_TIER_F_COARSE_CLOCK,
			  "flags");
	}
	if (ASSERT_OK(cfg_tier_to_abi_in(&cfg->tiers[1], 4096, &t), "off"))
		ASSERT_EQ(t.flags, SL_TIER_F_COARSE_CLOCK, "off: no guard");
	/* A guard written out is the operator's: the table does not move it. */
	if (ASSERT_OK(cfg_tier_to_abi_in(&cfg->tiers[2], 4096, &t), "given")) {
		ASSERT_OK(gcra_meter_set(&want, 100, SEC_NS, 50,
					 SL_UNIT_PACKETS, SL_ACT_DROP), "want");
		ASSERT_EQ(t.new_clients.interval_fp, want.interval_fp, "100/s as written");
		ASSERT_EQ(t.new_clients.burst, 50, "burst 50 as written");
	}
	cfg_free(cfg);
}

#define TIER	HEAD "  - name: default\n"

static void test_errors(void)
{
	static const struct cfg_bad bad[] = {
		{ "maybe", TIER LIMIT "    flood_guard: maybe\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected off, or a mapping like {new_clients: 1000/s, burst: 2000}, got 'maybe'" },
		{ "on", TIER LIMIT "    flood_guard: on\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected off, or a mapping like {new_clients: 1000/s, burst: 2000}, got 'on'" },
		{ "true", TIER LIMIT "    flood_guard: true\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected off, or a mapping like {new_clients: 1000/s, burst: 2000}, got 'true'" },
		{ "Off", TIER LIMIT "    flood_guard: Off\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected off, or a mapping like {new_clients: 1000/s, burst: 2000}, got 'Off'" },
		{ "a list", TIER LIMIT "    flood_guard: [off]\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected off, or a mapping like {new_clients: 1000/s, burst: 2000}, got a list" },
		{ "a rate alone", TIER LIMIT "    flood_guard: 100/s\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected off, or a mapping like {new_clients: 1000/s, burst: 2000}, got '100/s'" },
		{ "bad rate", TIER LIMIT "    flood_guard: {new_clients: lots}\n",
		  "t.yaml:5:32: tiers[0].flood_guard.new_clients: expected a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s, got 'lots'" },
		{ "zero burst", TIER LIMIT "    flood_guard: {new_clients: 10/s, burst: 0}\n",
		  "t.yaml:5:45: tiers[0].flood_guard.burst: expected a burst (1..4294967295), got '0'" },
		{ "unknown key", TIER LIMIT "    flood_guard: {new_clients: 10/s, rate: 5}\n",
		  "t.yaml:5:38: tiers[0].flood_guard.rate: expected a key among new_clients, burst, got 'rate'" },
		{ "a mapping on a drop tier",
		  TIER "    verdict: drop\n    flood_guard: {new_clients: 10/s}\n",
		  "t.yaml:5:18: tiers[0].flood_guard: expected no flood_guard on a tier with verdict drop, got a mapping" },
	};

	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST_MAIN("unit/config_flood",
	  TEST(test_default_sizes),
	  TEST(test_default_table),
	  TEST(test_forms),
	  TEST(test_abi),
	  TEST(test_errors))
