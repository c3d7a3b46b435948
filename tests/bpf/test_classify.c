// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Tiers and client keys: the most specific prefix wins, the default tier
 * catches the rest, allowlist and denylist verdicts, addresses masked to
 * the tier's key prefix share one bucket, and a reload flips to the
 * other half of sl_tiers.
 */
#include "lib/expect.h"

#define V4(addr, ...)	{ .kind = PKT_IPV4, .src = addr, __VA_ARGS__ }
#define V6(addr, ...)	{ .kind = PKT_IPV6, .src = addr, __VA_ARGS__ }

/* Every tier allowlists, so a packet lands in (its tier, allowlisted). */
static const struct { const char *cidr; __u32 tier; } prefixes[] = {
	{ "198.18.0.0/16", 1 },
	{ "198.18.10.0/24", 2 },
	{ "198.18.10.128/25", 3 },
	{ "198.18.10.200/32", 4 },
	{ "2001:2:0:100::/56", 1 },
	{ "2001:2:0:1a0::/60", 2 },
	{ "2001:2:0:1ab::/64", 3 },
	{ "2001:2:0:1ab::7/128", 4 },
	{ "198.18.50.0/24", 200 },	/* no such tier */
};

#define ALLOW(d, s, tier)	{ d, s, XDP_PASS, tier, SL_R_ALLOWLISTED, NO_EVENT }

static const struct xdp_case classify_cases[] = {
	ALLOW("v4 /16", V4("198.18.3.4"), 1),
	ALLOW("v4 /24 inside the /16", V4("198.18.10.4"), 2),
	ALLOW("v4 /25 inside the /24", V4("198.18.10.130"), 3),
	ALLOW("v4 /32 inside the /25", V4("198.18.10.200"), 4),
	ALLOW("v4 next to the /32", V4("198.18.10.201"), 3),
	ALLOW("v4 below the /25", V4("198.18.10.127"), 2),
	ALLOW("v4 no match: default tier", V4("198.19.0.1"), 5),
	ALLOW("v4 prefix naming no tier: default tier", V4("198.18.50.1"), 5),
	ALLOW("v6 /56", V6("2001:2:0:1ff::1"), 1),
	ALLOW("v6 /60 inside the /56", V6("2001:2:0:1a5::1"), 2),
	ALLOW("v6 /64 inside the /60", V6("2001:2:0:1ab:ffff::1"), 3),
	ALLOW("v6 /128 inside the /64", V6("2001:2:0:1ab::7"), 4),
	ALLOW("v6 next to the /128", V6("2001:2:0:1ab::8"), 3),
	ALLOW("v6 no match: default tier", V6("2001:2::1"), 5),
	/* Headers between the frame's start and the address. */
	ALLOW("v4 over 802.1Q", V4("198.18.10.4", .nvlan = 1), 2),
	ALLOW("v6 behind extension headers",
	      V6("2001:2:0:1a5::1", .n_ext = 2,
		 .ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS }), 2),
};

static bool setup(struct xdp_fixture *fx)
{
	return FIXTURE_SETUP(fx, FIXTURE_CLIENTS) &&
	       ASSERT_OK(fixture_set_mode(fx, SL_MODE_ENFORCE, SL_POLICY_PASS, 5),
			 "mode");
}

/* Tier `id` of generation `gen` as *t with `verdict`, and `cidr` (if
 * any) mapped to it. */
struct tier_plan {
	__u32 gen, id;
	__u8 verdict;
	const char *cidr;
};

static bool set_tiers(struct xdp_fixture *fx, struct sl_tier *t,
		      const struct tier_plan *plan, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		t->verdict = plan[i].verdict;
		if (!ASSERT_OK(fixture_set_tier_gen(fx, plan[i].gen, plan[i].id,
						    t), "tier") ||
		    (plan[i].cidr &&
		     !ASSERT_OK(fixture_add_prefix(fx, plan[i].cidr, plan[i].id),
				plan[i].cidr)))
			return false;
	}
	return true;
}

static void test_most_specific_wins(void)
{
	static const struct pkt_spec unmatched = V4("198.19.0.1");
	struct xdp_fixture fx;
	struct sl_tier t;
	__u64 sent = 0;

	if (!setup(&fx))
		return;
	fixture_tier_init(&t, SL_TIER_PASS, 0, 0);
	for (__u32 id = 1; id <= 5; id++)
		if (!ASSERT_OK(fixture_set_tier(&fx, id, &t), "tier"))
			goto out;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!ASSERT_OK(fixture_add_prefix(&fx, prefixes[i].cidr,
						  prefixes[i].tier),
			       prefixes[i].cidr))
			goto out;
	expect_table(&fx, classify_cases,
		     sizeof(classify_cases) / sizeof(classify_cases[0]), &sent);

	/* A default tier past the last one: passed, counted untiered. */
	if (ASSERT_OK(fixture_set_mode(&fx, SL_MODE_ENFORCE, SL_POLICY_PASS,
				       SL_MAX_TIERS), "bad default")) {
		expect_send(&fx, "no tier at all", &unmatched,
			    XDP_PASS, SL_TIER_NONE, SL_R_UNMETERED);
		sent++;
	}
	expect_total(&fx, sent);
out:
	fixture_close(&fx);
}

/* Allowlisted tiers bypass meters; denylisted ones drop, or only count
 * in shadow mode. */
static void test_tier_verdicts(void)
{
	static const struct pkt_spec allowed = V4("198.18.1.1");
	static const struct pkt_spec denied = V6("2001:2:0:66::1");
	static const struct tier_plan plan[] = {
		{ 0, 1, SL_TIER_PASS, "198.18.1.0/24" },
		{ 0, 2, SL_TIER_DROP, "2001:2:0:66::/64" },
	};
	struct xdp_fixture fx;
	struct sl_tier t;

	if (!setup(&fx))
		return;
	/* Both keep meters that would refuse: they never run. */
	fixture_tier_init(&t, SL_TIER_PASS, 0, 0);
	if (!ASSERT_OK(fixture_tier_meter(&t, SL_UNIT_PACKETS, 1, 1,
					  SL_ACT_DROP), "meter") ||
	    !set_tiers(&fx, &t, plan, sizeof(plan) / sizeof(plan[0])))
		goto out;

	for (int i = 0; i < 3; i++)
		expect_send(&fx, "allowlisted", &allowed, XDP_PASS, 1,
			    SL_R_ALLOWLISTED);
	expect_send(&fx, "denylisted", &denied, XDP_DROP, 2, SL_R_DENYLISTED);
	ASSERT_EQ(fixture_client_count(&fx), 0, "no client entries");

	if (!ASSERT_OK(fixture_set_mode(&fx, SL_MODE_SHADOW, SL_POLICY_PASS, 5),
		       "shadow"))
		goto out;
	expect_send(&fx, "denylisted in shadow", &denied, XDP_PASS, 2,
		    SL_R_DENYLISTED);
	expect_total(&fx, 5);
out:
	fixture_close(&fx);
}

/* Send from `src` and check the verdict. */
static bool send_from(struct xdp_fixture *fx, const char *src, int verdict)
{
	struct pkt_spec s = { .kind = strchr(src, ':') ? PKT_IPV6 : PKT_IPV4,
			      .src = src, .tcp_flags = TH_ACK };

	return ASSERT_EQ(fixture_send(fx, &s), verdict, src);
}

/*
 * Tier 1 (v4 /24, v6 /64 keys) allows 2 packets per client.  Two
 * addresses in one /64 (or /24) share them; the next network has its
 * own.  The entry is keyed by the masked address.
 */
static void test_key_masking(void)
{
	static const struct {
		const char *a, *b, *other, *key;
		int prefix;
	} nets[] = {
		{ "2001:2:0:1::1", "2001:2:0:1:ffff:ffff:ffff:ffff",
		  "2001:2:0:2::1", "2001:2:0:1::", 64 },
		{ "198.18.1.1", "198.18.1.254", "198.18.2.1", "198.18.1.0", 24 },
	};
	struct xdp_fixture fx;
	struct sl_tier t;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, 1, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 2, .per_sec = 1 }),
			&t), "tier"))
		goto out;
	t.v4_prefix = 24;
	if (!ASSERT_OK(fixture_set_tier(&fx, 1, &t), "tier /24 /64") ||
	    !ASSERT_OK(fixture_add_prefix(&fx, "198.18.0.0/15", 1), "prefix") ||
	    !ASSERT_OK(fixture_add_prefix(&fx, "2001:2::/48", 1), "prefix"))
		goto out;

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct sl_client_key k;
		struct sl_client c;

		test_subtest_begin(nets[i].key);
		send_from(&fx, nets[i].a, XDP_PASS);
		send_from(&fx, nets[i].b, XDP_PASS);
		send_from(&fx, nets[i].a, XDP_DROP);
		send_from(&fx, nets[i].b, XDP_DROP);
		send_from(&fx, nets[i].other, XDP_PASS);
		if (ASSERT_OK(fixture_client_key(&k, nets[i].key, nets[i].prefix, 1),
			      "key"))
			ASSERT_OK(fixture_client(&fx, &k, &c), "masked entry");
		test_subtest_end();
	}
	ASSERT_EQ(fixture_client_count(&fx), 4, "one entry per network");
out:
	fixture_close(&fx);
}

/* A reload writes the idle half of sl_tiers and flips tier_gen: the
 * packet sees the old tier until the flip, the new one after. */
static void test_tier_generation(void)
{
	static const struct pkt_spec s = V4("198.18.1.1");
	static const struct tier_plan plan[] = {
		{ 0, 5, SL_TIER_PASS, NULL },
		{ 1, 5, SL_TIER_DROP, NULL },
	};
	struct xdp_fixture fx;
	struct sl_tier t;

	if (!setup(&fx))
		return;
	fixture_tier_init(&t, SL_TIER_PASS, 0, 0);
	if (!set_tiers(&fx, &t, plan, sizeof(plan) / sizeof(plan[0])))
		goto out;
	expect_send(&fx, "generation 0", &s, XDP_PASS, 5, SL_R_ALLOWLISTED);
	fx.global.tier_gen = 1;
	if (!ASSERT_OK(fixture_set_global(&fx), "flip"))
		goto out;
	expect_send(&fx, "generation 1", &s, XDP_DROP, 5, SL_R_DENYLISTED);
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/classify",
	  TEST(test_most_specific_wins),
	  TEST(test_tier_verdicts),
	  TEST(test_key_masking),
	  TEST(test_tier_generation));
