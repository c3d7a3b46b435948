// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Edge answers, what must not be answered the usual way: the segments
 * XDP keeps for its own RST (no TC program, IPv4 options, IPv6
 * extension headers), shadow mode, and frames or records TC must leave
 * alone, refuse or answer without trusting (no record, a stranger's
 * magic, another segment's record, a truncated frame, options that lie,
 * an emptied or out-of-range slot, a template of the largest size).
 */
#include "lib/edge_expect.h"

/* What XDP keeps for itself: its RST (no TC, segments without data,
 * IPv4 options), and shadow mode. */
static void test_xdp_fallbacks(void)
{
	static const struct {
		const char *desc;
		struct pkt_spec pkt;
		int tc, shadow, verdict;
		__u32 reason;
		int event;
	} f[] = {
		{ "no TC program", V4(.seq = 1, .ack = 2), 0, 0, XDP_TX,
		  SL_R_RESET, SL_EV_EDGE_NO_TC },
		{ "IPv4 options", V4(.ip_opts = 8, .seq = 1, .ack = 2), 1, 0,
		  XDP_TX, SL_R_RESET, NO_EVENT },
		{ "v6 extension header",
		  V6(.n_ext = 1, .ext = { IPPROTO_DSTOPTS }, .seq = 1, .ack = 2),
		  1, 0, XDP_TX, SL_R_RESET, NO_EVENT },
		{ "shadow mode", V4(.seq = 1, .ack = 2), 1, 1, XDP_PASS,
		  SL_R_SHADOW_HTTP, NO_EVENT },
		{ "shadow mode, no TC", V4(.seq = 1, .ack = 2), 0, 1, XDP_PASS,
		  SL_R_SHADOW_HTTP, NO_EVENT },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		__u8 out[PKT_MAX + 64];
		__u32 out_len, meta_len;
		struct xdp_fixture fx;
		struct edge_fixture ef = {};
		struct pkt p;

		test_subtest_begin(f[i].desc);
		if (!setup(&fx, &ef, SL_ACT_HTTP, REPLY_ID) ||
		    !ASSERT_OK(build_req(&p, &f[i].pkt), "build") ||
		    !seed_wait(&fx, &f[i].pkt, 3))
			goto next;
		if (!ASSERT_OK(edge_set_tc(&fx, f[i].tc), "tc_attached"))
			goto next;
		fx.global.mode = f[i].shadow ? SL_MODE_SHADOW : SL_MODE_ENFORCE;
		if (!ASSERT_OK(fixture_set_global(&fx), "global"))
			goto next;
		ASSERT_EQ(edge_run_xdp(&fx, p.data, p.len, out, sizeof(out),
				       &out_len, &meta_len), f[i].verdict,
			  "verdict");
		ASSERT_EQ(meta_len, 0, "no record");
		ASSERT_EQ(fixture_stat_packets(&fx, T0, f[i].reason), 1,
			  "counted");
		if (f[i].event != NO_EVENT)
			ASSERT_EQ(fixture_event(&fx, f[i].event), 1, "event");
next:
		edge_close(&ef);
		fixture_close(&fx);
		test_subtest_end();
	}
}

/* Frames TC must leave alone, or refuse, or answer without trusting. */
static void test_hostile(void)
{
	struct xdp_fixture fx;
	struct edge_fixture ef = {};
	__u8 frame[PKT_MAX], out[PKT_MAX];
	__u32 flen = 0, out_len;
	struct sl_edge_meta m, bad;
	struct pkt p, cut;
	struct sl_reply big;

	if (!setup(&fx, &ef, SL_ACT_HTTP, REPLY_ID) ||
	    !ASSERT_OK(build_req(&p, &cases[3].pkt), "build"))
		goto out;
	put_ts(&p, 1, 2);
	if (!seed_wait(&fx, &cases[3].pkt, 3) ||
	    !run_xdp(&fx, &p, &m, frame, &flen, XDP_PASS))
		goto out;

	test_subtest_begin("no record: untouched");
	ASSERT_EQ(edge_run_tc(&ef, 1, NULL, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_OK, "passed");
	ASSERT_TRUE(out_len == flen && !memcmp(out, frame, flen), "unchanged");
	test_subtest_end();

	test_subtest_begin("wrong magic: someone else's, untouched");
	bad = m;
	bad.magic ^= 1;
	ASSERT_EQ(edge_run_tc(&ef, 1, &bad, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_OK, "passed");
	ASSERT_TRUE(out_len == flen && !memcmp(out, frame, flen), "unchanged");
	test_subtest_end();

	test_subtest_begin("record of another segment: dropped");
	bad = m;
	bad.seq ^= 0x100;
	ASSERT_EQ(edge_run_tc(&ef, 1, &bad, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_SHOT, "dropped");
	ASSERT_EQ(fixture_event(&fx, SL_EV_EDGE_SERVER_FAIL), 1, "event");
	test_subtest_end();

	test_subtest_begin("truncated: IP length past the frame, dropped");
	cut = p;
	cut.len -= 10;
	ASSERT_EQ(edge_run_tc(&ef, 1, &m, cut.data, cut.len, out, sizeof(out),
			      &out_len), TC_ACT_SHOT, "dropped");
	test_subtest_end();

	test_subtest_begin("options that lie: no timestamps in the reply");
	cut = p;
	cut.data[cut.l4_off + 20 + 3] = 30;	/* TS length past the options */
	ASSERT_EQ(edge_run_tc(&ef, 0, &m, cut.data, cut.len, out, sizeof(out),
			      &out_len), TC_ACT_OK, "answered");
	check_client(&cases[2], &cut, out, out_len, &tmpl, "3");
	test_subtest_end();

	test_subtest_begin("http record, slot emptied: answered as reset");
	bad = m;
	bad.slot = sl_reply_slot(0, 300);
	ASSERT_EQ(edge_run_tc(&ef, 0, &bad, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_OK, "answered");
	check_client(&cases[2], &p, out, out_len, NULL, NULL);
	ASSERT_GE(fixture_event(&fx, SL_EV_EDGE_NO_REPLY), 1, "edge_no_reply");
	test_subtest_end();

	test_subtest_begin("slot out of range: answered as reset");
	bad.slot = SL_REPLY_SLOTS + 5;
	ASSERT_EQ(edge_run_tc(&ef, 0, &bad, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_OK, "answered");
	check_client(&cases[2], &p, out, out_len, NULL, NULL);
	test_subtest_end();

	test_subtest_begin("a template of the largest size, v6 + timestamps");
	if (ASSERT_OK(tmpl_max(&big), "template") &&
	    ASSERT_OK(edge_set_reply(&fx, 0, REPLY_ID, &big), "reply") &&
	    ASSERT_EQ(edge_run_tc(&ef, 0, &m, frame, flen, out, sizeof(out),
				  &out_len), TC_ACT_OK, "answered")) {
		struct edge_case c = cases[3];

		c.tsval = 1;
		c.tsecr = 2;
		check_client(&c, &p, out, out_len, &big, "3");
	}
	test_subtest_end();
out:
	edge_close(&ef);
	fixture_close(&fx);
}

TEST_MAIN("bpf/edge_hostile",
	  TEST(test_xdp_fallbacks),
	  TEST(test_hostile));
