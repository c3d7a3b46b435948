// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rollouts in the data path (include/sluice_rollout.h, bpf/lib/rollout.bpf.h)
 * through sluiced's kern side (user/kern/rollout.c) on the real maps:
 * the cohort is stable and proportional, the XDP program picks the same
 * clients as userspace, a canary client is metered by the candidate and a
 * control client by the running policy, a prefix moved to a drop tier
 * drops only canary clients, a shadow phase counts without enforcing or
 * touching sl_clients, no rollout counts nothing extra, and clearing
 * leaves nothing behind.
 */
#include <stdlib.h>
#include <bpf/bpf.h>

#include "lib/pkt.h"
#include "lib/roll_rig.h"

#define HEAD	"interfaces: [lo]\ntiers:\n"
#define NORMAL(burst)							\
	"  - name: normal\n    match: [0.0.0.0/0, \"::/0\"]\n"		\
	"    limits: [{unit: packets, rate: 1/s, burst: " #burst "}]\n"
#define VIP	"  - name: vip\n    match: [198.18.10.0/24]\n"		\
		"    limits: [{unit: packets, rate: 1/s, burst: 50}]\n"
#define BLOCKED(match)							\
	"  - name: blocked\n    match: [" match "]\n    verdict: drop\n"

#define CONTROL		HEAD NORMAL(2) VIP
#define CAND_LOOSER	HEAD NORMAL(6) VIP
#define CAND_BLOCK	HEAD NORMAL(2) BLOCKED("198.18.10.0/24") \
	"  - name: vip\n    match: [198.18.11.0/24]\n"		\
	"    limits: [{unit: packets, rate: 1/s, burst: 50}]\n"
#define RELOADED	HEAD NORMAL(3) VIP \
	"  - name: other\n    match: [198.18.30.0/24]\n    verdict: pass\n"
#define CAND_TIGHTER	HEAD NORMAL(1) VIP
#define CAND_REKEYED	HEAD NORMAL(6) VIP \
	"    key: {v4_prefix: 24}\n"
#define CAND_HTTP	HEAD \
	"  - name: normal\n    match: [0.0.0.0/0, \"::/0\"]\n" \
	"    limits: [{unit: requests, rate: 1/s, burst: 1, action: http}]\n" VIP

#define HALF		(SL_ROLL_SHARE_MAX / 2)

static int send_udp(struct rig *r, const char *src, __u8 kind)
{
	struct pkt_spec s = { .kind = kind, .src = src, .proto = IPPROTO_UDP };

	return fixture_send(&r->fx, &s);
}

/* Packets of `n` sent from `src` that passed. */
static int passes(struct rig *r, const char *src, int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += send_udp(r, src, PKT_IPV4) == XDP_PASS;
	return ok;
}

static __u64 canary_packets(struct rig *r, __u32 tier, __u32 reason)
{
	struct sl_counter c[SL_STATS_ENTRIES];

	if (rollout_counters_read(&r->ifc, c))
		return ~0ULL;
	return c[sl_stats_index(tier, reason)].packets;
}

static __u64 canary_total(struct rig *r)
{
	struct sl_counter c[SL_STATS_ENTRIES];
	__u64 n = 0;

	if (rollout_counters_read(&r->ifc, c))
		return ~0ULL;
	for (int i = 0; i < SL_STATS_ENTRIES; i++)
		n += c[i].packets;
	return n;
}

/* Over 100k synthetic sources the share is met within 1 point, and a
 * source in at one share stays in at every larger one. */
static void test_cohort_proportional(void)
{
	static const __u32 shares[] = { 655, 3277, 16384, 32768, 62259 };
	const int n = 100000;
	__u32 seed = sl_cohort_seed(0x123456789abcdefULL);
	int in[5] = {}, unstable = 0;

	for (int i = 0; i < n; i++) {
		__u32 a[4] = { htonl(0xc6120000u + i * 7) };
		int prev = 1;

		for (int s = 4; s >= 0; s--) {
			int c = sl_cohort_in(seed, shares[s], SL_AF_INET, a);

			in[s] += c;
			unstable += c && !prev;
			prev = c;
		}
	}
	for (int s = 0; s < 5; s++) {
		double want = (double)shares[s] / SL_ROLL_SHARE_MAX;
		double got = (double)in[s] / n;

		printf("# share %.4f: %.4f of %d sources\n", want, got, n);
		ASSERT_TRUE(got > want - 0.01 && got < want + 0.01, "within 1 point");
	}
	ASSERT_EQ(unstable, 0, "in at a share, in at every larger one");
}

/* The same for IPv6 /64s, and every address of a /64 with its /64. */
static void test_cohort_v6(void)
{
	__u32 seed = sl_cohort_seed(42), a[4], b[4];
	const int n = 100000;
	int in = 0, split = 0;

	for (int i = 0; i < n; i++) {
		roll_addr("2001:2::", SL_AF_INET6, a);
		a[1] = htonl(i * 13);
		memcpy(b, a, sizeof(b));
		b[2] = htonl(0xdead0000u + i);
		b[3] = htonl(i);
		in += sl_cohort_in(seed, HALF / 5, SL_AF_INET6, a);
		split += sl_cohort_in(seed, HALF / 5, SL_AF_INET6, a) !=
			 sl_cohort_in(seed, HALF / 5, SL_AF_INET6, b);
	}
	printf("# share 0.1000: %.4f of %d /64s\n", (double)in / n, n);
	ASSERT_TRUE(in > n / 10 - n / 100 && in < n / 10 + n / 100,
		    "within 1 point");
	ASSERT_EQ(split, 0, "a /64's addresses share its cohort");
}

/* The XDP program's cohort is userspace's: a candidate that drops
 * everybody drops exactly the sources sl_cohort_in() names, v4 and v6. */
static void test_cohort_agrees(void)
{
	struct sl_config *cand;
	int agree = 0, canary = 0, total = 0;
	char src[64];
	struct rig r;
	__u32 a[4];

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, HEAD BLOCKED("0.0.0.0/0, \"::/0\""),
		     SL_ROLL_CANARY, HALF);
	if (!cand)
		goto out;
	for (int i = 0; i < 200; i++) {
		bool v6 = i & 1;
		int in, act;

		if (v6)
			snprintf(src, sizeof(src), "2001:2:0:%x::1", i);
		else
			snprintf(src, sizeof(src), "198.18.%d.%d", i / 200 + 40, i);
		roll_addr(src, v6 ? SL_AF_INET6 : SL_AF_INET, a);
		in = sl_cohort_in(sl_cohort_seed(cand->hash), HALF,
				  v6 ? SL_AF_INET6 : SL_AF_INET, a);
		act = send_udp(&r, src, v6 ? PKT_IPV6 : PKT_IPV4);
		agree += act == (in ? XDP_DROP : XDP_PASS);
		canary += in;
		total++;
	}
	ASSERT_EQ(agree, total, "XDP's cohort is sl_cohort_in()'s");
	ASSERT_TRUE(canary > 60 && canary < 140, "about half canary");
	ASSERT_EQ(canary_packets(&r, apply_tier_id(&r.ifc, "blocked"),
				 SL_R_DENYLISTED), (__u64)canary,
		  "canary counted in sl_counters_c");
	cfg_free(cand);
out:
	rig_close(&r);
}

/* A canary client gets the candidate's burst (6), a control client the
 * running one's (2); the canary's bucket is the client's own entry. */
static void test_canary_metered(void)
{
	char can[32], ctl[32];
	struct sl_client_key k;
	struct sl_client c;
	struct sl_config *cand;
	struct rig r;
	__u32 seed;
	int id;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, CAND_LOOSER, SL_ROLL_CANARY, HALF);
	if (!cand)
		goto out;
	seed = sl_cohort_seed(cand->hash);
	id = apply_tier_id(&r.ifc, "normal");
	if (!ASSERT_TRUE(roll_pick_v4(seed, HALF, 1, true, can, sizeof(can)) &&
			 roll_pick_v4(seed, HALF, 1, false, ctl, sizeof(ctl)),
			 "a canary and a control source"))
		goto done;
	ASSERT_EQ(passes(&r, can, 10), 6, "canary: the candidate's burst");
	ASSERT_EQ(passes(&r, ctl, 10), 2, "control: the running burst");
	ASSERT_EQ(canary_packets(&r, id, SL_R_PASSED), 6, "canary passed");
	ASSERT_EQ(canary_packets(&r, id, SL_R_DROPPED), 4, "canary dropped");
	ASSERT_EQ(fixture_stat_packets(&r.fx, id, SL_R_PASSED), 8,
		  "sl_counters: both cohorts");
	fixture_client_key(&k, can, 32, id);
	ASSERT_OK(fixture_client(&r.fx, &k, &c), "same key: the client's own bucket");
	/* The share grows to everybody: the control source is canary now,
	 * its bucket carried over (2 taken of the candidate's 6). */
	ASSERT_OK(rollout_set(&r.ifc, SL_ROLL_CANARY, SL_ROLL_SHARE_MAX, seed),
		  "share 65536");
	ASSERT_EQ(passes(&r, ctl, 10), 4, "bucket carried over to the canary");
	/* Share 0: nobody; the canary source is back on burst 2, spent. */
	ASSERT_OK(rollout_set(&r.ifc, SL_ROLL_CANARY, 0, seed), "share 0");
	fixture_clear_clients(&r.fx);
	ASSERT_EQ(passes(&r, can, 10), 2, "share 0: control for everybody");
done:
	cfg_free(cand);
out:
	rig_close(&r);
}

/* The candidate moves 198.18.10.0/24 from vip to a drop tier: its canary
 * clients are dropped, its control clients pass; clearing ends it and
 * frees the canary-only tier's id. */
static void test_prefix_to_drop(void)
{
	struct apply_summary sum = {};
	struct rollout_kstate st;
	struct sl_config *cand, *running;
	char can[32], ctl[32];
	struct rig r;
	int blocked;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, CAND_BLOCK, SL_ROLL_CANARY, HALF / 5);
	running = roll_parse(RELOADED);
	if (!cand || !running)
		goto done;
	blocked = apply_tier_id(&r.ifc, "blocked");
	ASSERT_TRUE(blocked >= 0, "blocked has an id");
	ASSERT_TRUE(roll_pick_v4(sl_cohort_seed(cand->hash), HALF / 5, 10, true,
			    can, sizeof(can)) &&
		    roll_pick_v4(sl_cohort_seed(cand->hash), HALF / 5, 10, false,
			    ctl, sizeof(ctl)), "sources");
	ASSERT_EQ(passes(&r, can, 3), 0, "canary in the moved prefix: dropped");
	ASSERT_EQ(passes(&r, ctl, 3), 3, "control in it: vip as before");
	ASSERT_EQ(canary_packets(&r, blocked, SL_R_DENYLISTED), 3, "denylisted");

	/* A control reload keeps the canary's own tier and its id. */
	ASSERT_TRUE(rig_apply(&r, RELOADED, NULL), "control reload");
	ASSERT_EQ(apply_tier_id(&r.ifc, "blocked"), blocked, "id kept");
	ASSERT_TRUE(apply_tier_id(&r.ifc, "other") != blocked, "not reused");
	ASSERT_EQ(passes(&r, can, 3), 0, "still dropped after the reload");

	ASSERT_OK(rollout_clear(&r.ifc, running, &sum), "rollout_clear");
	ASSERT_OK(rollout_get(&r.ifc, &st), "rollout_get");
	ASSERT_TRUE(st.state == SL_ROLL_OFF && !st.config_hash && !st.tiers,
		    "switches off");
	ASSERT_EQ(apply_tier_id(&r.ifc, "blocked"), -1, "canary-only id freed");
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_pfx_v4_c) +
		  fixture_map_count(r.fx.skel->maps.sl_pfx_v6_c), 0, "tries empty");
	ASSERT_EQ(canary_total(&r), 0, "canary counters zeroed");
	ASSERT_EQ(passes(&r, can, 3), 3, "back on vip");
	ASSERT_OK(rollout_clear(&r.ifc, running, &sum), "clear again: nothing");
done:
	apply_summary_free(&sum);
	cfg_free(cand);
	cfg_free(running);
	rig_close(&r);
}

/* Shadow: the running policy decides everything, the candidate (burst 1)
 * counts what it would refuse, on sl_clients_s only. */
static void test_shadow(void)
{
	struct sl_client_key k;
	struct sl_client before, after;
	struct sl_config *cand;
	struct rig r;
	int id;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, HEAD NORMAL(5) VIP, CAND_TIGHTER, SL_ROLL_SHADOW, 0);
	if (!cand)
		goto out;
	id = apply_tier_id(&r.ifc, "normal");
	ASSERT_EQ(passes(&r, "198.18.1.1", 1), 1, "first");
	fixture_client_key(&k, "198.18.1.1", 32, id);
	ASSERT_OK(fixture_client(&r.fx, &k, &before), "control bucket");
	ASSERT_EQ(passes(&r, "198.18.1.1", 4), 4, "enforced by control only");
	ASSERT_EQ(canary_packets(&r, id, SL_R_PASSED), 1, "shadow passed 1");
	ASSERT_EQ(canary_packets(&r, id, SL_R_SHADOW_DROP), 4,
		  "shadow would drop 4");
	ASSERT_EQ(fixture_stat_packets(&r.fx, id, SL_R_PASSED), 5,
		  "control counted 5 passed");
	ASSERT_EQ(fixture_client_count(&r.fx), 1, "sl_clients: the one client");
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_clients_s), 1, "sl_clients_s: its shadow");
	ASSERT_OK(fixture_client(&r.fx, &k, &after), "control bucket after");
	ASSERT_EQ(after.tat[0] - before.tat[0], 4 * SL_NSEC_PER_SEC,
		  "control bucket moved by control's 4 packets only");
	cfg_free(cand);
out:
	rig_close(&r);
}

/* Written but off, and no rollout at all: nothing counted apart. */
static void test_off(void)
{
	struct sl_config *cand;
	struct rig r;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, CAND_BLOCK, SL_ROLL_OFF, SL_ROLL_SHARE_MAX);
	if (!cand)
		goto out;
	ASSERT_EQ(passes(&r, "198.18.10.1", 3), 3, "off: the running policy");
	ASSERT_EQ(canary_total(&r), 0, "off: no canary counts");
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_clients_s), 0, "no shadow buckets");
	ASSERT_EQ(rollout_set(&r.ifc, SL_ROLL__MAX, 0, 1), -EINVAL, "bad state");
	ASSERT_EQ(rollout_set(&r.ifc, SL_ROLL_CANARY, SL_ROLL_SHARE_MAX + 1, 1),
		  -EINVAL, "bad share");
	cfg_free(cand);
out:
	rig_close(&r);
}

/* Nothing written: state on is refused. */
static void test_set_without_candidate(void)
{
	struct rig r;

	if (!rig_open(&r))
		return;
	if (rig_apply(&r, CONTROL, NULL))
		ASSERT_EQ(rollout_set(&r.ifc, SL_ROLL_CANARY, HALF, 1), -ENOENT,
			  "no candidate");
	rig_close(&r);
}

/* A candidate tier keyed unlike the control's keeps its buckets apart. */
static void test_rekeyed_apart(void)
{
	struct sl_client_key k;
	struct sl_client c;
	struct sl_config *cand;
	struct rig r;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, CAND_REKEYED, SL_ROLL_CANARY, SL_ROLL_SHARE_MAX);
	if (!cand)
		goto out;
	ASSERT_EQ(passes(&r, "198.18.10.7", 8), 8, "vip, keyed by /24");
	fixture_client_key(&k, "198.18.10.7", 24, apply_tier_id(&r.ifc, "vip"));
	k.pad[0] = SL_KEY_CANARY;
	ASSERT_OK(fixture_client(&r.fx, &k, &c), "a /24 key of its own");
	k.pad[0] = 0;
	ASSERT_EQ(fixture_client(&r.fx, &k, &c), -ENOENT, "not the control's key");
	cfg_free(cand);
out:
	rig_close(&r);
}

/* The candidate's http reply sits at a canary id that a control reload
 * leaves alone. */
static void test_canary_reply(void)
{
	struct sl_reply rep;
	struct sl_tier t;
	struct sl_config *cand;
	struct sl_roll roll;
	struct rig r;
	__u32 slot, zero = 0;
	int id;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, CAND_HTTP, SL_ROLL_CANARY, HALF);
	if (!cand)
		goto out;
	id = apply_tier_id(&r.ifc, "normal");
	ASSERT_TRUE(rig_apply(&r, CONTROL, NULL), "a control reload");
	ASSERT_TRUE(r.fx.global.tier_gen & SL_GEN_ROLL, "the reload keeps the rollout on");
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_roll),
				      &zero, &roll), "sl_roll");
	slot = sl_tier_slot_canary(roll.gen, id);
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_tiers_c),
				      &slot, &t), "canary tier");
	ASSERT_TRUE(t.meters[0].reply > SL_REPLY_CANARY_BASE &&
		    t.meters[0].reply < SL_REPLY_IDS, "a canary reply id");
	slot = sl_reply_slot(0, t.meters[0].reply);
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_replies),
				      &slot, &rep), "its template");
	ASSERT_TRUE(rep.len && rep.status == 429, "429 kept across the reload");
	cfg_free(cand);
out:
	rig_close(&r);
}

/* Hostile frames under a canary for everybody and under a shadow: the
 * same verdicts as without, nothing counted for the canary. */
static void test_hostile(void)
{
	static const struct pkt_spec bad[] = {
		{ .kind = PKT_IPV4, .ihl = 4 },
		{ .kind = PKT_IPV4, .ip_len = 1500 },
		{ .kind = PKT_IPV6, .ip_len = 1000 },
		{ .kind = PKT_IPV4, .doff = 4 },
		{ .kind = PKT_IPV4, .nvlan = 3 },
		{ .kind = PKT_IPV6, .version = 4 },
		{ .kind = PKT_ARP },
	};
	const int nbad = sizeof(bad) / sizeof(bad[0]);
	static const __u32 states[] = { SL_ROLL_OFF, SL_ROLL_CANARY, SL_ROLL_SHADOW };
	int verdict[3][8];
	struct sl_config *cand;
	struct rig r;

	if (!rig_open(&r))
		return;
	cand = roll_start(&r, CONTROL, HEAD BLOCKED("0.0.0.0/0, \"::/0\""),
		     SL_ROLL_OFF, SL_ROLL_SHARE_MAX);
	if (!cand)
		goto out;
	for (int s = 0; s < 3; s++) {
		ASSERT_OK(rollout_set(&r.ifc, states[s], SL_ROLL_SHARE_MAX,
				      sl_cohort_seed(cand->hash)), "state");
		for (int i = 0; i < nbad; i++)
			verdict[s][i] = fixture_send(&r.fx, &bad[i]);
	}
	for (int i = 0; i < nbad; i++)
		ASSERT_TRUE(verdict[0][i] >= 0 && verdict[1][i] == verdict[0][i] &&
			    verdict[2][i] == verdict[0][i], "verdict as without");
	ASSERT_EQ(canary_total(&r), 0, "unparsed frames reach no cohort");
	cfg_free(cand);
out:
	rig_close(&r);
}

TEST_MAIN("bpf/rollout",
	  TEST(test_cohort_proportional),
	  TEST(test_cohort_v6),
	  TEST(test_cohort_agrees),
	  TEST(test_canary_metered),
	  TEST(test_prefix_to_drop),
	  TEST(test_shadow),
	  TEST(test_off),
	  TEST(test_set_without_candidate),
	  TEST(test_rekeyed_apart),
	  TEST(test_canary_reply),
	  TEST(test_hostile));
