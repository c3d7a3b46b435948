// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluiced's apply step (user/kern/apply.c) on the real maps: tier ids stay
 * with tier names across reloads and a restart, a reload writes the idle
 * half of sl_tiers and flips tier_gen, the prefix tries end up holding
 * exactly the configured prefixes, removed (and re-keyed) tiers lose
 * their clients (and global limits' use and grants) while the others
 * keep their buckets, and packets are classified by the result.
 */
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/expect.h"
#include "kern/apply.h"
#include "config/config.h"
#include "sluice_glob.h"

#define TIER_A	"  - name: a\n    match: [0.0.0.0/0, \"::/0\"]\n" \
		"    limits: [{unit: packets, rate: 1/s, burst: 3}]\n"
#define TIER_B	"  - name: b\n    match: [198.18.10.0/24, 2001:2::/64]\n" \
		"    limits: [{unit: packets, rate: 10/s, burst: 20}]\n"
#define TIER_B2	"  - name: b\n    match: [198.18.10.0/24, 2001:2::/64]\n" \
		"    limits: [{unit: packets, rate: 20/s, burst: 40}]\n"
#define TIER_C	"  - name: c\n    match: [198.18.20.0/24]\n" \
		"    limits: [{unit: packets, rate: 5/s, burst: 10}]\n"
#define TIER_D	"  - name: d\n    match: [198.18.30.0/24, 198.18.20.128/25]\n" \
		"    limits: [{unit: packets, rate: 5/s, burst: 10}]\n"
#define TIER_E	"  - name: e\n    match: [198.18.40.0/24]\n" \
		"    verdict: pass\n"
#define HEAD	"interfaces: [lo]\ntiers:\n"

#define CFG1	HEAD TIER_A TIER_B TIER_C
#define CFG2	HEAD TIER_A TIER_B2 TIER_D		/* c out, d in, b faster */
#define CFG3	HEAD TIER_A TIER_B2 TIER_D TIER_E	/* e takes c's old id */

#define UDP(addr)	{ .kind = PKT_IPV4, .src = addr, .proto = IPPROTO_UDP }

struct rig {
	struct xdp_fixture fx;
	struct sl_iface ifc;
	int names_fd;
};

/* What sluiced's loader does, minus the interface: the loaded
 * skeleton's maps plus sl_tier_names, read into ifc.tier_names. */
static int rig_iface(struct rig *r)
{
	struct sl_tier_name tn;

	stats_free(&r->ifc.stats);
	memset(&r->ifc, 0, sizeof(r->ifc));
	snprintf(r->ifc.name, sizeof(r->ifc.name), "test");
	r->ifc.skel = r->fx.skel;
	r->ifc.names_fd = r->names_fd;
	r->ifc.link_fd = r->ifc.dir_fd = -1;
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		if (bpf_map_lookup_elem(r->names_fd, &id, &tn))
			return -errno;
		memcpy(r->ifc.tier_names[id], tn.name, CFG_NAME_MAX);
	}
	return stats_init(&r->ifc.stats);
}

static bool rig_open(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->names_fd = -1;
	if (!FIXTURE_SETUP(&r->fx, FIXTURE_CLIENTS))
		return false;
	/* A zeroed sl_global, as a fresh load leaves it. */
	memset(&r->fx.global, 0, sizeof(r->fx.global));
	if (!ASSERT_OK(fixture_set_global(&r->fx), "zero sl_global"))
		return false;
	r->names_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, SL_MAP_TIER_NAMES, 4,
				     sizeof(struct sl_tier_name), SL_MAX_TIERS,
				     NULL);
	return ASSERT_TRUE(r->names_fd >= 0, "create sl_tier_names") &&
	       ASSERT_OK(rig_iface(r), "iface");
}

static void rig_close(struct rig *r)
{
	stats_free(&r->ifc.stats);
	if (r->names_fd >= 0)
		close(r->names_fd);
	if (r->fx.skel)
		fixture_close(&r->fx);
}

/* Parse and apply; *changes gets the summary's line count. */
static bool rig_apply(struct rig *r, const char *text, int *changes)
{
	struct apply_summary sum = {};
	char err[CFG_ERR_MAX];
	struct sl_config *cfg;
	bool ok;

	if (!ASSERT_OK(cfg_parse("test.yaml", text, strlen(text), &cfg, err),
		       "cfg_parse")) {
		fprintf(stderr, "    %s\n", err);
		return false;
	}
	ok = ASSERT_OK(apply_config(&r->ifc, cfg, &sum), "apply_config");
	if (changes)
		*changes = sum.n;
	apply_summary_free(&sum);
	cfg_free(cfg);
	return ok;
}

static __u32 rig_gen(struct rig *r)
{
	struct sl_global g = {};

	apply_global_get(&r->ifc, &g);
	return g.tier_gen;
}

/* The tier a packet from `src` is counted in (passed or allowlisted). */
static int tier_of(struct rig *r, const char *src)
{
	const struct pkt_spec s = UDP(src);

	fixture_clear_stats(&r->fx);
	if (fixture_send(&r->fx, &s) < 0)
		return -1;
	for (int t = 0; t < SL_MAX_TIERS; t++)
		if (fixture_stat_packets(&r->fx, t, SL_R_PASSED) ||
		    fixture_stat_packets(&r->fx, t, SL_R_ALLOWLISTED))
			return t;
	return -1;
}

static void test_ids_by_name(void)
{
	struct rig r;

	if (!rig_open(&r))
		goto out;
	test_subtest_begin("first config: ids in order");
	if (rig_apply(&r, CFG1, NULL)) {
		ASSERT_EQ(apply_tier_id(&r.ifc, "a"), 0, "a");
		ASSERT_EQ(apply_tier_id(&r.ifc, "b"), 1, "b");
		ASSERT_EQ(apply_tier_id(&r.ifc, "c"), 2, "c");
	}
	test_subtest_end();

	test_subtest_begin("c removed, d added: d takes an id nobody held");
	if (rig_apply(&r, CFG2, NULL)) {
		ASSERT_EQ(apply_tier_id(&r.ifc, "a"), 0, "a keeps 0");
		ASSERT_EQ(apply_tier_id(&r.ifc, "b"), 1, "b keeps 1");
		ASSERT_EQ(apply_tier_id(&r.ifc, "d"), 3, "d");
		ASSERT_EQ(apply_tier_id(&r.ifc, "c"), -1, "c is gone");
		ASSERT_STREQ(r.ifc.tier_names[2], "", "id 2 freed");
	}
	test_subtest_end();

	test_subtest_begin("e added later: takes the freed id");
	if (rig_apply(&r, CFG3, NULL))
		ASSERT_EQ(apply_tier_id(&r.ifc, "e"), 2, "e");
	test_subtest_end();

	test_subtest_begin("restart: ids read back from sl_tier_names");
	if (ASSERT_OK(rig_iface(&r), "iface again")) {
		int changes = -1;

		ASSERT_EQ(apply_tier_id(&r.ifc, "d"), 3, "d before applying");
		if (rig_apply(&r, CFG3, &changes)) {
			ASSERT_EQ(changes, 0, "same config: nothing to change");
			ASSERT_EQ(apply_tier_id(&r.ifc, "e"), 2, "e");
		}
	}
	test_subtest_end();
out:
	rig_close(&r);
}

static void test_tier_flip(void)
{
	struct sl_tier live, idle;
	__u32 slot;
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, CFG1, NULL))
		goto out;
	ASSERT_EQ(rig_gen(&r), 0, "first config: generation 0");
	if (!rig_apply(&r, CFG2, NULL))
		goto out;
	if (!ASSERT_EQ(rig_gen(&r), 1, "reload: generation flipped"))
		goto out;
	ASSERT_OK(apply_tier_get(&r.ifc, 1, &live), "live b");
	slot = 1;	/* generation 0, id 1: the old b */
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_tiers),
				      &slot, &idle) ? -errno : 0, "idle b");
	ASSERT_EQ(live.meters[0].burst, 40, "live half: b's new burst");
	ASSERT_EQ(idle.meters[0].burst, 20, "idle half: b's old burst");
	ASSERT_EQ(tier_of(&r, "198.18.10.5"), 1, "b's traffic in tier b");
out:
	rig_close(&r);
}

static void test_prefix_diff(void)
{
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, CFG1, NULL))
		goto out;
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_pfx_v4), 3, "v4 entries");
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_pfx_v6), 2, "v6 entries");
	ASSERT_EQ(tier_of(&r, "198.18.20.5"), 2, "c's range in c");
	if (!rig_apply(&r, CFG2, NULL))
		goto out;
	/* 0/0, b, d's two; c's /24 gone. */
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_pfx_v4), 4, "v4 entries after");
	ASSERT_EQ(fixture_map_count(r.fx.skel->maps.sl_pfx_v6), 2, "v6 entries after");
	ASSERT_EQ(tier_of(&r, "198.18.20.5"), 0, "c's old range: default tier");
	ASSERT_EQ(tier_of(&r, "198.18.20.200"), 3, "d's /25 inside it");
	ASSERT_EQ(tier_of(&r, "198.18.30.1"), 3, "d's /24");
	ASSERT_EQ(tier_of(&r, "198.19.0.1"), 0, "elsewhere: default tier");
out:
	rig_close(&r);
}

static void test_clients(void)
{
	const struct pkt_spec from_b = UDP("198.18.10.5"), from_c = UDP("198.18.20.5");
	struct sl_client_key kb, kc;
	struct sl_client before, after;
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, CFG1, NULL))
		goto out;
	fixture_send(&r.fx, &from_b);
	fixture_send(&r.fx, &from_c);
	fixture_client_key(&kb, "198.18.10.5", 32, 1);
	fixture_client_key(&kc, "198.18.20.5", 32, 2);
	if (!ASSERT_OK(fixture_client(&r.fx, &kb, &before), "b's client") ||
	    !ASSERT_OK(fixture_client(&r.fx, &kc, &after), "c's client"))
		goto out;
	if (!rig_apply(&r, CFG2, NULL))
		goto out;
	ASSERT_EQ(fixture_client(&r.fx, &kc, &after), -ENOENT,
		  "removed tier c: its client is deleted");
	if (ASSERT_OK(fixture_client(&r.fx, &kb, &after), "b's client kept"))
		ASSERT_EQ(after.tat[0], before.tat[0], "b's bucket untouched");
	ASSERT_EQ(fixture_stat_packets(&r.fx, 2, SL_R_PASSED), 0,
		  "c's counters cleared");

	test_subtest_begin("a tier's key prefix changes: its clients start afresh");
	if (rig_apply(&r, HEAD TIER_A
		      "  - name: b\n    match: [198.18.10.0/24, 2001:2::/64]\n"
		      "    key: {v4_prefix: 24}\n"
		      "    limits: [{unit: packets, rate: 20/s, burst: 40}]\n"
		      TIER_D, NULL))
		ASSERT_EQ(fixture_client(&r.fx, &kb, &after), -ENOENT,
			  "b's /32 client is deleted");
	test_subtest_end();
out:
	rig_close(&r);
}

#define RT_A	"  - name: a\n    match: [0.0.0.0/0]\n" \
		"    limits: [{unit: requests, rate: 1/s, burst: 5, action: http}]\n"
#define RT_B	"  - name: b\n    match: [198.18.10.0/24]\n" \
		"    reply: {status: 503}\n" \
		"    limits: [{unit: packets, rate: 10/s, action: reset},\n" \
		"             {unit: requests, rate: 1/s, action: http}]\n"
#define RT_B2	"  - name: b\n    match: [198.18.10.0/24]\n" \
		"    limits: [{unit: requests, rate: 1/s, action: reset}]\n"
#define RT_B3	"  - name: b\n    match: [198.18.10.0/24]\n" \
		"    reply: {status: 503, body: changed}\n" \
		"    limits: [{unit: packets, rate: 10/s, action: reset},\n" \
		"             {unit: requests, rate: 1/s, action: http}]\n"

static struct sl_reply reply_at(struct rig *r, __u32 gen, __u32 id)
{
	struct sl_reply v = {};
	__u32 slot = sl_reply_slot(gen, id);

	bpf_map_lookup_elem(bpf_map__fd(r->fx.skel->maps.sl_replies), &slot, &v);
	return v;
}

/* Templates land in the half the tiers flip to, with the ids the meters
 * name; the other half keeps the previous generation's; stale slots of
 * the written half are emptied. */
static void test_replies(void)
{
	struct sl_tier t;
	struct sl_reply v;
	struct rig r;
	int changes = -1;

	if (!rig_open(&r) || !rig_apply(&r, HEAD RT_A RT_B, NULL))
		goto out;
	test_subtest_begin("start: ids 1 and 2 in generation 0");
	ASSERT_EQ(rig_gen(&r), 0, "generation 0");
	if (ASSERT_OK(apply_tier_get(&r.ifc, 0, &t), "a"))
		ASSERT_EQ(t.meters[0].reply, 1, "a's reply id");
	if (ASSERT_OK(apply_tier_get(&r.ifc, 1, &t), "b")) {
		ASSERT_EQ(t.meters[0].reply, 0, "reset limit: none");
		ASSERT_EQ(t.meters[1].reply, 2, "b's reply id");
	}
	v = reply_at(&r, 0, 1);
	ASSERT_EQ(v.status, 429, "id 1: 429");
	ASSERT_TRUE(v.len > 0 && !memcmp(v.text, "HTTP/1.1 429 Too Many Requests\r\n", 32),
		    "id 1 text");
	ASSERT_EQ(v.nfields, 3, "id 1 fields");
	v = reply_at(&r, 0, 2);
	ASSERT_EQ(v.status, 503, "id 2: 503");
	ASSERT_EQ(reply_at(&r, 0, 3).len, 0, "id 3 empty");
	test_subtest_end();

	test_subtest_begin("reload: generation 1 has one reply, 0 keeps two");
	if (rig_apply(&r, HEAD RT_A RT_B2, NULL)) {
		ASSERT_EQ(rig_gen(&r), 1, "generation 1");
		ASSERT_EQ(reply_at(&r, 1, 1).status, 429, "gen 1 id 1");
		ASSERT_EQ(reply_at(&r, 1, 2).len, 0, "gen 1 id 2 empty");
		ASSERT_EQ(reply_at(&r, 0, 2).status, 503, "gen 0 untouched");
		if (ASSERT_OK(apply_tier_get(&r.ifc, 1, &t), "b"))
			ASSERT_EQ(t.meters[0].reply, 0, "b: no reply");
	}
	test_subtest_end();

	test_subtest_begin("reload again: the stale id 2 of generation 0 is emptied");
	if (rig_apply(&r, HEAD RT_A RT_B2, &changes)) {
		ASSERT_EQ(rig_gen(&r), 0, "generation 0");
		ASSERT_EQ(reply_at(&r, 0, 2).len, 0, "gen 0 id 2 empty");
		ASSERT_EQ(changes, 0, "same config: nothing to change");
	}
	test_subtest_end();

	test_subtest_begin("a changed reply is a change; the same one is not");
	if (rig_apply(&r, HEAD RT_A RT_B, NULL) &&
	    rig_apply(&r, HEAD RT_A RT_B, &changes))
		ASSERT_EQ(changes, 0, "same replies");
	if (rig_apply(&r, HEAD RT_A RT_B3, &changes)) {
		ASSERT_EQ(changes, 1, "b's reply changed");
		v = reply_at(&r, rig_gen(&r), 2);
		ASSERT_TRUE(v.len > 7 && !memcmp(v.text + v.len - 7, "changed", 7),
			    "new body in the live half");
	}
	test_subtest_end();
out:
	rig_close(&r);
}

#define GL_A	"  - name: a\n    match: [0.0.0.0/0]\n" \
		"    limits: [{unit: packets, rate: 1/s, burst: 3}]\n"
#define GL_G	"  - name: g\n    match: [198.18.50.0/24]\n" \
		"    limits: [{unit: packets, rate: 100/s},\n" \
		"             {unit: packets, rate: 30/s, burst: 30, scope: global}]\n"
#define GL_REDIS "redis: {address: 198.18.200.1:6390}\n"

/* A global limit reaches sl_tier as its meter's flags; a removed tier
 * takes its clients' global use and grants with it. */
static void test_global(void)
{
	const struct pkt_spec from_g = UDP("198.18.50.5");
	struct sl_glob_grant gr = { .granted = 1 };
	struct sl_glob_use u;
	struct sl_client_key kg;
	struct sl_tier t;
	struct rig r;
	__u32 slot;

	if (!rig_open(&r) || !rig_apply(&r, HEAD GL_A GL_G GL_REDIS, NULL))
		goto out;
	slot = sl_tier_slot(rig_gen(&r), 1);
	if (ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_tiers),
					  &slot, &t) ? -errno : 0, "tier g"))
		ASSERT_EQ(t.flags & SL_TIER_GLOBAL_FLAGS(3),
			  SL_TIER_GLOBAL_FLAGS(1), "g: meter 1 global");
	fixture_send(&r.fx, &from_g);
	fixture_client_key(&kg, "198.18.50.5", 32, 1);
	ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_glob_use),
				      &kg, &u) ? -errno : 0, "g's use entry");
	ASSERT_OK(bpf_map_update_elem(bpf_map__fd(r.fx.skel->maps.sl_glob_grant),
				      &kg, &gr, BPF_ANY) ? -errno : 0, "a grant");
	if (!rig_apply(&r, HEAD GL_A, NULL))
		goto out;
	ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_glob_use),
				      &kg, &u) ? -errno : 0, -ENOENT,
		  "removed tier g: its use is deleted");
	ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_glob_grant),
				      &kg, &gr) ? -errno : 0, -ENOENT,
		  "and its grant");
out:
	rig_close(&r);
}

TEST_MAIN("bpf/apply",
	  TEST(test_ids_by_name),
	  TEST(test_tier_flip),
	  TEST(test_prefix_diff),
	  TEST(test_clients),
	  TEST(test_replies),
	  TEST(test_global));
