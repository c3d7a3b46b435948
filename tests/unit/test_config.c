// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config parsing: good files, defaults, the default-tier rule, the rate
 * grammar and its bounds, and files that cannot be read. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "test.h"
#include "config_util.h"
#include "config/rate.h"
#include "common/proto.h"

/* examples/sluice.yaml, found from the test binary: build/tests/unit/. */
static int example_path(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		slash = strrchr(exe, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
	snprintf(buf, size, "%s/examples/sluice.yaml", exe);
	return access(buf, R_OK) ? -errno : 0;
}

static uint64_t fnv1a(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static const struct cfg_tier *tier_by_name(const struct sl_config *cfg,
					   const char *name)
{
	for (int i = 0; i < cfg->ntiers; i++)
		if (!strcmp(cfg->tiers[i].name, name))
			return &cfg->tiers[i];
	return NULL;
}

static bool has_prefix(const struct cfg_tier *t, const char *s)
{
	char buf[ADDR_STR_MAX];

	for (int i = 0; i < t->nmatch; i++)
		if (!strcmp(addr_format(&t->match[i], true, buf, sizeof(buf)), s))
			return true;
	return false;
}

static void test_example_file(void)
{
	char path[PATH_MAX + 32], err[CFG_ERR_MAX], text[65536];
	const struct cfg_tier *t;
	struct sl_config *cfg = NULL;
	size_t len;
	FILE *f;

	if (!ASSERT_OK(example_path(path, sizeof(path)), "find example"))
		return;
	if (!ASSERT_OK(cfg_load(path, &cfg, err), "cfg_load")) {
		fprintf(stderr, "    %s\n", err);
		return;
	}
	f = fopen(path, "r");
	len = f ? fread(text, 1, sizeof(text), f) : 0;
	if (f)
		fclose(f);
	ASSERT_EQ(cfg->hash, fnv1a(text, len), "hash is FNV-1a of the bytes");
	ASSERT_STREQ(cfg->path, path, "path as given");
	ASSERT_EQ(cfg->niface, 1, "one interface");
	ASSERT_STREQ(cfg->ifaces[0].name, "gw0", "interface");
	ASSERT_EQ(cfg->ifaces[0].attach, CFG_ATTACH_AUTO, "attach");
	ASSERT_EQ(cfg->mode, SL_MODE_ENFORCE, "mode");
	ASSERT_EQ(cfg->ntiers, 5, "tiers");
	ASSERT_EQ(cfg->default_tier, 0, "default tier");

	t = &cfg->tiers[0];
	ASSERT_STREQ(t->name, "normal", "catch-all name");
	ASSERT_TRUE(has_prefix(t, "0.0.0.0/0") && has_prefix(t, "::/0"), "catch-all");
	if (ASSERT_EQ(t->nmeters, 1, "normal: one meter")) {
		ASSERT_EQ(t->meters[0].unit, SL_UNIT_REQUESTS, "normal unit");
		ASSERT_EQ(t->meters[0].count, 1, "normal count");
		ASSERT_EQ(t->meters[0].period_ns, SEC_NS, "normal period");
		ASSERT_EQ(t->meters[0].burst, 5, "normal burst");
		ASSERT_EQ(t->meters[0].action, SL_ACT_HTTP, "normal action");
	}
	t = tier_by_name(cfg, "vip");
	if (ASSERT_TRUE(t, "vip") && ASSERT_EQ(t->nmeters, 1, "vip meters")) {
		ASSERT_TRUE(has_prefix(t, "198.18.10.0/24"), "vip v4");
		ASSERT_TRUE(has_prefix(t, "2001:2:0:10::/64"), "vip v6");
		ASSERT_EQ(t->meters[0].count, 10, "vip rate");
		ASSERT_EQ(t->meters[0].burst, 20, "vip burst");
		ASSERT_EQ(t->meters[0].action, SL_ACT_HTTP, "vip action");
	}
	t = tier_by_name(cfg, "partner");
	if (ASSERT_TRUE(t, "partner") && ASSERT_EQ(t->nmeters, 1, "partner meters")) {
		ASSERT_TRUE(has_prefix(t, "2001:2:0:20::/64"), "partner v6");
		ASSERT_EQ(t->meters[0].count, 5, "partner rate");
		ASSERT_EQ(t->meters[0].burst, 10, "partner burst");
		ASSERT_EQ(t->meters[0].action, SL_ACT_HTTP, "partner action");
	}
	/* The example says nothing about floods: its limit tiers get the
	 * default guard of its 1,048,576-entry table. */
	for (int i = 0; i < 3; i++) {
		t = &cfg->tiers[i];
		ASSERT_TRUE(t->flood_guard && t->flood_default, "default flood guard");
		ASSERT_EQ(t->new_clients.count, 10485, "new clients per second");
		ASSERT_EQ(t->new_clients.period_ns, SEC_NS, "per second");
		ASSERT_EQ(t->new_clients.burst, 20970, "new clients burst");
	}
	t = tier_by_name(cfg, "blocked");
	if (ASSERT_TRUE(t, "blocked")) {
		ASSERT_EQ(t->flood_guard, 0, "blocked: no flood guard");
		ASSERT_EQ(t->verdict, SL_TIER_DROP, "blocked verdict");
		ASSERT_TRUE(has_prefix(t, "198.18.66.0/24"), "blocked range");
	}
	t = tier_by_name(cfg, "monitors");
	if (ASSERT_TRUE(t, "monitors")) {
		ASSERT_EQ(t->flood_guard, 0, "monitors: no flood guard");
		ASSERT_EQ(t->verdict, SL_TIER_PASS, "monitors verdict");
		ASSERT_EQ(t->nmeters, 0, "monitors meters");
	}
	cfg_free(cfg);
}

/* The settings outside the tiers, and the name parse_ok gives. */
static void expect_settings(const struct sl_config *cfg,
			    const struct sl_config *want)
{
	ASSERT_STREQ(cfg->path, want->path, "path is the name");
	ASSERT_EQ(cfg->niface, want->niface, "interfaces");
	ASSERT_EQ(cfg->mode, want->mode, "mode");
	ASSERT_EQ(cfg->malformed, want->malformed, "malformed");
	ASSERT_EQ(cfg->client_table_size, want->client_table_size,
		  "client table");
	ASSERT_STREQ(cfg->control_socket, want->control_socket, "socket");
	ASSERT_EQ(cfg->log_level, want->log_level, "log level");
	ASSERT_EQ(cfg->default_tier, want->default_tier, "default tier");
}

static void test_defaults(void)
{
	static const struct sl_config defaults = {
		.path = "t.yaml", .niface = 1, .mode = SL_MODE_ENFORCE,
		.malformed = SL_POLICY_PASS, .client_table_size = 1048576,
		.control_socket = "/run/sluice/sluiced.sock",
		.log_level = CFG_LOG_INFO,
		.default_tier = 0,	/* by name */
	};
	static const struct sl_config every = {
		.path = "t.yaml", .niface = 2, .mode = SL_MODE_SHADOW,
		.malformed = SL_POLICY_DROP,
		.client_table_size = 1000000,	/* no power of two needed */
		.control_socket = "/tmp/s.sock", .log_level = CFG_LOG_DEBUG,
		/* ::/0 makes the second tier the catch-all, not its name. */
		.default_tier = 1,
	};
	struct sl_config *cfg = parse_ok(HEAD "  - name: default\n");
	const struct cfg_tier *t;

	if (!cfg)
		return;
	expect_settings(cfg, &defaults);
	t = &cfg->tiers[0];
	ASSERT_EQ(t->verdict, SL_TIER_LIMIT, "verdict");
	ASSERT_EQ(t->v4_prefix, 32, "v4 key");
	ASSERT_EQ(t->v6_prefix, 64, "v6 key");
	ASSERT_EQ(t->nmatch, 0, "no prefixes");
	ASSERT_EQ(t->nmeters, 0, "no meters");
	ASSERT_EQ(t->flood_guard, 0, "no flood guard: no limits to guard");
	cfg_free(cfg);

	/* Every key set away from its default. */
	cfg = parse_ok("interfaces: [eth0, {name: eth1, attach: generic}]\n"
		       "mode: shadow\nmalformed: drop\nclient_table_size: 1000000\n"
		       "control_socket: /tmp/s.sock\nlog_level: debug\n"
		       "tiers:\n"
		       "  - name: vip\n    match: [198.18.10.0/24]\n"
		       "  - name: default\n    match: [198.18.0.0/15, \"::/0\"]\n"
		       "    key: {v4_prefix: 24, v6_prefix: 48}\n"
		       "    limits: [{unit: connections, rate: 5, action: reset}]\n"
		       "    flood_guard: {new_clients: 100/s, burst: 50}\n");
	if (!cfg)
		return;
	expect_settings(cfg, &every);
	ASSERT_STREQ(cfg->ifaces[0].name, "eth0", "first interface");
	ASSERT_STREQ(cfg->ifaces[1].name, "eth1", "second interface");
	ASSERT_EQ(cfg->ifaces[0].attach, CFG_ATTACH_AUTO, "attach default");
	ASSERT_EQ(cfg->ifaces[1].attach, CFG_ATTACH_GENERIC, "attach generic");
	t = &cfg->tiers[1];
	ASSERT_EQ(t->v4_prefix, 24, "v4 key");
	ASSERT_EQ(t->v6_prefix, 48, "v6 key");
	ASSERT_EQ(t->meters[0].action, SL_ACT_RESET, "action");
	ASSERT_EQ(t->meters[0].burst, 5, "burst default: a second's worth");
	ASSERT_EQ(t->flood_guard, 1, "flood guard");
	ASSERT_FALSE(t->flood_default, "as written, not the default");
	ASSERT_EQ(t->new_clients.count, 100, "new clients rate");
	ASSERT_EQ(t->new_clients.burst, 50, "new clients burst");
	cfg_free(cfg);
}

static void test_default_tier_rule(void)
{
	struct sl_config *cfg;

	/* A /0 wins over the name. */
	cfg = parse_ok(HEAD "  - name: default\n    match: [198.18.1.0/24]\n"
		       "  - name: all\n    match: [0.0.0.0/0]\n");
	if (cfg)
		ASSERT_EQ(cfg->default_tier, 1, "the /0 tier");
	cfg_free(cfg);
	/* One tier may hold both /0s. */
	cfg = parse_ok(HEAD "  - name: vip\n    match: [198.18.10.0/24]\n"
		       "  - name: rest\n    match:\n      - 0.0.0.0/0\n      - ::/0\n");
	if (cfg)
		ASSERT_EQ(cfg->default_tier, 1, "both /0 in one tier");
	cfg_free(cfg);
	/* Nested prefixes in different tiers are what LPM is for. */
	cfg = parse_ok(HEAD "  - name: default\n    match: [198.18.0.0/15]\n"
		       "  - name: vip\n    match: [198.18.10.0/24, 198.18.10.7]\n");
	if (cfg) {
		ASSERT_EQ(cfg->tiers[1].match[1].len, 32, "plain address is /32");
		ASSERT_EQ(cfg->default_tier, 0, "named default");
	}
	cfg_free(cfg);
}

/* The design's sketch, in the keys issue 11 settled (window: 10s, not
 * window_s; degrade factors above 0), with a redis section.
 * "::/0" is quoted: libyaml reads a leading ':' inside [...] as a key. */
static void test_design_example(void)
{
	static const char text[] =
		"interface: eth0\n"
		"mode: enforce\n"
		"tiers:\n"
		"  - name: default\n"
		"    match: [0.0.0.0/0, \"::/0\"]\n"
		"    key: {v4_prefix: 32, v6_prefix: 64}\n"
		"    limits:\n"
		"      - {unit: requests, rate: 1, burst: 5, action: http}\n"
		"      - {unit: connections, rate: 10, burst: 20, action: reset}\n"
		"    degrade: [1.0, 0.5, 0.1, 0.05]\n"
		"  - {name: vip, match: [198.18.10.0/24], limits: [{unit: requests, rate: 10, burst: 20}]}\n"
		"  - {name: blocked, match: [198.18.66.0/24], verdict: drop}\n"
		"services:\n"
		"  - name: api\n"
		"    port: 80\n"
		"    breaker: {window: 10s, min_requests: 20}\n"
		"    fallback: {status: 200, content_type: application/json,\n"
		"               body: '{\"status\":\"degraded\",\"data\":[]}'}\n"
		"    on_open: fallback\n"
		"degrade: {levels: {1: {enter: {error_rate: 0.05, p99: 1s}, exit: {p99: 500ms}}}, hold: 10s}\n"
		"metrics: {listen: 127.0.0.1:9469}\n"
		"redis: {address: 127.0.0.1:6379}\n";
	struct sl_config *cfg = parse_ok(text);
	char err[CFG_ERR_MAX];
	const char *bare = strstr(text, "\"::/0\"");
	char copy[sizeof(text)];
	int n = bare - text;

	if (cfg) {
		ASSERT_EQ(cfg->ntiers, 3, "tiers");
		ASSERT_EQ(cfg->tiers[0].nmeters, 2, "default meters");
		ASSERT_EQ(cfg->tiers[0].meters[0].action, SL_ACT_HTTP, "http");
	}
	cfg_free(cfg);

	/* Unquoted, the error says what to do. */
	snprintf(copy, sizeof(copy), "%.*s::/0%s", n, text, bare + 6);
	ASSERT_EQ(cfg_parse("d.yaml", copy, strlen(copy), &cfg, err), -EINVAL,
		  "bare ::/0 in flow");
	ASSERT_TRUE(!strncmp(err, "d.yaml:5:24: YAML syntax: ", 26) &&
		    strstr(err, "quote addresses that start with ':'"), err);
}

static void test_rates(void)
{
	static const struct {
		const char *unit, *rate;
		uint64_t count, period_ns;
		uint32_t burst;		/* the default */
	} cases[] = {
		{ "requests", "10", 10, SEC_NS, 10 },
		{ "requests", "10/s", 10, SEC_NS, 10 },
		{ "requests", "600/m", 600, 60 * SEC_NS, 10 },
		{ "requests", "100/m", 100, 60 * SEC_NS, 2 },
		{ "requests", "3600/h", 3600, 3600 * SEC_NS, 1 },
		{ "requests", "1/h", 1, 3600 * SEC_NS, 1 },
		{ "packets", "0.5/s", 1, 2 * SEC_NS, 1 },
		{ "packets", "1.5", 3, 2 * SEC_NS, 2 },
		{ "packets", "0.25/m", 1, 240 * SEC_NS, 1 },
		{ "packets", "\"20/s\"", 20, SEC_NS, 20 },
		{ "bytes", "10Mbit/s", 1250000, SEC_NS, 1250000 },
		{ "bytes", "1Gbit/s", 125000000, SEC_NS, 125000000 },
		{ "bytes", "500kbit/s", 62500, SEC_NS, 62500 },
		{ "bytes", "1MB/s", 1000000, SEC_NS, 1000000 },
		{ "bytes", "64KB/s", 64000, SEC_NS, 64000 },
		{ "bytes", "1MiB/s", 1048576, SEC_NS, 1048576 },
		{ "bytes", "1.5MB/s", 1500000, SEC_NS, 1500000 },
		{ "bytes", "600MB/m", 600000000, 60 * SEC_NS, 10000000 },
		{ "bytes", "100000", 100000, SEC_NS, 100000 },
		/* At least one full frame, or big frames never pass. */
		{ "bytes", "1KB/s", 1000, SEC_NS, 1518 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], name[64], buf[32];
		struct sl_config *cfg;
		const struct cfg_meter *m;

		snprintf(name, sizeof(name), "%s %s", cases[i].unit, cases[i].rate);
		test_subtest_begin(name);
		snprintf(text, sizeof(text), HEAD "  - name: default\n"
			 "    limits: [{unit: %s, rate: %s}]\n",
			 cases[i].unit, cases[i].rate);
		cfg = parse_ok(text);
		if (cfg) {
			m = &cfg->tiers[0].meters[0];
			ASSERT_EQ(m->count, cases[i].count, "count");
			ASSERT_EQ(m->period_ns, cases[i].period_ns, "period");
			ASSERT_EQ(m->burst, cases[i].burst, "default burst");
			/* Integer forms print back as written. */
			if (strchr(cases[i].rate, '/') && !strchr(cases[i].rate, '.') &&
			    !strpbrk(cases[i].rate, "BbK\""))
				ASSERT_STREQ(cfg_rate_format(m, buf, sizeof(buf)),
					     cases[i].rate, "format");
		}
		cfg_free(cfg);
		test_subtest_end();
	}
}

/* The slowest rate the meter holds is one unit per 2^47 ns (39.09 h):
 * accepted just inside, refused just outside with its own message. */
static void test_rate_bounds(void)
{
	static const char slow[] = "t.yaml:4:36: tiers[0].limits[0].rate: expected a rate of at least 1 per 39 h (0.0000072/s), got ";
	static const struct {
		const char *rate;
		bool ok;
	} cases[] = {
		{ "0.0000072/s", true },	/* 1 per 38.6 h */
		{ "0.02558/h", true },		/* 1 per 140735 s */
		{ "0.02557/h", false },		/* 1 per 140790 s */
		{ "0.000004/s", false },	/* 1 per 2.9 days */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], err[CFG_ERR_MAX], want[256];
		struct sl_config *cfg = NULL;
		int ret;

		test_subtest_begin(cases[i].rate);
		snprintf(text, sizeof(text), HEAD "  - name: default\n"
			 "    limits: [{unit: packets, rate: %s, burst: 1}]\n",
			 cases[i].rate);
		ret = cfg_parse("t.yaml", text, strlen(text), &cfg, err);
		if (cases[i].ok) {
			if (!ASSERT_OK(ret, "accepted"))
				fprintf(stderr, "    %s\n", err);
		} else {
			snprintf(want, sizeof(want), "%s'%s'", slow, cases[i].rate);
			ASSERT_EQ(ret, -EINVAL, "refused");
			ASSERT_STREQ(err, want, "the slow-rate message");
		}
		cfg_free(cfg);
		test_subtest_end();
	}
}

static void test_rate_format(void)
{
	struct cfg_meter m = { .count = 1, .period_ns = 2 * SEC_NS };
	char buf[32];

	ASSERT_STREQ(cfg_rate_format(&m, buf, sizeof(buf)), "0.5/s", "half");
	m = (struct cfg_meter){ .count = 600, .period_ns = 60 * SEC_NS };
	ASSERT_STREQ(cfg_rate_format(&m, buf, sizeof(buf)), "600/m", "per minute");
}

static void test_load_errors(void)
{
	struct sl_config *cfg;
	char err[CFG_ERR_MAX];

	ASSERT_EQ(cfg_load("/nonexistent/sluice.yaml", &cfg, err), -ENOENT,
		  "missing file");
	ASSERT_STREQ(err, "/nonexistent/sluice.yaml: cannot read: No such file or directory",
		     "message");
	ASSERT_EQ(cfg_load("/", &cfg, err), -EISDIR, "directory");
	ASSERT_TRUE(cfg == NULL, "nothing returned");
}

TEST_MAIN("unit/config",
	  TEST(test_example_file),
	  TEST(test_defaults),
	  TEST(test_default_tier_rule),
	  TEST(test_design_example),
	  TEST(test_rates),
	  TEST(test_rate_bounds),
	  TEST(test_rate_format),
	  TEST(test_load_errors))
