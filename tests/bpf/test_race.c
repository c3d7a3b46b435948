// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Both CPUs on one client at once.  The meters take tokens with
 * compare-and-swap, so the totals stay exact however the two runs
 * interleave; these tests make sure they did interleave (the runs
 * overlapped in time and a compare-and-swap lost), and that a packet
 * which wins its first meter but loses the race for a later one gives
 * the first meter's token back (meter_run, phase 2).
 * The two sides: lib/race.h.
 */
#include "sluice_gcra.h"
#include "common/gcra.h"
#include "lib/expect.h"
#include "lib/race.h"

#define T0	0

static const struct pkt_spec ack4 = { .kind = PKT_IPV4, .tcp_flags = TH_ACK };

static bool two_cpus(struct xdp_fixture *fx)
{
	if (race_possible(fx))
		return true;
	TEST_SKIP("needs two online CPUs");
	return false;
}

#define HAMMER_RUNS	20
#define HAMMER_REPEAT	5000
#define HAMMER_TRIES	5

/*
 * Both CPUs hit one client at once: the compare-and-swap keeps the
 * bucket exact, so exactly `burst` packets pass (the rate is one per
 * hour: nothing returns while the test runs).  A try counts only if the
 * two sides overlapped and some compare-and-swap lost; each try must be
 * exact either way.
 */
static void test_two_cpus_exact(void)
{
	const __u32 burst = 60000;
	const __u64 sent = 2ULL * HAMMER_RUNS * HAMMER_REPEAT;
	struct xdp_fixture fx;
	struct race r = {};
	struct sl_tier t;
	struct pkt p;
	bool raced = false;
	int tries = 0;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	if (!two_cpus(&fx))
		goto out;
	fixture_tier_init(&t, SL_TIER_LIMIT, 0, 0);
	t.nmeters = 1;
	if (!ASSERT_OK(gcra_meter_set(&t.meters[0], 1, 3600 * SL_NSEC_PER_SEC,
				      burst, SL_UNIT_PACKETS, SL_ACT_DROP),
		       "meter") ||
	    !ASSERT_OK(fixture_set_tier(&fx, T0, &t), "tier") ||
	    !ASSERT_OK(pkt_build(&p, &ack4), "build") ||
	    !ASSERT_OK(race_start(&r, &fx, &p, &p, HAMMER_RUNS, HAMMER_REPEAT),
		       "threads"))
		goto out;
	while (!raced && tries++ < HAMMER_TRIES) {
		__u64 retries;

		if (!ASSERT_OK(fixture_clear_clients(&fx), "clear clients") ||
		    !ASSERT_OK(fixture_clear_stats(&fx), "clear stats") ||
		    !ASSERT_OK(race_round(&r), "test runs"))
			break;
		ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_PASSED), burst,
			  "passed");
		ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED),
			  sent - burst, "dropped");
		expect_total(&fx, sent);
		retries = fixture_event(&fx, SL_EV_CAS_RETRY);
		raced = race_overlapped(&r) && retries > 0;
		printf("# try %d: runs overlapped %s, %llu ns each side; "
		       "compare-and-swap retries %llu\n", tries,
		       race_overlapped(&r) ? "yes" : "no",
		       (unsigned long long)(r.s[0].end - r.s[0].start),
		       (unsigned long long)retries);
	}
	ASSERT_TRUE(raced, "the two CPUs overlapped and raced");
out:
	race_stop(&r);
	fixture_close(&fx);
}

#define GIVE_BACK_REPEAT	100000	/* packets per side and round */
#define GIVE_BACK_ROUNDS	5

/*
 * A lost race on a later meter gives back the earlier meters' tokens.
 * Meter 0 has a million tokens and its TAT seeded 100 s ahead, so every
 * token it keeps moves it by exactly one interval: it must end exactly
 * `passed` intervals ahead, whatever the races did.  Meter 1 holds one
 * token and gets it back every 200 us, so both CPUs keep racing for its
 * last token: when both get past the read-only check (phase 1), both
 * take meter 0, and the loser of meter 1's compare-and-swap must hand
 * its meter-0 token back.  With one token, a compare-and-swap only loses
 * when both sides are in phase 2 for the same token (unless a run stalls
 * a whole 200 us inside the program), so a round with retries is a round
 * with hand-backs.  The exact count cannot be forced from userspace: the
 * program cannot be paused between its phases.
 */
static void test_lost_race_gives_back(void)
{
	const __u64 sent = 2ULL * GIVE_BACK_REPEAT;
	struct sl_client_key key;
	struct xdp_fixture fx;
	struct sl_client c;
	struct race r = {};
	struct sl_tier t;
	struct pkt p;
	__u64 inc0, inc1, retries = 0, total = 0;
	int rounds = 0;

	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	if (!two_cpus(&fx))
		goto out;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1000000,
			  .per_sec = 1 },
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1,
			  .per_sec = 5000 }), &t), "tier") ||
	    !ASSERT_OK(pkt_build(&p, &ack4), "build") ||
	    !ASSERT_OK(fixture_client_key(&key, "198.18.0.1", 32, T0), "key") ||
	    !ASSERT_OK(race_start(&r, &fx, &p, &p, 1, GIVE_BACK_REPEAT), "threads"))
		goto out;
	inc0 = gcra_cost_ns(&t.meters[0], 1);
	inc1 = gcra_cost_ns(&t.meters[1], 1);
	while (rounds++ < GIVE_BACK_ROUNDS && !retries) {
		__u64 passed = fixture_stat_packets(&fx, T0, SL_R_PASSED);
		__u64 seed = mono_ns() + 100 * SL_NSEC_PER_SEC, t0, t1, n;
		struct sl_client fresh = { .tat = { seed, mono_ns() } };

		if (!ASSERT_OK(fixture_set_client(&fx, &key, &fresh), "seed") ||
		    !ASSERT_OK(fixture_clear_refused(&fx), "refusal cache"))
			break;
		t0 = mono_ns();
		if (!ASSERT_OK(race_round(&r), "test runs"))
			break;
		t1 = mono_ns();
		total += sent;
		n = fixture_stat_packets(&fx, T0, SL_R_PASSED) - passed;
		retries = fixture_event(&fx, SL_EV_CAS_RETRY);
		if (!ASSERT_OK(fixture_client(&fx, &key, &c), "client"))
			break;
		printf("# round %d: %llu passed in %llu us, runs overlapped %s, "
		       "compare-and-swap retries %llu\n", rounds,
		       (unsigned long long)n, (unsigned long long)(t1 - t0) / 1000,
		       race_overlapped(&r) ? "yes" : "no",
		       (unsigned long long)retries);
		/* No token leaked from meter 0, none given back twice. */
		ASSERT_EQ(c.tat[0] - seed, n * inc0, "meter 0: one interval per pass");
		/* Meter 1 took an interval per pass, and no more than the
		 * round's time allows: one token, one more per interval. */
		ASSERT_GE(c.tat[1] - fresh.tat[1], n * inc1,
			  "meter 1: one interval per pass");
		ASSERT_LE(n, 1 + (t1 - fresh.tat[1]) / inc1,
			  "meter 1: passed within its rate");
		ASSERT_GT(n, 1, "meter 1 came back during the round");
	}
	ASSERT_GT(retries, 0, "rounds where both CPUs raced for meter 1");
	expect_total(&fx, total);
out:
	race_stop(&r);
	fixture_close(&fx);
}

TEST_MAIN("bpf/race",
	  TEST(test_two_cpus_exact),
	  TEST(test_lost_race_gives_back));
