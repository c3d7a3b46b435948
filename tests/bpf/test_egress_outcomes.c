// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The egress program's outcomes (see test_egress.c for the parsing and
 * the matching): latency into its bucket, slow, lat_sum_ns; the run of
 * consecutive failures under different masks; and timeouts, through
 * the egress object's syscall program and sluiced's sweep on it.
 */
#include "lib/egress_env.h"
#include "kern/loader.h"
#include "kern/svc_stats.h"
#include "kern/svc_sweep.h"

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
		{
			__u64 p[SL_MAX_SERVICES];

			ASSERT_OK(svc_pending_count(bpf_map__fd(e.fx.skel->maps.sl_conns), p),
				  "svc_pending_count");
			ASSERT_EQ(p[SVC], 3, "three pending");
			ASSERT_EQ(p[0], 0, "none elsewhere");
		}
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns()), 2,
			  "two timed out");
		ASSERT_EQ(pending(&e, 1), 1, "the young one still pending");
		ASSERT_TRUE(sw.have_pending, "the walk counted the pending ones");
		ASSERT_EQ(sw.pending[SVC], 1, "pending: the young one (due ones left out)");
		ASSERT_EQ(sw.pending[0], 0, "pending: none elsewhere");
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns()), 0,
			  "nothing more");
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns() + 2000 * MS),
			  1, "two seconds on: the other");
		ASSERT_EQ(sw.pending[SVC], 0, "pending: none left");
		ASSERT_EQ(stats(&e).timeouts, 3, "timeouts");
		ASSERT_EQ(sw.timeouts, 3, "the sweep's own count");
		{
			static struct sl_svc_stats all[SL_MAX_SERVICES];
			struct sl_svc_stats one;

			ASSERT_OK(svc_stats_read_all(bpf_map__fd(e.fx.skel->maps.sl_svc_stats), all),
				  "svc_stats_read_all");
			ASSERT_OK(svc_stats_read(bpf_map__fd(e.fx.skel->maps.sl_svc_stats), SVC, &one),
				  "svc_stats_read");
			ASSERT_EQ(all[SVC].timeouts, 3, "read_all: summed over CPUs");
			ASSERT_EQ(one.timeouts, 3, "read: summed over CPUs");
			ASSERT_EQ(all[0].timeouts, 0, "read_all: other ids");
		}
		egress_clear_service(&e.fx, 0, SVC);
		set_pending(&e, 0, 9000 * MS);
		ASSERT_EQ(svc_sweep_tick(&ifc, &sw, egress_now_ns()), 0,
			  "no service with a timeout: nothing read");
		ASSERT_FALSE(sw.have_pending, "no pending count without services");
	}
	test_subtest_end();
out:
	teardown(&e);
}

TEST_MAIN("bpf/egress_outcomes",
	  TEST(test_latency),
	  TEST(test_failure_run),
	  TEST(test_timeout));
