// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The top-talker sampler (bpf/lib/talk.bpf.h) through the real program
 * and the real reader (user/kern/talk.c): with a period of 1 every
 * counted packet lands in the CPU's ring with its source, tier, reason,
 * refusing meter and length; with a period of 4, one packet in four of
 * each tier and reason, worth 4; with sampling off, none.  A ring that
 * overflows between two drains reports what it lost.  Runs on CPU 0.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <string.h>

#include "test.h"
#include "kern/talk.h"
#include "lib/pkt.h"
#include "lib/xdp_fixture.h"

#define TIER	2
#define MAXS	64

struct seen {
	int n;
	struct sl_talk_sample s[MAXS];
	double scale;
};

static void collect(void *arg, const struct sl_talk_sample *s, double scale)
{
	struct seen *v = arg;

	if (v->n < MAXS)
		v->s[v->n++] = *s;
	v->scale = scale;
}

static bool setup(struct xdp_fixture *fx, struct talk_reader *r)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (!ASSERT_OK(sched_setaffinity(0, sizeof(set), &set) ? -errno : 0,
		       "pin to CPU 0") ||
	    !FIXTURE_SETUP(fx, FIXTURE_CLIENTS))
		return false;
	if (ASSERT_OK(fixture_set_limit(fx, TIER, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 2, .per_sec = 1 }),
			NULL), "tier") &&
	    ASSERT_OK(fixture_add_prefix(fx, "198.18.0.0/15", TIER), "v4 prefix") &&
	    ASSERT_OK(fixture_add_prefix(fx, "2001:2::/48", TIER), "v6 prefix") &&
	    ASSERT_OK(talk_open(r, bpf_map__fd(fx->skel->maps.sl_talk),
				bpf_map__fd(fx->skel->maps.sl_talk_head)),
		      "talk_open")) {
		struct seen none = {};
		struct talk_drain st;

		/* The first drain notes where the rings stand. */
		if (ASSERT_OK(talk_drain(r, collect, &none, &st), "prime"))
			return true;
	}
	fixture_close(fx);
	return false;
}

static int send_udp(struct xdp_fixture *fx, const char *src, int n)
{
	struct pkt_spec s = { .src = src, .proto = IPPROTO_UDP,
			      .payload = "sluice" };
	int rc = 0;

	if (strchr(src, ':'))
		s.kind = PKT_IPV6;
	for (int i = 0; i < n && rc >= 0; i++)
		rc = fixture_send(fx, &s);
	return rc < 0 ? rc : 0;
}

static void set_mask(struct xdp_fixture *fx, __u64 mask)
{
	fx->skel->data->sl_talk_mask = mask;
	ASSERT_OK(fixture_clear_stats(fx), "counters from 0");
}

static void test_every_packet(void)
{
	struct xdp_fixture fx;
	struct talk_reader r;
	struct talk_drain st;
	struct seen v = {};
	__u32 want;

	if (!setup(&fx, &r))
		return;
	set_mask(&fx, 0);
	ASSERT_OK(send_udp(&fx, "198.18.0.5", 5), "5 datagrams");
	ASSERT_OK(talk_drain(&r, collect, &v, &st), "drain");
	ASSERT_EQ(v.n, 5, "every packet sampled");
	ASSERT_EQ(st.lost, 0, "nothing lost");
	ASSERT_EQ(st.most, 5, "5 written on CPU 0");
	inet_pton(AF_INET, "198.18.0.5", &want);
	ASSERT_EQ(v.s[0].addr[0], want, "the source");
	ASSERT_EQ(v.s[0].addr[1], 0, "IPv4: one word");
	ASSERT_EQ(v.s[0].family, SL_AF_INET, "family");
	ASSERT_EQ(v.s[0].tier, TIER, "tier");
	ASSERT_EQ(v.s[0].weight, 1, "worth one packet");
	ASSERT_EQ(v.s[0].reason, SL_R_PASSED, "the burst passes");
	ASSERT_EQ(v.s[0].meter, SL_TALK_NO_METER, "no meter refused it");
	ASSERT_EQ(v.s[0].len, 14 + 20 + 8 + 6, "its frame length");
	ASSERT_EQ(v.s[1].reason, SL_R_PASSED, "burst 2");
	ASSERT_EQ(v.s[2].reason, SL_R_DROPPED, "then dropped");
	ASSERT_EQ(v.s[2].meter, 0, "by meter 0");
	/* The refusal cache answers the rest: the same record. */
	ASSERT_EQ(v.s[4].reason, SL_R_DROPPED, "dropped from the refusal cache");
	ASSERT_EQ(v.s[4].meter, 0, "with its meter");
	ASSERT_EQ(v.scale, 1.0, "no loss: each sample is itself");

	v.n = 0;
	ASSERT_OK(send_udp(&fx, "2001:2::7", 1), "one IPv6 datagram");
	ASSERT_OK(talk_drain(&r, collect, &v, &st), "drain");
	ASSERT_EQ(v.n, 1, "IPv6 sampled");
	ASSERT_EQ(v.s[0].family, SL_AF_INET6, "IPv6 family");
	ASSERT_EQ(ntohl(v.s[0].addr[0]), 0x20010002, "IPv6 source, first word");
	ASSERT_EQ(ntohl(v.s[0].addr[3]), 7, "IPv6 source, last word");
	talk_close(&r);
	fixture_close(&fx);
}

static void test_period(void)
{
	struct xdp_fixture fx;
	struct talk_reader r;
	struct talk_drain st;
	struct seen v = {};

	if (!setup(&fx, &r))
		return;
	set_mask(&fx, 3);
	/* 2 passed (counts 1, 2: no sample), 10 dropped (4 and 8). */
	ASSERT_OK(send_udp(&fx, "198.18.0.9", 12), "12 datagrams");
	ASSERT_OK(talk_drain(&r, collect, &v, &st), "drain");
	ASSERT_EQ(v.n, 2, "one in 4 of each tier and reason");
	ASSERT_EQ(v.s[0].reason, SL_R_DROPPED, "the dropped ones");
	ASSERT_EQ(v.s[0].weight, 4, "worth 4");
	ASSERT_EQ(fixture_stat_packets(&fx, TIER, SL_R_DROPPED), 10,
		  "counting is unchanged");

	v.n = 0;
	set_mask(&fx, SL_TALK_OFF);
	ASSERT_OK(send_udp(&fx, "198.18.0.9", 50), "50 datagrams");
	ASSERT_OK(talk_drain(&r, collect, &v, &st), "drain");
	ASSERT_EQ(v.n, 0, "sampling off: none");
	talk_close(&r);
	fixture_close(&fx);
}

static void test_overflow(void)
{
	struct xdp_fixture fx;
	struct talk_reader r;
	struct talk_drain st;
	struct seen v = {};
	int sent = SL_TALK_RING + 100;

	if (!setup(&fx, &r))
		return;
	set_mask(&fx, 0);
	ASSERT_OK(send_udp(&fx, "198.18.0.11", sent), "a ring and 100 more");
	ASSERT_OK(talk_drain(&r, collect, &v, &st), "drain");
	ASSERT_EQ(st.most, sent, "written");
	ASSERT_EQ(st.samples, SL_TALK_RING - 1, "read: the ring less the slot at its head");
	ASSERT_EQ(st.lost, sent - (SL_TALK_RING - 1), "lost: the rest");
	ASSERT_TRUE(v.scale > 1.02 && v.scale < 1.03,
		    "each sample read stands for the lost ones too");
	talk_close(&r);
	fixture_close(&fx);
}

TEST_MAIN("bpf/talk",
	  TEST(test_every_packet),
	  TEST(test_period),
	  TEST(test_overflow))
