// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A degrade level's tier rate factors through sluiced's apply and the
 * real XDP program: the config scaled as the daemon scales it
 * (gate_plan_scale) and applied in place; the live tier's meters refill
 * at rate x factor, the other tier's untouched, and a client's bucket is
 * kept across the change (and back).
 */
#include <stdlib.h>

#include "lib/pkt.h"
#include "lib/svc_rig.h"
#include "daemon/gate_plan.h"
#include "kern/tier_abi.h"

#define CFG_TEXT \
	"interfaces: [lo]\n" \
	"tiers:\n" \
	"  - name: normal\n" \
	"    match: [0.0.0.0/0, \"::/0\"]\n" \
	"    limits: [{unit: requests, rate: 10/s, burst: 4, action: drop}]\n" \
	"    degrade: [1.0, 0.5, 0.2, 0.1]\n" \
	"  - name: vip\n" \
	"    match: [198.18.10.0/24]\n" \
	"    limits: [{unit: requests, rate: 10/s, burst: 4, action: drop}]\n"

/* Tier `name`'s first meter as the live half holds it. */
static bool live_meter(struct rig *r, const char *name, struct sl_meter *m)
{
	struct sl_tier t;
	int id = apply_tier_id(&r->ifc, name);

	if (!ASSERT_GE(id, 0, "tier id") ||
	    !ASSERT_OK(apply_tier_get(&r->ifc, id, &t), "live tier"))
		return false;
	*m = t.meters[0];
	return true;
}

/* Apply the config at `level` the way sluiced does on a level change. */
static bool apply_level(struct rig *r, const struct sl_config *cfg,
			unsigned int level)
{
	struct cfg_tier *t = calloc(cfg->ntiers, sizeof(*t));
	struct apply_summary sum = {};
	struct sl_config scaled = *cfg;
	bool ok;

	if (!ASSERT_TRUE(t != NULL, "memory"))
		return false;
	gate_plan_scale(cfg, level, t);
	scaled.tiers = t;
	ok = ASSERT_OK(apply_config(&r->ifc, &scaled, &sum), "apply_config");
	apply_summary_free(&sum);
	free(t);
	apply_global_get(&r->ifc, &r->fx.global);
	return ok;
}

static void test_factors(void)
{
	static const double want[] = { 1.0, 0.5, 0.2, 0.1 };
	struct sl_meter base, vip0, m;
	struct sl_config *cfg = NULL;
	struct sl_client_key k;
	struct sl_client before, after;
	char err[CFG_ERR_MAX];
	struct rig r;

	if (!rig_open(&r))
		return;
	if (!ASSERT_OK(cfg_parse("test.yaml", CFG_TEXT, strlen(CFG_TEXT), &cfg,
				 err), "cfg_parse") ||
	    !apply_level(&r, cfg, 0) || !live_meter(&r, "normal", &base) ||
	    !live_meter(&r, "vip", &vip0))
		goto out;
	/* A client that spent two of its four requests. */
	for (int i = 0; i < 2; i++) {
		struct pkt_spec s = { .kind = PKT_IPV4, .sport = 30000 + i,
				      .seq = 1, .tcp_flags = TH_ACK | TH_PSH,
				      .payload = "GET / HTTP/1.1\r\n\r\n" };

		ASSERT_EQ(fixture_send(&r.fx, &s), XDP_PASS, "a request passes");
	}
	if (!ASSERT_OK(fixture_client_key(&k, "198.18.0.1", 32,
					  apply_tier_id(&r.ifc, "normal")), "key") ||
	    !ASSERT_OK(fixture_client(&r.fx, &k, &before), "its bucket"))
		goto out;
	for (unsigned int l = 1; l < 4; l++) {
		char what[64];

		snprintf(what, sizeof(what), "level %u", l);
		test_subtest_begin(what);
		if (apply_level(&r, cfg, l) && live_meter(&r, "normal", &m)) {
			double ratio = (double)m.interval_fp / base.interval_fp;

			ASSERT_TRUE(ratio > 1 / want[l] - 0.01 &&
				    ratio < 1 / want[l] + 0.01,
				    "normal: the interval divided by the factor");
			ASSERT_EQ(m.burst, base.burst, "the same burst");
		}
		if (live_meter(&r, "vip", &m))
			ASSERT_EQ(m.interval_fp, vip0.interval_fp,
				  "vip: no factors, unchanged");
		if (ASSERT_OK(fixture_client(&r.fx, &k, &after), "its bucket"))
			ASSERT_EQ(after.tat[0], before.tat[0],
				  "the client's bucket kept");
		test_subtest_end();
	}
	test_subtest_begin("back to level 0");
	if (apply_level(&r, cfg, 0) && live_meter(&r, "normal", &m))
		ASSERT_EQ(m.interval_fp, base.interval_fp, "the configured rate");
	if (ASSERT_OK(fixture_client(&r.fx, &k, &after), "its bucket"))
		ASSERT_EQ(after.tat[0], before.tat[0], "the client's bucket kept");
	test_subtest_end();
out:
	cfg_free(cfg);
	rig_close(&r);
}

TEST_MAIN("bpf/degrade_tiers", TEST(test_factors));
