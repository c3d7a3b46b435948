// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A client table too small for its clients: the object loaded with
 * sl_clients at a few entries (fixture_open sets max_entries before the
 * load, as sluiced does from client_table_size).  The LRU evicts to make
 * room, so the table never holds more than it was given and a new client
 * is always metered; a client in use keeps its bucket, an idle one loses
 * it and starts afresh.  When an insert does not leave the packet an
 * entry, the packet is admitted and SL_EV_CLIENT_FULL counts it: with
 * one entry and both CPUs inserting, each CPU's insert evicts the
 * other's entry, sometimes before the other could look it up.
 */
#include "sluice_gcra.h"
#include "common/gcra.h"
#include "lib/expect.h"
#include "lib/race.h"

#define T0		0
#define SMALL		256	/* entries */
#define CHECK_EVERY	16	/* count the table every so many clients */

static void ip_of(__u32 i, char *buf, size_t len)
{
	snprintf(buf, len, "198.%u.%u.%u", 18 + (i >> 16), (i >> 8) & 255,
		 i & 255);
}

static int send_from(struct xdp_fixture *fx, const char *src)
{
	struct pkt_spec s = { .kind = PKT_IPV4, .src = src, .tcp_flags = TH_ACK };

	return fixture_send(fx, &s);
}

/* Packets passed from `src` before one is refused (at most 10). */
static int count_passed(struct xdp_fixture *fx, const char *src)
{
	int n = 0;

	while (n < 10 && send_from(fx, src) == XDP_PASS)
		n++;
	return n;
}

/* Packets, burst 2, one per hour: a client's third packet is refused. */
static bool setup(struct xdp_fixture *fx, __u32 entries)
{
	struct sl_tier t;

	if (!ASSERT_OK(pin_to(0), "pin to CPU 0") || !FIXTURE_SETUP(fx, entries))
		return false;
	fixture_tier_init(&t, SL_TIER_LIMIT, 0, 0);
	t.nmeters = 1;
	if (ASSERT_EQ(bpf_map__max_entries(fx->skel->maps.sl_clients), entries,
		      "sl_clients max_entries") &&
	    ASSERT_OK(gcra_meter_set(&t.meters[0], 1, 3600 * SL_NSEC_PER_SEC,
				     2, SL_UNIT_PACKETS, SL_ACT_DROP), "meter") &&
	    ASSERT_OK(fixture_set_tier(fx, T0, &t), "tier"))
		return true;
	fixture_close(fx);
	return false;
}

static void test_table_full(void)
{
	const char *busy = "198.19.0.1", *idle = "198.19.0.2",
		   *spent = "198.19.0.3";
	const __u32 n = 4 * SMALL;
	int count, most = 0, least = SMALL, over = 0, bad = 0;
	struct sl_client_key k;
	struct sl_client c;
	struct xdp_fixture fx;
	char ip[32];

	if (!setup(&fx, SMALL))
		return;

	test_subtest_begin("four times its size: never above it, every client metered");
	for (__u32 i = 1; i <= n; i++) {
		ip_of(i, ip, sizeof(ip));
		/* Burst 2: pass, pass, refused, for every new client. */
		bad += send_from(&fx, ip) != XDP_PASS;
		bad += send_from(&fx, ip) != XDP_PASS;
		bad += send_from(&fx, ip) != XDP_DROP;
		if (i % CHECK_EVERY)
			continue;
		count = fixture_client_count(&fx);
		over += count > SMALL;
		most = count > most ? count : most;
		if (i > SMALL)
			least = count < least ? count : least;
	}
	printf("# %u clients through %u entries: %d to %d held once full\n",
	       n, SMALL, least, most);
	ASSERT_EQ(bad, 0, "packets not metered as a new client's");
	ASSERT_EQ(over, 0, "counts above max_entries");
	ASSERT_EQ(most, SMALL, "filled to max_entries");
	ASSERT_GT(least, 0, "entries held once full");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_NEW), n, "client_new");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_FULL), 0, "client_full");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_PASSED), 2 * n, "passed");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED), n, "dropped");
	test_subtest_end();

	/*
	 * The busy client is refused all along: its entry, and so its empty
	 * bucket, survive the churn.  The idle one (one token left) loses
	 * its entry and comes back with a full bucket.  The idle one that
	 * was refused loses its entry too, but the refusal cache keeps
	 * refusing it for as long as its bucket would have.
	 */
	test_subtest_begin("a busy client keeps its bucket, an idle one loses it");
	for (int j = 0; j < 3; j++) {
		send_from(&fx, busy);
		send_from(&fx, spent);
	}
	ASSERT_EQ(send_from(&fx, idle), XDP_PASS, "idle: one token left");
	bad = 0;
	for (__u32 i = n + 1; i <= 2 * n; i++) {
		ip_of(i, ip, sizeof(ip));
		send_from(&fx, ip);
		if (i % 4 == 0)
			bad += send_from(&fx, busy) != XDP_DROP;
	}
	ASSERT_EQ(bad, 0, "busy client passed: its bucket was reset");
	if (ASSERT_OK(fixture_client_key(&k, idle, 32, T0), "key"))
		ASSERT_EQ(fixture_client(&fx, &k, &c), -ENOENT, "idle evicted");
	ASSERT_EQ(count_passed(&fx, idle), 2, "idle starts afresh: full burst");
	if (ASSERT_OK(fixture_client_key(&k, spent, 32, T0), "key"))
		ASSERT_EQ(fixture_client(&fx, &k, &c), -ENOENT, "spent evicted");
	ASSERT_EQ(send_from(&fx, spent), XDP_DROP, "spent: still refused");
	ASSERT_EQ(fixture_client(&fx, &k, &c), -ENOENT, "spent: from the cache");
	ASSERT_LE(fixture_client_count(&fx), SMALL, "still within max_entries");
	test_subtest_end();
	fixture_close(&fx);
}

#define LOST_REPEAT	20000
#define LOST_ROUNDS	5

/*
 * One entry, two CPUs, two sources.  A bytes meter with a burst smaller
 * than any frame refuses every packet it meters, so the packets that
 * pass are exactly those left without an entry: admitted, and counted
 * as client_full.
 */
static void test_insert_lost(void)
{
	struct pkt_spec sa = { .kind = PKT_IPV4, .src = "198.18.0.1",
			       .tcp_flags = TH_ACK };
	struct pkt_spec sb = sa;
	struct xdp_fixture fx;
	struct sl_tier t;
	struct race r = {};
	struct pkt a, b;
	__u64 full = 0, sent = 0, v;
	int rounds = 0;

	if (!FIXTURE_SETUP(&fx, 1))
		return;
	if (!race_possible(&fx)) {
		TEST_SKIP("needs two online CPUs");
		goto out;
	}
	sb.src = "198.18.0.2";
	fixture_tier_init(&t, SL_TIER_LIMIT, 0, 0);
	t.nmeters = 1;
	if (!ASSERT_OK(gcra_meter_set(&t.meters[0], 1000, SL_NSEC_PER_SEC, 10,
				      SL_UNIT_BYTES, SL_ACT_DROP), "meter") ||
	    !ASSERT_OK(fixture_set_tier(&fx, T0, &t), "tier") ||
	    !ASSERT_OK(pkt_build(&a, &sa), "build") ||
	    !ASSERT_OK(pkt_build(&b, &sb), "build"))
		goto out;

	test_subtest_begin("one CPU: each insert evicts the other, none lost");
	for (int i = 0; i < 100; i++) {
		v = fixture_run(&fx, i & 1 ? b.data : a.data, a.len, NULL, NULL);
		ASSERT_EQ(v, XDP_DROP, "metered");
	}
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_NEW), 100, "client_new");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_FULL), 0, "client_full");
	ASSERT_EQ(fixture_client_count(&fx), 1, "one entry");
	test_subtest_end();

	test_subtest_begin("two CPUs: a lost entry admits the packet");
	if (!ASSERT_OK(fixture_clear_stats(&fx), "clear") ||
	    !ASSERT_OK(race_start(&r, &fx, &a, &b, 1, LOST_REPEAT), "threads")) {
		test_subtest_end();
		goto out;
	}
	while (rounds++ < LOST_ROUNDS && !full) {
		if (!ASSERT_OK(race_round(&r), "test runs"))
			break;
		sent += 2 * LOST_REPEAT;
		full = fixture_event(&fx, SL_EV_CLIENT_FULL);
	}
	printf("# %d rounds: %llu client_new, %llu client_full\n", rounds - 1,
	       (unsigned long long)fixture_event(&fx, SL_EV_CLIENT_NEW),
	       (unsigned long long)full);
	ASSERT_GT(full, 0, "inserts that left no entry");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_PASSED), full,
		  "passed: exactly the packets without an entry");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED), sent - full,
		  "dropped: every metered packet");
	expect_total(&fx, sent);
	test_subtest_end();
out:
	race_stop(&r);
	fixture_close(&fx);
}

TEST_MAIN("bpf/clients",
	  TEST(test_table_full),
	  TEST(test_insert_lost));
