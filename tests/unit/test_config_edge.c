// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The edge_connections section and durations: the forms, the default
 * (off), and the messages for what is refused. */
#include <errno.h>

#include "test.h"
#include "config_util.h"
#include "config/duration.h"

static void test_default(void)
{
	struct sl_config *cfg = parse_ok(HEAD "  - name: default\n");

	if (!cfg)
		return;
	ASSERT_EQ(cfg->edge_conn.nports, 0, "off by default");
	ASSERT_EQ(cfg->edge_conn.min_wait_ns, 250000000, "min_wait 250 ms");
	cfg_free(cfg);
}

static void test_forms(void)
{
	struct sl_config *cfg = parse_ok(HEAD "  - name: default\n"
					 "edge_connections: {ports: [80, 8080], min_wait: 1.5s}\n");

	if (cfg) {
		ASSERT_EQ(cfg->edge_conn.nports, 2, "two ports");
		ASSERT_EQ(cfg->edge_conn.ports[0], 80, "80");
		ASSERT_EQ(cfg->edge_conn.ports[1], 8080, "8080");
		ASSERT_EQ(cfg->edge_conn.min_wait_ns, 1500000000ULL, "1.5 s");
	}
	cfg_free(cfg);
	cfg = parse_ok(HEAD "  - name: default\nedge_connections: {ports: []}\n");
	if (cfg)
		ASSERT_EQ(cfg->edge_conn.nports, 0, "empty list: off");
	cfg_free(cfg);
}

static void test_durations(void)
{
	static const struct { const char *s; unsigned long long ns; int err; } d[] = {
		{ "250ms", 250000000ULL, 0 }, { "1s", 1000000000ULL, 0 },
		{ "0.5s", 500000000ULL, 0 }, { "2m", 120000000000ULL, 0 },
		{ "1h", 3600000000000ULL, 0 }, { "10us", 10000, 0 },
		{ "0ms", 0, 0 }, { "1", 0, -EINVAL }, { "s", 0, -EINVAL },
		{ "1.s", 0, -EINVAL }, { "-1s", 0, -EINVAL }, { "1 s", 0, -EINVAL },
		{ "1.5ns", 0, -EINVAL }, { "99999999999999999999s", 0, -ERANGE },
	};

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		uint64_t ns = 0;

		test_subtest_begin(d[i].s);
		ASSERT_EQ(cfg_duration_parse(d[i].s, &ns), d[i].err, "result");
		if (!d[i].err)
			ASSERT_EQ(ns, d[i].ns, "ns");
		test_subtest_end();
	}
}

#define EDGE(yaml)	HEAD "  - name: default\nedge_connections: " yaml "\n"

static void test_errors(void)
{
	static const struct cfg_bad bad[] = {
		{ "port 0", EDGE("{ports: [0]}"),
		  "t.yaml:4:28: edge_connections.ports[0]: expected a TCP port (1..65535), got '0'" },
		{ "port too big", EDGE("{ports: [65536]}"),
		  "t.yaml:4:28: edge_connections.ports[0]: expected a TCP port (1..65535), got '65536'" },
		{ "twice", EDGE("{ports: [80, 80]}"),
		  "t.yaml:4:32: edge_connections.ports[1]: port 80 is listed twice" },
		{ "nine ports", EDGE("{ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}"),
		  "t.yaml:4:27: edge_connections.ports: expected at most 8 ports, got 9" },
		{ "a scalar port list", EDGE("{ports: 80}"),
		  "t.yaml:4:27: edge_connections.ports: expected a list of TCP ports like [80, 8080], got '80'" },
		{ "no unit", EDGE("{ports: [80], min_wait: 250}"),
		  "t.yaml:4:43: edge_connections.min_wait: expected a duration like 250ms or 1s, at most 1h, got '250'" },
		{ "too long", EDGE("{ports: [80], min_wait: 2h}"),
		  "t.yaml:4:43: edge_connections.min_wait: expected a duration like 250ms or 1s, at most 1h, got '2h'" },
		{ "unknown key", EDGE("{port: 80}"),
		  "t.yaml:4:20: edge_connections.port: expected a key among ports, min_wait, got 'port'" },
	};

	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST_MAIN("unit/config_edge", TEST(test_default), TEST(test_forms),
	  TEST(test_durations), TEST(test_errors))
