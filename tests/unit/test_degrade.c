// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * common/degrade.c against a fake clock: the auto level's hysteresis
 * (a signal oscillating around a threshold changes the level once, not
 * at every crossing), hold, one level per step, min_requests, manual
 * levels with expiry and pin, alert holds with expiry and idempotent
 * re-sends, how the sources combine, and shedding by priority.
 */
#include <math.h>
#include <string.h>

#include "test.h"
#include "common/degrade.h"

#define MS	1000000ULL
#define S	1000000000ULL
#define T0	(1000 * S)
#define TICK	(100 * MS)

static struct degrade_signal sig(double err, double p99)
{
	return (struct degrade_signal){ err, p99, 1000 };
}

static int tick(struct degrade *d, __u64 now, double err)
{
	struct degrade_signal s = sig(err, NAN);

	return degrade_tick(d, now, &s);
}

static void test_cfg(void)
{
	struct degrade_cfg c, bad;
	char err[128];

	degrade_cfg_default(&c);
	ASSERT_OK(degrade_cfg_check(&c, err, sizeof(err)), "defaults");

#define BAD(prefix, stmt)						\
	do {								\
		bad = c;						\
		stmt;							\
		err[0] = 0;						\
		ASSERT_ERR(degrade_cfg_check(&bad, err, sizeof(err)), #stmt); \
		ASSERT_TRUE(!strncmp(err, prefix, strlen(prefix)), err); \
	} while (0)
	BAD("levels[1].error_rate", bad.exit[1].error_rate = bad.enter[1].error_rate);
	BAD("levels[2].error_rate", bad.exit[2].error_rate = 0);
	BAD("levels[3].error_rate", bad.enter[3].error_rate = 1.5);
	BAD("levels[2].error_rate", bad.enter[2].error_rate = 0.04);
	BAD("levels[1].p99", bad.exit[1].p99_s = 3);
	BAD("levels[3].p99", bad.enter[3].p99_s = 0);
	BAD("levels[2].p99", bad.exit[2].p99_s = -1);
	BAD("hold", bad.hold_ns = 3601 * S);
	BAD("step", bad.step_ns = 3601 * S);
	BAD("alert_expire", bad.alert_expire_ns = 0);
	BAD("shed", bad.shed_from[SL_SVC_PRIO_CORE] = 4);
#undef BAD
	bad = c;
	bad.enter[2].p99_s = bad.exit[2].p99_s = 0;	/* a metric left out */
	bad.hold_ns = bad.step_ns = 0;
	ASSERT_OK(degrade_cfg_check(&bad, err, sizeof(err)), "off allowed");
}

static void test_shed(void)
{
	struct degrade_cfg c;

	degrade_cfg_default(&c);
	for (unsigned int l = 0; l <= DEGRADE_MAX; l++) {
		ASSERT_FALSE(degrade_shed(&c, SL_SVC_PRIO_CORE, l), "core: never");
		ASSERT_EQ(degrade_shed(&c, SL_SVC_PRIO_NORMAL, l), l >= 2, "normal from 2");
		ASSERT_EQ(degrade_shed(&c, SL_SVC_PRIO_OPTIONAL, l), l >= 1, "optional from 1");
	}
	c.shed_from[SL_SVC_PRIO_CORE] = 3;
	c.shed_from[SL_SVC_PRIO_OPTIONAL] = 0;
	ASSERT_TRUE(degrade_shed(&c, SL_SVC_PRIO_CORE, 3), "core from 3");
	ASSERT_FALSE(degrade_shed(&c, SL_SVC_PRIO_CORE, 2), "core not at 2");
	ASSERT_FALSE(degrade_shed(&c, SL_SVC_PRIO_OPTIONAL, 3), "optional: never");
	ASSERT_FALSE(degrade_shed(&c, (enum sl_svc_priority)7, 3), "unknown priority");
}

static void test_step_up(void)
{
	struct degrade_cfg c;
	struct degrade d;
	__u64 t = T0;

	/* far above every enter: one level per step (1 s), not three at once */
	degrade_cfg_default(&c);
	degrade_init(&d, &c, T0);
	ASSERT_EQ(degrade_level(&d), 0, "starts at 0");
	ASSERT_EQ(tick(&d, t, 0.9), 1, "a change");
	ASSERT_EQ(degrade_level(&d), 1, "1 at once");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_AUTO, "auto");
	ASSERT_TRUE(strstr(degrade_reason(&d), "error rate 0.900 >= 0.050 (level 1 enter)"),
		    degrade_reason(&d));
	ASSERT_EQ(d.events[0].from, 0, "event from");
	ASSERT_EQ(d.events[0].to, 1, "event to");
	ASSERT_EQ(degrade_since(&d), t, "since");
	for (t = T0 + TICK; t < T0 + 1 * S; t += TICK)
		ASSERT_EQ(tick(&d, t, 0.9), 0, "within the step");
	ASSERT_EQ(degrade_level(&d), 1, "still 1");
	ASSERT_EQ(tick(&d, T0 + 1 * S, 0.9), 1, "the next step");
	ASSERT_EQ(degrade_level(&d), 2, "2");
	tick(&d, T0 + 2 * S - 1, 0.9);
	ASSERT_EQ(degrade_level(&d), 2, "1 ns early");
	tick(&d, T0 + 2 * S, 0.9);
	ASSERT_EQ(degrade_level(&d), 3, "3");
	tick(&d, T0 + 60 * S, 0.9);
	ASSERT_EQ(degrade_level(&d), 3, "3 is the top");

	/* only as high as the signal: 0.25 reaches level 2's enter, not 3's */
	degrade_init(&d, &c, T0);
	for (t = T0; t < T0 + 60 * S; t += TICK)
		tick(&d, t, 0.25);
	ASSERT_EQ(degrade_level(&d), 2, "0.25: level 2");

	/* p99 alone; NaN (no response) is no latency */
	degrade_init(&d, &c, T0);
	struct degrade_signal s = sig(0, 3.0);
	degrade_tick(&d, T0, &s);
	ASSERT_EQ(degrade_level(&d), 1, "p99 3 s >= 2.5 s");
	ASSERT_TRUE(strstr(degrade_reason(&d), "p99 3.000s"), degrade_reason(&d));
	degrade_init(&d, &c, T0);
	s = sig(0, NAN);
	degrade_tick(&d, T0, &s);
	ASSERT_EQ(degrade_level(&d), 0, "NaN p99");
}

static void test_hold(void)
{
	struct degrade_cfg c;
	struct degrade d;
	__u64 t;

	degrade_cfg_default(&c);	/* hold 30 s */
	degrade_init(&d, &c, T0);
	for (t = T0; t <= T0 + 2 * S; t += TICK)
		tick(&d, t, 0.9);
	ASSERT_EQ(degrade_level(&d), 3, "3");
	/* calm from here: one level down per 30 s of calm; each level's
	 * calm starts at its first tick (its exit is another threshold) */
	for (int lvl = 3; lvl > 0; lvl--) {
		__u64 at = t + 30 * S;

		for (; t < at; t += TICK)
			ASSERT_EQ(tick(&d, t, 0), 0, "held");
		ASSERT_EQ(degrade_level(&d), lvl, "held at the level");
		ASSERT_EQ(tick(&d, t, 0), 1, "down after hold");
		ASSERT_EQ(degrade_level(&d), lvl - 1, "one level down");
		ASSERT_TRUE(strstr(degrade_reason(&d), "exit for 30s"),
			    degrade_reason(&d));
		t += TICK;
	}
	ASSERT_EQ(degrade_level(&d), 0, "back to 0");

	/* a single tick above exit restarts the hold */
	degrade_init(&d, &c, T0);
	tick(&d, T0, 0.06);
	ASSERT_EQ(degrade_level(&d), 1, "1");
	for (t = T0 + TICK; t < T0 + 20 * S; t += TICK)
		tick(&d, t, 0.01);
	tick(&d, t, 0.03);	/* over exit (0.02), under enter */
	for (t += TICK; t < T0 + 50 * S; t += TICK)
		tick(&d, t, 0.01);
	ASSERT_EQ(degrade_level(&d), 1, "30 s since the first calm, not in a row");
	for (; t < T0 + 50 * S + 100 * MS + 30 * S; t += TICK)
		tick(&d, t, 0.01);
	ASSERT_EQ(degrade_level(&d), 0, "30 s in a row");
}

/* A signal oscillating around a threshold changes the level once. */
static void test_no_flapping(void)
{
	struct degrade_cfg c;
	struct degrade d;
	__u64 t, seed = 7, last_change = 0;
	int changes = 0;

	/* around level 1's enter (0.05): 0.04 / 0.06 alternating, 10 min */
	degrade_cfg_default(&c);
	degrade_init(&d, &c, T0);
	for (t = T0; t < T0 + 600 * S; t += TICK)
		changes += tick(&d, t, (t / TICK) % 2 ? 0.06 : 0.04);
	ASSERT_EQ(changes, 1, "one change in 6000 ticks");
	ASSERT_EQ(degrade_level(&d), 1, "up, and it stays");

	/* around level 1's exit (0.02) at level 1: it stays */
	changes = 0;
	for (; t < T0 + 1200 * S; t += TICK)
		changes += tick(&d, t, (t / TICK) % 2 ? 0.025 : 0.015);
	ASSERT_EQ(changes, 0, "under and over exit every tick: held");

	/* noise between level 1's exit and level 2's enter, 0.025..0.195,
	 * from 0: exactly one change, never back down, never up to 2 */
	degrade_init(&d, &c, T0);
	changes = 0;
	for (t = T0; t < T0 + 3600 * S; t += TICK) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		double u = (seed >> 11) * 0x1.0p-53;
		int n = tick(&d, t, 0.025 + 0.17 * u);

		if (n && last_change)
			ASSERT_GE(t - last_change, c.hold_ns, "changes a hold apart");
		if (n)
			last_change = t;
		changes += n;
	}
	ASSERT_EQ(changes, 1, "noise in the band: one change in an hour");
	ASSERT_EQ(degrade_level(&d), 1, "level 1");

	/* without hysteresis (exit just under enter) the same 0.04 / 0.06
	 * would flap: shown here so the numbers above mean something */
	c.exit[1].error_rate = 0.049;
	c.hold_ns = 0;
	c.step_ns = 0;
	degrade_init(&d, &c, T0);
	changes = 0;
	for (t = T0; t < T0 + 10 * S; t += TICK)
		changes += tick(&d, t, (t / TICK) % 2 ? 0.06 : 0.04);
	ASSERT_GE(changes, 90, "a band of 0.001 and no hold: flapping");
}

static void test_min_requests(void)
{
	struct degrade_cfg c;
	struct degrade_signal s = { 1.0, 30, 19 };
	struct degrade d;
	__u64 t;

	degrade_cfg_default(&c);
	degrade_init(&d, &c, T0);
	for (t = T0; t < T0 + 10 * S; t += TICK)
		degrade_tick(&d, t, &s);
	ASSERT_EQ(degrade_level(&d), 0, "19 requests: no evidence");
	s.requests = 20;
	degrade_tick(&d, t, &s);
	ASSERT_EQ(degrade_level(&d), 1, "20: level 1");
	/* traffic stops (every breaker open, say): calm, down after hold */
	s.requests = 0;
	for (t += TICK; t < T0 + 10 * S + 30 * S; t += TICK)
		degrade_tick(&d, t, &s);
	ASSERT_EQ(degrade_level(&d), 1, "held");
	degrade_tick(&d, t + TICK, &s);
	ASSERT_EQ(degrade_level(&d), 0, "no traffic for a hold: 0");
	ASSERT_TRUE(strstr(degrade_reason(&d), "min_requests"), degrade_reason(&d));
}

static void test_manual(void)
{
	struct degrade_cfg c;
	struct degrade d;
	__u64 t = T0;

	degrade_cfg_default(&c);
	degrade_init(&d, &c, T0);
	ASSERT_ERR(degrade_manual(&d, t, 4, 0, false, NULL), "level 4");
	ASSERT_EQ(degrade_manual(&d, t, 2, t + 60 * S, false, "deploy"), 1, "manual 2");
	ASSERT_EQ(degrade_level(&d), 2, "2");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_MANUAL, "manual");
	ASSERT_STREQ(degrade_reason(&d), "deploy", "reason");
	ASSERT_EQ(d.events[0].source, DEGRADE_SRC_MANUAL, "event source");

	/* auto rising past it wins (the highest), and falls back under it */
	for (int i = 0; i < 3; i++)
		tick(&d, t + i * S, 0.9);
	ASSERT_EQ(degrade_level(&d), 3, "auto 3 over manual 2");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_AUTO, "auto");

	ASSERT_TRUE(d.manual, "the manual level is kept under it");
	ASSERT_EQ(degrade_since(&d), t + 2 * S, "since auto's 3");

	/* a pin overrides everything, even a lower level */
	ASSERT_EQ(degrade_manual(&d, t + 4 * S, 1, 0, true, NULL), 1, "pinned 1");
	ASSERT_EQ(degrade_level(&d), 1, "1 under auto 3");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_PINNED, "pinned");
	ASSERT_STREQ(degrade_reason(&d), "pinned by hand", "default reason");
	degrade_alert_hold(&d, t + 5 * S, "fp1", "Down", 3, 0);
	ASSERT_EQ(degrade_level(&d), 1, "pin over an alert");
	ASSERT_EQ(degrade_manual(&d, t + 6 * S, 0, 0, true, "keep serving"), 1, "pinned 0");
	ASSERT_EQ(degrade_level(&d), 0, "pinned at 0");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_PINNED, "0, pinned");

	/* `degrade auto`: the alert and auto take over again */
	ASSERT_EQ(degrade_manual_clear(&d, t + 7 * S), 1, "auto");
	ASSERT_EQ(degrade_level(&d), 3, "3");
	degrade_alert_release(&d, t + 8 * S, "fp1");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_AUTO, "auto's 3");

	/* a manual level with an expiry over a calm auto */
	degrade_init(&d, &c, T0);
	degrade_manual(&d, t, 2, t + 60 * S, false, NULL);
	ASSERT_STREQ(degrade_reason(&d), "set by hand", "default reason");
	tick(&d, t + 60 * S - 1, 0);
	ASSERT_EQ(degrade_level(&d), 2, "1 ns before expiry");
	ASSERT_EQ(tick(&d, t + 60 * S, 0), 1, "expired");
	ASSERT_EQ(degrade_level(&d), 0, "0");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_AUTO, "auto");
	ASSERT_EQ(degrade_since(&d), t + 60 * S, "since the expiry");

	/* a pinned level with an expiry ends too */
	degrade_manual(&d, t + 61 * S, 3, t + 62 * S, true, NULL);
	ASSERT_EQ(degrade_level(&d), 3, "pinned 3");
	tick(&d, t + 62 * S, 0);
	ASSERT_EQ(degrade_level(&d), 0, "pin expired");
	ASSERT_FALSE(d.pin, "pin off");
}

static void test_alerts(void)
{
	struct degrade_cfg c;
	struct degrade d;
	__u64 t = T0;
	char fp[DEGRADE_FP_MAX];

	degrade_cfg_default(&c);	/* alert_expire 15 min */
	degrade_init(&d, &c, T0);
	ASSERT_ERR(degrade_alert_hold(&d, t, "", "x", 1, 0), "empty fingerprint");
	ASSERT_ERR(degrade_alert_hold(&d, t, "a", "x", 4, 0), "level 4");
	ASSERT_EQ(degrade_alert_hold(&d, t, "a1b2", "ServiceErrors", 2, 0), 1, "held");
	ASSERT_EQ(degrade_level(&d), 2, "2");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_ALERT, "alert");
	ASSERT_STREQ(degrade_reason(&d), "alert ServiceErrors (a1b2) holds 2", "reason");

	/* re-sends: idempotent, and each refreshes the expiry */
	ASSERT_EQ(degrade_alert_hold(&d, t + 1 * S, "a1b2", "ServiceErrors", 2, 0), 0,
		  "duplicate: no change");
	ASSERT_EQ(degrade_alerts_held(&d), 1, "held once");
	ASSERT_EQ(degrade_alert_hold(&d, t + 600 * S, "a1b2", "ServiceErrors", 2, 0), 0,
		  "re-sent at 10 min");
	tick(&d, t + 900 * S, 0);
	ASSERT_EQ(degrade_level(&d), 2, "15 min after the first, 5 after the re-send");
	tick(&d, t + 1500 * S - 1, 0);
	ASSERT_EQ(degrade_level(&d), 2, "1 ns before its expiry");
	ASSERT_EQ(tick(&d, t + 1500 * S, 0), 1, "not re-sent for 15 min: expired");
	ASSERT_EQ(degrade_level(&d), 0, "0");
	ASSERT_EQ(degrade_alerts_held(&d), 0, "none held");

	/* several: the highest; resolved releases; unknown is a no-op */
	t += 2000 * S;
	degrade_alert_hold(&d, t, "low", "Slow", 1, 0);
	degrade_alert_hold(&d, t, "high", "Down", 3, t + 60 * S);
	ASSERT_EQ(degrade_level(&d), 3, "the highest");
	ASSERT_EQ(degrade_alert_release(&d, t + 1 * S, "high"), 1, "resolved");
	ASSERT_EQ(degrade_level(&d), 1, "the other holds 1");
	ASSERT_EQ(degrade_alert_release(&d, t + 2 * S, "high"), 0, "resolved again");
	ASSERT_EQ(degrade_alert_release(&d, t + 2 * S, "nope"), 0, "never held");
	ASSERT_EQ(degrade_alert_hold(&d, t + 3 * S, "low", "Slow", 2, 0), 1,
		  "a re-send with another level takes it");
	ASSERT_EQ(degrade_level(&d), 2, "2");

	/* ties: manual over alert over auto; a source change at the same
	 * level is an event, not a new `since` */
	__u64 since = degrade_since(&d);
	ASSERT_EQ(degrade_manual(&d, t + 4 * S, 2, 0, false, "ops"), 1, "manual 2 too");
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_MANUAL, "manual wins the tie");
	ASSERT_EQ(d.events[0].from, 2, "same level");
	ASSERT_EQ(d.events[0].to, 2, "same level");
	ASSERT_EQ(degrade_since(&d), since, "since kept");
	degrade_manual_clear(&d, t + 5 * S);
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_ALERT, "alert");
	tick(&d, t + 6 * S, 0.3);	/* auto 1 */
	tick(&d, t + 7 * S, 0.3);	/* auto 2 */
	ASSERT_EQ(degrade_source(&d), DEGRADE_SRC_ALERT, "alert wins a tie with auto");

	/* the table is bounded; an expired slot is free again */
	degrade_init(&d, &c, T0);
	for (int i = 0; i < DEGRADE_ALERTS; i++) {
		snprintf(fp, sizeof(fp), "fp%d", i);
		ASSERT_TRUE(degrade_alert_hold(&d, T0, fp, "A", 1, T0 + 10 * S) >= 0, "held");
	}
	ASSERT_EQ(degrade_alert_hold(&d, T0, "one-more", "A", 1, 0), -ENOSPC, "full");
	ASSERT_EQ(degrade_alert_hold(&d, T0, "fp3", "A", 1, T0 + 5 * S), 0,
		  "a held one re-sent when full");
	ASSERT_EQ(degrade_alert_hold(&d, T0 + 5 * S, "one-more", "A", 2, 0), 1,
		  "fp3 expired: room");
	ASSERT_EQ(degrade_level(&d), 2, "2");
}

static void test_names(void)
{
	ASSERT_STREQ(degrade_source_name(DEGRADE_SRC_AUTO), "auto", "auto");
	ASSERT_STREQ(degrade_source_name(DEGRADE_SRC_MANUAL), "manual", "manual");
	ASSERT_STREQ(degrade_source_name(DEGRADE_SRC_ALERT), "alert", "alert");
	ASSERT_STREQ(degrade_source_name(DEGRADE_SRC_PINNED), "pinned", "pinned");
}

TEST_MAIN("unit/degrade",
	  TEST(test_cfg),
	  TEST(test_shed),
	  TEST(test_step_up),
	  TEST(test_hold),
	  TEST(test_no_flapping),
	  TEST(test_min_requests),
	  TEST(test_manual),
	  TEST(test_alerts),
	  TEST(test_names))
