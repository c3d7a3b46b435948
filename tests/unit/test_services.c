// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The services section: a valid one field by field with its defaults,
 * every error message whole, and the limits (64 services, 16 addresses
 * and 32 paths a service, 4096 matches, 64-byte paths). */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "config_util.h"

#define SVC_HEAD	HEAD "  - name: default\nservices:\n"

static void test_valid(void)
{
	static const char text[] = SVC_HEAD
		"  - name: api\n"
		"    port: 80\n"
		"    address: [198.18.0.2, 2001:2::2]\n"
		"    paths: [/api/users, /api/orders]\n"
		"    priority: core\n"
		"    slow: 250ms\n"
		"    timeout: 1.5s\n"
		"  - {name: web, port: 80}\n"
		"  - {name: v2, port: 80, paths: /v2}\n"
		"  - {name: admin, port: 80, address: 198.18.0.3, priority: optional}\n"
		"  - {name: tls, port: 443, tls: true, timeout: 2m}\n";
	struct sl_config *cfg = parse_ok(text);
	const struct cfg_service *s;
	char buf[256];

	if (!cfg)
		return;
	if (!ASSERT_EQ(cfg->nservices, 5, "five services"))
		goto out;
	s = &cfg->services[0];
	ASSERT_STREQ(s->name, "api", "name");
	ASSERT_EQ(s->port, 80, "port");
	ASSERT_EQ(s->naddr, 2, "addresses");
	ASSERT_EQ(s->addr[0].family, SL_AF_INET, "v4");
	ASSERT_EQ(s->addr[0].len, 32, "a /32");
	ASSERT_EQ(s->addr[1].family, SL_AF_INET6, "v6");
	ASSERT_EQ(s->addr[1].len, 128, "a /128");
	ASSERT_EQ(s->npaths, 2, "paths");
	ASSERT_STREQ(s->paths[1], "/api/orders", "path");
	ASSERT_EQ(s->priority, SL_SVC_PRIO_CORE, "priority");
	ASSERT_EQ(s->slow_ns, 250000000ULL, "slow");
	ASSERT_EQ(s->timeout_ns, 1500000000ULL, "timeout");
	ASSERT_EQ(cfg_service_matches(s), 4, "2 addresses x 2 paths");
	ASSERT_STREQ(cfg_service_describe(s, buf, sizeof(buf)),
		     "port 80, address 198.18.0.2 2001:2::2, paths /api/users /api/orders, core, slow 250ms, timeout 1500ms",
		     "described");
	s = &cfg->services[1];
	ASSERT_EQ(s->priority, SL_SVC_PRIO_NORMAL, "default priority");
	ASSERT_EQ(s->slow_ns, CFG_SVC_SLOW_NS, "default slow 1s");
	ASSERT_EQ(s->timeout_ns, CFG_SVC_TIMEOUT_NS, "default timeout 30s");
	ASSERT_EQ(s->naddr + s->npaths, 0, "the port's default service");
	ASSERT_FALSE(s->tls, "not tls");
	ASSERT_EQ(cfg->services[2].npaths, 1, "one path as a scalar");
	ASSERT_EQ(cfg->services[3].naddr, 1, "one address as a scalar");
	s = &cfg->services[4];
	ASSERT_TRUE(s->tls, "tls");
	ASSERT_EQ(s->timeout_ns, 120000000000ULL, "2m");
out:
	cfg_free(cfg);
}

static void test_absent(void)
{
	struct sl_config *cfg = parse_ok(HEAD "  - name: default\n");

	if (cfg)
		ASSERT_EQ(cfg->nservices, 0, "no services");
	cfg_free(cfg);
	cfg = parse_ok(SVC_HEAD "  []\n");
	if (cfg)
		ASSERT_EQ(cfg->nservices, 0, "an empty list");
	cfg_free(cfg);
}

/* Every message, whole. */
static const struct cfg_bad bad[] = {
	{ "not a list", HEAD "  - name: default\nservices: {name: api}\n",
	  "t.yaml:4:11: services: expected a list of services like [{name: api, port: 80}], got a mapping" },
	{ "not a mapping", SVC_HEAD "  - api\n",
	  "t.yaml:5:5: services[0]: expected a service like {name: api, port: 80, paths: [/api]}, got 'api'" },
	{ "unknown key", SVC_HEAD "  - {name: api, port: 80, colour: red}\n",
	  "t.yaml:5:27: services[0].colour: expected a key among name, port, address, paths, priority, slow, timeout, tls, breaker, on_open, fallback, got 'colour'" },
	{ "no name", SVC_HEAD "  - {port: 80}\n",
	  "t.yaml:5:5: services[0].name: expected a service name, got nothing" },
	{ "bad name", SVC_HEAD "  - {name: 'a b', port: 80}\n",
	  "t.yaml:5:12: services[0].name: expected a service name of 1..31 characters from A-Z a-z 0-9 _ -, got 'a b'" },
	{ "long name", SVC_HEAD "  - {name: abcdefghijklmnopqrstuvwxyz0123456, port: 80}\n",
	  "t.yaml:5:12: services[0].name: expected a service name of 1..31 characters from A-Z a-z 0-9 _ -, got 'abcdefghijklmnopqrstuvwxyz0123456'" },
	{ "same name", SVC_HEAD "  - {name: api, port: 80}\n  - {name: api, port: 81}\n",
	  "t.yaml:6:12: services[1].name: expected a unique service name, got 'api' (also services[0] at line 5)" },
	{ "no port", SVC_HEAD "  - {name: api}\n",
	  "t.yaml:5:5: services[0].port: expected the gateway's TCP port of the service, got nothing" },
	{ "port 0", SVC_HEAD "  - {name: api, port: 0}\n",
	  "t.yaml:5:23: services[0].port: expected a TCP port (1..65535), got '0'" },
	{ "port 65536", SVC_HEAD "  - {name: api, port: 65536}\n",
	  "t.yaml:5:23: services[0].port: expected a TCP port (1..65535), got '65536'" },
	{ "address prefix", SVC_HEAD "  - {name: api, port: 80, address: [198.18.0.0/24]}\n",
	  "t.yaml:5:37: services[0].address[0]: expected an address of the gateway like 198.18.0.2 or 2001:2::2, got '198.18.0.0/24'" },
	{ "address garbage", SVC_HEAD "  - {name: api, port: 80, address: [gateway]}\n",
	  "t.yaml:5:37: services[0].address[0]: expected an address of the gateway like 198.18.0.2 or 2001:2::2, got 'gateway'" },
	{ "address empty list", SVC_HEAD "  - {name: api, port: 80, address: []}\n",
	  "t.yaml:5:36: services[0].address: expected an address or a list of addresses like [198.18.0.2, 2001:2::2], got an empty list" },
	{ "path without slash", SVC_HEAD "  - {name: api, port: 80, paths: [api]}\n",
	  "t.yaml:5:35: services[0].paths[0]: expected a path prefix of 1..64 bytes starting with '/', like /api/users, got 'api'" },
	{ "path with a space", SVC_HEAD "  - {name: api, port: 80, paths: ['/a b']}\n",
	  "t.yaml:5:35: services[0].paths[0]: expected a path prefix of printable ASCII without spaces, got '/a b'" },
	{ "paths a mapping", SVC_HEAD "  - {name: api, port: 80, paths: {a: b}}\n",
	  "t.yaml:5:34: services[0].paths: expected a path prefix or a list of them like [/api/users, /api/orders], got a mapping" },
	{ "priority", SVC_HEAD "  - {name: api, port: 80, priority: high}\n",
	  "t.yaml:5:37: services[0].priority: expected one of core|normal|optional, got 'high'" },
	{ "slow without unit", SVC_HEAD "  - {name: api, port: 80, slow: 100}\n",
	  "t.yaml:5:33: services[0].slow: expected a duration like 250ms, 1s or 1.5s (1ms..10m), got '100'" },
	{ "slow unit", SVC_HEAD "  - {name: api, port: 80, slow: 1h}\n",
	  "t.yaml:5:33: services[0].slow: expected a duration like 250ms, 1s or 1.5s (1ms..10m), got '1h'" },
	{ "slow zero", SVC_HEAD "  - {name: api, port: 80, slow: 0ms}\n",
	  "t.yaml:5:33: services[0].slow: expected a duration like 250ms, 1s or 1.5s (1ms..10m), got '0ms'" },
	{ "slow a dot", SVC_HEAD "  - {name: api, port: 80, slow: 1.s}\n",
	  "t.yaml:5:33: services[0].slow: expected a duration like 250ms, 1s or 1.5s (1ms..10m), got '1.s'" },
	{ "timeout too short", SVC_HEAD "  - {name: api, port: 80, timeout: 500ms}\n",
	  "t.yaml:5:36: services[0].timeout: expected a duration like 250ms, 1s or 1.5s (1s..1h), got '500ms'" },
	{ "timeout too long", SVC_HEAD "  - {name: api, port: 80, timeout: 61m}\n",
	  "t.yaml:5:36: services[0].timeout: expected a duration like 250ms, 1s or 1.5s (1s..1h), got '61m'" },
	{ "slow past timeout", SVC_HEAD "  - {name: api, port: 80, slow: 5s, timeout: 2s}\n",
	  "t.yaml:5:33: services[0].slow: expected a slow threshold below the timeout (5000 ms > 2000 ms), got '5s'" },
	{ "timeout below default slow", SVC_HEAD "  - {name: api, port: 80, timeout: 1s}\n",
	  "t.yaml:5:36: services[0].timeout: expected a slow threshold below the timeout (1000 ms > 1000 ms), got '1s'" },
	{ "tls not a boolean", SVC_HEAD "  - {name: api, port: 443, tls: yes}\n",
	  "t.yaml:5:33: services[0].tls: expected true or false, got 'yes'" },
	{ "tls with paths", SVC_HEAD "  - {name: api, port: 443, tls: true, paths: [/a]}\n",
	  "t.yaml:5:46: services[0].paths: expected no paths on a TLS service (its requests cannot be read), got a list" },
	{ "two default services",
	  SVC_HEAD "  - {name: api, port: 80}\n  - {name: web, port: 81}\n  - {name: www, port: 80}\n",
	  "t.yaml:7:5: services[2]: expected one default service (no address, no paths) per port, got a second on port 80 (first: services[0] 'api' at line 5)" },
	{ "same path",
	  SVC_HEAD "  - {name: api, port: 80, paths: [/api, /v1]}\n  - {name: v1, port: 80, paths: [/v1]}\n",
	  "t.yaml:6:34: services[1].paths[0]: expected each port, address and path in one service, got port 80, any address, path '/v1' again (first in services[0] 'api' at line 5)" },
	{ "same path in one service",
	  SVC_HEAD "  - {name: api, port: 80, paths: [/api, /api]}\n",
	  "t.yaml:5:41: services[0].paths[1]: expected each port, address and path in one service, got port 80, any address, path '/api' again (first in services[0] 'api' at line 5)" },
	{ "same address",
	  SVC_HEAD "  - {name: a, port: 80, address: [198.18.0.2, 198.18.0.3]}\n  - {name: b, port: 80, address: 2001:2::2}\n  - {name: c, port: 80, address: [198.18.0.3]}\n",
	  "t.yaml:7:35: services[2].address[0]: expected each port, address and path in one service, got port 80, address 198.18.0.3, no path again (first in services[0] 'a' at line 5)" },
	{ "same address and path",
	  SVC_HEAD "  - {name: a, port: 80, address: [198.18.0.2], paths: [/x, /y]}\n  - {name: b, port: 80, address: [2001:2::2, 198.18.0.2], paths: [/y]}\n",
	  "t.yaml:6:67: services[1].paths[0]: expected each port, address and path in one service, got port 80, address 198.18.0.2, path '/y' again (first in services[0] 'a' at line 5)" },
};

static void test_errors(void)
{
	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

/* Not the same match: another port, address or path, or a prefix of
 * another path. */
static void test_distinct(void)
{
	struct sl_config *cfg = parse_ok(SVC_HEAD
		"  - {name: a, port: 80}\n"
		"  - {name: b, port: 8080}\n"
		"  - {name: c, port: 80, address: 198.18.0.2}\n"
		"  - {name: d, port: 80, address: 2001:2::2, paths: [/api]}\n"
		"  - {name: e, port: 80, paths: [/api]}\n"
		"  - {name: f, port: 80, paths: [/api/users, /ap]}\n");

	if (cfg)
		ASSERT_EQ(cfg->nservices, 6, "six services");
	cfg_free(cfg);
}

static void test_limits(void)
{
	char *text = malloc(256 * 1024), err[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;
	size_t o;

	if (!ASSERT_TRUE(text, "malloc"))
		return;
	/* 64 services, then 65. */
	o = sprintf(text, SVC_HEAD);
	for (int i = 0; i < SL_MAX_SERVICES; i++)
		o += sprintf(text + o, "  - {name: s%d, port: %d}\n", i, 1000 + i);
	cfg = parse_ok(text);
	if (cfg)
		ASSERT_EQ(cfg->nservices, SL_MAX_SERVICES, "64 services");
	cfg_free(cfg);
	sprintf(text + o, "  - {name: s64, port: 2000}\n");
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "65");
	ASSERT_STREQ(err, "t.yaml:69:5: services[64]: expected at most 64 services, got 65", "65 message");

	/* A path of 64 bytes, then 65. */
	o = sprintf(text, SVC_HEAD "  - {name: a, port: 80, paths: [/%063d]}\n", 0);
	cfg = parse_ok(text);
	if (cfg)
		ASSERT_EQ(strlen(cfg->services[0].paths[0]), SL_SVC_PATH_MAX, "64 bytes");
	cfg_free(cfg);
	sprintf(text, SVC_HEAD "  - {name: a, port: 80, paths: [/%064d]}\n", 0);
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "65 bytes");
	ASSERT_TRUE(strstr(err, "services[0].paths[0]: expected a path prefix of 1..64 bytes") != NULL, err);

	/* 16 addresses, then 17; 32 paths, then 33. */
	o = sprintf(text, SVC_HEAD "  - {name: a, port: 80, address: [");
	for (int i = 0; i < CFG_SVC_ADDRS; i++)
		o += sprintf(text + o, "%s198.18.0.%d", i ? ", " : "", i + 1);
	o += sprintf(text + o, "], paths: [");
	for (int i = 0; i < CFG_SVC_PATHS; i++)
		o += sprintf(text + o, "%s/p%d", i ? ", " : "", i);
	sprintf(text + o, "]}\n");
	cfg = parse_ok(text);
	if (cfg)
		ASSERT_EQ(cfg_service_matches(&cfg->services[0]), 512, "16 x 32 matches");
	cfg_free(cfg);
	sprintf(text + o, ", /p32]}\n");
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "33 paths");
	ASSERT_TRUE(strstr(err, "services[0].paths[32]: expected at most 32, got 33") != NULL, err);

	/* 8 of those make 4096 matches; a ninth is past the limit. */
	o = sprintf(text, SVC_HEAD);
	for (int s = 0; s < 9; s++) {
		o += sprintf(text + o, "  - {name: s%d, port: %d, address: [", s, 80 + s);
		for (int i = 0; i < CFG_SVC_ADDRS; i++)
			o += sprintf(text + o, "%s198.18.0.%d", i ? ", " : "", i + 1);
		o += sprintf(text + o, "], paths: [");
		for (int i = 0; i < CFG_SVC_PATHS; i++)
			o += sprintf(text + o, "%s/p%d", i ? ", " : "", i);
		o += sprintf(text + o, "]}\n");
	}
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "4608 matches");
	ASSERT_STREQ(err, "t.yaml:13:5: services[8]: expected at most 4096 matches (addresses x paths) in all services, got 4608 so far", "message");
	*strstr(text, "  - {name: s8") = '\0';
	cfg = parse_ok(text);
	if (cfg)
		ASSERT_EQ(cfg->nservices, 8, "4096 matches");
	cfg_free(cfg);
	free(text);
}

TEST_MAIN("unit/services",
	  TEST(test_valid),
	  TEST(test_absent),
	  TEST(test_errors),
	  TEST(test_distinct),
	  TEST(test_limits))
