// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Meters through BPF_PROG_TEST_RUN: each unit, exact bursts, a token
 * coming back after 1/rate of real time, several meters on one tier (a
 * refused packet costs nothing), shadow mode and the flood guard.
 * Clients live in tier 0, the default tier.  Both CPUs on one client:
 * test_race.c.
 */
#include <time.h>

#include "common/gcra.h"
#include "lib/expect.h"

#define T0	0

static const struct pkt_spec ack4 = { .kind = PKT_IPV4, .tcp_flags = TH_ACK };
static const struct pkt_spec ack6 = { .kind = PKT_IPV6, .tcp_flags = TH_ACK };
static const struct pkt_spec syn4 = { .kind = PKT_IPV4, .tcp_flags = TH_SYN };
static const struct pkt_spec get4 = {
	.kind = PKT_IPV4, .tcp_flags = TH_ACK | TH_PSH,
	.payload = "GET /v1/items HTTP/1.1\r\n",
};

static bool setup(struct xdp_fixture *fx)
{
	return FIXTURE_SETUP(fx, FIXTURE_CLIENTS);
}

/* Send `s` until it is not passed (at most `max` times): how many passed. */
static int count_passed(struct xdp_fixture *fx, const struct pkt_spec *s,
			int max)
{
	int n = 0;

	while (n < max && fixture_send(fx, s) == XDP_PASS)
		n++;
	return n;
}

static bool client_of(struct xdp_fixture *fx, const char *addr, int prefix,
		      struct sl_client *c)
{
	struct sl_client_key k;

	return ASSERT_OK(fixture_client_key(&k, addr, prefix, T0), "key") &&
	       ASSERT_OK(fixture_client(fx, &k, c), addr);
}

static void test_burst_exact(void)
{
	static const __u32 bursts[] = { 1, 2, 5, 64, 1000 };
	struct xdp_fixture fx;
	char name[64];

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
		__u32 b = bursts[i];

		snprintf(name, sizeof(name), "burst %u", b);
		if (!test_subtest_begin(name))
			continue;	/* each sets its own tier */
		/* 1/s: no token comes back while the test runs. */
		if (ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
				{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = b,
				  .per_sec = 1 }), NULL), "tier") &&
		    ASSERT_OK(fixture_clear_clients(&fx), "clear")) {
			ASSERT_EQ(count_passed(&fx, &ack4, b + 10), b, "v4 passed");
			ASSERT_EQ(count_passed(&fx, &ack6, b + 10), b, "v6 passed");
			ASSERT_EQ(fixture_send(&fx, &ack4), XDP_DROP, "v4 after");
		}
		test_subtest_end();
	}
	fixture_close(&fx);
}

/* A frame of exactly `len` bytes. */
static struct pkt_spec frame_of(__u16 len)
{
	return (struct pkt_spec){ .kind = PKT_IPV4, .tcp_flags = TH_ACK,
				  .payload_len = len - 54 };
}

/* Bytes cost the frame length: 1000 bytes of burst are four 250-byte
 * frames, or one 1000-byte frame; a 1001-byte frame never passes. */
static void test_unit_bytes(void)
{
	struct pkt_spec f250 = frame_of(250), f1000 = frame_of(1000),
			f1001 = frame_of(1001);
	struct xdp_fixture fx;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_BYTES, SL_ACT_DROP, .burst = 1000,
			  .per_sec = 1000 }), NULL), "tier"))
		goto out;
	ASSERT_EQ(count_passed(&fx, &f250, 10), 4, "250-byte frames");
	ASSERT_OK(fixture_clear_clients(&fx), "clear");
	ASSERT_EQ(count_passed(&fx, &f1000, 10), 1, "1000-byte frames");
	ASSERT_OK(fixture_clear_clients(&fx), "clear");
	expect_send(&fx, "1001-byte frame", &f1001, XDP_DROP, T0, SL_R_DROPPED);
	expect_send(&fx, "then 250 bytes still fit", &f250, XDP_PASS, T0,
		    SL_R_PASSED);
out:
	fixture_close(&fx);
}

/* Connections are SYNs without ACK; other packets are not metered. */
static void test_unit_connections(void)
{
	static const struct pkt_spec synack = { .kind = PKT_IPV4,
						.tcp_flags = TH_SYN | TH_ACK };
	static const struct pkt_spec udp = { .kind = PKT_IPV4,
					     .proto = IPPROTO_UDP };
	static const struct pkt_spec syn6 = { .kind = PKT_IPV6,
					      .tcp_flags = TH_SYN };
	struct xdp_fixture fx;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_CONNECTIONS, SL_ACT_DROP, .burst = 2,
			  .per_sec = 1 }), NULL), "tier"))
		goto out;
	expect_send(&fx, "syn 1", &syn4, XDP_PASS, T0, SL_R_PASSED);
	expect_send(&fx, "syn 2", &syn4, XDP_PASS, T0, SL_R_PASSED);
	expect_send(&fx, "syn-ack", &synack, XDP_PASS, T0, SL_R_UNMETERED);
	expect_send(&fx, "ack", &ack4, XDP_PASS, T0, SL_R_UNMETERED);
	expect_send(&fx, "udp", &udp, XDP_PASS, T0, SL_R_UNMETERED);
	expect_send(&fx, "syn 3", &syn4, XDP_DROP, T0, SL_R_DROPPED);
	expect_send(&fx, "v6 syn: another client", &syn6, XDP_PASS, T0,
		    SL_R_PASSED);
	expect_total(&fx, 7);
out:
	fixture_close(&fx);
}

#define REQ(d, text)	{ d, { .kind = PKT_IPV4, .tcp_flags = TH_ACK, .payload = text }, \
			  XDP_PASS, T0, SL_R_PASSED, NO_EVENT }
#define NOT(d, ...)	{ d, { .kind = PKT_IPV4, .tcp_flags = TH_ACK, __VA_ARGS__ }, \
			  XDP_PASS, T0, SL_R_UNMETERED, NO_EVENT }

static const struct xdp_case request_cases[] = {
	REQ("GET", "GET /v1/items HTTP/1.1\r\n"),
	REQ("HEAD", "HEAD / HTTP/1.1\r\n"),
	REQ("POST", "POST /v1/items HTTP/1.1\r\n"),
	REQ("PUT", "PUT /v1/items/7 HTTP/1.1\r\n"),
	REQ("DELETE", "DELETE /v1/items/7 HTTP/1.1\r\n"),
	REQ("PATCH", "PATCH /v1/items/7 HTTP/1.1\r\n"),
	REQ("OPTIONS", "OPTIONS * HTTP/1.1\r\n"),
	REQ("CONNECT", "CONNECT api:443 HTTP/1.1\r\n"),
	REQ("TRACE", "TRACE / HTTP/1.1\r\n"),
	REQ("GET and space ending the frame", "GET "),
	REQ("PATCH and space ending the frame", "PATCH "),
	REQ("OPTIONS and space ending the frame", "OPTIONS "),
	{ "over IPv6", { .kind = PKT_IPV6, .tcp_flags = TH_ACK,
			 .payload = "GET / HTTP/1.1\r\n" },
	  XDP_PASS, T0, SL_R_PASSED, NO_EVENT },
	NOT("GETX", .payload = "GETX / HTTP/1.1\r\n"),
	NOT("GET without a space", .payload = "GET/ HTTP/1.1\r\n"),
	NOT("lower case", .payload = "get / HTTP/1.1\r\n"),
	NOT("leading space", .payload = " GET / HTTP/1.1\r\n"),
	NOT("response", .payload = "HTTP/1.1 200 OK\r\n"),
	NOT("two bytes", .payload = "GE"),
	NOT("GET split at the frame end", .payload = "GET"),
	NOT("POST split at the frame end", .payload = "POST"),
	NOT("DELETE split at the frame end", .payload = "DELETE"),
	NOT("OPTIONS split at the frame end", .payload = "OPTIONS"),
	NOT("CONNECT split before its space", .payload = "CONNECT"),
	NOT("PUT completed only by Ethernet padding", .payload = "PUT",
	    .pad = 8, .pad_byte = ' '),
	NOT("DELETE completed only by Ethernet padding", .payload = "DELETE",
	    .pad = 8, .pad_byte = ' '),
	NOT("binary", .payload = "\x16\x03\x01\x02\x00\x01\x00\x01"),
	NOT("udp", .proto = IPPROTO_UDP, .payload = "GET / HTTP/1.1\r\n"),
	NOT("non-first fragment", .frag_offset = 4,
	    .payload = "GET / HTTP/1.1\r\n"),
};

/* Requests: the nine methods followed by a space start a request line;
 * anything else is not metered by a requests meter. */
static void test_unit_requests(void)
{
	struct xdp_fixture fx;
	__u64 sent = 0;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_REQUESTS, SL_ACT_DROP, .burst = 1000,
			  .per_sec = 1 }), NULL), "tier"))
		goto out;
	expect_table(&fx, request_cases,
		     sizeof(request_cases) / sizeof(request_cases[0]), &sent);
	expect_total(&fx, sent);
out:
	fixture_close(&fx);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* 20/s: after the burst, one token returns every 50 ms. */
static void test_token_returns(void)
{
	static const struct { const char *name; __u32 flags; } clocks[] = {
		{ "precise clock", 0 },
		{ "coarse clock", SL_TIER_F_COARSE_CLOCK },
	};
	struct xdp_fixture fx;
	struct sl_tier t;

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		if (!test_subtest_begin(clocks[i].name))
			continue;	/* each sets its own tier */
		if (ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
				{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 2,
				  .per_sec = 20 }), &t), "tier") &&
		    ASSERT_OK(fixture_clear_clients(&fx), "clear")) {
			t.flags = clocks[i].flags;
			ASSERT_OK(fixture_set_tier(&fx, T0, &t), "flags");
			ASSERT_EQ(count_passed(&fx, &ack4, 10), 2, "burst");
			sleep_ms(60);
			ASSERT_EQ(count_passed(&fx, &ack4, 10), 1, "after 60 ms");
			sleep_ms(60);
			ASSERT_EQ(count_passed(&fx, &ack4, 10), 1, "after 120 ms");
		}
		test_subtest_end();
	}
	fixture_close(&fx);
}

/*
 * packets (burst 5, drop) and requests (burst 2, reset) on one tier.  A
 * packet passes only if both admit; a refused one moves no TAT; the
 * action is the refusing meter's.
 */
static void test_several_meters(void)
{
	struct sl_client before, after;
	struct xdp_fixture fx;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 5, .per_sec = 1 },
			{ SL_UNIT_REQUESTS, SL_ACT_RESET, .burst = 2, .per_sec = 1 }),
			NULL), "tier"))
		goto out;
	expect_send(&fx, "request 1", &get4, XDP_PASS, T0, SL_R_PASSED);
	expect_send(&fx, "request 2", &get4, XDP_PASS, T0, SL_R_PASSED);
	if (!client_of(&fx, "198.18.0.1", 32, &before))
		goto out;
	ASSERT_NEQ(before.tat[0], 0, "packets meter used");
	ASSERT_NEQ(before.tat[1], 0, "requests meter used");

	expect_send(&fx, "request 3: requests refuses, resets", &get4, XDP_TX,
		    T0, SL_R_RESET);
	client_of(&fx, "198.18.0.1", 32, &after);
	ASSERT_EQ(after.tat[0], before.tat[0], "refused: packets TAT kept");
	ASSERT_EQ(after.tat[1], before.tat[1], "refused: requests TAT kept");

	expect_send(&fx, "ack: only packets applies", &ack4, XDP_PASS, T0,
		    SL_R_PASSED);
	client_of(&fx, "198.18.0.1", 32, &after);
	ASSERT_EQ(after.tat[0] - before.tat[0], SL_NSEC_PER_SEC,
		  "packets TAT +1 s");
	ASSERT_EQ(after.tat[1], before.tat[1], "requests TAT kept");

	ASSERT_EQ(count_passed(&fx, &ack4, 10), 2, "packets left");
	client_of(&fx, "198.18.0.1", 32, &before);
	expect_send(&fx, "request: packets refuses first, drops", &get4,
		    XDP_DROP, T0, SL_R_DROPPED);
	expect_send(&fx, "ack: packets refuses", &ack4, XDP_DROP, T0,
		    SL_R_DROPPED);
	client_of(&fx, "198.18.0.1", 32, &after);
	ASSERT_EQ(after.tat[0], before.tat[0], "refused: packets TAT kept");
	ASSERT_EQ(after.tat[1], before.tat[1], "refused: requests TAT kept");
out:
	fixture_close(&fx);
}

/* Shadow mode drops nothing, rewrites nothing, takes no tokens for what
 * it would have refused, and counts what it would have done. */
static void test_shadow(void)
{
	static const struct pkt_spec udp = { .kind = PKT_IPV4,
					     .proto = IPPROTO_UDP };
	struct sl_client before, after;
	struct xdp_fixture fx;
	__u8 out[PKT_MAX];
	struct pkt p;
	__u32 len;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_mode(&fx, SL_MODE_SHADOW, SL_POLICY_DROP, T0),
		       "shadow") ||
	    !ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1, .per_sec = 1 },
			{ SL_UNIT_CONNECTIONS, SL_ACT_RESET, .burst = 1,
			  .per_sec = 1 }), NULL), "tier"))
		goto out;
	expect_send(&fx, "first", &ack4, XDP_PASS, T0, SL_R_PASSED);
	if (!client_of(&fx, "198.18.0.1", 32, &before))
		goto out;
	expect_send(&fx, "would drop", &ack4, XDP_PASS, T0, SL_R_SHADOW_DROP);
	expect_send(&fx, "udp would drop", &udp, XDP_PASS, T0,
		    SL_R_SHADOW_DROP);
	client_of(&fx, "198.18.0.1", 32, &after);
	ASSERT_EQ(after.tat[0], before.tat[0], "shadowed: no token taken");

	/* Connections refuses a SYN of a fresh client after one: reset. */
	if (!ASSERT_OK(fixture_clear_clients(&fx), "clear"))
		goto out;
	fixture_set_limit(&fx, T0, FIXTURE_METERS(
		{ SL_UNIT_CONNECTIONS, SL_ACT_RESET, .burst = 1, .per_sec = 1 }),
		NULL);
	expect_send(&fx, "syn", &syn4, XDP_PASS, T0, SL_R_PASSED);
	if (ASSERT_OK(pkt_build(&p, &syn4), "build")) {
		ASSERT_EQ(fixture_run(&fx, p.data, p.len, out, &len), XDP_PASS,
			  "would reset");
		ASSERT_TRUE(len == p.len && !memcmp(out, p.data, len),
			    "frame untouched");
	}
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_SHADOW_RESET), 1,
		  "shadow_reset");
	expect_total(&fx, 5);
out:
	fixture_close(&fx);
}

static bool send_from(struct xdp_fixture *fx, const char *src, int verdict,
		      __u32 reason)
{
	struct pkt_spec s = { .kind = PKT_IPV4, .src = src,
			      .tcp_flags = TH_ACK };

	return expect_send(fx, src, &s, verdict, T0, reason);
}

/*
 * Flood guard: 2 new clients per second.  Past that, an unknown source
 * is metered by the tier's aggregate bucket (packets, burst 1): it gets
 * an entry only when the aggregate admits it, and is dropped as a flood
 * (no entry) when it refuses.  Known clients keep their own buckets.
 */
static void test_flood_guard(void)
{
	struct xdp_fixture fx;
	struct sl_flood fl;
	struct sl_tier t;

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 1, .per_sec = 1 }),
			&t), "tier"))
		goto out;
	t.flags |= SL_TIER_F_FLOOD_GUARD;
	if (!ASSERT_OK(gcra_meter_set(&t.new_clients, 2, SL_NSEC_PER_SEC, 2,
				      SL_UNIT_PACKETS, SL_ACT_DROP), "new_clients") ||
	    !ASSERT_OK(fixture_set_tier(&fx, T0, &t), "flood tier"))
		goto out;

	send_from(&fx, "198.18.5.1", XDP_PASS, SL_R_PASSED);
	send_from(&fx, "198.18.5.2", XDP_PASS, SL_R_PASSED);
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_NEW), 2, "two new clients");
	send_from(&fx, "198.18.5.3", XDP_PASS, SL_R_PASSED);
	ASSERT_EQ(fixture_client_count(&fx), 3, "aggregate admitted one more");
	send_from(&fx, "198.18.5.4", XDP_DROP, SL_R_FLOOD_DROP);
	send_from(&fx, "198.18.5.5", XDP_DROP, SL_R_FLOOD_DROP);
	ASSERT_EQ(fixture_client_count(&fx), 3, "flood: no new entries");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_NEW), 3, "client_new");
	if (ASSERT_OK(fixture_flood(&fx, T0, &fl), "sl_flood")) {
		ASSERT_NEQ(fl.new_tat, 0, "new-client meter used");
		ASSERT_NEQ(fl.agg.tat[0], 0, "aggregate used");
	}
	/* A known client is metered by its own bucket, not as a flood. */
	send_from(&fx, "198.18.5.1", XDP_DROP, SL_R_DROPPED);

	if (!ASSERT_OK(fixture_set_mode(&fx, SL_MODE_SHADOW, SL_POLICY_PASS, T0),
		       "shadow"))
		goto out;
	send_from(&fx, "198.18.5.6", XDP_PASS, SL_R_SHADOW_DROP);
	ASSERT_EQ(fixture_client_count(&fx), 3, "shadow flood: no entry");
	expect_total(&fx, 7);
out:
	fixture_close(&fx);
}

/* A packet from `src` that no meter of a requests-only tier counts. */
static bool send_udp_from(struct xdp_fixture *fx, const char *src)
{
	struct pkt_spec s = { .kind = PKT_IPV4, .src = src,
			      .proto = IPPROTO_UDP };

	return expect_send(fx, src, &s, XDP_PASS, T0, SL_R_UNMETERED);
}

/*
 * A packet that none of its tier's meters count (UDP or a SYN on a
 * requests-only tier) gives its source no entry, with or without a flood
 * guard: a full bucket would admit it all the same, and a spoofed flood
 * of such packets must not fill the client table.  The first counted
 * packet creates the entry.
 */
static void test_unmetered_no_entry(void)
{
	struct xdp_fixture fx;
	struct sl_tier t;
	char src[32];

	if (!setup(&fx))
		return;
	if (!ASSERT_OK(fixture_set_limit(&fx, T0, FIXTURE_METERS(
			{ SL_UNIT_REQUESTS, SL_ACT_DROP, .burst = 2,
			  .per_sec = 1 }), &t), "requests tier"))
		goto out;
	for (int i = 1; i <= 20; i++) {
		snprintf(src, sizeof(src), "198.18.6.%d", i);
		send_udp_from(&fx, src);
	}
	ASSERT_EQ(fixture_client_count(&fx), 0, "no guard: no entries");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_NEW), 0, "no client_new");
	send_from(&fx, "198.18.6.1", XDP_PASS, SL_R_UNMETERED);
	ASSERT_EQ(fixture_client_count(&fx), 0, "a bare ACK: no entry");

	/* With a guard of 1 new client (burst 1), spent by one request. */
	t.flags |= SL_TIER_F_FLOOD_GUARD;
	if (!ASSERT_OK(gcra_meter_set(&t.new_clients, 1, 3600 * SL_NSEC_PER_SEC,
				      1, SL_UNIT_PACKETS, SL_ACT_DROP),
		       "new_clients") ||
	    !ASSERT_OK(fixture_set_tier(&fx, T0, &t), "guarded tier"))
		goto out;
	{
		struct pkt_spec get = { .kind = PKT_IPV4, .src = "198.18.7.1",
					.tcp_flags = TH_ACK,
					.payload = "GET / HTTP/1.1\r\n" };

		expect_send(&fx, "a request", &get, XDP_PASS, T0, SL_R_PASSED);
	}
	ASSERT_EQ(fixture_client_count(&fx), 1, "the request's entry");
	for (int i = 2; i <= 20; i++) {
		snprintf(src, sizeof(src), "198.18.7.%d", i);
		send_udp_from(&fx, src);
	}
	ASSERT_EQ(fixture_client_count(&fx), 1, "guard spent: still one entry");
	ASSERT_EQ(fixture_event(&fx, SL_EV_CLIENT_NEW), 1, "one client_new");
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/meter",
	  TEST(test_burst_exact),
	  TEST(test_unit_bytes),
	  TEST(test_unit_connections),
	  TEST(test_unit_requests),
	  TEST(test_token_returns),
	  TEST(test_several_meters),
	  TEST(test_shadow),
	  TEST(test_flood_guard),
	  TEST(test_unmetered_no_entry));
