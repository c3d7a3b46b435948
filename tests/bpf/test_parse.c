// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The parser of the XDP limiter through BPF_PROG_TEST_RUN: every packet
 * shape it accepts, every way to be malformed, truncation at every byte,
 * fragments.  Tier 0 is the default tier with a packets meter that never
 * refuses, so a well-formed packet lands in (0, passed).
 */
#include <linux/if_ether.h>

#include "lib/expect.h"

#define T0	0
#define NONE	SL_TIER_NONE

#define V4(...)		{ .kind = PKT_IPV4, __VA_ARGS__ }
#define V6(...)		{ .kind = PKT_IPV6, __VA_ARGS__ }
#define L2(...)		{ __VA_ARGS__ }

#define OK(d, s, ev)	{ d, s, XDP_PASS, T0, SL_R_PASSED, ev }
#define BAD(d, s, ev)	{ d, s, XDP_PASS, NONE, SL_R_MALFORMED, ev }
#define NONIP(d, s, ev)	{ d, s, XDP_PASS, NONE, SL_R_NON_IP, ev }

static const char get_req[] = "GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n";

static const struct xdp_case parse_cases[] = {
	OK("v4 tcp syn", V4(.tcp_flags = TH_SYN), NO_EVENT),
	OK("v4 tcp request", V4(.tcp_flags = TH_ACK | TH_PSH,
				.payload = get_req), NO_EVENT),
	OK("v4 udp", V4(.proto = IPPROTO_UDP, .payload_len = 32), NO_EVENT),
	OK("v4 icmp", V4(.proto = IPPROTO_ICMP, .payload_len = 8),
	   SL_EV_L4_OTHER),
	OK("v4 options 4 bytes", V4(.ip_opts = 4, .tcp_flags = TH_ACK),
	   SL_EV_IPV4_OPTIONS),
	OK("v4 options 40 bytes (IHL 15)", V4(.ip_opts = 40, .tcp_flags = TH_ACK),
	   SL_EV_IPV4_OPTIONS),
	OK("v4 tcp options 40 bytes", V4(.tcp_opts = 40, .tcp_flags = TH_SYN),
	   NO_EVENT),
	OK("v4 first fragment", V4(.frag_more = 1, .payload_len = 64),
	   SL_EV_FRAG_FIRST),
	OK("v4 middle fragment", V4(.frag_offset = 185, .frag_more = 1,
				    .payload_len = 64), SL_EV_FRAG_LATER),
	OK("v4 last fragment", V4(.frag_offset = 370, .payload_len = 3),
	   SL_EV_FRAG_LATER),
	OK("v4 udp non-first fragment", V4(.proto = IPPROTO_UDP,
					   .frag_offset = 1, .payload_len = 2),
	   SL_EV_FRAG_LATER),
	OK("v4 ethernet padding", V4(.tcp_flags = TH_ACK, .pad = 6), NO_EVENT),
	OK("802.1Q v4", V4(.nvlan = 1, .tcp_flags = TH_SYN), SL_EV_VLAN),
	OK("802.1ad v4", V4(.nvlan = 1, .vlan_tpid = { ETH_P_8021AD },
			    .tcp_flags = TH_SYN), SL_EV_VLAN),
	OK("802.1ad+802.1Q v4", V4(.nvlan = 2, .vlan_tpid = { ETH_P_8021AD },
				   .tcp_flags = TH_SYN), SL_EV_VLAN),
	OK("802.1Q+802.1Q v6", V6(.nvlan = 2, .tcp_flags = TH_SYN), SL_EV_VLAN),
	OK("v6 tcp syn", V6(.tcp_flags = TH_SYN), NO_EVENT),
	OK("v6 udp", V6(.proto = IPPROTO_UDP, .payload_len = 100), NO_EVENT),
	OK("v6 icmpv6", V6(.proto = IPPROTO_ICMPV6, .payload_len = 8),
	   SL_EV_L4_OTHER),
	OK("v6 no next header", V6(.proto = IPPROTO_NONE), SL_EV_L4_OTHER),
	OK("v6 hop-by-hop", V6(.n_ext = 1, .ext = { IPPROTO_HOPOPTS },
			       .tcp_flags = TH_SYN), SL_EV_V6_EXTHDR),
	OK("v6 routing", V6(.n_ext = 1, .ext = { IPPROTO_ROUTING },
			    .tcp_flags = TH_SYN), SL_EV_V6_EXTHDR),
	OK("v6 destination options", V6(.n_ext = 1, .ext = { IPPROTO_DSTOPTS },
					.tcp_flags = TH_SYN), SL_EV_V6_EXTHDR),
	OK("v6 atomic fragment", V6(.n_ext = 1, .ext = { IPPROTO_FRAGMENT },
				    .tcp_flags = TH_SYN), SL_EV_V6_EXTHDR),
	OK("v6 hop+routing+dst+first fragment",
	   V6(.n_ext = 4, .ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING,
				   IPPROTO_DSTOPTS, IPPROTO_FRAGMENT },
	      .frag_more = 1, .payload = get_req), SL_EV_FRAG_FIRST),
	OK("v6 non-first fragment",
	   V6(.n_ext = 2, .ext = { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT },
	      .frag_offset = 100, .payload_len = 40), SL_EV_FRAG_LATER),
	OK("v6 six extension headers (the limit)",
	   V6(.n_ext = 6, .ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS,
				   IPPROTO_ROUTING, IPPROTO_DSTOPTS,
				   IPPROTO_DSTOPTS, IPPROTO_DSTOPTS },
	      .tcp_flags = TH_SYN), SL_EV_V6_EXTHDR),

	BAD("v4 IHL 4", V4(.ihl = 4, .tcp_flags = TH_SYN), NO_EVENT),
	BAD("v4 IHL 1", V4(.ihl = 1, .tcp_flags = TH_SYN), NO_EVENT),
	BAD("v4 IHL past the total length", V4(.ihl = 15, .tcp_flags = TH_SYN),
	    NO_EVENT),
	BAD("v4 total length past the frame", V4(.ip_len = 1500), NO_EVENT),
	BAD("v4 total length under the header", V4(.ip_len = 19, .pad = 40),
	    NO_EVENT),
	BAD("v4 version 6", V4(.version = 6), NO_EVENT),
	BAD("v4 tcp data offset 4", V4(.doff = 4), NO_EVENT),
	BAD("v4 tcp data offset past the segment", V4(.doff = 15,
						      .payload_len = 8), NO_EVENT),
	BAD("v4 tcp cut by the IP length", V4(.ip_len = 30, .pad = 20),
	    NO_EVENT),
	BAD("v4 udp shorter than its header",
	    V4(.proto = IPPROTO_UDP, .ip_len = 24, .pad = 8), NO_EVENT),
	BAD("three VLAN tags", V4(.nvlan = 3, .tcp_flags = TH_SYN), SL_EV_VLAN),
	BAD("v6 payload length past the frame", V6(.ip_len = 1000), NO_EVENT),
	BAD("v6 version 4", V6(.version = 4), NO_EVENT),
	BAD("v6 tcp data offset past the segment", V6(.doff = 12), NO_EVENT),
	BAD("v6 extension header past the payload",
	    V6(.n_ext = 1, .ext = { IPPROTO_DSTOPTS }, .ext_len_extra = 8),
	    NO_EVENT),
	BAD("v6 routing header past the payload",
	    V6(.n_ext = 2, .ext = { IPPROTO_ROUTING, IPPROTO_FRAGMENT },
	       .ext_len_extra = 4, .proto = IPPROTO_UDP), NO_EVENT),
	BAD("v6 seven extension headers",
	    V6(.n_ext = 7, .ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS,
				    IPPROTO_ROUTING, IPPROTO_DSTOPTS,
				    IPPROTO_DSTOPTS, IPPROTO_DSTOPTS,
				    IPPROTO_DSTOPTS },
	       .tcp_flags = TH_SYN), SL_EV_V6_EXT_LIMIT),

	NONIP("arp", L2(.kind = PKT_ARP), NO_EVENT),
	NONIP("lldp", L2(.kind = PKT_LLDP), NO_EVENT),
	NONIP("802.1Q arp", L2(.kind = PKT_ARP, .nvlan = 1), SL_EV_VLAN),
	NONIP("local experimental ethertype",
	      L2(.kind = PKT_ETHER, .ethertype = 0x88b5, .payload_len = 46),
	      NO_EVENT),
	NONIP("bare ethernet header", L2(.kind = PKT_ETHER, .ethertype = 0x0806),
	      NO_EVENT),
};

#define N_CASES	(sizeof(parse_cases) / sizeof(parse_cases[0]))

/* Default tier 0, metered by packets with a bucket that never empties. */
static bool setup(struct xdp_fixture *fx)
{
	return FIXTURE_SETUP(fx, FIXTURE_CLIENTS) &&
	       ASSERT_OK(fixture_set_limit(fx, T0, FIXTURE_METERS(
				{ SL_UNIT_PACKETS, SL_ACT_DROP,
				  .burst = 1000000, .per_sec = 1000000000 }),
				NULL), "tier");
}

static void test_parse_table(void)
{
	static const struct { const char *name; __u32 mode, policy; } runs[] = {
		{ "malformed pass", SL_MODE_ENFORCE, SL_POLICY_PASS },
		{ "malformed drop", SL_MODE_ENFORCE, SL_POLICY_DROP },
		{ "shadow, malformed drop", SL_MODE_SHADOW, SL_POLICY_DROP },
	};
	struct xdp_fixture fx;
	__u64 sent = 0;

	if (!setup(&fx))
		return;
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		printf("# %s\n", runs[r].name);
		if (!ASSERT_OK(fixture_set_mode(&fx, runs[r].mode,
						runs[r].policy, T0), "mode"))
			break;
		expect_table(&fx, parse_cases, N_CASES, &sent);
	}
	expect_total(&fx, sent);
	fixture_close(&fx);
}

/* Valid packets to cut.  Frames shorter than an Ethernet header never
 * reach the program (BPF_PROG_TEST_RUN refuses them, as do drivers). */
static const struct { const char *desc; struct pkt_spec pkt; } cut_cases[] = {
	{ "802.1Q v4 options tcp options request",
	  V4(.nvlan = 1, .ip_opts = 8, .tcp_opts = 12, .tcp_flags = TH_ACK,
	     .payload = get_req) },
	{ "802.1ad+802.1Q v4 udp",
	  V4(.nvlan = 2, .vlan_tpid = { ETH_P_8021AD }, .proto = IPPROTO_UDP,
	     .payload_len = 12) },
	{ "v6 hop+routing+dst+fragment tcp request",
	  V6(.n_ext = 4, .ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING,
				  IPPROTO_DSTOPTS, IPPROTO_FRAGMENT },
	     .tcp_opts = 4, .tcp_flags = TH_ACK, .payload = get_req) },
	{ "802.1Q v6 udp", V6(.nvlan = 1, .proto = IPPROTO_UDP,
			      .payload_len = 4) },
};

/*
 * Cut each packet at every byte.  As captured (lengths unchanged) every
 * cut claims more than the frame holds, so every cut is malformed.  With
 * the IP lengths rewritten to fit, a cut is malformed exactly when it
 * falls inside a header: before the L4 payload.
 */
static void test_truncate_every_byte(void)
{
	struct xdp_fixture fx;
	__u64 sent = 0;
	char name[128], what[64];

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(cut_cases) / sizeof(cut_cases[0]); i++) {
		for (int policy = SL_POLICY_PASS; policy <= SL_POLICY_DROP;
		     policy++) {
			struct pkt full, p;
			bool ok = true;

			snprintf(name, sizeof(name), "%s, %s", cut_cases[i].desc,
				 policy ? "malformed drop" : "malformed pass");
			test_subtest_begin(name);
			if (!ASSERT_OK(pkt_build(&full, &cut_cases[i].pkt), "build") ||
			    !ASSERT_OK(fixture_set_mode(&fx, SL_MODE_ENFORCE,
							policy, T0), "mode")) {
				test_subtest_end();
				continue;
			}
			for (__u32 cut = ETH_HLEN; cut < full.len && ok; cut++) {
				p = full;
				pkt_truncate(&p, cut, 0);
				snprintf(what, sizeof(what), "raw cut at %u", cut);
				ok = expect_run(&fx, what, &p,
						expect_malformed_verdict(&fx),
						NONE, SL_R_MALFORMED);
				sent++;
			}
			for (__u32 cut = ETH_HLEN; cut <= full.len && ok; cut++) {
				bool bad = cut < full.payload_off;

				p = full;
				pkt_truncate(&p, cut, 1);
				snprintf(what, sizeof(what), "fitted cut at %u", cut);
				ok = expect_run(&fx, what, &p,
						bad ? expect_malformed_verdict(&fx) :
						XDP_PASS, bad ? NONE : T0,
						bad ? SL_R_MALFORMED : SL_R_PASSED);
				sent++;
			}
			test_subtest_end();
		}
	}
	expect_total(&fx, sent);
	fixture_close(&fx);
}

/*
 * Non-first fragments carry no L4 header: only packets and bytes meters
 * can apply.  A tier metered only by connections and requests leaves
 * them unmetered; the first fragment is parsed as usual.
 */
static void test_fragments(void)
{
	static const struct pkt_spec syn_first = V4(.frag_more = 1,
						    .tcp_flags = TH_SYN);
	static const struct pkt_spec v4_later = V4(.frag_offset = 8,
						   .payload = "GET / HTTP/1.1\r\n");
	static const struct pkt_spec v6_later = V6(.n_ext = 1,
		.ext = { IPPROTO_FRAGMENT }, .frag_offset = 8, .frag_more = 1,
		.payload = "GET / HTTP/1.1\r\n");
	struct xdp_fixture fx;
	struct sl_client_key k;
	struct sl_client c;
	struct sl_tier t;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_CONNECTIONS, SL_ACT_DROP, .burst = 100, .per_sec = 1 },
			{ SL_UNIT_REQUESTS, SL_ACT_DROP, .burst = 100, .per_sec = 1 }),
			&t), "tier"))
		goto out;

	expect_send(&fx, "v4 later fragment, connections+requests",
		    &v4_later, XDP_PASS, T0, SL_R_UNMETERED);
	expect_send(&fx, "v6 later fragment, connections+requests",
		    &v6_later, XDP_PASS, T0, SL_R_UNMETERED);
	ASSERT_EQ(fixture_event(&fx, SL_EV_FRAG_LATER), 2, "frag_later");
	expect_send(&fx, "v4 first fragment SYN is a connection", &syn_first,
		    XDP_PASS, T0, SL_R_PASSED);
	ASSERT_EQ(fixture_event(&fx, SL_EV_FRAG_FIRST), 1, "frag_first");

	/* Packets and bytes meters do apply to them. */
	t.meters[0].unit = SL_UNIT_PACKETS;
	t.meters[1].unit = SL_UNIT_BYTES;
	if (!ASSERT_OK(fixture_set_tier(&fx, T0, &t), "tier") ||
	    !ASSERT_OK(fixture_clear_clients(&fx), "clear"))
		goto out;
	expect_send(&fx, "v4 later fragment, packets+bytes", &v4_later,
		    XDP_PASS, T0, SL_R_PASSED);
	if (ASSERT_OK(fixture_client_key(&k, "198.18.0.1", 32, T0), "key") &&
	    ASSERT_OK(fixture_client(&fx, &k, &c), "client")) {
		ASSERT_NEQ(c.tat[0], 0, "packets meter took a token");
		ASSERT_NEQ(c.tat[1], 0, "bytes meter took tokens");
	}
	expect_send(&fx, "v6 later fragment, packets+bytes", &v6_later,
		    XDP_PASS, T0, SL_R_PASSED);
	ASSERT_EQ(fixture_event(&fx, SL_EV_FRAG_LATER), 4, "frag_later");
	expect_total(&fx, 5);
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/parse",
	  TEST(test_parse_table),
	  TEST(test_truncate_every_byte),
	  TEST(test_fragments));
