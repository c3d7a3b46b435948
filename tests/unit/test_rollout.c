// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * common/rollout.c against a fake clock: the phases and their windows,
 * each guard with numbers worked out by hand (rates, the threshold's
 * edge, the minimum of packets, the baseline at 100%), shadow's
 * cohorts, counters that go down, and a person's promote and abort.
 */
#include <string.h>

#include "test.h"
#include "common/rollout.h"

#define S	1000ULL		/* ms */
#define T0	(5000 * S)	/* the fake clock's start: not 0 */

/* Cumulative counters, as the daemon would read them. */
struct feed {
	struct ro_sample total, canary;
};

/* Add to tier t: `n` packets of which `k` refused, in the canary (`c`)
 * or the control cohort (the totals always). */
static void add(struct feed *f, bool c, int t, uint64_t n, uint64_t k)
{
	f->total.tier[t].total += n;
	f->total.tier[t].refused += k;
	if (c) {
		f->canary.tier[t].total += n;
		f->canary.tier[t].refused += k;
	}
}

static struct ro_params params(void)
{
	struct ro_params p;

	ro_params_default(&p);
	p.every_ms = 10 * S;
	return p;
}

static int start(struct rollout *r, struct ro_params *p, struct feed *f)
{
	char err[128];

	memset(r, 0, sizeof(*r));
	return ro_start(r, p, T0, &f->total, &f->canary, err, sizeof(err));
}

static enum ro_action tick(struct rollout *r, uint64_t now, struct feed *f)
{
	return ro_tick(r, now, &f->total, &f->canary);
}

static void test_params(void)
{
	struct ro_params p;
	char err[160], buf[64];

	ro_params_default(&p);
	ASSERT_OK(ro_params_check(&p, err, sizeof(err)), "defaults");
	ASSERT_STREQ(ro_steps_format(&p, buf, sizeof(buf)), "5,25,50,100", "steps");
	ASSERT_EQ(p.every_ms, 60000, "every 1m");
	ASSERT_TRUE(p.max_refusal == 0.02 && p.max_error == 0.01, "increases");
	ASSERT_EQ(p.min_packets, 100, "min packets");
	ASSERT_OK(ro_steps_parse("1,2,100", &p), "1,2,100");
	ASSERT_EQ(p.nsteps, 3, "3 steps");
	ASSERT_EQ(p.steps[2], 100, "last");
	ASSERT_ERR(ro_steps_parse("5,5", &p), "not increasing");
	ASSERT_ERR(ro_steps_parse("0,10", &p), "0%");
	ASSERT_ERR(ro_steps_parse("10,101", &p), "101%");
	ASSERT_ERR(ro_steps_parse("5,", &p), "trailing comma");
	ASSERT_ERR(ro_steps_parse("", &p), "empty");
	ASSERT_ERR(ro_steps_parse("5;10", &p), "separator");
	ASSERT_ERR(ro_steps_parse("-5", &p), "negative");
	ASSERT_ERR(ro_steps_parse("1,2,3,4,5,6,7,8,9,10,11", &p), "11 steps");
	ASSERT_EQ(p.nsteps, 3, "a refused list changes nothing kept");
	ro_params_default(&p);
	p.every_ms = 999;
	ASSERT_ERR(ro_params_check(&p, err, sizeof(err)), "every < 1s");
	ASSERT_TRUE(strstr(err, "every") != NULL, "says every");
	ro_params_default(&p);
	p.max_refusal = 1.5;
	ASSERT_ERR(ro_params_check(&p, err, sizeof(err)), "increase > 1");
	ro_params_default(&p);
	p.steps[1] = 5;
	ASSERT_ERR(ro_params_check(&p, err, sizeof(err)), "steps not increasing");
	ASSERT_TRUE(strstr(err, "position 2") != NULL, "names the position");
}

static void test_reasons(void)
{
	uint64_t pkts[SL_R__MAX] = {};
	struct ro_counts c = {};

	pkts[SL_R_PASSED] = 1000;
	pkts[SL_R_DROPPED] = 10;
	pkts[SL_R_RESET] = 20;
	pkts[SL_R_HTTP] = 30;
	pkts[SL_R_SHADOW_DROP] = 1;
	pkts[SL_R_DENYLISTED] = 2;
	pkts[SL_R_FLOOD_DROP] = 4;
	pkts[SL_R_BREAKER] = 100;
	pkts[SL_R_UNMETERED] = 7;
	ro_counts_add(&c, pkts);
	ASSERT_EQ(c.total, 1174, "every reason is a packet");
	ASSERT_EQ(c.refused, 67, "10 + 20 + 30 + 1 + 2 + 4");
	ASSERT_EQ(c.edge, 130, "http 30 + breaker 100");
	ro_counts_add(&c, pkts);
	ASSERT_EQ(c.refused, 134, "added, not replaced");
}

/* Clean cohorts: 5 -> 25 -> 50 -> 100 -> promoted, one window each. */
static void test_promote_all_steps(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};
	uint64_t now = T0;
	static const uint32_t next[] = { 25, 50, 100 };

	ASSERT_OK(start(&r, &p, &f), "start");
	ASSERT_EQ(r.state, RO_STEP, "no shadow: step");
	ASSERT_EQ(ro_percent(&r), 5, "5%");
	ASSERT_EQ(ro_share(&r), 3276, "5% of 65536, down");
	for (int i = 0; i < 3; i++) {
		add(&f, true, 1, 200, 2);	/* 1% both */
		add(&f, false, 1, 2000, 20);
		ASSERT_EQ(tick(&r, now + 9 * S, &f), RO_ACT_NONE, "inside the window");
		ASSERT_EQ(r.guards[0].verdict, RO_V_OK, "judged");
		now += 10 * S;
		ASSERT_EQ(tick(&r, now, &f), RO_ACT_SHARE, "window end: next step");
		ASSERT_EQ(ro_percent(&r), next[i], "percent");
		ASSERT_EQ(r.phase_ms, now, "a new window");
	}
	ASSERT_EQ(ro_share(&r), RO_SHARE_ONE, "100% is everyone");
	/* At 100% the control cohort is empty: the baseline judges. */
	add(&f, true, 1, 500, 5);
	ASSERT_EQ(tick(&r, now + 1 * S, &f), RO_ACT_NONE, "1% vs baseline 1%");
	ASSERT_EQ(r.guards[0].n_control, 0, "no control packets");
	ASSERT_TRUE(r.guards[0].baseline, "baseline used");
	ASSERT_TRUE(r.guards[0].control == 0.01, "baseline 20/2000");
	ASSERT_EQ(r.guards[0].verdict, RO_V_OK, "ok");
	ASSERT_EQ(tick(&r, now + 10 * S, &f), RO_ACT_PROMOTE, "promote");
	ASSERT_EQ(r.state, RO_PROMOTED, "promoted");
	ASSERT_EQ(r.ended_ms, now + 10 * S, "when");
	ASSERT_STREQ(r.reason, "every step passed (4, last 100%)", "reason");
	ASSERT_EQ(tick(&r, now + 20 * S, &f), RO_ACT_NONE, "over");
	ASSERT_EQ(ro_percent(&r), 0, "no share when over");
}

/* A mistake: canary 95%, control 1% -> rolled back on the first tick
 * that has enough packets, with the reason in numbers. */
static void test_rollback(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};

	ASSERT_OK(start(&r, &p, &f), "start");
	snprintf(r.tier_name[1], sizeof(r.tier_name[1]), "normal");
	add(&f, true, 1, 200, 190);
	add(&f, false, 1, 3800, 38);
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_ROLLBACK, "at once");
	ASSERT_EQ(r.state, RO_ROLLED_BACK, "rolled back");
	ASSERT_STREQ(r.reason,
		     "step 1 (5%): all tiers refusal: canary 95.00% (190 of 200) vs control 1.00% (38 of 3800), +94.00 points > +2.00",
		     "reason");
	ASSERT_EQ(r.ended_ms, T0 + 1 * S, "when");
	ASSERT_EQ(ro_share(&r), 0, "everyone back on the running policy");
	ASSERT_EQ(tick(&r, T0 + 2 * S, &f), RO_ACT_NONE, "once");
}

/* The threshold is "more than": +2.00 points passes, +3 fails. */
static void test_threshold_edge(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};

	ASSERT_OK(start(&r, &p, &f), "start");
	add(&f, true, 1, 100, 3);	/* 3% */
	add(&f, false, 1, 100, 1);	/* 1% */
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "+2.00 exactly: ok");
	ASSERT_EQ(r.guards[0].verdict, RO_V_OK, "ok");
	add(&f, true, 1, 0, 1);		/* 4 of 100 = 4% */
	ASSERT_EQ(tick(&r, T0 + 2 * S, &f), RO_ACT_ROLLBACK, "+3.00: back");
	/* The canary refusing less is never a failure. */
	memset(&f, 0, sizeof(f));
	ASSERT_OK(start(&r, &p, &f), "start again");
	add(&f, true, 1, 100, 0);
	add(&f, false, 1, 100, 50);
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "canary better");
	ASSERT_EQ(r.guards[0].verdict, RO_V_OK, "ok");
}

/* Fewer than min_packets in a cohort: no verdict, and the window waits
 * for evidence instead of moving on. */
static void test_min_packets(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};
	char buf[256];

	ASSERT_OK(start(&r, &p, &f), "start");
	add(&f, true, 1, 99, 99);	/* all refused, but 99 < 100 */
	add(&f, false, 1, 5000, 0);
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "too few to judge");
	ASSERT_EQ(r.guards[0].verdict, RO_V_FEW, "too_few");
	ASSERT_STREQ(ro_verdict_name(r.guards[0].verdict), "too_few", "name");
	ASSERT_EQ(tick(&r, T0 + 10 * S, &f), RO_ACT_NONE, "window end: waits");
	ASSERT_TRUE(r.waiting, "waiting");
	ASSERT_EQ(ro_percent(&r), 5, "still 5%");
	ASSERT_STREQ(ro_next(&r, T0 + 10 * S, buf, sizeof(buf)),
		     "waiting for packets: the guard over all tiers needs 100 per cohort (canary 99, control 5000); the window runs on",
		     "next");
	add(&f, true, 1, 1, 0);		/* 99 of 100 */
	ASSERT_EQ(tick(&r, T0 + 11 * S, &f), RO_ACT_ROLLBACK, "judged at 100");
	/* The control side's minimum holds as well (no baseline yet). */
	memset(&f, 0, sizeof(f));
	ASSERT_OK(start(&r, &p, &f), "start again");
	add(&f, true, 1, 1000, 0);
	add(&f, false, 1, 50, 0);
	ASSERT_EQ(tick(&r, T0 + 10 * S, &f), RO_ACT_NONE, "control too few");
	ASSERT_TRUE(r.waiting, "waiting for control");
	add(&f, false, 1, 50, 0);
	ASSERT_EQ(tick(&r, T0 + 12 * S, &f), RO_ACT_SHARE, "then on");
	ASSERT_EQ(ro_percent(&r), 25, "25%");
	ASSERT_FALSE(r.waiting, "not waiting");
}

/* One small tier's refusal rises while all tiers together hardly move:
 * its own guard catches it. */
static void test_tier_guard(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};

	ASSERT_OK(start(&r, &p, &f), "start");
	snprintf(r.tier_name[2], sizeof(r.tier_name[2]), "partner");
	add(&f, true, 1, 10000, 0);
	add(&f, true, 2, 100, 50);
	add(&f, false, 1, 100000, 0);
	add(&f, false, 2, 1000, 0);
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_ROLLBACK, "tier guard");
	ASSERT_EQ(r.guards[0].verdict, RO_V_OK, "all tiers: 50/10100 = 0.50%");
	ASSERT_STREQ(r.reason,
		     "step 1 (5%): tier partner refusal: canary 50.00% (50 of 100) vs control 0.00% (0 of 1000), +50.00 points > +2.00",
		     "names the tier");
	/* A tier with fewer than the minimum is not judged on its own. */
	memset(&f, 0, sizeof(f));
	ASSERT_OK(start(&r, &p, &f), "start again");
	add(&f, true, 1, 10000, 0);
	add(&f, true, 2, 40, 40);
	add(&f, false, 1, 100000, 0);
	add(&f, false, 2, 1000, 0);
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "40 packets: too few");
	ASSERT_EQ(r.nguards, 4, "all refusal, all edge, tier 1, tier 2");
	ASSERT_EQ(r.guards[3].tier, 2, "tier 2 listed");
	ASSERT_EQ(r.guards[3].verdict, RO_V_FEW, "too few");
}

static void test_edge_and_errors(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};

	ASSERT_OK(start(&r, &p, &f), "start");
	add(&f, true, 1, 1000, 0);
	add(&f, false, 1, 1000, 0);
	f.total.tier[1].edge += 30;	/* canary's replies: 30 of 1000 */
	f.canary.tier[1].edge += 30;
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_ROLLBACK, "edge replies +3 points");
	ASSERT_EQ(r.guards[1].kind, RO_G_EDGE, "the edge guard");
	ASSERT_EQ(r.guards[1].verdict, RO_V_FAIL, "failed");
	/* HTTP errors only where services are: 3 of 50 vs 0 of 50. */
	memset(&f, 0, sizeof(f));
	ASSERT_OK(start(&r, &p, &f), "no services");
	add(&f, true, 1, 1000, 0);
	add(&f, false, 1, 1000, 0);
	f.total.outcomes = 100, f.total.errors = 3;
	f.canary.outcomes = 50, f.canary.errors = 3;
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "not judged");
	ASSERT_EQ(r.nguards, 3, "no error guard");
	memset(&f, 0, sizeof(f));
	p.services = true;
	ASSERT_OK(start(&r, &p, &f), "services");
	add(&f, true, 1, 1000, 0);
	add(&f, false, 1, 1000, 0);
	f.total.outcomes = 30, f.total.errors = 3;
	f.canary.outcomes = 15, f.canary.errors = 3;
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "15 < 20 outcomes");
	ASSERT_EQ(r.guards[2].verdict, RO_V_FEW, "too few");
	f.total.outcomes = 50, f.total.errors = 3;
	f.canary.outcomes = 25, f.canary.errors = 3;
	ASSERT_EQ(tick(&r, T0 + 2 * S, &f), RO_ACT_ROLLBACK, "12% vs 0%");
	ASSERT_EQ(r.guards[2].kind, RO_G_ERROR, "error guard");
	ASSERT_TRUE(strstr(r.reason, "http_errors: canary 12.00% (3 of 25)") != NULL,
		    "reason");
	ASSERT_TRUE(strstr(r.reason, "> +1.00") != NULL, "against 1 point");
}

/* Shadow: the canary policy judged everyone, so control = total (not
 * total - canary), and no one is enforced (share 0). */
static void test_shadow(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};
	char buf[128];

	p.shadow_ms = 5 * S;
	ASSERT_OK(start(&r, &p, &f), "start");
	ASSERT_EQ(r.state, RO_SHADOW, "shadow first");
	ASSERT_EQ(ro_share(&r), 0, "nobody enforced");
	ASSERT_STREQ(ro_next(&r, T0 + 1 * S, buf, sizeof(buf)),
		     "step 1 at 5% in 4.0s if the guards hold", "next");
	f.total.tier[1].total = 1000, f.total.tier[1].refused = 10;
	f.canary.tier[1].total = 1000, f.canary.tier[1].refused = 20;
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_NONE, "2% vs 1%");
	ASSERT_EQ(r.guards[0].n_control, 1000, "control is everyone");
	ASSERT_EQ(tick(&r, T0 + 5 * S, &f), RO_ACT_SHARE, "enforce 5%");
	ASSERT_EQ(r.state, RO_STEP, "step");
	ASSERT_EQ(ro_percent(&r), 5, "5%");
	/* Would-be refusals of a mistake end the shadow phase. */
	memset(&f, 0, sizeof(f));
	ASSERT_OK(start(&r, &p, &f), "start again");
	f.total.tier[1].total = 1000, f.total.tier[1].refused = 10;
	f.canary.tier[1].total = 1000, f.canary.tier[1].refused = 900;
	ASSERT_EQ(tick(&r, T0 + 1 * S, &f), RO_ACT_ROLLBACK, "caught in shadow");
	ASSERT_TRUE(!strncmp(r.reason, "shadow: all tiers refusal: canary 90.00%", 40),
		    "reason says shadow");
}

/* Counters that go down (a tier's rows zeroed) start the window again. */
static void test_counters_reset(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};

	add(&f, true, 1, 1000, 0);
	add(&f, false, 1, 1000, 0);
	ASSERT_OK(start(&r, &p, &f), "start");
	f.canary.tier[1].total = 10;	/* went down */
	f.total.tier[1].total = 20;
	ASSERT_EQ(tick(&r, T0 + 4 * S, &f), RO_ACT_NONE, "no judgement");
	ASSERT_EQ(r.phase_ms, T0 + 4 * S, "window restarted");
	ASSERT_EQ(ro_window_end(&r), T0 + 14 * S, "ends a full window later");
	ro_restart_window(&r, T0 + 6 * S, &f.total, &f.canary);
	ASSERT_EQ(r.phase_ms, T0 + 6 * S, "restarted by hand (a reload)");
	ASSERT_EQ(r.nguards, 0, "guards of the old window dropped");
}

static void test_by_hand(void)
{
	struct ro_params p = params();
	struct rollout r;
	struct feed f = {};
	char err[128], buf[128];

	memset(&r, 0, sizeof(r));
	ASSERT_EQ(ro_promote(&r, T0, "sluicectl"), -ENOENT, "nothing to promote");
	ASSERT_EQ(ro_abort(&r, T0, "sluicectl"), -ENOENT, "nothing to abort");
	ASSERT_STREQ(ro_next(&r, T0, buf, sizeof(buf)), "none (idle)", "idle");
	ASSERT_OK(start(&r, &p, &f), "start");
	ASSERT_EQ(ro_start(&r, &p, T0, &f.total, &f.canary, err, sizeof(err)),
		  -EBUSY, "one at a time");
	ASSERT_TRUE(strstr(err, "promote or abort") != NULL, "says what to do");
	ASSERT_STREQ(ro_next(&r, T0 + 2500, buf, sizeof(buf)),
		     "step 2 at 25% in 7.5s if the guards hold", "next");
	ASSERT_OK(ro_abort(&r, T0 + 3 * S, "aborted by sluicectl"), "abort");
	ASSERT_EQ(r.state, RO_ABORTED, "aborted");
	ASSERT_STREQ(r.reason, "aborted by sluicectl", "reason");
	ASSERT_EQ(ro_promote(&r, T0, "x"), -ENOENT, "over");
	ASSERT_OK(start(&r, &p, &f), "a new one after the end");
	r.step = 3;
	ASSERT_STREQ(ro_next(&r, T0, buf, sizeof(buf)),
		     "promote in 10.0s if the guards hold", "last step");
	ASSERT_OK(ro_promote(&r, T0 + 1 * S, "promoted by sluicectl"), "promote");
	ASSERT_EQ(r.state, RO_PROMOTED, "promoted");
	ASSERT_EQ(ro_state_parse("rolled_back"), RO_ROLLED_BACK, "parse");
	ASSERT_ERR(ro_state_parse("nope"), "bad name");
}

/* What sluiced persists comes back whole: a restart resumes the step,
 * its window's counters and the baselines. */
static void test_json_round_trip(void)
{
	struct ro_params p = params();
	struct rollout r, back;
	struct feed f = {};
	json_object *o, *again;
	const char *text;

	p.shadow_ms = 0;
	p.services = true;
	ASSERT_OK(ro_steps_parse("10,50,100", &p), "steps");
	add(&f, true, 3, 500, 5);
	add(&f, false, 3, 5000, 50);
	f.total.outcomes = 70, f.total.errors = 2;
	f.canary.outcomes = 30, f.canary.errors = 1;
	ASSERT_OK(start(&r, &p, &f), "start");
	add(&f, true, 3, 500, 5);
	add(&f, false, 3, 5000, 50);
	/* 30 outcomes 1 failed (3.33%) vs 40, 1 (2.50%): +0.83 points. */
	f.total.outcomes = 140, f.total.errors = 4;
	f.canary.outcomes = 60, f.canary.errors = 2;
	ASSERT_EQ(tick(&r, T0 + 10 * S, &f), RO_ACT_SHARE, "step 2");
	r.waiting = true;
	snprintf(r.reason, sizeof(r.reason), "a \"quoted\" reason");
	o = ro_json(&r);
	ASSERT_OK_PTR(o, "to JSON");
	text = json_object_to_json_string(o);
	again = json_tokener_parse(text);
	ASSERT_OK_PTR(again, "parses");
	ASSERT_OK(ro_from_json(again, &back), "from JSON");
	ASSERT_EQ(back.state, RO_STEP, "state");
	ASSERT_EQ(back.step, 1, "step");
	ASSERT_EQ(ro_percent(&back), 50, "percent");
	ASSERT_EQ(back.p.nsteps, 3, "nsteps");
	ASSERT_EQ(back.p.every_ms, 10 * S, "every");
	ASSERT_TRUE(back.p.max_refusal == 0.02 && back.p.services, "params");
	ASSERT_EQ(back.p.min_packets, 100, "min packets");
	ASSERT_EQ(back.phase_ms, T0 + 10 * S, "the window's start");
	ASSERT_EQ(back.started_ms, T0, "started");
	ASSERT_TRUE(back.waiting, "waiting");
	ASSERT_STREQ(back.reason, "a \"quoted\" reason", "reason");
	ASSERT_TRUE(!memcmp(&back.snap_total, &r.snap_total, sizeof(r.snap_total)),
		    "the window's totals");
	ASSERT_TRUE(!memcmp(&back.snap_canary, &r.snap_canary, sizeof(r.snap_canary)),
		    "the window's canary counters");
	ASSERT_TRUE(back.base[RO_G_REFUSAL][3].set && back.base[RO_G_REFUSAL][3].rate == 0.01,
		    "tier 3's baseline 50/5000");
	ASSERT_TRUE(back.base[RO_G_ERROR][RO_ALL].set &&
		    back.base[RO_G_ERROR][RO_ALL].rate == 0.025, "the error baseline 1/40");
	ASSERT_FALSE(back.base[RO_G_EDGE][3].set, "no edge baseline per tier");
	/* Resumed, it judges as the original would have. */
	add(&f, true, 3, 500, 5);
	add(&f, false, 3, 5000, 50);
	ASSERT_EQ(tick(&back, T0 + 20 * S, &f), RO_ACT_SHARE, "resumed: on to 100%");
	ASSERT_EQ(ro_percent(&back), 100, "100%");
	json_object_put(o);
	json_object_put(again);
	/* Damaged state is refused, not half read. */
	again = json_tokener_parse("{\"state\": \"step\", \"params\": {\"steps\": [5]}, \"step\": 3}");
	ASSERT_EQ(ro_from_json(again, &back), -EBADMSG, "step past the steps");
	json_object_put(again);
	again = json_tokener_parse("{\"state\": \"sideways\"}");
	ASSERT_EQ(ro_from_json(again, &back), -EBADMSG, "unknown state");
	json_object_put(again);
}

TEST_MAIN("unit/rollout",
	  TEST(test_params),
	  TEST(test_reasons),
	  TEST(test_promote_all_steps),
	  TEST(test_rollback),
	  TEST(test_threshold_edge),
	  TEST(test_min_packets),
	  TEST(test_tier_guard),
	  TEST(test_edge_and_errors),
	  TEST(test_shadow),
	  TEST(test_counters_reset),
	  TEST(test_by_hand),
	  TEST(test_json_round_trip))
