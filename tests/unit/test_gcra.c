// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The GCRA arithmetic shared by the XDP program and userspace. */
#include <errno.h>
#include <stdint.h>

#include "test.h"
#include "common/gcra.h"
#include "sluice_gcra.h"

#define SEC_NS	1000000000ULL

/* Admit back-to-back units at `now`, as the BPF side would. */
static int burst_at(const struct sl_meter *m, __u64 *tat, __u64 now,
		    uint64_t cost, int max)
{
	__u64 next;
	int n = 0;

	while (n < max && gcra_admit(*tat, now, gcra_cost_ns(m, cost),
				     m->tolerance_ns, &next)) {
		*tat = next;
		n++;
	}
	return n;
}

static void test_meter_set_basic(void)
{
	struct sl_meter m;

	if (!ASSERT_OK(gcra_meter_set(&m, 1, SEC_NS, 5, SL_UNIT_REQUESTS,
				      SL_ACT_DROP), "1/s burst 5"))
		return;
	ASSERT_EQ(m.interval_fp, SEC_NS << SL_FP_SHIFT, "interval");
	ASSERT_EQ(m.tolerance_ns, 5 * SEC_NS, "tolerance");
	ASSERT_EQ(gcra_cost_ns(&m, 1), SEC_NS, "cost of one");
	ASSERT_EQ(m.unit, SL_UNIT_REQUESTS, "unit");
	ASSERT_EQ(m.burst, 5, "burst");

	/* 600/m is 10/s exactly. */
	ASSERT_OK(gcra_meter_set(&m, 600, 60 * SEC_NS, 1, SL_UNIT_PACKETS, 0),
		  "600/m");
	ASSERT_EQ(gcra_cost_ns(&m, 1), 100000000ULL, "600/m interval");
}

static void test_meter_set_rejects(void)
{
	struct sl_meter m;

	ASSERT_EQ(gcra_meter_set(&m, 0, SEC_NS, 5, SL_UNIT_PACKETS, 0), -EINVAL,
		  "zero rate");
	ASSERT_EQ(gcra_meter_set(&m, 1, 0, 5, SL_UNIT_PACKETS, 0), -EINVAL,
		  "zero period");
	ASSERT_EQ(gcra_meter_set(&m, 1, SEC_NS, 0, SL_UNIT_PACKETS, 0), -EINVAL,
		  "zero burst");
	/* Faster than 1/65536 ns per unit cannot be represented. */
	ASSERT_EQ(gcra_meter_set(&m, UINT64_MAX, 1, 1, SL_UNIT_PACKETS, 0),
		  -EINVAL, "absurd rate");
	/* 1 byte per hour: a 64 KiB frame's cost overflows 64 bits. */
	ASSERT_EQ(gcra_meter_set(&m, 1, 3600 * SEC_NS, 1, SL_UNIT_BYTES, 0),
		  -ERANGE, "bytes cost overflow");
	/* ...while 1 packet per hour is fine. */
	ASSERT_OK(gcra_meter_set(&m, 1, 3600 * SEC_NS, 1, SL_UNIT_PACKETS, 0),
		  "1/h packets");
	/* Burst times interval past 2^62 ns. */
	ASSERT_EQ(gcra_meter_set(&m, 1, 3600 * SEC_NS, UINT32_MAX,
				 SL_UNIT_PACKETS, 0), -ERANGE, "tolerance overflow");
}

static void test_exact_burst(void)
{
	static const uint32_t bursts[] = { 1, 5, 20, 1000, 65536 };
	struct sl_meter m;

	for (unsigned i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
		__u64 tat = 0, now = 12345 * SEC_NS;

		gcra_meter_set(&m, 10, SEC_NS, bursts[i], SL_UNIT_PACKETS, 0);
		ASSERT_EQ(burst_at(&m, &tat, now, 1, 1 << 20), bursts[i],
			  "back-to-back admits exactly burst");
		/* One interval later exactly one more. */
		ASSERT_EQ(burst_at(&m, &tat, now + SEC_NS / 10, 1, 1 << 20), 1,
			  "one token per interval");
		ASSERT_EQ(burst_at(&m, &tat, now + SEC_NS / 10 + 1, 1, 10), 0,
			  "and no more");
	}
}

static void test_rate_extremes(void)
{
	struct sl_meter m;
	__u64 tat = 0, now = SEC_NS, admitted = 0, t;

	/* 1M/s burst 1: over one simulated second at 4M/s offered load. */
	gcra_meter_set(&m, 1000000, SEC_NS, 1, SL_UNIT_PACKETS, 0);
	for (t = now; t < now + SEC_NS; t += 250)
		admitted += burst_at(&m, &tat, t, 1, 1);
	ASSERT_EQ(admitted, 1000000, "1M/s over 1 s");

	/* 3/s does not divide a second: the long-run rate still holds. */
	gcra_meter_set(&m, 3, SEC_NS, 1, SL_UNIT_PACKETS, 0);
	tat = 0;
	admitted = 0;
	for (t = now; t < now + 100 * SEC_NS; t += SEC_NS / 1000)
		admitted += burst_at(&m, &tat, t, 1, 1);
	ASSERT_GE(admitted, 299, "3/s over 100 s, low");
	ASSERT_LE(admitted, 301, "3/s over 100 s, high");

	/* Bytes at 10 Mbit/s: 1.25 MB over a second of 1500-byte frames. */
	gcra_meter_set(&m, 1250000, SEC_NS, 15000, SL_UNIT_BYTES, 0);
	tat = 0;
	admitted = 0;
	for (t = now; t < now + SEC_NS; t += 10000)
		admitted += 1500 * burst_at(&m, &tat, t, 1500, 1);
	ASSERT_GE(admitted, 1250000 - 1500, "10 Mbit/s, low");
	ASSERT_LE(admitted, 1250000 + 15000, "10 Mbit/s, high (burst)");

	/* A cost above the whole tolerance never passes. */
	gcra_meter_set(&m, 1000, SEC_NS, 100, SL_UNIT_BYTES, 0);
	tat = 0;
	ASSERT_EQ(burst_at(&m, &tat, now, 1500, 10), 0, "frame above burst");
}

static void test_clock_wrap(void)
{
	struct sl_meter m;
	__u64 now = UINT64_MAX - SEC_NS / 2, tat = 0, next;

	gcra_meter_set(&m, 1, SEC_NS, 2, SL_UNIT_PACKETS, 0);
	tat = now - 10 * SEC_NS;	/* idle: a TAT in the past */
	ASSERT_EQ(burst_at(&m, &tat, now, 1, 10), 2, "burst before the wrap");
	/* The TAT is now past 2^64 and wrapped to a small number. */
	ASSERT_TRUE(tat < SEC_NS * 2, "tat wrapped");
	ASSERT_EQ(burst_at(&m, &tat, now + 1, 1, 10), 0, "still full across wrap");
	/* The clock wraps too: 1.5 s later one token is back. */
	now += SEC_NS + SEC_NS / 2;
	ASSERT_TRUE(now < SEC_NS, "clock wrapped");
	ASSERT_EQ(burst_at(&m, &tat, now, 1, 10), 1, "token after the wrap");
	ASSERT_EQ(gcra_backlog(tat, now), SEC_NS + SEC_NS / 2,
		  "backlog across wrap");
	ASSERT_FALSE(gcra_admit(tat, now, SEC_NS, m.tolerance_ns, &next),
		     "refused across wrap");
}

static void test_tokens(void)
{
	struct sl_meter m;
	__u64 now = 100 * SEC_NS, tat = 0;
	uint64_t next;

	gcra_meter_set(&m, 10, SEC_NS, 20, SL_UNIT_REQUESTS, 0);
	ASSERT_EQ(gcra_tokens(&m, tat, now, &next), 20, "full bucket");
	ASSERT_EQ(next, 0, "full: no next token");
	burst_at(&m, &tat, now, 1, 20);
	ASSERT_EQ(gcra_tokens(&m, tat, now, &next), 0, "empty bucket");
	ASSERT_EQ(next, SEC_NS / 10, "next token in one interval");
	ASSERT_EQ(gcra_tokens(&m, tat, now + SEC_NS / 4, &next), 2,
		  "two and a half intervals later");
	ASSERT_EQ(next, SEC_NS / 20, "half an interval to the next");
	ASSERT_EQ(gcra_tokens(&m, tat, now + 10 * SEC_NS, &next), 20,
		  "refilled, capped at burst");
}

static void test_backlog_sign(void)
{
	/* TAT behind now (idle) is a full bucket, not a huge backlog. */
	ASSERT_EQ(gcra_backlog(5, 10), 0, "past tat");
	ASSERT_EQ(gcra_backlog(10, 10), 0, "tat now");
	ASSERT_EQ(gcra_backlog(15, 10), 5, "future tat");
	ASSERT_EQ(gcra_backlog(3, UINT64_MAX - 2), 6, "future across wrap");
}

TEST_MAIN("unit/gcra",
	  TEST(test_meter_set_basic),
	  TEST(test_meter_set_rejects),
	  TEST(test_exact_burst),
	  TEST(test_rate_extremes),
	  TEST(test_clock_wrap),
	  TEST(test_tokens),
	  TEST(test_backlog_sign))
