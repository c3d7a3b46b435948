// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The reset action: a refused TCP segment comes back as a RST with
 * XDP_TX.  The test parses the frame the program wrote and checks MACs,
 * VLAN tags, addresses, ports, seq/ack and flags (RFC 9293 3.10.7.1)
 * against values written down here, and recomputes both checksums.
 */
#include <linux/if_ether.h>

#include "lib/expect.h"

#define T0	0

static const char req[] = "GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n";
#define REQ_LEN	(sizeof(req) - 1)

struct rst_case {
	const char *desc;
	struct pkt_spec pkt;
	__u32 seq, ack;		/* the RST's */
	__u8 flags;
};

#define V4(...)		{ .kind = PKT_IPV4, __VA_ARGS__ }
#define V6(...)		{ .kind = PKT_IPV6, __VA_ARGS__ }

static const struct rst_case rst_cases[] = {
	/* No ACK: seq 0, ack = seq + what the segment occupied. */
	{ "v4 syn", V4(.tcp_flags = TH_SYN, .seq = 1000), 0, 1001,
	  TH_RST | TH_ACK },
	{ "v4 syn with data (fast open)",
	  V4(.tcp_flags = TH_SYN, .seq = 7, .payload = req), 0, 8 + REQ_LEN,
	  TH_RST | TH_ACK },
	{ "v4 fin with data, no ack",
	  V4(.tcp_flags = TH_FIN | TH_PSH, .seq = 500, .payload_len = 10), 0,
	  511, TH_RST | TH_ACK },
	{ "v4 syn with Ethernet padding", V4(.tcp_flags = TH_SYN, .seq = 1,
					     .pad = 6), 0, 2, TH_RST | TH_ACK },
	{ "v4 fin with data and padding: the IP length counts",
	  V4(.tcp_flags = TH_FIN, .seq = 20, .payload_len = 3, .pad = 3), 0,
	  24, TH_RST | TH_ACK },
	{ "v4 syn, sequence wraps", V4(.tcp_flags = TH_SYN, .seq = 0xffffffff),
	  0, 0, TH_RST | TH_ACK },
	/* ACK: the RST takes its sequence number from the ACK field. */
	{ "v4 request", V4(.tcp_flags = TH_ACK | TH_PSH, .seq = 5000,
			   .ack = 9000, .payload = req), 9000, 0, TH_RST },
	{ "v4 fin-ack with data", V4(.tcp_flags = TH_FIN | TH_ACK, .seq = 1,
				     .ack = 0xfffffff0, .payload_len = 100),
	  0xfffffff0, 0, TH_RST },
	{ "v4 ack with tcp options", V4(.tcp_flags = TH_ACK, .tcp_opts = 12,
					.seq = 3, .ack = 4), 4, 0, TH_RST },
	{ "v4 options syn", V4(.ip_opts = 20, .tcp_flags = TH_SYN, .seq = 41),
	  0, 42, TH_RST | TH_ACK },
	{ "v4 options request", V4(.ip_opts = 40, .tcp_flags = TH_ACK,
				   .seq = 10, .ack = 20, .payload = req),
	  20, 0, TH_RST },
	{ "802.1Q v4 syn", V4(.nvlan = 1, .tcp_flags = TH_SYN, .seq = 99),
	  0, 100, TH_RST | TH_ACK },
	{ "802.1ad+802.1Q v4 request",
	  V4(.nvlan = 2, .vlan_tpid = { ETH_P_8021AD }, .tcp_flags = TH_ACK,
	     .seq = 1, .ack = 2, .payload = req), 2, 0, TH_RST },
	{ "v6 syn", V6(.tcp_flags = TH_SYN, .seq = 123456), 0, 123457,
	  TH_RST | TH_ACK },
	{ "v6 request", V6(.tcp_flags = TH_ACK | TH_PSH, .seq = 77,
			   .ack = 88, .payload = req), 88, 0, TH_RST },
	{ "v6 fin with data, no ack", V6(.tcp_flags = TH_FIN, .seq = 10,
					 .payload_len = 5), 0, 16,
	  TH_RST | TH_ACK },
	{ "v6 hop+dst options syn",
	  V6(.n_ext = 2, .ext = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS },
	     .tcp_flags = TH_SYN, .seq = 5), 0, 6, TH_RST | TH_ACK },
	{ "v6 hop+routing+dst+fragment request",
	  V6(.n_ext = 4, .ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING,
				  IPPROTO_DSTOPTS, IPPROTO_FRAGMENT },
	     .tcp_flags = TH_ACK, .seq = 1, .ack = 31337, .payload = req),
	  31337, 0, TH_RST },
	{ "802.1Q v6 syn", V6(.nvlan = 1, .tcp_flags = TH_SYN, .seq = 1), 0, 2,
	  TH_RST | TH_ACK },
};

/* Tier 0: one packet per client, then `action`. */
static bool setup(struct xdp_fixture *fx, __u8 action)
{
	return FIXTURE_SETUP(fx, FIXTURE_CLIENTS) &&
	       ASSERT_OK(fixture_set_limit(fx, T0, FIXTURE_METERS(
				{ SL_UNIT_PACKETS, action, .burst = 1,
				  .per_sec = 1 }), NULL), "tier");
}

/* Send `p` twice from a fresh client: the second is refused. */
static int send_refused(struct xdp_fixture *fx, const struct pkt *p,
			__u8 *out, __u32 *out_len)
{
	int v;

	if (!ASSERT_OK(fixture_clear_clients(fx), "clear"))
		return -1;
	v = fixture_run(fx, p->data, p->len, NULL, NULL);
	if (!ASSERT_EQ(v, XDP_PASS, "first segment passes"))
		return -1;
	return fixture_run(fx, p->data, p->len, out, out_len);
}

static void check_rst(const struct rst_case *c, const struct pkt *in,
		      const __u8 *out, __u32 out_len)
{
	struct pkt_view i, o;
	int alen = expect_rst_views(in, out, out_len, &i, &o);

	if (!alen)
		return;
	ASSERT_TRUE(!memcmp(o.dmac, i.smac, 6), "dest MAC = client's");
	ASSERT_TRUE(!memcmp(o.smac, i.dmac, 6), "source MAC = ours");
	ASSERT_EQ(o.nvlan, i.nvlan, "VLAN tags kept");
	ASSERT_TRUE(!memcmp(o.vlan_tci, i.vlan_tci, sizeof(o.vlan_tci)),
		    "VLAN ids kept");
	ASSERT_EQ(o.family, i.family, "family");
	ASSERT_TRUE(!memcmp(o.src, i.dst, alen), "source address = server");
	ASSERT_TRUE(!memcmp(o.dst, i.src, alen), "dest address = client");
	ASSERT_EQ(o.proto, IPPROTO_TCP, "TCP");
	ASSERT_EQ(o.ip_opts, 0, "no IP options");
	ASSERT_EQ(o.n_ext, 0, "no extension headers");
	ASSERT_EQ(o.ttl, 64, "TTL/hop limit");
	ASSERT_EQ(o.sport, i.dport, "source port = server's");
	ASSERT_EQ(o.dport, i.sport, "dest port = client's");
	ASSERT_EQ(o.seq, c->seq, "seq");
	ASSERT_EQ(o.ack, c->ack, "ack");
	ASSERT_EQ(o.tcp_flags, c->flags, "flags");
	ASSERT_EQ(o.doff, 5, "no TCP options");
	ASSERT_EQ(o.window, 0, "window");
	ASSERT_EQ(o.payload_len, 0, "no payload");
	ASSERT_TRUE(o.ip_csum_ok, "IPv4 header checksum");
	ASSERT_TRUE(o.l4_csum_ok, "TCP checksum");
}

static void run_rst_cases(__u8 action)
{
	struct xdp_fixture fx;
	__u8 out[PKT_MAX];
	struct pkt p;
	__u32 len;
	int n = sizeof(rst_cases) / sizeof(rst_cases[0]);

	if (!setup(&fx, action))
		return;
	for (int k = 0; k < n; k++) {
		const struct rst_case *c = &rst_cases[k];

		test_subtest_begin(c->desc);
		if (ASSERT_OK(pkt_build(&p, &c->pkt), "build") &&
		    ASSERT_EQ(send_refused(&fx, &p, out, &len), XDP_TX,
			      "verdict"))
			check_rst(c, &p, out, len);
		test_subtest_end();
	}
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_RESET), n, "reset count");
	ASSERT_EQ(fixture_event(&fx, SL_EV_RESET_FAIL), 0, "reset_fail");
	expect_total(&fx, 2 * n);
	fixture_close(&fx);
}

static void test_reset(void)
{
	run_rst_cases(SL_ACT_RESET);
}

/* Until the TC path exists, http answers as reset does. */
static void test_http_acts_as_reset(void)
{
	run_rst_cases(SL_ACT_HTTP);
}

/* What a reset action cannot answer is dropped, and counted so. */
static void test_reset_falls_back_to_drop(void)
{
	static const struct xdp_case cases[] = {
		{ "rst", V4(.tcp_flags = TH_RST, .seq = 1), XDP_DROP, T0,
		  SL_R_DROPPED, NO_EVENT },
		{ "rst-ack", V6(.tcp_flags = TH_RST | TH_ACK, .seq = 1, .ack = 2),
		  XDP_DROP, T0, SL_R_DROPPED, NO_EVENT },
		{ "udp", V4(.proto = IPPROTO_UDP, .payload_len = 10), XDP_DROP,
		  T0, SL_R_DROPPED, NO_EVENT },
		{ "icmpv6", V6(.proto = IPPROTO_ICMPV6, .payload_len = 8),
		  XDP_DROP, T0, SL_R_DROPPED, NO_EVENT },
		{ "tcp non-first fragment", V4(.frag_offset = 100,
					       .payload_len = 20),
		  XDP_DROP, T0, SL_R_DROPPED, NO_EVENT },
	};
	/* Past 255 bytes of headers the program drops instead of building
	 * a RST (the verifier needs a bound on the offset). */
	static const struct pkt_spec deep = V6(.n_ext = 2,
		.ext = { IPPROTO_ROUTING, IPPROTO_DSTOPTS }, .ext_grow = 20,
		.tcp_flags = TH_SYN);
	struct xdp_fixture fx;
	struct pkt p;

	if (!setup(&fx, SL_ACT_RESET))
		return;
	test_subtest_begin("tcp behind 256 bytes of headers");
	if (ASSERT_OK(pkt_build(&p, &deep), "build") &&
	    ASSERT_GE(p.l4_off, 256, "deep enough"))
		ASSERT_EQ(send_refused(&fx, &p, NULL, NULL), XDP_DROP, "verdict");
	ASSERT_EQ(fixture_event(&fx, SL_EV_RESET_FAIL), 1, "reset_fail");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED), 1, "dropped");
	test_subtest_end();
	if (!ASSERT_OK(fixture_clear_stats(&fx), "clear stats"))
		goto out;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		test_subtest_begin(cases[k].desc);
		if (ASSERT_OK(pkt_build(&p, &cases[k].pkt), "build") &&
		    ASSERT_EQ(send_refused(&fx, &p, NULL, NULL), XDP_DROP,
			      "verdict"))
			ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED),
				  k + 1, "dropped");
		test_subtest_end();
	}
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_RESET), 0, "no resets");
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/reset",
	  TEST(test_reset),
	  TEST(test_http_acts_as_reset),
	  TEST(test_reset_falls_back_to_drop));
