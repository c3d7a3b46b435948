// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What a rollout cannot split per client (daemon/rollout_cmd.c): the
 * sections of a candidate that differ from the running config and wait
 * for its promotion; tiers, prefixes and replies never do.
 */
#include <string.h>

#include "test.h"
#include "config_util.h"
#include "daemon/rollout.h"

#define TIERS	"tiers:\n" \
		"  - {name: normal, match: [0.0.0.0/0], limits: [{unit: requests, rate: 10/s, burst: 20}]}\n"
#define BASE	"interfaces: [eth0]\n" TIERS

static char *split_of(const char *a, const char *b, char *buf, size_t size)
{
	struct sl_config *x = parse_ok(a), *y = parse_ok(b);
	struct rollout_run r = {};

	buf[0] = '\0';
	if (!x || !y)
		goto out;
	r.nsplit = rollout_split_sections(x, y, r.split, ROLLOUT_SPLIT_MAX);
	rollout_split_join(&r, buf, size);
out:
	cfg_free(x);
	cfg_free(y);
	return buf;
}

static void test_split(void)
{
	char buf[256];

	ASSERT_STREQ(split_of(BASE, BASE, buf, sizeof(buf)), "", "the same: nothing");
	ASSERT_STREQ(split_of(BASE, BASE "  - {name: vip, match: [198.18.10.0/24], verdict: pass}\n",
			      buf, sizeof(buf)), "", "a tier and a prefix: split per client");
	ASSERT_STREQ(split_of(BASE, "# a comment moves every line\n" BASE, buf, sizeof(buf)),
		     "", "lines moved: nothing");
	ASSERT_STREQ(split_of(BASE, BASE "mode: shadow\nlog_level: debug\n", buf, sizeof(buf)),
		     "mode, log_level", "mode and log level");
	ASSERT_STREQ(split_of(BASE, "interfaces: [eth0, eth1]\n" TIERS,
			      buf, sizeof(buf)), "interfaces", "interfaces");
	ASSERT_STREQ(split_of(BASE, BASE "services: [{name: api, port: 80}]\n"
			      "metrics: {listen: 127.0.0.1:9999}\nedge_connections: {ports: [80]}\n",
			      buf, sizeof(buf)), "services, metrics, edge_connections",
		     "services, metrics, edge_connections");
	ASSERT_STREQ(split_of(BASE "services: [{name: api, port: 80}]\n",
			      "# moved\n" BASE "services: [{name: api, port: 80}]\n", buf, sizeof(buf)),
		     "", "a service moved, not changed");
	ASSERT_STREQ(split_of(BASE "services: [{name: api, port: 80}]\n",
			      BASE "services: [{name: api, port: 81}]\n", buf, sizeof(buf)),
		     "services", "a service changed");
}

TEST_MAIN("unit/rollout_split",
	  TEST(test_split))
