// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The TC egress program (bpf/sluice_egress.bpf.c): responses leaving the
 * host matched to the request pending on their connection.  The test
 * writes what the ingress side and sluiced would have (a service in
 * sl_services, a pending request in sl_conns with its arrival set in
 * the past by a known amount), runs the server's segments, and reads
 * sl_svc_stats, sl_svc_run and sl_conns back.  Every run must answer
 * TCX_NEXT: the program never drops and never hides a segment from the
 * programs behind it.  Latency, the failure run and timeouts are in
 * test_egress_outcomes.c.
 */
#include "lib/egress_env.h"

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

TEST_MAIN("bpf/egress",
	  TEST(test_status_line),
	  TEST(test_untouched),
	  TEST(test_segments),
	  TEST(test_keepalive),
	  TEST(test_interim),
	  TEST(test_close),
	  TEST(test_edge_answer));
