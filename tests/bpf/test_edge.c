// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Edge answers, both programs: a request refused by an http (or reset)
 * meter leaves XDP with a record in its metadata, and the TC program
 * makes of it the client's answer and the server's RST.  The test reads
 * back every byte that matters: IP/TCP headers with checksums computed
 * from scratch, seq/ack/flags/window/timestamps, the status line, each
 * header, Content-Length against the body, the digits in every field;
 * and the RST towards the server (addresses, ports, seq, flags).
 */
#include "lib/edge_expect.h"

static void test_http(void)
{
	struct xdp_fixture fx;
	struct edge_fixture ef = {};

	if (!setup(&fx, &ef, SL_ACT_HTTP, REPLY_ID))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_subtest_begin(cases[i].desc);
		/* 41.5 s: rounded up. */
		answer(&fx, &ef, &cases[i], 41.5, SL_EDGE_HTTP, &tmpl, "42");
		test_subtest_end();
	}
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_HTTP),
		  sizeof(cases) / sizeof(cases[0]), "counted as http");
	ASSERT_EQ(fixture_event(&fx, SL_EV_EDGE_CLIENT_FAIL), 0, "client_fail");
	ASSERT_EQ(fixture_event(&fx, SL_EV_EDGE_SERVER_FAIL), 0, "server_fail");
out:
	edge_close(&ef);
	fixture_close(&fx);
}

/* The delay: at least 1, rounded up, clamped to the field's width. */
static void test_retry_digits(void)
{
	static const struct { double wait_s; __u8 width; const char *digits; }
	d[] = {
		{ 0.2, 4, "1" }, { 1.0001, 4, "2" }, { 9.5, 4, "10" },
		{ 41.5, 1, "9" }, { 2e8, 8, "99999999" }, { 12345.6, 8, "12346" },
	};
	struct xdp_fixture fx;
	struct edge_fixture ef = {};
	struct sl_reply r;

	if (!setup(&fx, &ef, SL_ACT_HTTP, REPLY_ID))
		goto out;
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		char text[SL_REPLY_MAX + 1], hashes[9] = "########";

		hashes[d[i].width] = '\0';
		snprintf(text, sizeof(text),
			 "HTTP/1.1 429 Too Many Requests\r\nRetry-After: %s\r\n"
			 "RateLimit-Policy: \"default\";q=1;w=1\r\n"
			 "RateLimit: \"default\";r=0;t=%s\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n{\"retry_after_s\":%s}",
			 hashes, hashes, strlen("{\"retry_after_s\":}") +
			 d[i].width, hashes);
		test_subtest_begin(d[i].digits);
		if (ASSERT_OK(edge_template(&r, text, 429, d[i].width), "tmpl") &&
		    ASSERT_OK(edge_set_reply(&fx, 0, REPLY_ID, &r), "reply"))
			answer(&fx, &ef, &cases[1], d[i].wait_s, SL_EDGE_HTTP,
			       &r, d[i].digits);
		test_subtest_end();
	}
out:
	edge_close(&ef);
	fixture_close(&fx);
}

/* Action reset, and http without a template: RST|ACK to the client,
 * RST to the server. */
static void test_reset(void)
{
	struct xdp_fixture fx;
	struct edge_fixture ef = {};

	if (!setup(&fx, &ef, SL_ACT_RESET, 0))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_subtest_begin(cases[i].desc);
		answer(&fx, &ef, &cases[i], 3, SL_EDGE_RESET, NULL, NULL);
		test_subtest_end();
	}
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_RESET),
		  sizeof(cases) / sizeof(cases[0]), "counted as reset");
out:
	edge_close(&ef);
	fixture_close(&fx);
}

/* An http meter without a template (id 0, an empty slot) answers like
 * reset, counted as reset, with an event. */
static void test_no_template(void)
{
	static const __u16 ids[] = { 0, 9 };

	for (size_t i = 0; i < 2; i++) {
		struct xdp_fixture fx;
		struct edge_fixture ef = {};

		test_subtest_begin(ids[i] ? "empty slot" : "reply id 0");
		if (setup(&fx, &ef, SL_ACT_HTTP, ids[i])) {
			answer(&fx, &ef, &cases[1], 3, SL_EDGE_RESET, NULL, NULL);
			ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_RESET), 1,
				  "counted as reset");
			ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_HTTP), 0,
				  "not as http");
			ASSERT_GE(fixture_event(&fx, SL_EV_EDGE_NO_REPLY), 1,
				  "edge_no_reply");
		}
		edge_close(&ef);
		fixture_close(&fx);
		test_subtest_end();
	}
}

TEST_MAIN("bpf/edge",
	  TEST(test_http),
	  TEST(test_retry_digits),
	  TEST(test_reset),
	  TEST(test_no_template));
