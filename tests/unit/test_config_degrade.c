// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The degrade section, a tier's degrade factors and the webhook section
 * (user/config/degrade.c, webhook.c): every key with its default, and
 * every error message whole. */
#include <errno.h>
#include <arpa/inet.h>

#include "test.h"
#include "config_util.h"

#define TOP	HEAD "  - name: default\n"

static void test_degrade_keys(void)
{
	static const char text[] = TOP
		"degrade:\n"
		"  levels:\n"
		"    1: {enter: {error_rate: 0.1, p99: 2s}, exit: {error_rate: 0.05, p99: 500ms}}\n"
		"    2: {enter: {error_rate: 0.3}, exit: {error_rate: 0.2}}\n"
		"    3:\n"
		"      enter: {error_rate: 0.6, p99: off}\n"
		"      exit: {error_rate: 0.4, p99: off}\n"
		"  hold: 1m\n"
		"  step: 500ms\n"
		"  min_requests: 100\n"
		"  alert_expire: 1h\n"
		"  shed: {optional: 2, normal: 3, core: never}\n";
	struct sl_config *cfg = parse_ok(text);
	const struct degrade_cfg *d;

	if (!cfg)
		return;
	d = &cfg->degrade;
	ASSERT_TRUE(cfg->has_degrade, "given");
	ASSERT_TRUE(d->enter[1].error_rate == 0.1 && d->enter[1].p99_s == 2, "enter 1");
	ASSERT_TRUE(d->exit[1].error_rate == 0.05 && d->exit[1].p99_s == 0.5, "exit 1");
	ASSERT_TRUE(d->enter[2].error_rate == 0.3 && d->enter[2].p99_s == 5, "enter 2, p99 default");
	ASSERT_TRUE(d->exit[2].error_rate == 0.2 && d->exit[2].p99_s == 2.5, "exit 2, p99 default");
	ASSERT_TRUE(d->enter[3].error_rate == 0.6 && d->enter[3].p99_s == 0, "enter 3, p99 off");
	ASSERT_TRUE(d->exit[3].p99_s == 0, "exit 3, p99 off");
	ASSERT_EQ(d->hold_ns, 60 * SEC_NS, "hold");
	ASSERT_EQ(d->step_ns, SEC_NS / 2, "step");
	ASSERT_EQ(d->min_requests, 100, "min_requests");
	ASSERT_EQ(d->alert_expire_ns, 3600 * SEC_NS, "alert_expire");
	ASSERT_EQ(d->shed_from[SL_SVC_PRIO_OPTIONAL], 2, "optional from 2");
	ASSERT_EQ(d->shed_from[SL_SVC_PRIO_NORMAL], 3, "normal from 3");
	ASSERT_EQ(d->shed_from[SL_SVC_PRIO_CORE], 0, "core never");
	cfg_free(cfg);
}

static void test_degrade_defaults(void)
{
	struct sl_config *cfg = parse_ok(TOP), *empty = parse_ok(TOP "degrade: {}\n");
	struct degrade_cfg def;

	degrade_cfg_default(&def);
	if (cfg) {
		ASSERT_FALSE(cfg->has_degrade, "not given");
		ASSERT_TRUE(!memcmp(&cfg->degrade, &def, sizeof(def)), "the defaults");
		for (int l = 0; l < DEGRADE_LEVELS; l++)
			ASSERT_TRUE(cfg->tiers[0].degrade[l] == 1.0, "factor 1.0");
	}
	if (empty) {
		ASSERT_TRUE(empty->has_degrade, "{}: given");
		ASSERT_TRUE(!memcmp(&empty->degrade, &def, sizeof(def)), "{}: the defaults");
	}
	ASSERT_EQ(def.shed_from[SL_SVC_PRIO_OPTIONAL], 1, "optional from 1");
	ASSERT_EQ(def.shed_from[SL_SVC_PRIO_NORMAL], 2, "normal from 2");
	ASSERT_EQ(def.shed_from[SL_SVC_PRIO_CORE], 0, "core never");
	cfg_free(cfg);
	cfg_free(empty);
}

static void test_tier_factors(void)
{
	static const char text[] = HEAD
		"  - name: default\n"
		"    limits: [{unit: requests, rate: 10/s}]\n"
		"    degrade: [1.0, 0.5, 0.2, 0.1]\n"
		"  - name: vip\n"
		"    match: [198.18.10.0/24]\n"
		"    limits: [{unit: requests, rate: 100/s}]\n"
		"    degrade: [1, 1, 0.75, 0.75]\n";
	struct sl_config *cfg = parse_ok(text);

	if (!cfg)
		return;
	ASSERT_TRUE(cfg->tiers[0].degrade[0] == 1.0 && cfg->tiers[0].degrade[1] == 0.5 &&
		    cfg->tiers[0].degrade[2] == 0.2 && cfg->tiers[0].degrade[3] == 0.1,
		    "default's factors");
	ASSERT_TRUE(cfg->tiers[1].degrade[1] == 1.0 && cfg->tiers[1].degrade[3] == 0.75,
		    "vip keeps more");
	cfg_free(cfg);
}

static void test_webhook(void)
{
	struct sl_config *none = parse_ok(TOP);
	struct sl_config *min = parse_ok(TOP "webhook: {token_file: /etc/sluice/webhook.token}\n");
	struct sl_config *all = parse_ok(TOP
		"webhook:\n"
		"  listen: \"[::1]:9999\"\n"
		"  token_file: /run/secrets/am\n"
		"  label: degrade_level\n"
		"  breaker_label: open_breaker\n"
		"  max_body: 64KiB\n");
	struct sl_config *off = parse_ok(TOP "webhook: {listen: off, token_file: /t}\n");
	struct sl_config *bytes = parse_ok(TOP "webhook: {token_file: /t, max_body: 4096}\n");

	if (none) {
		ASSERT_FALSE(none->webhook.on, "off unless given");
		ASSERT_STREQ(none->webhook.listen.text, "127.0.0.1:9470", "default listen");
	}
	if (min) {
		ASSERT_TRUE(min->webhook.on, "on");
		ASSERT_STREQ(min->webhook.listen.text, "127.0.0.1:9470", "listen");
		ASSERT_EQ(min->webhook.listen.port, 9470, "port");
		ASSERT_STREQ(min->webhook.token_file, "/etc/sluice/webhook.token", "token_file");
		ASSERT_STREQ(min->webhook.label, "sluice_degrade", "label");
		ASSERT_STREQ(min->webhook.breaker_label, "sluice_breaker", "breaker_label");
		ASSERT_EQ(min->webhook.max_body, 1U << 20, "max_body 1MiB");
	}
	if (all) {
		ASSERT_TRUE(all->webhook.on, "on");
		ASSERT_EQ(all->webhook.listen.family, AF_INET6, "v6");
		ASSERT_STREQ(all->webhook.listen.text, "[::1]:9999", "listen");
		ASSERT_STREQ(all->webhook.token_file, "/run/secrets/am", "token_file");
		ASSERT_STREQ(all->webhook.label, "degrade_level", "label");
		ASSERT_STREQ(all->webhook.breaker_label, "open_breaker", "breaker_label");
		ASSERT_EQ(all->webhook.max_body, 64U << 10, "max_body");
	}
	if (off)
		ASSERT_FALSE(off->webhook.on, "listen off: no receiver");
	if (bytes)
		ASSERT_EQ(bytes->webhook.max_body, 4096, "plain bytes");
	cfg_free(none);
	cfg_free(min);
	cfg_free(all);
	cfg_free(off);
	cfg_free(bytes);
}

/* Every message, whole. */
static const struct cfg_bad bad[] = {
	{ "degrade not a mapping", TOP "degrade: 2\n",
	  "t.yaml:4:10: degrade: expected a mapping like {levels: {...}, hold: 30s, shed: {optional: 1}}, got '2'" },
	{ "degrade unknown key", TOP "degrade: {auto: {}}\n",
	  "t.yaml:4:11: degrade.auto: expected a key among levels, hold, step, min_requests, alert_expire, shed, got 'auto'" },
	{ "levels not a mapping", TOP "degrade: {levels: [1, 2]}\n",
	  "t.yaml:4:19: degrade.levels: expected levels 1..3 like {1: {enter: {...}, exit: {...}}}, got a list" },
	{ "level 0", TOP "degrade: {levels: {0: {}}}\n",
	  "t.yaml:4:20: degrade.levels.0: expected a key among 1, 2, 3, got '0'" },
	{ "level 4", TOP "degrade: {levels: {4: {}}}\n",
	  "t.yaml:4:20: degrade.levels.4: expected a key among 1, 2, 3, got '4'" },
	{ "level unknown key", TOP "degrade: {levels: {1: {up: {}}}}\n",
	  "t.yaml:4:24: degrade.levels.1.up: expected a key among enter, exit, got 'up'" },
	{ "threshold unknown key", TOP "degrade: {levels: {1: {enter: {latency: 1s}}}}\n",
	  "t.yaml:4:32: degrade.levels.1.enter.latency: expected a key among error_rate, p99, got 'latency'" },
	{ "error_rate over 1", TOP "degrade: {levels: {1: {enter: {error_rate: 2}}}}\n",
	  "t.yaml:4:44: degrade.levels.1.enter.error_rate: expected an error rate 0..1 like 0.05, or off, got '2'" },
	{ "p99 without unit", TOP "degrade: {levels: {1: {enter: {p99: 2}}}}\n",
	  "t.yaml:4:37: degrade.levels.1.enter.p99: expected a duration like 500ms, 10s or 5m (0..1h, or off), got '2'" },
	{ "p99 over 1h", TOP "degrade: {levels: {3: {enter: {p99: 2h}}}}\n",
	  "t.yaml:4:37: degrade.levels.3.enter.p99: expected a duration like 500ms, 10s or 5m (0..1h, or off), got '2h'" },
	{ "exit above enter",
	  TOP "degrade:\n  levels:\n    1:\n      enter: {error_rate: 0.1}\n      exit: {error_rate: 0.2}\n",
	  "t.yaml:8:26: degrade.levels.1.exit.error_rate: expected exit below enter, got '0.2'" },
	{ "exit above the default enter",
	  TOP "degrade: {levels: {2: {exit: {p99: 6s}}}}\n",
	  "t.yaml:4:36: degrade.levels.2.exit.p99: expected exit below enter, got '6s'" },
	{ "enter below the level below's",
	  TOP "degrade: {levels: {2: {enter: {error_rate: 0.01}, exit: {error_rate: 0.005}}}}\n",
	  "t.yaml:4:44: degrade.levels.2.enter.error_rate: expected enter at least the level below's, got '0.01'" },
	{ "enter off, exit on",
	  TOP "degrade: {levels: {1: {enter: {p99: off}}}}\n",
	  "t.yaml:4:37: degrade.levels.1.enter.p99: expected enter and exit both set or both 0, got 'off'" },
	{ "hold too long", TOP "degrade: {hold: 2h}\n",
	  "t.yaml:4:17: degrade.hold: expected a duration like 500ms, 10s or 5m (0..1h), got '2h'" },
	{ "step without unit", TOP "degrade: {step: 1}\n",
	  "t.yaml:4:17: degrade.step: expected a duration like 500ms, 10s or 5m (0..1h), got '1'" },
	{ "min_requests negative", TOP "degrade: {min_requests: -1}\n",
	  "t.yaml:4:25: degrade.min_requests: expected a number of requests (0..1000000000), got '-1'" },
	{ "alert_expire too short", TOP "degrade: {alert_expire: 500ms}\n",
	  "t.yaml:4:25: degrade.alert_expire: expected a duration like 500ms, 10s or 5m (1s..168h), got '500ms'" },
	{ "shed level 4", TOP "degrade: {shed: {optional: 4}}\n",
	  "t.yaml:4:28: degrade.shed.optional: expected the first level that sheds it, 1..3, or never, got '4'" },
	{ "shed level 0", TOP "degrade: {shed: {normal: 0}}\n",
	  "t.yaml:4:26: degrade.shed.normal: expected the first level that sheds it, 1..3, or never, got '0'" },
	{ "shed unknown priority", TOP "degrade: {shed: {vip: 1}}\n",
	  "t.yaml:4:18: degrade.shed.vip: expected a key among core, normal, optional, got 'vip'" },
	{ "factors not a list", HEAD "  - name: default\n    degrade: 0.5\n",
	  "t.yaml:4:14: tiers[0].degrade: expected four rate factors for levels 0..3 like [1.0, 0.5, 0.2, 0.1], got '0.5'" },
	{ "three factors", HEAD "  - name: default\n    degrade: [1.0, 0.5, 0.2]\n",
	  "t.yaml:4:14: tiers[0].degrade: expected four rate factors for levels 0..3 like [1.0, 0.5, 0.2, 0.1], got 3" },
	{ "factor zero", HEAD "  - name: default\n    degrade: [1.0, 0.5, 0.2, 0]\n",
	  "t.yaml:4:30: tiers[0].degrade[3]: expected a rate factor 0 < f <= 1 like 0.5 (a tier's limits cannot be turned to nothing: shed services instead), got '0'" },
	{ "factor over 1", HEAD "  - name: default\n    degrade: [1.0, 1.5, 0.2, 0.1]\n",
	  "t.yaml:4:20: tiers[0].degrade[1]: expected a rate factor 0 < f <= 1 like 0.5, got '1.5'" },
	{ "factor not a number", HEAD "  - name: default\n    degrade: [1.0, half, 0.2, 0.1]\n",
	  "t.yaml:4:20: tiers[0].degrade[1]: expected a rate factor 0 < f <= 1 like 0.5, got 'half'" },
	{ "level 0 not 1.0", HEAD "  - name: default\n    degrade: [0.9, 0.5, 0.2, 0.1]\n",
	  "t.yaml:4:15: tiers[0].degrade[0]: expected 1.0 at level 0 (normal: the limits as configured), got '0.9'" },
	{ "factors increasing", HEAD "  - name: default\n    degrade: [1.0, 0.2, 0.5, 0.1]\n",
	  "t.yaml:4:25: tiers[0].degrade[2]: expected a factor not above level 1's (0.2): the factors may not increase with the level, got '0.5'" },
	{ "factors on a pass tier",
	  HEAD "  - name: default\n  - {name: mon, match: [198.18.99.0/24], verdict: pass, degrade: [1, 1, 1, 1]}\n",
	  "t.yaml:4:66: tiers[1].degrade: expected no degrade factors on a tier with verdict pass (it has no limits), got a list" },
	{ "webhook without token_file", TOP "webhook: {listen: 127.0.0.1:9470}\n",
	  "t.yaml:4:10: webhook.token_file: expected the file holding the bearer token Alertmanager sends, like /etc/sluice/webhook.token, got nothing" },
	{ "webhook empty", TOP "webhook: {}\n",
	  "t.yaml:4:10: webhook.token_file: expected the file holding the bearer token Alertmanager sends, like /etc/sluice/webhook.token, got nothing" },
	{ "webhook not a mapping", TOP "webhook: on\n",
	  "t.yaml:4:10: webhook: expected a mapping like {listen: 127.0.0.1:9470, token_file: /etc/sluice/webhook.token}, got 'on'" },
	{ "token_file relative", TOP "webhook: {token_file: webhook.token}\n",
	  "t.yaml:4:23: webhook.token_file: expected an absolute path like /etc/sluice/webhook.token, got 'webhook.token'" },
	{ "webhook listen", TOP "webhook: {listen: localhost, token_file: /t}\n",
	  "t.yaml:4:19: webhook.listen: expected an address and port like 127.0.0.1:9470 or [::1]:9470, or off, got 'localhost'" },
	{ "webhook listen port", TOP "webhook: {listen: 127.0.0.1:0, token_file: /t}\n",
	  "t.yaml:4:19: webhook.listen: expected an address and port like 127.0.0.1:9470 or [::1]:9470, or off, got '127.0.0.1:0'" },
	{ "label with a dash", TOP "webhook: {token_file: /t, label: sluice-degrade}\n",
	  "t.yaml:4:34: webhook.label: expected a label name of 1..63 characters from A-Z a-z 0-9 _, not starting with a digit or __, got 'sluice-degrade'" },
	{ "label reserved", TOP "webhook: {token_file: /t, label: __name__}\n",
	  "t.yaml:4:34: webhook.label: expected a label name of 1..63 characters from A-Z a-z 0-9 _, not starting with a digit or __, got '__name__'" },
	{ "label a digit first", TOP "webhook: {token_file: /t, breaker_label: 1x}\n",
	  "t.yaml:4:42: webhook.breaker_label: expected a label name of 1..63 characters from A-Z a-z 0-9 _, not starting with a digit or __, got '1x'" },
	{ "the same label twice", TOP "webhook: {token_file: /t, breaker_label: sluice_degrade}\n",
	  "t.yaml:4:42: webhook.breaker_label: expected two different labels in label and breaker_label, got 'sluice_degrade'" },
	{ "max_body too small", TOP "webhook: {token_file: /t, max_body: 100}\n",
	  "t.yaml:4:37: webhook.max_body: expected a size like 1MiB, 256KiB or 65536 (1KiB..64MiB), got '100'" },
	{ "max_body too large", TOP "webhook: {token_file: /t, max_body: 65MiB}\n",
	  "t.yaml:4:37: webhook.max_body: expected a size like 1MiB, 256KiB or 65536 (1KiB..64MiB), got '65MiB'" },
	{ "max_body unit", TOP "webhook: {token_file: /t, max_body: 1MB}\n",
	  "t.yaml:4:37: webhook.max_body: expected a size like 1MiB, 256KiB or 65536 (1KiB..64MiB), got '1MB'" },
	{ "webhook unknown key", TOP "webhook: {token: abc, token_file: /t}\n",
	  "t.yaml:4:11: webhook.token: expected a key among listen, token_file, label, breaker_label, max_body, got 'token'" },
};

static void test_errors(void)
{
	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST_MAIN("unit/config_degrade",
	  TEST(test_degrade_keys),
	  TEST(test_degrade_defaults),
	  TEST(test_tier_factors),
	  TEST(test_webhook),
	  TEST(test_errors))
