// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The rollout cohort hash (include/sluice_rollout.h) in userspace: fixed
 * points (the XDP program computes the same, tests/bpf/test_rollout.c
 * checks it packet by packet; these pin it across releases, so gateways
 * of different versions rolling out one file pick the same clients),
 * what of an address counts, and the share's edges. */
#include <arpa/inet.h>
#include <string.h>

#include "test.h"
#include "sluice_rollout.h"

static void addr(const char *text, int af, __u32 a[4])
{
	memset(a, 0, 16);
	inet_pton(af, text, a);
}

static void test_cohort_fixed_points(void)
{
	__u32 v4[4], v6[4];

	addr("198.18.0.1", AF_INET, v4);
	addr("2001:2::1", AF_INET6, v6);
	ASSERT_EQ(sl_cohort_seed(0), 1, "seed never 0");
	ASSERT_EQ(sl_cohort_seed(0x0123456789abcdefULL), 493811886, "seed");
	ASSERT_EQ(sl_cohort_point(1, SL_AF_INET, v4), 36430, "v4 point");
	ASSERT_EQ(sl_cohort_point(493811886, SL_AF_INET, v4), 23618,
		  "v4 point, another seed");
	ASSERT_EQ(sl_cohort_point(1, SL_AF_INET6, v6), 7498, "v6 point");
}

/* IPv4 by its /32 (the other words are ignored), IPv6 by its /64. */
static void test_cohort_what_counts(void)
{
	__u32 a[4], b[4];
	int same = 0;

	addr("198.18.7.9", AF_INET, a);
	memcpy(b, a, sizeof(b));
	b[1] = b[2] = b[3] = 0xffffffff;
	ASSERT_EQ(sl_cohort_point(7, SL_AF_INET, a),
		  sl_cohort_point(7, SL_AF_INET, b), "v4: only the address");
	addr("2001:2:0:1::1", AF_INET6, a);
	addr("2001:2:0:1:ffff:1:2:3", AF_INET6, b);
	ASSERT_EQ(sl_cohort_point(7, SL_AF_INET6, a),
		  sl_cohort_point(7, SL_AF_INET6, b), "v6: its /64");
	for (int i = 0; i < 1000; i++) {
		a[1] = htonl(i);
		b[1] = htonl(i + 1);
		same += sl_cohort_point(7, SL_AF_INET6, a) ==
			sl_cohort_point(7, SL_AF_INET6, b);
	}
	ASSERT_TRUE(same < 5, "neighbouring /64s differ");
}

/* Share 0 holds nobody, 65536 everybody; growing keeps everyone in; a
 * new seed is a new cohort. */
static void test_cohort_share(void)
{
	int none = 0, all = 0, left = 0, moved = 0;
	__u32 a[4] = {};

	for (__u32 i = 0; i < 20000; i++) {
		a[0] = htonl(0xc6120000u + i);
		none += sl_cohort_in(9, 0, SL_AF_INET, a);
		all += sl_cohort_in(9, SL_ROLL_SHARE_MAX, SL_AF_INET, a);
		left += sl_cohort_in(9, 3277, SL_AF_INET, a) &&
			!sl_cohort_in(9, 3278, SL_AF_INET, a);
		moved += sl_cohort_in(9, 32768, SL_AF_INET, a) !=
			 sl_cohort_in(10, 32768, SL_AF_INET, a);
	}
	ASSERT_EQ(none, 0, "share 0: nobody");
	ASSERT_EQ(all, 20000, "share 65536: everybody");
	ASSERT_EQ(left, 0, "a larger share keeps everyone in");
	ASSERT_TRUE(moved > 9000 && moved < 11000, "another seed, another half");
}

TEST_MAIN("unit/cohort",
	  TEST(test_cohort_fixed_points),
	  TEST(test_cohort_what_counts),
	  TEST(test_cohort_share));
