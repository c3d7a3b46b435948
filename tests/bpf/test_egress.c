// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The TC egress program (bpf/sluice_egress.bpf.c): responses leaving the
 * host matched to the request pending on their connection.  The test
 * writes what the ingress side and sluiced would have (a service in
 * sl_services, a pending request in sl_conns with its arrival set in
 * the past by a known amount), runs the server's segments, and reads
 * sl_svc_stats, sl_svc_run and sl_conns back.  Every run must answer
 * TCX_NEXT: the program never drops and never hides a segment from the
 * programs behind it.
 */
#include <string.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "lib/egress_fixture.h"
#include "lib/pkt.h"
#include "sluice_edge.h"
#include "sluice_egress.skel.h"
#include "kern/loader.h"
#include "kern/svc_sweep.h"

#define SVC		3
#define MS		1000000ULL
#define SLOW_NS		(100 * MS)
#define CLIENT4		"198.18.0.1"
#define SERVER4		"198.18.0.2"
#define CLIENT6		"2001:2::1"
#define SERVER6		"2001:2::2"
#define CPORT		40000
#define SPORT		80

/* A segment from the server to the client (the default pkt_spec
 * addresses, reversed). */
struct seg {
	int v6;
	__u8 flags;
	const void *payload;
	__u16 payload_len;
	__u8 nvlan;
	__u8 ip_opts;
};

static int seg_build(struct pkt *p, const struct seg *g)
{
	struct pkt_spec s = {
		.kind = g->v6 ? PKT_IPV6 : PKT_IPV4,
		.src = g->v6 ? SERVER6 : SERVER4,
		.dst = g->v6 ? CLIENT6 : CLIENT4,
		.sport = SPORT, .dport = CPORT,
		.tcp_flags = g->flags ? g->flags : TH_ACK | TH_PSH,
		.seq = 7000, .ack = 1100,
		.payload = g->payload, .payload_len = g->payload_len,
		.nvlan = g->nvlan, .ip_opts = g->ip_opts,
	};

	return pkt_build(p, &s);
}

static void key_of(struct sl_conn_key *k, int v6)
{
	egress_key(k, v6 ? CLIENT6 : CLIENT4, CPORT, v6 ? SERVER6 : SERVER4,
		   SPORT);
}

struct env {
	struct xdp_fixture fx;
	struct egress_fixture ef;
};

static bool setup(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->ef.prog_fd = -1;
	if (!FIXTURE_SETUP(&e->fx, FIXTURE_CLIENTS))
		return false;
	return ASSERT_OK(egress_fixture_open(&e->ef, &e->fx), "egress_fixture_open") &&
	       ASSERT_OK(egress_set_service(&e->fx, 0, SVC, SLOW_NS,
					    30000 * MS, SL_SVC_FAIL_DEFAULT),
			 "service");
}

static void teardown(struct env *e)
{
	egress_fixture_close(&e->ef);
	fixture_close(&e->fx);
}

/* Run a segment; the verdict must be TCX_NEXT. */
static bool send_seg(struct env *e, const struct seg *g,
		     const struct egress_skb *o)
{
	struct pkt p;

	if (!ASSERT_OK(seg_build(&p, g), "pkt_build"))
		return false;
	return ASSERT_EQ(egress_run(&e->ef, p.data, p.len, o), EGRESS_PASS,
			 "verdict TCX_NEXT");
}

static bool send_text(struct env *e, int v6, __u8 flags, const char *text)
{
	struct seg g = { .v6 = v6, .flags = flags, .payload = text };

	return send_seg(e, &g, NULL);
}

static struct sl_svc_stats stats(struct env *e)
{
	struct sl_svc_stats s;

	ASSERT_OK(egress_stats(&e->fx, SVC, &s), "read sl_svc_stats");
	return s;
}

static int pending(struct env *e, int v6)
{
	struct sl_conn_key k;
	struct sl_conn c;

	key_of(&k, v6);
	if (egress_conn(&e->fx, &k, &c))
		return -1;	/* no entry */
	return c.pending;
}

static bool set_pending(struct env *e, int v6, __u64 ago_ns)
{
	struct sl_conn_key k;

	key_of(&k, v6);
	return ASSERT_OK(egress_set_pending(&e->fx, &k, SVC, ago_ns),
			 "write the pending request");
}

static bool reset_all(struct env *e)
{
	return ASSERT_OK(egress_clear_stats(&e->fx), "clear stats") &&
	       ASSERT_OK(egress_clear_conns(&e->fx), "clear conns");
}

/* ---- the status line ------------------------------------------------- */

struct resp_case {
	const char *desc;
	const char *payload;
	int cls;	/* enum sl_svc_code of the class, -1: not a response */
	int code;	/* its own slot, 0: none */
	int final;	/* completes the request */
};

static const struct resp_case resp_cases[] = {
	{ "1.1 200", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	  SL_SVC_CODE_2XX, 0, 1 },
	{ "1.0 200", "HTTP/1.0 200 OK\r\n\r\n", SL_SVC_CODE_2XX, 0, 1 },
	{ "204 without a reason", "HTTP/1.1 204\r\n\r\n", SL_SVC_CODE_2XX, 0, 1 },
	{ "200, bare LF", "HTTP/1.1 200\nServer: x\n\n", SL_SVC_CODE_2XX, 0, 1 },
	{ "101 is final", "HTTP/1.1 101 Switching Protocols\r\n",
	  SL_SVC_CODE_1XX, 0, 1 },
	{ "301", "HTTP/1.1 301 Moved Permanently\r\n", SL_SVC_CODE_3XX, 0, 1 },
	{ "304", "HTTP/1.0 304 Not Modified\r\n", SL_SVC_CODE_3XX, 0, 1 },
	{ "404", "HTTP/1.1 404 Not Found\r\n", SL_SVC_CODE_4XX, 0, 1 },
	{ "429", "HTTP/1.1 429 Too Many Requests\r\n", SL_SVC_CODE_4XX,
	  SL_SVC_CODE_429, 1 },
	{ "500", "HTTP/1.1 500 Internal Server Error\r\n", SL_SVC_CODE_5XX,
	  SL_SVC_CODE_500, 1 },
	{ "501", "HTTP/1.1 501 Not Implemented\r\n", SL_SVC_CODE_5XX, 0, 1 },
	{ "502", "HTTP/1.1 502 Bad Gateway\r\n", SL_SVC_CODE_5XX,
	  SL_SVC_CODE_502, 1 },
	{ "503", "HTTP/1.0 503 Service Unavailable\r\n", SL_SVC_CODE_5XX,
	  SL_SVC_CODE_503, 1 },
	{ "504", "HTTP/1.1 504 Gateway Timeout\r\n", SL_SVC_CODE_5XX,
	  SL_SVC_CODE_504, 1 },
	{ "599", "HTTP/1.1 599 x\r\n", SL_SVC_CODE_5XX, 0, 1 },
	{ "600: other", "HTTP/1.1 600 x\r\n", SL_SVC_CODE_OTHER, 0, 1 },
	{ "099: other", "HTTP/1.1 099 x\r\n", SL_SVC_CODE_OTHER, 0, 1 },
	{ "000: other", "HTTP/1.1 000 x\r\n", SL_SVC_CODE_OTHER, 0, 1 },
	/* cut short: the segment ends inside the status line */
	{ "cut: 12 bytes", "HTTP/1.1 200", -1, 0, 0 },
	{ "cut: 11 bytes", "HTTP/1.1 20", -1, 0, 0 },
	{ "cut: 9 bytes", "HTTP/1.1 ", -1, 0, 0 },
	{ "cut: 4 bytes", "HTTP", -1, 0, 0 },
	/* garbage that almost is one */
	{ "HTTP/1.2", "HTTP/1.2 200 OK\r\n", -1, 0, 0 },
	{ "HTTP/2", "HTTP/2 200 OK\r\n\r\n", -1, 0, 0 },
	{ "HTTP/2.0", "HTTP/2.0 200 OK\r\n", -1, 0, 0 },
	{ "lower case", "http/1.1 200 OK\r\n", -1, 0, 0 },
	{ "two spaces", "HTTP/1.1  200 OK\r\n", -1, 0, 0 },
	{ "tab", "HTTP/1.1\t200 OK\r\n", -1, 0, 0 },
	{ "letter in the code", "HTTP/1.1 2x0 OK\r\n", -1, 0, 0 },
	{ "four digits", "HTTP/1.1 2000 OK\r\n", -1, 0, 0 },
	{ "two digits", "HTTP/1.1 20 OK\r\n\r\n", -1, 0, 0 },
	{ "no space after", "HTTP/1.1 200OK\r\n", -1, 0, 0 },
	{ "HTTPS", "HTTPS/1.1 200 OK\r\n", -1, 0, 0 },
	{ "comma", "HTTP/1,1 200 OK\r\n", -1, 0, 0 },
	{ "leading space", " HTTP/1.1 200 OK\r\n", -1, 0, 0 },
	{ "a request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", -1, 0, 0 },
	{ "a body", "{\"status\":\"HTTP/1.1 200 OK\"}", -1, 0, 0 },
	{ "TLS record", "\x16\x03\x03\x00\x31\x02\x00\x00\x2d\x03\x03xyz",
	  -1, 0, 0 },
};

static void resp_check(struct env *e, const struct resp_case *c, int v6,
		       __u8 nvlan, __u8 ip_opts)
{
	struct seg g = { .v6 = v6, .payload = c->payload, .nvlan = nvlan,
			 .ip_opts = ip_opts };
	struct sl_svc_stats s;
	__u64 total = 0;

	if (!reset_all(e) || !set_pending(e, v6, 5 * MS) ||
	    !send_seg(e, &g, NULL))
		return;
	s = stats(e);
	for (int i = 0; i < SL_SVC_CODE_SLOTS; i++)
		total += s.responses[i];
	if (c->cls < 0) {
		ASSERT_EQ(total, 0, "not a response: nothing counted");
		ASSERT_EQ(pending(e, v6), 1, "still pending");
		return;
	}
	ASSERT_EQ(s.responses[c->cls], 1, "its class");
	ASSERT_EQ(total, c->code ? 2 : 1, "class (and code) only");
	if (c->code)
		ASSERT_EQ(s.responses[c->code], 1, "its own slot");
	ASSERT_EQ(s.lat_count, c->final ? 1 : 0, "lat_count");
	ASSERT_EQ(pending(e, v6), c->final ? 0 : 1, "pending after");
	ASSERT_EQ(s.no_response, 0, "no_response");
}

static void test_status_line(void)
{
	static const struct { const char *name; int v6; __u8 nvlan, ip_opts; }
	views[] = {
		{ "v4", 0, 0, 0 }, { "v6", 1, 0, 0 }, { "v4 vlan", 0, 1, 0 },
		{ "v6 qinq", 1, 2, 0 }, { "v4 options", 0, 0, 8 },
	};
	struct env e;
	char name[96];

	if (!setup(&e))
		goto out;
	for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++)
		for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
			snprintf(name, sizeof(name), "%s: %s", views[v].name,
				 resp_cases[i].desc);
			if (!test_subtest_begin(name))
				continue;
			resp_check(&e, &resp_cases[i], views[v].v6,
				   views[v].nvlan, views[v].ip_opts);
			test_subtest_end();
		}
out:
	teardown(&e);
}

/* ---- segments that are not responses, or have nothing pending -------- */

static void test_untouched(void)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\n\r\n";
	struct sl_svc_stats s;
	struct sl_conn_key k;
	struct sl_conn c;
	struct env e;
	struct pkt p;
	struct pkt_spec udp = { .proto = IPPROTO_UDP, .src = SERVER4,
				.dst = CLIENT4, .sport = SPORT, .dport = CPORT,
				.payload = ok };
	struct pkt_spec arp = { .kind = PKT_ARP };

	if (!setup(&e) || !reset_all(&e))
		goto out;

	test_subtest_begin("no entry");
	send_text(&e, 0, 0, ok);
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_2XX], 0, "nothing counted");
	ASSERT_EQ(pending(&e, 0), -1, "no entry made");
	test_subtest_end();

	test_subtest_begin("entry not pending");
	key_of(&k, 0);
	set_pending(&e, 0, MS);
	send_text(&e, 0, 0, ok);
	send_text(&e, 0, 0, ok);	/* a retransmission of it */
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_2XX], 1, "counted once");
	ASSERT_EQ(s.lat_count, 1, "one latency");
	test_subtest_end();

	test_subtest_begin("other segments leave the entry alone");
	set_pending(&e, 0, MS);
	if (!ASSERT_OK(egress_conn(&e.fx, &k, &c), "entry"))
		goto out;
	send_text(&e, 0, TH_ACK, NULL);		/* a pure ACK */
	send_text(&e, 0, TH_SYN | TH_ACK, NULL);
	send_text(&e, 0, TH_SYN | TH_ACK, ok);	/* SYN with data: not a response */
	send_text(&e, 0, 0, "hello, world, more than 13 bytes");
	if (ASSERT_OK(pkt_build(&p, &udp), "udp"))
		ASSERT_EQ(egress_run(&e.ef, p.data, p.len, NULL), EGRESS_PASS,
			  "udp verdict");
	if (ASSERT_OK(pkt_build(&p, &arp), "arp"))
		ASSERT_EQ(egress_run(&e.ef, p.data, p.len, NULL), EGRESS_PASS,
			  "arp verdict");
	ASSERT_EQ(pending(&e, 0), 1, "still pending");
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_2XX], 1, "nothing more counted");
	test_subtest_end();

	test_subtest_begin("the client's direction");
	/* The same connection's segment from the client (a request
	 * leaving a local client) is another key: no match. */
	{
		struct pkt_spec req = { .src = CLIENT4, .dst = SERVER4,
					.sport = CPORT, .dport = SPORT,
					.tcp_flags = TH_ACK | TH_PSH,
					.payload = ok };

		if (ASSERT_OK(pkt_build(&p, &req), "pkt"))
			ASSERT_EQ(egress_run(&e.ef, p.data, p.len, NULL),
				  EGRESS_PASS, "verdict");
		ASSERT_EQ(pending(&e, 0), 1, "still pending");
	}
	test_subtest_end();
out:
	teardown(&e);
}

/* ---- one response over several segments, GSO ------------------------- */

static void test_segments(void)
{
	char big[1900];
	struct sl_svc_stats s;
	struct env e;
	struct seg g = { .payload = big, .payload_len = sizeof(big) };
	struct egress_skb gso = { .gso_size = 1448, .gso_segs = 2 };

	if (!setup(&e))
		goto out;

	test_subtest_begin("split: only the first carries the status line");
	reset_all(&e);
	set_pending(&e, 0, MS);
	send_text(&e, 0, 0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n");
	send_text(&e, 0, 0, "\r\nHTTP/1.1 500 in the body, not a status line");
	send_text(&e, 0, 0, "HTTP/1.1 503 at a segment's start, in the body");
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_2XX], 1, "the 200");
	ASSERT_EQ(s.responses[SL_SVC_CODE_5XX], 0, "no 5xx from the body");
	ASSERT_EQ(s.lat_count, 1, "one latency");
	test_subtest_end();

	for (int v6 = 0; v6 <= 1; v6++) {
		test_subtest_begin(v6 ? "GSO skb v6" : "GSO skb v4");
		reset_all(&e);
		memset(big, 'x', sizeof(big));
		memcpy(big, "HTTP/1.1 503 Service Unavailable\r\n", 34);
		set_pending(&e, v6, MS);
		g.v6 = v6;
		send_seg(&e, &g, &gso);
		s = stats(&e);
		ASSERT_EQ(s.responses[SL_SVC_CODE_5XX], 1, "5xx");
		ASSERT_EQ(s.responses[SL_SVC_CODE_503], 1, "503");
		ASSERT_EQ(pending(&e, v6), 0, "answered");
		/* The next GSO skb of the same body: nothing. */
		memset(big, 'y', sizeof(big));
		send_seg(&e, &g, &gso);
		s = stats(&e);
		ASSERT_EQ(s.lat_count, 1, "one response");
		test_subtest_end();
	}
out:
	teardown(&e);
}

/* ---- keep-alive, 1xx, closes ----------------------------------------- */

static void test_keepalive(void)
{
	static const char *const resp[] = {
		"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 503 Busy\r\n\r\n",
		"HTTP/1.1 302 Found\r\n\r\n",
	};
	struct sl_svc_stats s;
	struct env e;

	if (!setup(&e) || !reset_all(&e))
		goto out;
	for (int v6 = 0; v6 <= 1; v6++) {
		test_subtest_begin(v6 ? "pairs v6" : "pairs v4");
		reset_all(&e);
		for (size_t i = 0; i < sizeof(resp) / sizeof(resp[0]); i++) {
			set_pending(&e, v6, MS);	/* XDP: the next request */
			send_text(&e, v6, 0, resp[i]);
			ASSERT_EQ(pending(&e, v6), 0, "answered");
			/* Its retransmission and a body segment: nothing. */
			send_text(&e, v6, 0, resp[i]);
			send_text(&e, v6, 0, "body body body body");
		}
		s = stats(&e);
		ASSERT_EQ(s.responses[SL_SVC_CODE_2XX], 2, "2xx");
		ASSERT_EQ(s.responses[SL_SVC_CODE_3XX], 1, "3xx");
		ASSERT_EQ(s.responses[SL_SVC_CODE_4XX], 1, "4xx");
		ASSERT_EQ(s.responses[SL_SVC_CODE_5XX], 1, "5xx");
		ASSERT_EQ(s.responses[SL_SVC_CODE_503], 1, "503");
		ASSERT_EQ(s.lat_count, 5, "five latencies");
		/* The server closes the idle connection: no no_response. */
		send_text(&e, v6, TH_FIN | TH_ACK, NULL);
		s = stats(&e);
		ASSERT_EQ(s.no_response, 0, "idle close");
		ASSERT_EQ(pending(&e, v6), -1, "entry gone at the close");
		test_subtest_end();
	}
out:
	teardown(&e);
}

static void test_interim(void)
{
	struct sl_svc_stats s;
	struct env e;

	if (!setup(&e) || !reset_all(&e))
		goto out;
	set_pending(&e, 0, 30 * MS);
	send_text(&e, 0, 0, "HTTP/1.1 100 Continue\r\n\r\n");
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_1XX], 1, "1xx counted");
	ASSERT_EQ(s.lat_count, 0, "no latency yet");
	ASSERT_EQ(pending(&e, 0), 1, "still pending");
	send_text(&e, 0, 0, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
	ASSERT_EQ(pending(&e, 0), 1, "still pending after 103");
	send_text(&e, 0, 0, "HTTP/1.1 201 Created\r\n\r\n");
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_1XX], 2, "1xx");
	ASSERT_EQ(s.responses[SL_SVC_CODE_2XX], 1, "2xx");
	ASSERT_EQ(s.lat_count, 1, "one latency");
	/* From the request, not from the 100: 25..50 ms. */
	ASSERT_EQ(s.lat[5], 1, "latency in the 50 ms bucket");
	ASSERT_EQ(pending(&e, 0), 0, "answered");
out:
	teardown(&e);
}

static void test_close(void)
{
	static const struct {
		const char *desc;
		__u8 flags;
		const char *payload;
		int no_response, answered;
	} c[] = {
		{ "RST", TH_RST | TH_ACK, NULL, 1, 0 },
		{ "RST alone", TH_RST, NULL, 1, 0 },
		{ "FIN", TH_FIN | TH_ACK, NULL, 1, 0 },
		{ "FIN with the response", TH_FIN | TH_ACK | TH_PSH,
		  "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbye", 0, 1 },
		{ "FIN with a body", TH_FIN | TH_ACK | TH_PSH, "the end of a body",
		  1, 0 },
	};
	struct sl_svc_stats s;
	struct env e;

	if (!setup(&e))
		goto out;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		for (int v6 = 0; v6 <= 1; v6++) {
			char name[64];

			snprintf(name, sizeof(name), "%s %s", c[i].desc,
				 v6 ? "v6" : "v4");
			test_subtest_begin(name);
			reset_all(&e);
			set_pending(&e, v6, MS);
			send_text(&e, v6, c[i].flags, c[i].payload);
			s = stats(&e);
			ASSERT_EQ(s.no_response, c[i].no_response, "no_response");
			ASSERT_EQ(s.lat_count, c[i].answered, "answered");
			ASSERT_EQ(pending(&e, v6), -1, "entry gone");
			/* Again, on a connection with no entry: nothing. */
			send_text(&e, v6, c[i].flags, c[i].payload);
			s = stats(&e);
			ASSERT_EQ(s.no_response, c[i].no_response, "once");
			test_subtest_end();
		}
out:
	teardown(&e);
}

/* ---- sluice's own edge answers ---------------------------------------- */

static void test_edge_answer(void)
{
	static const char r429[] =
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n";
	struct egress_skb ours = { .mark = SL_EDGE_MARK };
	struct egress_skb other = { .mark = 0x1234 };
	struct sl_svc_stats s;
	struct seg g = { .payload = r429, .flags = TH_FIN | TH_ACK | TH_PSH };
	struct seg rst = { .flags = TH_RST | TH_ACK };
	struct sl_svc_run run;
	struct env e;

	if (!setup(&e) || !reset_all(&e))
		goto out;
	test_subtest_begin("http answer");
	set_pending(&e, 0, MS);
	send_seg(&e, &g, &ours);
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_4XX], 0, "not the service's 4xx");
	ASSERT_EQ(s.responses[SL_SVC_CODE_429], 0, "not the service's 429");
	ASSERT_EQ(s.lat_count + s.no_response, 0, "no outcome");
	ASSERT_EQ(pending(&e, 0), -1, "the connection is over");
	test_subtest_end();

	test_subtest_begin("reset answer");
	set_pending(&e, 0, MS);
	send_seg(&e, &rst, &ours);
	s = stats(&e);
	ASSERT_EQ(s.no_response, 0, "not a no_response");
	ASSERT_EQ(pending(&e, 0), -1, "the connection is over");
	ASSERT_OK(egress_run_state(&e.fx, SVC, &run), "run");
	ASSERT_EQ(run.failures, 0, "no failure");
	test_subtest_end();

	test_subtest_begin("another mark is the service's");
	set_pending(&e, 0, MS);
	send_seg(&e, &g, &other);
	s = stats(&e);
	ASSERT_EQ(s.responses[SL_SVC_CODE_429], 1, "the service's 429");
	test_subtest_end();
out:
	teardown(&e);
}

/* ---- latency --------------------------------------------------------- */

static void test_latency(void)
{
	/* Away from the bounds by more than a test run takes. */
	static const struct { __u64 ago_us; int slot; int slow; } c[] = {
		{ 0, 0, 0 },		/* a request from the future: 0 */
		{ 400, 0, 0 },		/* <= 1 ms */
		{ 1700, 1, 0 },		/* <= 2.5 ms */
		{ 4000, 2, 0 },
		{ 7000, 3, 0 },
		{ 60000, 6, 0 },	/* <= 75 ms */
		{ 120000, 8, 1 },	/* <= 150 ms, slow (> 100 ms) */
		{ 1200000, 14, 1 },	/* <= 1.5 s */
		{ 7000000, 17, 1 },	/* <= 10 s */
		{ 40000000, SL_SVC_LAT_BOUNDS, 1 },	/* +Inf */
	};
	__u64 sum_min = 0, sum_max = 0, t0, elapsed;
	struct sl_svc_stats s;
	struct env e;

	if (!setup(&e) || !reset_all(&e))
		goto out;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char name[32];
		__u64 before[SL_SVC_LAT_SLOTS], slow;

		snprintf(name, sizeof(name), "%llu us",
			 (unsigned long long)c[i].ago_us);
		test_subtest_begin(name);
		s = stats(&e);
		memcpy(before, s.lat, sizeof(before));
		slow = s.slow;
		t0 = egress_now_ns();
		if (c[i].ago_us) {
			set_pending(&e, 0, c[i].ago_us * 1000);
		} else {
			/* start_ns after now: the latency is 0, not huge */
			struct sl_conn_key k;

			key_of(&k, 0);
			egress_set_pending(&e.fx, &k, SVC, 0);
			{
				struct sl_conn cn;

				egress_conn(&e.fx, &k, &cn);
				cn.start_ns += 1000 * MS;
				bpf_map_update_elem(bpf_map__fd(e.fx.skel->maps.sl_conns),
						    &k, &cn, BPF_ANY);
			}
		}
		send_text(&e, 0, 0, "HTTP/1.1 200 OK\r\n\r\n");
		elapsed = egress_now_ns() - t0;
		s = stats(&e);
		for (int b = 0; b < SL_SVC_LAT_SLOTS; b++)
			ASSERT_EQ(s.lat[b] - before[b], b == c[i].slot ? 1 : 0,
				  "one count, in its bucket");
		ASSERT_EQ(s.slow - slow, c[i].slow, "slow");
		sum_min += c[i].ago_us * 1000;
		sum_max += c[i].ago_us ? c[i].ago_us * 1000 + elapsed : 0;
		test_subtest_end();
	}
	s = stats(&e);
	ASSERT_EQ(s.lat_count, sizeof(c) / sizeof(c[0]), "lat_count");
	ASSERT_GE(s.lat_sum_ns, sum_min, "lat_sum_ns at least the delays");
	ASSERT_LE(s.lat_sum_ns, sum_max, "lat_sum_ns within the elapsed time");
out:
	teardown(&e);
}

/* ---- the run of consecutive failures ----------------------------------- */

static void test_failure_run(void)
{
	static const struct {
		const char *what;
		__u8 flags;
		const char *payload;
		__u64 run;
	} dflt[] = {
		{ "500", 0, "HTTP/1.1 500 x\r\n", 1 },
		{ "502", 0, "HTTP/1.1 502 x\r\n", 2 },
		{ "RST", TH_RST | TH_ACK, NULL, 3 },
		{ "600 leaves it", 0, "HTTP/1.1 600 x\r\n", 3 },
		{ "100 leaves it", 0, "HTTP/1.1 100 Continue\r\n", 3 },
		{ "404 is a success", 0, "HTTP/1.1 404 x\r\n", 0 },
		{ "503", 0, "HTTP/1.1 503 x\r\n", 1 },
		{ "200", 0, "HTTP/1.1 200 x\r\n", 0 },
		{ "200 again", 0, "HTTP/1.1 200 x\r\n", 0 },
	}, masked[] = {
		/* failures: 4xx and 429 only, no no_response */
		{ "404", 0, "HTTP/1.1 404 x\r\n", 1 },
		{ "429", 0, "HTTP/1.1 429 x\r\n", 2 },
		{ "500 is a success here", 0, "HTTP/1.1 500 x\r\n", 0 },
		{ "429", 0, "HTTP/1.1 429 x\r\n", 1 },
		{ "RST not in the mask", TH_RST, NULL, 1 },
		{ "301", 0, "HTTP/1.1 301 x\r\n", 0 },
	}, code_only[] = {
		/* failures: 503 alone */
		{ "503", 0, "HTTP/1.1 503 x\r\n", 1 },
		{ "502 is a success", 0, "HTTP/1.1 502 x\r\n", 0 },
		{ "503", 0, "HTTP/1.1 503 x\r\n", 1 },
		{ "503", 0, "HTTP/1.1 503 x\r\n", 2 },
	};
	static const struct {
		const char *name;
		__u32 mask;
		const void *steps;
		size_t n;
	} runs[] = {
		{ "default mask", SL_SVC_FAIL_DEFAULT, dflt,
		  sizeof(dflt) / sizeof(dflt[0]) },
		{ "4xx and 429", SL_SVC_FAIL_CLASS(4) | SL_SVC_FAIL_429, masked,
		  sizeof(masked) / sizeof(masked[0]) },
		{ "503 alone", SL_SVC_FAIL_503, code_only,
		  sizeof(code_only) / sizeof(code_only[0]) },
	};
	struct sl_svc_run run;
	struct env e;

	if (!setup(&e))
		goto out;
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		const typeof(dflt[0]) *st = runs[r].steps;

		test_subtest_begin(runs[r].name);
		reset_all(&e);
		egress_set_service(&e.fx, 0, SVC, SLOW_NS, 0, runs[r].mask);
		for (size_t i = 0; i < runs[r].n; i++) {
			__u64 t0 = egress_now_ns();

			set_pending(&e, 0, MS);
			send_text(&e, 0, st[i].flags, st[i].payload);
			if (!ASSERT_OK(egress_run_state(&e.fx, SVC, &run), "run"))
				break;
			if (run.failures != st[i].run)
				TEST_FAILF("step %zu (%s): run %llu, expected %llu",
					   i, st[i].what,
					   (unsigned long long)run.failures,
					   (unsigned long long)st[i].run);
			if (strncmp(st[i].what, "100", 3))
				ASSERT_GE(run.last_ns, t0, "last_ns");
		}
		test_subtest_end();
	}

	/* A service removed since its request: counted, default mask. */
	test_subtest_begin("removed service");
	reset_all(&e);
	egress_clear_service(&e.fx, 0, SVC);
	set_pending(&e, 0, 200 * MS);
	send_text(&e, 0, 0, "HTTP/1.1 500 x\r\n");
	ASSERT_OK(egress_run_state(&e.fx, SVC, &run), "run");
	ASSERT_EQ(run.failures, 1, "default mask");
	ASSERT_EQ(stats(&e).slow, 0, "no slow threshold");
	ASSERT_EQ(stats(&e).responses[SL_SVC_CODE_500], 1, "counted");
	test_subtest_end();

	/* The live generation's config is the one read. */
	test_subtest_begin("generation");
	reset_all(&e);
	egress_set_service(&e.fx, 0, SVC, SLOW_NS, 0, SL_SVC_FAIL_DEFAULT);
	egress_set_service(&e.fx, 1, SVC, SLOW_NS, 0, SL_SVC_FAIL_CLASS(2));
	e.fx.global.tier_gen = 1;
	fixture_set_global(&e.fx);
	set_pending(&e, 0, MS);
	send_text(&e, 0, 0, "HTTP/1.1 200 OK\r\n");
	ASSERT_OK(egress_run_state(&e.fx, SVC, &run), "run");
	ASSERT_EQ(run.failures, 1, "generation 1's mask: 2xx fails");
	test_subtest_end();
out:
	teardown(&e);
}

/* ---- the timeout sweep's program, and the sweep on it ---------------- */

static int timeout_run(struct env *e, int v6, __u64 start_ns)
{
	struct sl_svc_sweep a = { .start_ns = start_ns, .timed_out = 7 };
	/* a syscall program's ctx comes back in ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));

	key_of(&a.key, v6);
	if (bpf_prog_test_run_opts(
		    bpf_program__fd(e->ef.skel->progs.sluice_svc_timeout), &o))
		return -errno;
	return a.timed_out;
}

static __u64 start_of(struct env *e, int v6)
{
	struct sl_conn_key k;
	struct sl_conn c = {};

	key_of(&k, v6);
	egress_conn(&e->fx, &k, &c);
	return c.start_ns;
}

static void test_timeout(void)
{
	struct sl_svc_run run;
	struct env e;

	if (!setup(&e))
		goto out;
	test_subtest_begin("claimed once");
	reset_all(&e);
	set_pending(&e, 0, 2000 * MS);
	ASSERT_EQ(timeout_run(&e, 0, start_of(&e, 0) + 1), 0,
		  "another request's start: not this one");
	ASSERT_EQ(timeout_run(&e, 0, start_of(&e, 0)), 1, "timed out");
	ASSERT_EQ(timeout_run(&e, 0, start_of(&e, 0)), 0, "only once");
	ASSERT_EQ(stats(&e).timeouts, 1, "timeouts");
	ASSERT_EQ(pending(&e, 0), 0, "no longer pending");
	ASSERT_OK(egress_run_state(&e.fx, SVC, &run), "run");
	ASSERT_EQ(run.failures, 1, "a failure in the default mask");
	/* Its response, late: counted as neither a response nor again. */
	send_text(&e, 0, 0, "HTTP/1.1 200 OK\r\n\r\n");
	ASSERT_EQ(stats(&e).lat_count, 0, "the late response is not counted");
	send_text(&e, 0, TH_RST, NULL);
	ASSERT_EQ(stats(&e).no_response, 0, "nor a no_response at the close");
	test_subtest_end();

	test_subtest_begin("answered first");
	reset_all(&e);
	set_pending(&e, 1, 2000 * MS);
	send_text(&e, 1, 0, "HTTP/1.1 200 OK\r\n\r\n");
	ASSERT_EQ(timeout_run(&e, 1, start_of(&e, 1)), 0, "not timed out");
	ASSERT_EQ(stats(&e).timeouts, 0, "timeouts");
	test_subtest_end();

	test_subtest_begin("mask without timeout");
	reset_all(&e);
	egress_set_service(&e.fx, 0, SVC, SLOW_NS, 1000 * MS, SL_SVC_FAIL_CLASS(5));
	set_pending(&e, 0, 2000 * MS);
	ASSERT_EQ(timeout_run(&e, 0, start_of(&e, 0)), 1, "timed out");
	ASSERT_OK(egress_run_state(&e.fx, SVC, &run), "run");
	ASSERT_EQ(run.failures, 0, "not a failure of this service");
	test_subtest_end();

	test_subtest_begin("the sweep: due ones only, bounded work");
	{
		static struct sl_iface ifc;	/* big: not on the stack */
		struct svc_sweep sw = {};
		struct sl_conn_key k;

		reset_all(&e);
		egress_set_service(&e.fx, 0, SVC, SLOW_NS, 1000 * MS,
				   SL_SVC_FAIL_DEFAULT);
		memset(&ifc, 0, sizeof(ifc));
		ifc.skel = e.fx.skel;
		ifc.egress = e.ef.skel;
		set_pending(&e, 0, 1500 * MS);		/* due */
		set_pending(&e, 1, 500 * MS);		/* not yet */
		egress_key(&k, "198.18.0.9", 1234, SERVER4, SPORT);
		egress_set_pending(&e.fx, &k, SVC, 9000 * MS);
		egress_set_pending(&e.fx, &k, SVC, 9000 * MS);
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns()), 2,
			  "two timed out");
		ASSERT_EQ(pending(&e, 1), 1, "the young one still pending");
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns()), 0,
			  "nothing more");
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns() + 2000 * MS),
			  1, "two seconds on: the other");
		ASSERT_EQ(stats(&e).timeouts, 3, "timeouts");
		ASSERT_EQ(sw.timeouts, 3, "the sweep's own count");
		egress_clear_service(&e.fx, 0, SVC);
		set_pending(&e, 0, 9000 * MS);
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns()), 0,
			  "no service with a timeout: nothing read");
	}
	test_subtest_end();
out:
	teardown(&e);
}

TEST_MAIN("bpf/egress",
	  TEST(test_status_line),
	  TEST(test_untouched),
	  TEST(test_segments),
	  TEST(test_keepalive),
	  TEST(test_interim),
	  TEST(test_close),
	  TEST(test_edge_answer),
	  TEST(test_latency),
	  TEST(test_failure_run),
	  TEST(test_timeout));
