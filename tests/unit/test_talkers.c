// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The top-talker table (daemon/talkers.c) on a fake clock, and the
 * sampling period's adaptation (kern/talk.c). */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "daemon/talkers.h"
#include "kern/talk.h"
#include "sluice_abi.h"

#define T0	1000000		/* ms: an arbitrary start */

static struct talker_key key(__u32 host, __u8 tier)
{
	return (struct talker_key){ .addr = { host }, .family = SL_AF_INET,
				    .tier = tier, .prefix = 32 };
}

static void test_rank(void)
{
	struct talkers t;
	struct talker_row r[3];
	struct talker_key a = key(1, 0), b = key(2, 0), c = key(3, 1);
	double span;
	int n;

	if (ASSERT_OK(talkers_init(&t, 64, T0), "init"))
		return;
	talkers_add(&t, &a, SL_R_RESET, 0, 30, 3000);
	talkers_add(&t, &a, SL_R_PASSED, SL_TALK_NO_METER, 5, 500);
	talkers_add(&t, &b, SL_R_DROPPED, 1, 50, 100);
	talkers_add(&t, &c, SL_R_PASSED, SL_TALK_NO_METER, 70, 70000);

	n = talkers_top(&t, T0 + 500, TALKERS_BY_REFUSED, -1, 3, r, &span);
	ASSERT_EQ(n, 2, "by refused: the clients nothing refused are left out");
	ASSERT_EQ(r[0].key.addr[0], 2, "b refused most");
	ASSERT_EQ(r[0].refused, 50, "b's refusals");
	ASSERT_EQ(r[0].reason, SL_R_DROPPED, "b: the reason");
	ASSERT_EQ(r[0].meter, 1, "b: the meter");
	ASSERT_EQ(r[1].refused, 30, "a's refusals");
	ASSERT_EQ(r[1].passed, 5, "a's passed packets");
	ASSERT_EQ(r[1].bytes, 3500, "a's bytes, both ways");
	ASSERT_TRUE(span > 0.49 && span < 0.51, "the window: half a second since the start");

	n = talkers_top(&t, T0 + 500, TALKERS_BY_PASSED, -1, 1, r, &span);
	ASSERT_EQ(n, 1, "-n 1");
	ASSERT_EQ(r[0].key.addr[0], 3, "by passed: c");
	n = talkers_top(&t, T0 + 500, TALKERS_BY_BYTES, 0, 3, r, &span);
	ASSERT_EQ(n, 2, "tier 0 only");
	ASSERT_EQ(r[0].key.addr[0], 1, "by bytes in tier 0: a");
	talkers_free(&t);
}

/* Buckets move with the clock: a second later the counts are still in
 * the window; a whole window later they are gone, and so is the client. */
static void test_window(void)
{
	struct talkers t;
	struct talker_row r[2];
	struct talker_key a = key(1, 0);
	double span;

	if (ASSERT_OK(talkers_init(&t, 64, T0), "init"))
		return;
	talkers_add(&t, &a, SL_R_DROPPED, 0, 10, 10);
	talkers_advance(&t, T0 + 1000);
	talkers_add(&t, &a, SL_R_DROPPED, 0, 5, 5);
	talkers_advance(&t, T0 + 5000);
	ASSERT_EQ(talkers_top(&t, T0 + 5000, TALKERS_BY_REFUSED, -1, 2, r, &span),
		  1, "5 s later: still there");
	ASSERT_EQ(r[0].refused, 15, "both seconds count");
	talkers_advance(&t, T0 + TALKERS_WINDOW_S * 1000);
	talkers_top(&t, T0 + TALKERS_WINDOW_S * 1000, TALKERS_BY_REFUSED, -1,
		    2, r, &span);
	ASSERT_EQ(r[0].refused, 5, "a window later: the first second left");
	ASSERT_TRUE(span > TALKERS_WINDOW_S - 1.01 && span < TALKERS_WINDOW_S,
		    "the window spans the whole seconds behind and the current one");
	talkers_advance(&t, T0 + (TALKERS_WINDOW_S + 1) * 1000);
	ASSERT_EQ(talkers_top(&t, T0 + (TALKERS_WINDOW_S + 1) * 1000,
			      TALKERS_BY_REFUSED, -1, 2, r, &span), 0,
		  "and then nothing");
	ASSERT_EQ(t.used, 0, "the idle client left the table");
	talkers_advance(&t, T0 + 3600 * 1000);	/* a long jump */
	ASSERT_EQ(t.used, 0, "an hour later: empty, no crash");
	talkers_free(&t);
}

/* A full table leaves new clients out and counts them; known clients
 * go on counting; the next second frees the idle ones. */
static void test_full(void)
{
	struct talkers t;
	struct talker_row r[1];
	struct talker_key a = key(1, 0);
	double span;
	int admitted = 0;

	if (ASSERT_OK(talkers_init(&t, 16, T0), "init"))
		return;
	ASSERT_ERR(talkers_init(&(struct talkers){0}, 12, T0), "cap not a power of two");
	talkers_add(&t, &a, SL_R_DROPPED, 0, 1, 1);
	for (__u32 h = 100; h < 200; h++) {
		struct talker_key k = key(h, 0);

		talkers_add(&t, &k, SL_R_PASSED, SL_TALK_NO_METER, 1, 1);
	}
	admitted = t.used;
	ASSERT_EQ(admitted, 12, "three quarters of 16 in use at most");
	ASSERT_EQ(t.overflow, 100 - 11, "the rest counted as left out");
	talkers_add(&t, &a, SL_R_DROPPED, 0, 4, 4);
	talkers_top(&t, T0 + 10, TALKERS_BY_REFUSED, -1, 1, r, &span);
	ASSERT_EQ(r[0].refused, 5, "a known client goes on counting when full");
	talkers_free(&t);
}

static void test_refusal(void)
{
	ASSERT_TRUE(talkers_refusal(SL_R_DROPPED), "dropped refuses");
	ASSERT_TRUE(talkers_refusal(SL_R_RESET), "reset refuses");
	ASSERT_TRUE(talkers_refusal(SL_R_FLOOD_DROP), "flood_drop refuses");
	ASSERT_TRUE(talkers_refusal(SL_R_DENYLISTED), "denylisted refuses");
	ASSERT_TRUE(talkers_refusal(SL_R_SHADOW_DROP), "shadow_drop would");
	ASSERT_FALSE(talkers_refusal(SL_R_PASSED), "passed passes");
	ASSERT_FALSE(talkers_refusal(SL_R_UNMETERED), "unmetered passes");
	ASSERT_FALSE(talkers_refusal(SL_R_ALLOWLISTED), "allowlisted passes");
}

static void test_adapt(void)
{
	uint64_t m;

	ASSERT_EQ(talk_adapt(63, 100), 31, "quiet: finer");
	ASSERT_EQ(talk_adapt(0, 0), 0, "every packet is as fine as it gets");
	ASSERT_EQ(talk_adapt(63, SL_TALK_RING / 4), 63, "about right: kept");
	ASSERT_EQ(talk_adapt(0, SL_TALK_RING), 3, "a full ring: to a quarter");
	m = talk_adapt(0, 1000000);
	ASSERT_TRUE(1000000 / (m + 1) <= SL_TALK_RING / 4, "a flood: one step to a quarter ring");
	ASSERT_EQ(talk_adapt(SL_TALK_MASK_MAX, 1ULL << 40), SL_TALK_MASK_MAX, "capped");
	ASSERT_EQ(talk_adapt(SL_TALK_OFF, 0), SL_TALK_OFF, "off stays off");
}

TEST_MAIN("unit/talkers",
	  TEST(test_rank),
	  TEST(test_window),
	  TEST(test_full),
	  TEST(test_refusal),
	  TEST(test_adapt))
