// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The service gate (include/sluice_gate.h) through the real programs: a
 * request to a service whose gate is closed passes; open, it is handed to
 * TC with the service's reply (or a reset) and the time left open; shed,
 * likewise with the shed's delay; half-open lets exactly the probe budget
 * through, also from two CPUs at once; a retransmission gets the answer
 * its request got; shadow mode never gates.  And the TC egress program
 * opens a closed gate itself on the failure that completes the run.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/edge_expect.h"
#include "lib/egress_fixture.h"
#include "lib/gate_fixture.h"

#define SVC		5
#define GATE_REPLY	9

static const char get[] = "GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n";

/* Tier 0 admits every request (its limit is far off), service SVC takes
 * port 80 and answers with reply GATE_REPLY when its gate stops it. */
static bool gate_setup(struct xdp_fixture *fx, __u8 action)
{
	struct sl_tier t;

	if (!FIXTURE_SETUP(fx, FIXTURE_CLIENTS))
		return false;
	return ASSERT_OK(fixture_set_limit(fx, T0, FIXTURE_METERS(
			{ SL_UNIT_REQUESTS, SL_ACT_HTTP, .burst = 100000,
			  .per_sec = 100000 }), &t), "tier") &&
	       ASSERT_OK(edge_set_tc(fx, 1), "tc_attached") &&
	       ASSERT_OK(edge_template(&tmpl, tmpl_429(), 503, WIDTH), "template") &&
	       ASSERT_OK(edge_set_reply(fx, 0, GATE_REPLY, &tmpl), "reply") &&
	       ASSERT_OK(gate_set_service(fx, SVC, 80, action, GATE_REPLY),
			 "service");
}

/* A request from source port `sport`, sequence `seq`. */
static int send_req(struct xdp_fixture *fx, __u16 sport, __u32 seq,
		    struct sl_edge_meta *m, __u32 *meta_len)
{
	struct pkt_spec s = { .kind = PKT_IPV4, .sport = sport, .seq = seq,
			      .ack = 1, .tcp_flags = TH_ACK | TH_PSH,
			      .payload = get };
	__u8 out[PKT_MAX + 64];
	__u32 out_len;
	struct pkt p;
	int v;

	if (pkt_build(&p, &s))
		return -1;
	v = edge_run_xdp(fx, p.data, p.len, out, sizeof(out), &out_len,
			 meta_len);
	if (*meta_len >= sizeof(*m))
		memcpy(m, out, sizeof(*m));
	return v;
}

static void check_gated(struct xdp_fixture *fx, __u16 sport, __u32 kind,
			__u32 retry_min, __u32 retry_max)
{
	struct sl_edge_meta m = {};
	__u32 meta_len = 0;

	ASSERT_EQ(send_req(fx, sport, 1000, &m, &meta_len), XDP_PASS,
		  "handed on");
	if (!ASSERT_EQ(meta_len, sizeof(m), "with a record for TC"))
		return;
	ASSERT_EQ(m.kind, kind, "the answer's kind");
	if (kind == SL_EDGE_HTTP)
		ASSERT_EQ(m.slot, sl_reply_slot(0, GATE_REPLY), "the gate's reply");
	ASSERT_GE(m.retry_s, retry_min, "Retry-After, at least");
	ASSERT_LE(m.retry_s, retry_max, "Retry-After, at most");
}

static void test_states(void)
{
	struct sl_svc_gate g = {};
	struct sl_svc_stats st;
	struct xdp_fixture fx;
	struct sl_edge_meta m;
	__u32 meta_len;

	if (!gate_setup(&fx, SL_ACT_HTTP))
		goto out;
	test_subtest_begin("closed: passes");
	meta_len = 0;
	ASSERT_EQ(send_req(&fx, 40001, 1000, &m, &meta_len), XDP_PASS, "passed");
	ASSERT_EQ(meta_len, 0, "no record");
	test_subtest_end();

	test_subtest_begin("open: the service's reply, Retry-After = time left");
	g.state = SL_GATE_OPEN;
	g.until_ns = now_ns() + 20 * SL_NSEC_PER_SEC + SL_NSEC_PER_SEC / 2;
	if (ASSERT_OK(gate_set(&fx, SVC, &g), "gate"))
		check_gated(&fx, 40002, SL_EDGE_HTTP, 20, 21);
	test_subtest_end();

	test_subtest_begin("open, the request sent again: the same answer");
	/* (No entry for a stopped request: it is simply stopped again.) */
	check_gated(&fx, 40002, SL_EDGE_HTTP, 20, 21);
	test_subtest_end();

	test_subtest_begin("shed: the shed's delay");
	g.state = SL_GATE_CLOSED;
	g.shed = 1;
	g.shed_until_ns = now_ns() + 5 * SL_NSEC_PER_SEC;
	if (ASSERT_OK(gate_set(&fx, SVC, &g), "gate"))
		check_gated(&fx, 40003, SL_EDGE_HTTP, 5, 5);
	test_subtest_end();

	test_subtest_begin("a request that passed, sent again once open: passes");
	g = (struct sl_svc_gate){ .state = SL_GATE_OPEN, .until_ns = now_ns() };
	meta_len = 0;
	if (ASSERT_OK(gate_set(&fx, SVC, &g), "gate")) {
		ASSERT_EQ(send_req(&fx, 40001, 1000, &m, &meta_len), XDP_PASS,
			  "passed");
		ASSERT_EQ(meta_len, 0, "no record");
	}
	test_subtest_end();

	test_subtest_begin("the counts");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_BREAKER), 2, "reason breaker");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_SHED), 1, "reason shed");
	if (ASSERT_OK(gate_stats(&fx, SVC, &st), "stats")) {
		/* A stopped request leaves no entry in sl_conns (a flood of
		 * them must not push out real connections): sent again, it
		 * counts again; one that passed, sent again, does not. */
		ASSERT_EQ(st.requests, 4, "requests (the passed one once)");
		ASSERT_EQ(st.edge_replies, 3, "edge replies");
		ASSERT_EQ(st.gated_breaker, 2, "gated by the breaker");
		ASSERT_EQ(st.gated_shed, 1, "shed");
	}
	test_subtest_end();
out:
	fixture_close(&fx);
}

static void test_reset_and_shadow(void)
{
	struct sl_svc_gate g = { .state = SL_GATE_OPEN };
	struct xdp_fixture fx;
	struct sl_edge_meta m;
	__u32 meta_len = 0;

	if (!gate_setup(&fx, SL_ACT_RESET))
		goto out;
	g.until_ns = now_ns() + 3 * SL_NSEC_PER_SEC;
	if (!ASSERT_OK(gate_set(&fx, SVC, &g), "gate"))
		goto out;
	test_subtest_begin("on_open reset: TC resets both sides");
	check_gated(&fx, 40010, SL_EDGE_RESET, 3, 3);
	test_subtest_end();

	test_subtest_begin("shadow mode: an open gate stops nothing");
	if (ASSERT_OK(fixture_set_mode(&fx, SL_MODE_SHADOW, SL_POLICY_PASS, T0),
		      "shadow")) {
		ASSERT_EQ(send_req(&fx, 40011, 1000, &m, &meta_len), XDP_PASS,
			  "passed");
		ASSERT_EQ(meta_len, 0, "no record");
		ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_BREAKER), 1,
			  "breaker: only the enforced one");
	}
	test_subtest_end();
out:
	fixture_close(&fx);
}

/* Half-open: exactly the budget passes, one connection each. */
static void test_half_open(void)
{
	struct sl_svc_gate g = { .state = SL_GATE_HALF_OPEN, .probes = 3 };
	struct xdp_fixture fx;
	struct sl_edge_meta m;
	int passed = 0, gated = 0;

	if (!gate_setup(&fx, SL_ACT_HTTP))
		goto out;
	g.until_ns = now_ns() + 10 * SL_NSEC_PER_SEC;
	if (!ASSERT_OK(gate_set(&fx, SVC, &g), "gate"))
		goto out;
	for (int i = 0; i < 8; i++) {
		__u32 meta_len = 0;

		if (send_req(&fx, 41000 + i, 5, &m, &meta_len) != XDP_PASS)
			continue;
		if (meta_len)
			gated++;
		else
			passed++;
	}
	ASSERT_EQ(passed, 3, "the probes passed");
	ASSERT_EQ(gated, 5, "the rest answered as open");
out:
	fixture_close(&fx);
}

/* Two CPUs sending distinct requests at once into one budget. */
struct probe_side {
	struct xdp_fixture *fx;
	int cpu, base, n;
	int passed, gated, err;
	pthread_barrier_t *go;
};

static void *probe_run(void *arg)
{
	struct probe_side *s = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		s->err = -1;
	pthread_barrier_wait(s->go);
	for (int i = 0; i < s->n; i++) {
		struct sl_edge_meta m;
		__u32 meta_len = 0;
		int v = send_req(s->fx, 10000 + s->base + i, 77, &m, &meta_len);

		if (v != XDP_PASS)
			s->err = -1;
		else if (meta_len)
			s->gated++;
		else
			s->passed++;
	}
	return NULL;
}

static void test_half_open_two_cpus(void)
{
	enum { BUDGET = 200, PER_SIDE = 2000 };
	struct sl_svc_gate g = { .state = SL_GATE_HALF_OPEN, .probes = BUDGET };
	struct probe_side s[2] = {};
	pthread_barrier_t go;
	struct xdp_fixture fx;
	pthread_t th[2];

	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		TEST_SKIP("needs two CPUs");
		return;
	}
	if (!gate_setup(&fx, SL_ACT_HTTP))
		goto out;
	g.until_ns = now_ns() + 10 * SL_NSEC_PER_SEC;
	if (!ASSERT_OK(gate_set(&fx, SVC, &g), "gate"))
		goto out;
	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++) {
		s[i] = (struct probe_side){ .fx = &fx, .cpu = i,
					    .base = i * PER_SIDE, .n = PER_SIDE,
					    .go = &go };
		pthread_create(&th[i], NULL, probe_run, &s[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	printf("# probes passed on CPU 0: %d, CPU 1: %d\n", s[0].passed,
	       s[1].passed);
	ASSERT_EQ(s[0].err | s[1].err, 0, "every run answered");
	ASSERT_EQ(s[0].passed + s[1].passed, BUDGET, "exactly the budget passed");
	ASSERT_EQ(s[0].gated + s[1].gated, 2 * PER_SIDE - BUDGET,
		  "every other request answered as open");
out:
	fixture_close(&fx);
}

/* The egress program trips a closed gate on the run's last failure. */
static void test_trip(void)
{
	struct sl_svc_gate g = { .trip_after = 3,
				 .trip_open_ns = 30 * SL_NSEC_PER_SEC };
	static const char r500[] = "HTTP/1.1 500 Internal Server Error\r\n\r\n";
	struct egress_fixture ef = { .prog_fd = -1 };
	struct xdp_fixture fx;
	struct sl_svc_gate now;
	struct egress_skb o = {};

	if (!gate_setup(&fx, SL_ACT_HTTP) ||
	    !ASSERT_OK(egress_fixture_open(&ef, &fx), "egress") ||
	    !ASSERT_OK(egress_set_service(&fx, 0, SVC, SL_NSEC_PER_SEC,
					  30 * SL_NSEC_PER_SEC,
					  SL_SVC_FAIL_DEFAULT), "service") ||
	    !ASSERT_OK(gate_set(&fx, SVC, &g), "gate"))
		goto out;
	for (int i = 0; i < 4; i++) {
		struct pkt_spec s = { .kind = PKT_IPV4, .src = "198.18.0.2",
				      .dst = "198.18.0.1", .sport = 80,
				      .dport = 42000 + i, .seq = 1, .ack = 1,
				      .tcp_flags = TH_ACK | TH_PSH, .payload = r500 };
		struct sl_conn_key k;
		struct pkt p;
		__u64 t0;

		test_subtest_begin(i < 2 ? "a failure short of the run" :
				   i == 2 ? "the third: tripped" : "a fourth: no second trip");
		if (!ASSERT_OK(egress_key(&k, "198.18.0.1", 42000 + i,
					  "198.18.0.2", 80), "key") ||
		    !ASSERT_OK(egress_set_pending(&fx, &k, SVC, 1000000), "pending") ||
		    !ASSERT_OK(pkt_build(&p, &s), "response")) {
			test_subtest_end();
			continue;
		}
		t0 = now_ns();
		ASSERT_EQ(egress_run(&ef, p.data, p.len, &o), EGRESS_PASS, "passed on");
		if (ASSERT_OK(gate_get(&fx, SVC, &now), "gate")) {
			ASSERT_EQ(now.state, i < 2 ? SL_GATE_CLOSED : SL_GATE_OPEN,
				  "state");
			ASSERT_EQ(now.trips, i < 2 ? 0 : 1, "trips");
			if (i == 2) {
				ASSERT_GE(now.until_ns, t0 + g.trip_open_ns,
					  "open for trip_open_ns");
				ASSERT_GE(now.tripped_ns, t0, "tripped now");
			}
		}
		test_subtest_end();
	}
out:
	egress_fixture_close(&ef);
	fixture_close(&fx);
}

TEST_MAIN("bpf/gate",
	  TEST(test_states),
	  TEST(test_reset_and_shadow),
	  TEST(test_half_open),
	  TEST(test_half_open_two_cpus),
	  TEST(test_trip));
