// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A rollout's services by cohort (bpf/lib/service.bpf.h, the egress
 * program): a canary client's request marks its connection and counts in
 * sl_svc_stats_c as well, and so does its response; a control client's
 * counts only in sl_svc_stats; rollout_svc_stats_read() reads them, and
 * rollout_clear() zeroes them.
 */
#include <bpf/bpf.h>

#include "lib/egress_fixture.h"
#include "lib/pkt.h"
#include "lib/roll_rig.h"

#define CFG(burst) "interfaces: [lo]\ntiers:\n" \
	"  - name: normal\n    match: [0.0.0.0/0, \"::/0\"]\n" \
	"    limits: [{unit: requests, rate: 1/s, burst: " #burst "}]\n" \
	"services:\n  - name: api\n    port: 80\n"
#define SERVER	"198.18.0.2"
#define CPORT	40000

static int request(struct rig *r, const char *client)
{
	struct pkt_spec s = { .src = client, .dst = SERVER, .sport = CPORT,
			      .dport = 80, .tcp_flags = TH_ACK | TH_PSH,
			      .seq = 1000, .ack = 7000,
			      .payload = "GET / HTTP/1.1\r\nHost: x\r\n\r\n" };

	return fixture_send(&r->fx, &s);
}

static long response(struct egress_fixture *ef, const char *client)
{
	struct pkt_spec s = { .src = SERVER, .dst = client, .sport = 80,
			      .dport = CPORT, .tcp_flags = TH_ACK | TH_PSH,
			      .seq = 7000, .ack = 1100,
			      .payload = "HTTP/1.1 503 x\r\n\r\n" };
	struct pkt p;

	if (pkt_build(&p, &s))
		return -1000;
	return egress_run(ef, p.data, p.len, NULL);
}

static void test_services_by_cohort(void)
{
	struct sl_svc_stats c[SL_MAX_SERVICES], all;
	struct egress_fixture ef = { .prog_fd = -1 };
	struct apply_summary sum = {};
	struct sl_config *cand = NULL;
	struct sl_conn_key k;
	struct sl_conn conn;
	char can[32], ctl[32];
	struct rig r;
	__u32 seed;
	int id;

	if (!rig_open(&r))
		return;
	if (!ASSERT_OK(egress_fixture_open(&ef, &r.fx), "egress program"))
		goto out;
	cand = roll_start(&r, CFG(5), CFG(9), SL_ROLL_CANARY, SL_ROLL_SHARE_MAX / 2);
	if (!cand)
		goto out;
	seed = sl_cohort_seed(cand->hash);
	id = 0;
	while (id < SL_MAX_SERVICES && strcmp(r.ifc.svc_names[id], "api"))
		id++;
	if (!ASSERT_TRUE(id < SL_MAX_SERVICES, "api has an id") ||
	    !ASSERT_TRUE(roll_pick_v4(seed, SL_ROLL_SHARE_MAX / 2, 1, true, can,
				      sizeof(can)) &&
			 roll_pick_v4(seed, SL_ROLL_SHARE_MAX / 2, 1, false, ctl,
				      sizeof(ctl)), "sources"))
		goto out;
	ASSERT_EQ(request(&r, can), XDP_PASS, "canary request");
	ASSERT_EQ(request(&r, ctl), XDP_PASS, "control request");
	egress_key(&k, can, CPORT, SERVER, 80);
	ASSERT_TRUE(!egress_conn(&r.fx, &k, &conn) && conn.spare[0] == 1,
		    "the canary's connection is marked");
	egress_key(&k, ctl, CPORT, SERVER, 80);
	ASSERT_TRUE(!egress_conn(&r.fx, &k, &conn) && conn.spare[0] == 0,
		    "the control's is not");
	ASSERT_EQ(response(&ef, can), EGRESS_PASS, "canary response");
	ASSERT_EQ(response(&ef, ctl), EGRESS_PASS, "control response");
	if (ASSERT_OK(rollout_svc_stats_read(&r.ifc, c), "rollout_svc_stats_read")) {
		ASSERT_EQ(c[id].requests, 1, "canary: one request");
		ASSERT_EQ(c[id].responses[SL_SVC_CODE_5XX], 1, "canary: its 5xx");
		ASSERT_EQ(c[id].responses[SL_SVC_CODE_503], 1, "canary: its 503");
		ASSERT_EQ(c[id].lat_count, 1, "canary: its latency");
	}
	if (ASSERT_OK(egress_stats(&r.fx, id, &all), "sl_svc_stats")) {
		ASSERT_EQ(all.requests, 2, "both requests");
		ASSERT_EQ(all.responses[SL_SVC_CODE_5XX], 2, "both responses");
	}
	ASSERT_OK(rollout_clear(&r.ifc, cand, &sum), "rollout_clear");
	if (ASSERT_OK(rollout_svc_stats_read(&r.ifc, c), "read after clear"))
		ASSERT_EQ(c[id].requests, 0, "zeroed");
out:
	apply_summary_free(&sum);
	cfg_free(cand);
	egress_fixture_close(&ef);
	rig_close(&r);
}

TEST_MAIN("bpf/rollout_svc", TEST(test_services_by_cohort));
