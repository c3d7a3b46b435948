// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Global limits in the data path (bpf/lib/global.bpf.h): grants are
 * written here the way sluiced's sync writes them (sl_glob_grant), and
 * what the program counts in sl_glob_use is read back.  The local meter
 * decides alone without a valid grant; with one, a client passes only
 * within `granted`, and a refusal is the global meter's (action,
 * reason), waits the grant's retry_ns and is never cached.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sluice_gcra.h"
#include "sluice_glob.h"
#include "common/gcra.h"
#include "lib/edge_fixture.h"
#include "lib/expect.h"
#include "lib/race.h"

#define T0		0
#define REPLY_ID	3
#define HOUR		3600

static const struct pkt_spec req4 = {
	.kind = PKT_IPV4, .tcp_flags = TH_ACK | TH_PSH,
	.payload = "GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n",
};
static const struct pkt_spec ack4 = { .kind = PKT_IPV4, .tcp_flags = TH_ACK };

static int use_fd(struct xdp_fixture *fx)
{
	return bpf_map__fd(fx->skel->maps.sl_glob_use);
}

static int grant_fd(struct xdp_fixture *fx)
{
	return bpf_map__fd(fx->skel->maps.sl_glob_grant);
}

/* The client's use: {used, demand}, or both ~0 when it has no entry. */
static struct sl_glob_use use_of(struct xdp_fixture *fx,
				 const struct sl_client_key *k)
{
	struct sl_glob_use u;

	if (bpf_map_lookup_elem(use_fd(fx), k, &u))
		u.used = u.demand = ~0ULL;
	return u;
}

static int use_count(struct xdp_fixture *fx)
{
	struct sl_client_key k, next;
	int n = 0;

	for (void *prev = NULL; !bpf_map_get_next_key(use_fd(fx), prev, &next);
	     prev = &k, k = next)
		n++;
	return n;
}

/* A grant as sluiced writes it: `allowance` more than used is now,
 * valid for `valid_ns` more (negative: expired already). */
static bool grant(struct xdp_fixture *fx, const struct sl_client_key *k,
		  __u64 granted, __s64 valid_ns, __u64 retry_ns)
{
	struct sl_glob_grant g = {
		.granted = granted, .expires_ns = mono_ns() + valid_ns,
		.retry_ns = retry_ns,
	};

	return ASSERT_OK(bpf_map_update_elem(grant_fd(fx), k, &g, BPF_ANY) ?
			 -errno : 0, "write the grant");
}

/* Tier T0 with meters m[], meter `global` global; *out the tier. */
static bool global_tier(struct xdp_fixture *fx, const struct fixture_meter *m,
			int n, int global, struct sl_tier *out)
{
	struct sl_tier t;

	if (!ASSERT_OK(fixture_set_limit(fx, T0, m, n, &t), "tier"))
		return false;
	if (global >= 0)
		t.flags |= SL_TIER_GLOBAL_FLAGS(global);
	t.meters[1].reply = REPLY_ID;
	if (out)
		*out = t;
	return ASSERT_OK(fixture_set_tier(fx, T0, &t), "global tier");
}

static bool key4(struct sl_client_key *k)
{
	return ASSERT_OK(fixture_client_key(k, "198.18.0.1", 32, T0), "key");
}

/* The fixture with tier T0 of one global meter (one unit per second);
 * *k the client 198.18.0.1.  False: skipped or failed (fx closable). */
static bool open_one(struct xdp_fixture *fx, __u8 unit, __u8 action,
		     __u32 burst, struct sl_client_key *k)
{
	return FIXTURE_SETUP(fx, FIXTURE_CLIENTS) &&
	       global_tier(fx, FIXTURE_METERS(
			{ unit, action, .burst = burst, .per_sec = 1 }), 0, NULL) &&
	       key4(k);
}

/* `n` of `s`, each with verdict `verdict` counted under `reason`. */
static void send_n(struct xdp_fixture *fx, const struct pkt_spec *s, int n,
		   int verdict, __u32 reason, const char *what)
{
	for (int i = 0; i < n; i++)
		expect_send(fx, what, s, verdict, T0, reason);
}

/* No grant: the local meter decides; use counts what it admitted and
 * everything it was offered, refused ones too. */
static void test_no_grant(void)
{
	struct sl_client_key k;
	struct xdp_fixture fx;
	struct sl_glob_use u;

	if (!open_one(&fx, SL_UNIT_REQUESTS, SL_ACT_DROP, 3, &k))
		goto out;
	send_n(&fx, &req4, 3, XDP_PASS, SL_R_PASSED, "within the burst");
	send_n(&fx, &req4, 2, XDP_DROP, SL_R_DROPPED, "past the burst");
	u = use_of(&fx, &k);
	ASSERT_EQ(u.used, 3, "used: admitted");
	ASSERT_EQ(u.demand, 5, "demand: offered");
	/* A segment the requests meter does not count costs nothing. */
	send_n(&fx, &ack4, 2, XDP_PASS, SL_R_UNMETERED, "a bare ACK");
	u = use_of(&fx, &k);
	ASSERT_EQ(u.demand, 5, "an ACK is no demand");
	ASSERT_EQ(fixture_event(&fx, SL_EV_GLOB_FULL), 0, "glob_full");
	expect_total(&fx, 7);
out:
	fixture_close(&fx);
}

/* A packets meter's local refusal is not cached for a global meter: the
 * refused packets still reach it and count as demand. */
static void test_local_refusal_counts(void)
{
	struct sl_client_key k;
	struct xdp_fixture fx;
	struct sl_glob_use u;

	if (!open_one(&fx, SL_UNIT_PACKETS, SL_ACT_DROP, 2, &k))
		goto out;
	send_n(&fx, &ack4, 2, XDP_PASS, SL_R_PASSED, "within the burst");
	send_n(&fx, &ack4, 6, XDP_DROP, SL_R_DROPPED, "past the burst");
	u = use_of(&fx, &k);
	ASSERT_EQ(u.used, 2, "used");
	ASSERT_EQ(u.demand, 8, "demand: every refused packet too");
	expect_total(&fx, 8);
out:
	fixture_close(&fx);
}

struct action_case {
	const char *desc;
	__u8 action;
	int verdict;
	__u32 reason;
};

static const struct action_case actions[] = {
	{ "drop", SL_ACT_DROP, XDP_DROP, SL_R_DROPPED },
	/* Handed to TC, which resets both sides. */
	{ "reset", SL_ACT_RESET, XDP_PASS, SL_R_RESET },
	{ "http", SL_ACT_HTTP, XDP_PASS, SL_R_HTTP },
};

/* A valid grant admits granted - used more, then refuses with the
 * global meter's action and reason, waiting retry_ns; no token moves. */
static void grant_case(const struct action_case *a)
{
	struct xdp_fixture fx;
	struct sl_client_key k;
	struct sl_client before, after;
	struct sl_glob_use u;
	struct sl_reply tmpl;
	struct sl_edge_meta m;
	struct pkt p;
	__u8 out[PKT_MAX + 64];
	__u32 out_len, meta_len;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	/* Meter 0 a generous local packets meter that drops; meter 1 the
	 * global requests meter with the action under test. */
	if (!global_tier(&fx, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1000, .per_sec = 1 },
			{ SL_UNIT_REQUESTS, a->action, .burst = 100, .per_sec = 1 }),
			1, NULL) || !key4(&k) ||
	    !ASSERT_OK(edge_set_tc(&fx, 1), "tc_attached") ||
	    !ASSERT_OK(edge_template(&tmpl, "HTTP/1.1 429 Too Many Requests\r\n"
				     "Retry-After: ####\r\n\r\n", 429, 4),
		       "template") ||
	    !ASSERT_OK(edge_set_reply(&fx, 0, REPLY_ID, &tmpl), "reply"))
		goto out;
	/* Two admitted with no grant yet: used 2. */
	send_n(&fx, &req4, 2, XDP_PASS, SL_R_PASSED, "before any grant");
	if (!grant(&fx, &k, 5, 10 * SL_NSEC_PER_SEC, 2500000000ULL))
		goto out;
	send_n(&fx, &req4, 3, XDP_PASS, SL_R_PASSED, "granted - used more");
	ASSERT_EQ(use_of(&fx, &k).used, 5, "used = granted");
	if (!ASSERT_OK(fixture_client(&fx, &k, &before), "client") ||
	    !ASSERT_OK(pkt_build(&p, &req4), "build"))
		goto out;
	for (int i = 0; i < 3; i++) {
		__u64 n = fixture_stat_packets(&fx, T0, a->reason);
		int v = edge_run_xdp(&fx, p.data, p.len, out, sizeof(out),
				     &out_len, &meta_len);

		ASSERT_EQ(v, a->verdict, "refused with the meter's action");
		ASSERT_EQ(fixture_stat_packets(&fx, T0, a->reason) - n, 1,
			  "counted under the meter's reason");
		if (a->action == SL_ACT_DROP)
			continue;
		/* The record TC answers from: Retry-After from retry_ns
		 * (2.5 s, rounded up), not the local meter's hour. */
		if (!ASSERT_EQ(meta_len, sizeof(m), "a record"))
			continue;
		memcpy(&m, out, sizeof(m));
		ASSERT_EQ(m.kind, a->action == SL_ACT_HTTP ? SL_EDGE_HTTP :
							     SL_EDGE_RESET,
			  "the meter's answer");
		ASSERT_EQ(m.retry_s, 3, "retry_s from the grant's retry_ns");
	}
	u = use_of(&fx, &k);
	ASSERT_EQ(u.used, 5, "refused: used unchanged");
	ASSERT_EQ(u.demand, 8, "refused: demand counted");
	if (ASSERT_OK(fixture_client(&fx, &k, &after), "client"))
		ASSERT_EQ(memcmp(&before, &after, sizeof(before)), 0,
			  "a global refusal moves no TAT");
	/* The next sync grants two more. */
	if (!grant(&fx, &k, 7, 10 * SL_NSEC_PER_SEC, 100000000ULL))
		goto out;
	send_n(&fx, &req4, 2, XDP_PASS, SL_R_PASSED, "the new grant");
	if (a->action == SL_ACT_HTTP && pkt_build(&p, &req4) == 0 &&
	    edge_run_xdp(&fx, p.data, p.len, out, sizeof(out), &out_len,
			 &meta_len) == XDP_PASS &&
	    ASSERT_EQ(meta_len, sizeof(m), "a record")) {
		memcpy(&m, out, sizeof(m));
		ASSERT_EQ(m.retry_s, 1, "100 ms: at least 1 s");
	}
	u = use_of(&fx, &k);
	ASSERT_EQ(u.used, 7, "used = the new granted");
	ASSERT_EQ(u.demand, a->action == SL_ACT_HTTP ? 11 : 10, "demand");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CAS_RETRY), 0, "no CAS race");
out:
	fixture_close(&fx);
}

static void test_grant(void)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		test_subtest_begin(actions[i].desc);
		grant_case(&actions[i]);
		test_subtest_end();
	}
}

/* A global refusal is not cached: a refused packets meter's client is
 * admitted again as soon as the next grant allows it. */
static void test_not_cached(void)
{
	struct sl_client_key k;
	struct xdp_fixture fx;

	if (!open_one(&fx, SL_UNIT_PACKETS, SL_ACT_DROP, 100, &k) ||
	    !grant(&fx, &k, 1, 10 * SL_NSEC_PER_SEC, 5 * SL_NSEC_PER_SEC))
		goto out;
	send_n(&fx, &ack4, 1, XDP_PASS, SL_R_PASSED, "the grant");
	send_n(&fx, &ack4, 3, XDP_DROP, SL_R_DROPPED, "past the grant");
	if (!grant(&fx, &k, 3, 10 * SL_NSEC_PER_SEC, 5 * SL_NSEC_PER_SEC))
		goto out;
	send_n(&fx, &ack4, 2, XDP_PASS, SL_R_PASSED, "right after the next grant");
	ASSERT_EQ(use_of(&fx, &k).demand, 6, "demand");
out:
	fixture_close(&fx);
}

/* An expired grant holds nothing: the local meter alone decides. */
static void test_expired(void)
{
	struct sl_client_key k;
	struct xdp_fixture fx;
	struct sl_glob_use u;

	if (!open_one(&fx, SL_UNIT_REQUESTS, SL_ACT_DROP, 4, &k) ||
	    !grant(&fx, &k, 0, -1, SL_NSEC_PER_SEC))
		goto out;
	send_n(&fx, &req4, 4, XDP_PASS, SL_R_PASSED, "expired: the local burst");
	send_n(&fx, &req4, 1, XDP_DROP, SL_R_DROPPED, "then the local meter");
	u = use_of(&fx, &k);
	ASSERT_EQ(u.used, 4, "used past the void grant");
	ASSERT_EQ(u.demand, 5, "demand");
	/* Valid again: used 4 is already past granted 0. */
	if (grant(&fx, &k, 0, 10 * SL_NSEC_PER_SEC, SL_NSEC_PER_SEC))
		send_n(&fx, &req4, 1, XDP_DROP, SL_R_DROPPED, "valid again");
out:
	fixture_close(&fx);
}

/* A tier without a global meter writes no use entry; neither does a
 * packet its global meter does not apply to. */
static void test_non_global(void)
{
	struct xdp_fixture fx;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	if (!global_tier(&fx, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 2, .per_sec = 1 },
			{ SL_UNIT_REQUESTS, SL_ACT_DROP, .burst = 2, .per_sec = 1 }),
			-1, NULL))
		goto out;
	send_n(&fx, &req4, 2, XDP_PASS, SL_R_PASSED, "local limits");
	send_n(&fx, &req4, 2, XDP_DROP, SL_R_DROPPED, "local limits");
	ASSERT_EQ(use_count(&fx), 0, "no global tier: no use entry");
	if (!ASSERT_OK(fixture_clear_clients(&fx), "clear") ||
	    !global_tier(&fx, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 10, .per_sec = 1 },
			{ SL_UNIT_REQUESTS, SL_ACT_DROP, .burst = 2, .per_sec = 1 }),
			1, NULL))
		goto out;
	send_n(&fx, &ack4, 3, XDP_PASS, SL_R_PASSED, "no request");
	ASSERT_EQ(use_count(&fx), 0, "global meter not applying: no entry");
	send_n(&fx, &req4, 1, XDP_PASS, SL_R_PASSED, "a request");
	ASSERT_EQ(use_count(&fx), 1, "a request: one entry");
out:
	fixture_close(&fx);
}

/* IPv6 clients are keyed by their /64: one entry, one grant. */
static void test_ipv6(void)
{
	static const char *const src[] = {
		"2001:2:0:1::1", "2001:2:0:1:ffff:ffff:ffff:ffff",
		"2001:2:0:1:8000::5",
	};
	struct sl_client_key k, other;
	struct xdp_fixture fx;
	struct sl_glob_use u;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	if (!global_tier(&fx, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 100, .per_sec = 1 }),
			0, NULL) ||
	    !ASSERT_OK(fixture_client_key(&k, "2001:2:0:1::", 64, T0), "key") ||
	    !ASSERT_OK(fixture_client_key(&other, "2001:2:0:2::", 64, T0), "key") ||
	    !grant(&fx, &k, 4, 10 * SL_NSEC_PER_SEC, SL_NSEC_PER_SEC))
		goto out;
	for (int i = 0; i < 6; i++) {
		struct pkt_spec s = { .kind = PKT_IPV6, .tcp_flags = TH_ACK,
				      .src = src[i % 3] };

		expect_send(&fx, src[i % 3], &s, i < 4 ? XDP_PASS : XDP_DROP,
			    T0, i < 4 ? SL_R_PASSED : SL_R_DROPPED);
	}
	u = use_of(&fx, &k);
	ASSERT_EQ(u.used, 4, "the /64's used");
	ASSERT_EQ(u.demand, 6, "the /64's demand");
	ASSERT_EQ(use_count(&fx), 1, "one entry for the /64");
	{
		struct pkt_spec s = { .kind = PKT_IPV6, .tcp_flags = TH_ACK,
				      .src = "2001:2:0:2::1" };

		expect_send(&fx, "the next /64", &s, XDP_PASS, T0, SL_R_PASSED);
	}
	ASSERT_EQ(use_of(&fx, &other).demand, 1, "the next /64: its own");
out:
	fixture_close(&fx);
}

/* Sources the flood guard turns to the tier's aggregate bucket: the
 * aggregate has no global state; a source it refuses writes none. */
static void test_flood_aggregate(void)
{
	struct sl_client_key k;
	struct xdp_fixture fx;
	struct sl_tier t;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	if (!global_tier(&fx, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1, .per_sec = 1 }),
			0, &t))
		goto out;
	t.flags |= SL_TIER_F_FLOOD_GUARD;
	if (!ASSERT_OK(gcra_meter_set(&t.new_clients, 1, HOUR * SL_NSEC_PER_SEC,
				      1, SL_UNIT_PACKETS, SL_ACT_DROP),
		       "new_clients") ||
	    !ASSERT_OK(fixture_set_tier(&fx, T0, &t), "flood tier"))
		goto out;
	{
		struct pkt_spec a = ack4, b = ack4, c = ack4;

		a.src = "198.18.5.1";
		b.src = "198.18.5.2";
		c.src = "198.18.5.3";
		expect_send(&fx, "new, within the guard", &a, XDP_PASS, T0,
			    SL_R_PASSED);
		expect_send(&fx, "new, the aggregate admits", &b, XDP_PASS, T0,
			    SL_R_PASSED);
		expect_send(&fx, "new, the aggregate refuses", &c, XDP_DROP, T0,
			    SL_R_FLOOD_DROP);
	}
	ASSERT_EQ(use_count(&fx), 2, "entries for the two admitted sources");
	if (ASSERT_OK(fixture_client_key(&k, "198.18.5.3", 32, T0), "key"))
		ASSERT_EQ(use_of(&fx, &k).demand, ~0ULL,
			  "the flood-refused source: no entry");
out:
	fixture_close(&fx);
}

/* Frames that end early, lie about lengths or are fragments, on a
 * global tier whose grant refuses everything: every frame counted once,
 * none aborted. */
static void test_hostile(void)
{
	static const struct pkt_spec specs[] = {
		{ .kind = PKT_IPV4, .tcp_flags = TH_ACK,
		  .payload = "GET / HTTP/1.1\r\n" },
		{ .kind = PKT_IPV4, .frag_offset = 8 },
		{ .kind = PKT_IPV4, .frag_more = 1, .tcp_flags = TH_SYN },
		{ .kind = PKT_IPV4, .ip_opts = 8, .tcp_flags = TH_SYN },
		{ .kind = PKT_IPV4, .proto = IPPROTO_UDP },
		{ .kind = PKT_IPV4, .ip_len = 2000 },
		{ .kind = PKT_IPV4, .ihl = 4 },
		{ .kind = PKT_IPV6, .n_ext = 2,
		  .ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS },
		  .tcp_flags = TH_ACK, .payload = "POST / HTTP/1.1\r\n" },
		{ .kind = PKT_IPV6, .n_ext = 1, .ext = { IPPROTO_FRAGMENT } },
		{ .kind = PKT_IPV4, .nvlan = 2, .tcp_flags = TH_RST },
	};
	struct sl_client_key k4, k6;
	struct xdp_fixture fx;
	__u64 sent = 0;

	if (!open_one(&fx, SL_UNIT_PACKETS, SL_ACT_RESET, 1000, &k4) ||
	    !ASSERT_OK(fixture_client_key(&k6, "2001:2::1", 64, T0), "key") ||
	    !grant(&fx, &k4, 0, 10 * SL_NSEC_PER_SEC, SL_NSEC_PER_SEC) ||
	    !grant(&fx, &k6, 0, 10 * SL_NSEC_PER_SEC, SL_NSEC_PER_SEC))
		goto out;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct pkt p;

		if (!ASSERT_OK(pkt_build(&p, &specs[i]), "build"))
			continue;
		for (__u32 len = 14; len <= p.len; len++) {
			struct pkt q = p;
			int v;

			pkt_truncate(&q, len, len & 1);
			v = fixture_run(&fx, q.data, q.len, NULL, NULL);
			sent++;
			if (v != XDP_PASS && v != XDP_DROP && v != XDP_TX) {
				ASSERT_EQ(v, XDP_DROP, "a defined verdict");
				break;
			}
		}
	}
	expect_total(&fx, sent);
	ASSERT_EQ(use_of(&fx, &k4).used, 0, "nothing admitted past the grant");
out:
	fixture_close(&fx);
}

#define RACE_RUNS	20
#define RACE_REPEAT	5000
#define RACE_TRIES	5
#define RACE_GRANT	50000	/* hit halfway through a round */

/*
 * Both CPUs on one client with a grant: a pass reads used <= granted - 1
 * and adds one after the meters, so once used reaches granted only a
 * packet the other CPU had in flight can pass: at most one per other
 * CPU past granted.  The local meter (a million, one per hour) never
 * refuses.  A try counts if the runs overlapped; each must hold.
 */
static void test_two_cpus(void)
{
	const __u64 sent = 2ULL * RACE_RUNS * RACE_REPEAT;
	struct sl_client_key k;
	struct xdp_fixture fx;
	struct race r = {};
	struct pkt p;
	bool raced = false;
	int tries = 0;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	if (!race_possible(&fx)) {
		TEST_SKIP("needs two online CPUs");
		goto out;
	}
	if (!global_tier(&fx, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1000000,
			  .per_sec = 1 }), 0, NULL) || !key4(&k) ||
	    !ASSERT_OK(pkt_build(&p, &ack4), "build") ||
	    !ASSERT_OK(race_start(&r, &fx, &p, &p, RACE_RUNS, RACE_REPEAT),
		       "threads"))
		goto out;
	while (!raced && tries++ < RACE_TRIES) {
		struct sl_glob_use u;
		__u64 passed;

		if (!ASSERT_OK(fixture_clear_clients(&fx), "clear clients") ||
		    !ASSERT_OK(fixture_clear_stats(&fx), "clear stats") ||
		    !ASSERT_OK(bpf_map_delete_elem(use_fd(&fx), &k) &&
			       errno != ENOENT ? -errno : 0, "clear use") ||
		    !grant(&fx, &k, RACE_GRANT, 60 * SL_NSEC_PER_SEC,
			   SL_NSEC_PER_SEC) ||
		    !ASSERT_OK(race_round(&r), "test runs"))
			break;
		passed = fixture_stat_packets(&fx, T0, SL_R_PASSED);
		u = use_of(&fx, &k);
		ASSERT_GE(passed, RACE_GRANT, "the whole grant passed");
		ASSERT_LE(passed, RACE_GRANT + 1, "at most one per other CPU past it");
		ASSERT_EQ(u.used, passed, "used = passed");
		ASSERT_EQ(u.demand, sent, "demand = sent");
		ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED),
			  sent - passed, "the rest refused");
		expect_total(&fx, sent);
		raced = race_overlapped(&r);
		printf("# try %d: runs overlapped %s; passed %llu of a grant of %u\n",
		       tries, raced ? "yes" : "no", (unsigned long long)passed,
		       RACE_GRANT);
	}
	ASSERT_TRUE(raced, "the two CPUs overlapped");
out:
	race_stop(&r);
	fixture_close(&fx);
}

#define COST_REPEAT	200000

/* What a global client pays on the pass path, against the same tier
 * without the flag: printed, not asserted (a shared VM). */
static void test_cost(void)
{
	struct sl_client_key k;
	struct xdp_fixture fx;
	__u32 ns[2] = {};
	struct pkt p;

	if (!open_one(&fx, SL_UNIT_PACKETS, SL_ACT_DROP, 4000000000U, &k) ||
	    !grant(&fx, &k, ~0ULL >> 1, 60 * SL_NSEC_PER_SEC, SL_NSEC_PER_SEC) ||
	    !ASSERT_OK(pkt_build(&p, &ack4), "build"))
		goto out;
	for (int g = 1; g >= 0; g--) {
		if (!global_tier(&fx, FIXTURE_METERS(
				{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 4000000000U,
				  .per_sec = 1000000000 }), g ? 0 : -1, NULL))
			goto out;
		ASSERT_EQ(prog_run_repeat(fx.prog_fd, p.data, p.len, COST_REPEAT,
					  &ns[g]), XDP_PASS, "passes");
	}
	printf("# pass path: %u ns a global client, %u ns the same tier local\n",
	       ns[1], ns[0]);
	ASSERT_EQ(use_of(&fx, &k).used, COST_REPEAT, "used: every global run");
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/global",
	  TEST(test_no_grant), TEST(test_local_refusal_counts),
	  TEST(test_grant), TEST(test_not_cached), TEST(test_expired),
	  TEST(test_non_global), TEST(test_ipv6), TEST(test_flood_aggregate),
	  TEST(test_hostile), TEST(test_two_cpus), TEST(test_cost));
