// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Connections the edge answers itself (lib/edge_conn.bpf.h): a client
 * over its http requests limit opens a connection to an edge port, and
 * XDP alone answers the SYN, the request (the reply, then FIN), and the
 * client's last ACK and FIN.  Each answer is read back: addresses,
 * ports, seq/ack, flags, the MSS option, checksums from scratch, the
 * reply's text.  What is not such a connection must go on as before.
 */
#include <bpf/bpf.h>

#include "lib/edge_expect.h"

#define PORT		80
#define MIN_WAIT_S	0.25

static const __u16 ports[] = { 8080, PORT };

/* Tier 0 as in test_edge (1 request/s, burst 1, http, reply 7), plus the
 * flag sluiced sets and edge_connections on port 80. */
static bool conn_setup(struct xdp_fixture *fx, struct edge_fixture *ef)
{
	struct sl_tier t;
	__u32 slot = sl_tier_slot(0, T0);

	if (!setup(fx, ef, SL_ACT_HTTP, REPLY_ID))
		return false;
	if (!ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_tiers),
					   &slot, &t), "tier"))
		return false;
	t.flags |= SL_TIER_F_EDGE_CONN;
	return ASSERT_OK(fixture_set_tier(fx, T0, &t), "flag") &&
	       ASSERT_OK(edge_set_conn(fx, ports, 2, MIN_WAIT_S * 1e9),
			 "edge_connections");
}

/* Run `p` through XDP; the verdict, and the frame out in `out`. */
static int run(struct xdp_fixture *fx, const struct pkt *p, __u8 *out,
	       __u32 *out_len)
{
	__u32 meta = 0;
	int v = edge_run_xdp(fx, p->data, p->len, out, PKT_MAX + 64, out_len,
			     &meta);

	if (meta) {
		memmove(out, out + meta, *out_len - meta);
		*out_len -= meta;
	}
	return v;
}

static bool parse(const __u8 *buf, __u32 len, struct pkt_view *v)
{
	const char *why = NULL;

	if (ASSERT_OK(pkt_parse(buf, len, v, &why), "parse"))
		return true;
	fprintf(stderr, "    %s\n", why);
	return false;
}

/* The headers every answer shares: back to the client, checksums. */
static void check_back(const struct pkt_view *i, const struct pkt_view *o)
{
	int alen = i->family == 4 ? 4 : 16;

	ASSERT_TRUE(!memcmp(o->dmac, i->smac, 6), "dest MAC = client's");
	ASSERT_TRUE(!memcmp(o->src, i->dst, alen), "source = server");
	ASSERT_TRUE(!memcmp(o->dst, i->src, alen), "dest = client");
	ASSERT_EQ(o->nvlan, i->nvlan, "VLAN tags kept");
	ASSERT_EQ(o->sport, i->dport, "source port");
	ASSERT_EQ(o->dport, i->sport, "dest port");
	ASSERT_TRUE(o->ip_csum_ok, "IPv4 header checksum");
	ASSERT_TRUE(o->l4_csum_ok, "TCP checksum (from scratch)");
}

struct conn_case {
	const char *desc;
	struct pkt_spec pkt;	/* the request; SYN and the rest derived */
};

static const struct conn_case conn_cases[] = {
	{ "v4", V4(.seq = 1000) },
	{ "v6", V6(.seq = 0xfffffffe) },
	{ "802.1Q v4, second port", V4(.nvlan = 1, .dport = 8080, .seq = 5) },
	{ "802.1ad+802.1Q v6",
	  V6(.nvlan = 2, .vlan_tpid = { ETH_P_8021AD }, .seq = 9) },
};

/* A segment of the connection: `flags`, seq and ack, payload or not. */
static int seg(struct pkt *p, const struct pkt_spec *req, __u8 flags,
	       __u32 seq, __u32 ack, int payload)
{
	struct pkt_spec s = *req;

	s.tcp_flags = flags;
	s.seq = seq;
	s.ack = ack;
	if (!payload) {
		s.payload = NULL;
		s.payload_len = 0;
	}
	return pkt_build(p, &s);
}

/* The whole life of one edge connection. */
static void one_conn(struct xdp_fixture *fx, const struct conn_case *c)
{
	const struct pkt_spec *r = &c->pkt;
	__u32 cseq = r->seq - 1, isn, out_len, plen = strlen(req);
	struct pkt in, in2;
	struct pkt_view i, o;
	__u8 out[PKT_MAX + 64];

	/* SYN -> our SYN-ACK. */
	if (!ASSERT_OK(seg(&in, r, TH_SYN, cseq, 0, 0), "SYN") ||
	    !ASSERT_EQ(run(fx, &in, out, &out_len), XDP_TX, "SYN: XDP_TX") ||
	    !parse(in.data, in.len, &i) || !parse(out, out_len, &o))
		return;
	check_back(&i, &o);
	ASSERT_EQ(o.tcp_flags, TH_SYN | TH_ACK, "SYN-ACK flags");
	ASSERT_EQ(o.ack, cseq + 1, "SYN-ACK ack = SYN + 1");
	ASSERT_EQ(o.doff, 6, "SYN-ACK: 24-byte header");
	ASSERT_EQ(o.payload_len, 0, "SYN-ACK: no payload");
	ASSERT_EQ(o.window, 65535, "SYN-ACK window");
	{
		const __u8 *opt = out + out_len - 4;
		__u16 mss = opt[2] << 8 | opt[3];

		ASSERT_TRUE(opt[0] == 2 && opt[1] == 4, "MSS option");
		ASSERT_EQ(mss, i.family == 4 ? 1460 : 1440, "MSS");
	}
	isn = o.seq;

	/* The same SYN again (ours was lost): the same ISN. */
	if (ASSERT_EQ(run(fx, &in, out, &out_len), XDP_TX, "SYN again") &&
	    parse(out, out_len, &o))
		ASSERT_EQ(o.seq, isn, "the same ISN for the same connection");

	/* The handshake's ACK: dropped (the kernel would reset it). */
	if (ASSERT_OK(seg(&in, r, TH_ACK, cseq + 1, isn + 1, 0), "ACK"))
		ASSERT_EQ(run(fx, &in, out, &out_len), XDP_DROP, "ACK: dropped");

	/* The request -> the reply and FIN. */
	if (!ASSERT_OK(seg(&in, r, TH_ACK | TH_PSH, cseq + 1, isn + 1, 1),
		       "request") ||
	    !ASSERT_EQ(run(fx, &in, out, &out_len), XDP_TX, "request: XDP_TX") ||
	    !parse(in.data, in.len, &i) || !parse(out, out_len, &o))
		return;
	check_back(&i, &o);
	ASSERT_EQ(o.tcp_flags, TH_FIN | TH_PSH | TH_ACK, "reply flags");
	ASSERT_EQ(o.seq, isn + 1, "reply seq = ISN + 1");
	ASSERT_EQ(o.ack, cseq + 1 + plen, "reply ack = after the request");
	ASSERT_EQ(o.doff, 5, "reply: no options");
	ASSERT_EQ(o.payload_len, tmpl.len, "reply: the template's length");
	ASSERT_EQ(out_len, in.l3_off + (i.family == 4 ? 20 : 40) + 20 +
		  tmpl.len, "frame length");
	check_http((const char *)out + out_len - tmpl.len, tmpl.len, "1");

	/* A retransmitted request gets the same answer. */
	if (ASSERT_EQ(run(fx, &in, out, &out_len), XDP_TX, "request again") &&
	    parse(out, out_len, &o))
		ASSERT_EQ(o.seq, isn + 1, "the same reply");

	/* The client's ACK of reply and FIN: dropped. */
	if (ASSERT_OK(seg(&in, r, TH_ACK, cseq + 1 + plen,
			  isn + 2 + tmpl.len, 0), "ACK of the reply"))
		ASSERT_EQ(run(fx, &in, out, &out_len), XDP_DROP,
			  "ACK of the reply: dropped");

	/* Its FIN: acknowledged. */
	if (ASSERT_OK(seg(&in2, r, TH_ACK | TH_FIN, cseq + 1 + plen,
			  isn + 2 + tmpl.len, 0), "FIN") &&
	    ASSERT_EQ(run(fx, &in2, out, &out_len), XDP_TX, "FIN: XDP_TX") &&
	    parse(in2.data, in2.len, &i) && parse(out, out_len, &o)) {
		check_back(&i, &o);
		ASSERT_EQ(o.tcp_flags, TH_ACK, "FIN's ACK flags");
		ASSERT_EQ(o.seq, isn + 2 + tmpl.len, "seq after our FIN");
		ASSERT_EQ(o.ack, cseq + 2 + plen, "ack = after its FIN");
		ASSERT_EQ(o.payload_len, 0, "no payload");
	}

	/* A RST from the client: dropped. */
	if (ASSERT_OK(seg(&in, r, TH_ACK | TH_RST, cseq + 1 + plen,
			  isn + 2 + tmpl.len, 0), "RST"))
		ASSERT_EQ(run(fx, &in, out, &out_len), XDP_DROP, "RST: dropped");

	/* A FIN before any request: reset. */
	if (ASSERT_OK(seg(&in, r, TH_ACK | TH_FIN, cseq + 1, isn + 1, 0),
		      "early FIN") &&
	    ASSERT_EQ(run(fx, &in, out, &out_len), XDP_TX, "early FIN: XDP_TX") &&
	    parse(out, out_len, &o)) {
		ASSERT_EQ(o.tcp_flags, TH_RST | TH_ACK, "early FIN: RST");
		ASSERT_EQ(o.seq, isn + 1, "RST seq");
	}
}

static void test_conn(void)
{
	struct xdp_fixture fx;
	struct edge_fixture ef = {};

	if (!conn_setup(&fx, &ef))
		goto out;
	for (size_t k = 0; k < sizeof(conn_cases) / sizeof(conn_cases[0]); k++) {
		test_subtest_begin(conn_cases[k].desc);
		/* 0.6 s to wait: the reply says 1. */
		if (seed_wait(&fx, &conn_cases[k].pkt, 0.6))
			one_conn(&fx, &conn_cases[k]);
		test_subtest_end();
	}
	/* Per connection: SYN x2, ACK, ACK, FIN, RST, early FIN. */
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_EDGE_CONN), 4 * 7,
		  "counted as edge_conn");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_HTTP), 4 * 2,
		  "requests counted as http");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_PASSED), 0, "none passed");
	ASSERT_EQ(fixture_event(&fx, SL_EV_EDGE_CONN_FAIL), 0, "edge_conn_fail");
out:
	edge_close(&ef);
	fixture_close(&fx);
}

/* What must go on as before: the kernel's own connections. */
static void test_not_ours(void)
{
	static const struct pkt_spec syn = { .kind = PKT_IPV4,
					     .tcp_flags = TH_SYN, .seq = 1 };
	struct xdp_fixture fx;
	struct edge_fixture ef = {};
	__u8 out[PKT_MAX + 64];
	struct pkt_view o;
	__u32 out_len;
	struct pkt in;

	if (!conn_setup(&fx, &ef))
		goto out;

	test_subtest_begin("a wait shorter than min_wait: the SYN passes");
	if (seed_wait(&fx, &syn, 0.1) && ASSERT_OK(pkt_build(&in, &syn), "SYN"))
		ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_PASS, "passed");
	test_subtest_end();

	test_subtest_begin("another port: the SYN passes");
	{
		struct pkt_spec s = syn;

		s.dport = 443;
		if (seed_wait(&fx, &s, 5) && ASSERT_OK(pkt_build(&in, &s), "SYN"))
			ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_PASS,
				  "passed");
	}
	test_subtest_end();

	test_subtest_begin("a SYN carrying a request (fast open): refused as before");
	{
		struct pkt_spec s = syn;

		/* Metered as a request: the limit's RST, not a handshake. */
		s.payload = req;
		if (seed_wait(&fx, &s, 5) && ASSERT_OK(pkt_build(&in, &s), "SYN") &&
		    ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_TX, "answered") &&
		    parse(out, out_len, &o))
			ASSERT_EQ(o.tcp_flags, TH_RST | TH_ACK, "RST, no SYN-ACK");
	}
	test_subtest_end();

	test_subtest_begin("a request on a kernel connection: TC's answer");
	{
		/* Any ack the hash did not make: handed to TC, as before. */
		static const struct pkt_spec r = V4(.seq = 10, .ack = 12345);

		if (seed_wait(&fx, &r, 5) && ASSERT_OK(build_req(&in, &r), "req"))
			ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_PASS,
				  "passed with the record");
	}
	test_subtest_end();

	test_subtest_begin("the ACK of a kernel connection passes");
	{
		static const struct pkt_spec a = { .kind = PKT_IPV4,
						   .tcp_flags = TH_ACK,
						   .seq = 10, .ack = 777 };

		if (seed_wait(&fx, &a, 5) && ASSERT_OK(pkt_build(&in, &a), "ACK"))
			ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_PASS,
				  "passed");
	}
	test_subtest_end();

	test_subtest_begin("shadow mode: the SYN passes");
	if (ASSERT_OK(fixture_set_mode(&fx, SL_MODE_SHADOW, SL_POLICY_PASS, 0),
		      "shadow") &&
	    seed_wait(&fx, &syn, 5) && ASSERT_OK(pkt_build(&in, &syn), "SYN"))
		ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_PASS, "passed");
	test_subtest_end();

	test_subtest_begin("edge_connections off: the SYN passes");
	if (ASSERT_OK(fixture_set_mode(&fx, SL_MODE_ENFORCE, SL_POLICY_PASS, 0),
		      "enforce") &&
	    ASSERT_OK(edge_set_conn(&fx, ports, 0, 0), "off") &&
	    seed_wait(&fx, &syn, 5) && ASSERT_OK(pkt_build(&in, &syn), "SYN"))
		ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_PASS, "passed");
	test_subtest_end();

	test_subtest_begin("on again: answered");
	if (ASSERT_OK(edge_set_conn(&fx, ports, 2, MIN_WAIT_S * 1e9), "on") &&
	    ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_TX, "answered") &&
	    parse(out, out_len, &o))
		ASSERT_EQ(o.tcp_flags, TH_SYN | TH_ACK, "SYN-ACK");
	test_subtest_end();

	test_subtest_begin("a different connection: a different ISN");
	{
		struct pkt_spec s = syn;
		__u32 isn = o.seq;

		s.sport = 40001;
		if (ASSERT_OK(pkt_build(&in, &s), "SYN") &&
		    ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_TX, "answered") &&
		    parse(out, out_len, &o))
			ASSERT_NEQ(o.seq, isn, "another ISN");
	}
	test_subtest_end();
out:
	edge_close(&ef);
	fixture_close(&fx);
}

/* A request that comes after the wait ended: still answered, and it
 * takes no token. */
static void test_late_request(void)
{
	const struct conn_case *c = &conn_cases[0];
	struct xdp_fixture fx;
	struct edge_fixture ef = {};
	struct sl_client_key k;
	struct sl_client before, after;
	__u8 out[PKT_MAX + 64];
	struct pkt_view o;
	__u32 out_len, isn;
	struct pkt in;

	if (!conn_setup(&fx, &ef) || !seed_wait(&fx, &c->pkt, 1))
		goto out;
	if (!ASSERT_OK(seg(&in, &c->pkt, TH_SYN, 99, 0, 0), "SYN") ||
	    !ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_TX, "SYN-ACK") ||
	    !parse(out, out_len, &o))
		goto out;
	isn = o.seq;
	/* Now the client could send: its wait is over. */
	if (!seed_wait(&fx, &c->pkt, -0.5) ||
	    !ASSERT_OK(fixture_client_key(&k, "198.18.0.1", 32, T0), "key") ||
	    !ASSERT_OK(fixture_client(&fx, &k, &before), "bucket"))
		goto out;
	if (ASSERT_OK(seg(&in, &c->pkt, TH_ACK | TH_PSH, 100, isn + 1, 1),
		      "request") &&
	    ASSERT_EQ(run(&fx, &in, out, &out_len), XDP_TX, "answered") &&
	    parse(out, out_len, &o)) {
		ASSERT_EQ(o.tcp_flags, TH_FIN | TH_PSH | TH_ACK, "the reply");
		check_http((const char *)out + out_len - tmpl.len, tmpl.len,
			   "1");
	}
	if (ASSERT_OK(fixture_client(&fx, &k, &after), "bucket"))
		ASSERT_EQ(after.tat[0], before.tat[0], "no token taken");
out:
	edge_close(&ef);
	fixture_close(&fx);
}

TEST_MAIN("bpf/edge_conn",
	  TEST(test_conn),
	  TEST(test_not_ours),
	  TEST(test_late_request));
