// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The metrics section: the listen address forms, the default, and the
 * messages for what is refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "test.h"
#include "config_util.h"

static void test_default(void)
{
	struct sl_config *cfg = parse_ok(HEAD "  - name: default\n");

	if (!cfg)
		return;
	ASSERT_TRUE(cfg->metrics.on, "on by default");
	ASSERT_EQ(cfg->metrics.family, AF_INET, "IPv4");
	ASSERT_EQ(cfg->metrics.port, 9469, "port");
	ASSERT_STREQ(cfg->metrics.text, "127.0.0.1:9469", "address");
	cfg_free(cfg);
}

static void test_forms(void)
{
	static const struct {
		const char *yaml, *text;
		bool on;
		int family;
		unsigned port;
	} ok[] = {
		{ "{listen: 198.18.0.1:80}", "198.18.0.1:80", true, AF_INET, 80 },
		{ "{listen: 0.0.0.0:9469}", "0.0.0.0:9469", true, AF_INET, 9469 },
		{ "{listen: \"[::1]:9469\"}", "[::1]:9469", true, AF_INET6, 9469 },
		{ "{listen: \"[2001:2:0:0::1]:65535\"}", "[2001:2::1]:65535", true, AF_INET6, 65535 },
		{ "{listen: off}", "off", false, 0, 0 },
		{ "\n  listen: off", "off", false, 0, 0 },
		{ "{}", "127.0.0.1:9469", true, AF_INET, 9469 },
	};
	char text[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sl_config *cfg;

		test_subtest_begin(ok[i].yaml[0] == '\n' ? "block" : ok[i].yaml);
		snprintf(text, sizeof(text), HEAD "  - name: default\nmetrics: %s\n",
			 ok[i].yaml);
		cfg = parse_ok(text);
		if (cfg) {
			ASSERT_EQ(cfg->metrics.on, ok[i].on, "on");
			ASSERT_EQ(cfg->metrics.family, ok[i].family, "family");
			ASSERT_EQ(cfg->metrics.port, ok[i].port, "port");
			ASSERT_STREQ(cfg->metrics.text, ok[i].text, "text");
		}
		cfg_free(cfg);
		test_subtest_end();
	}
}

#define LISTEN_WANT "expected an address and port like 127.0.0.1:9469 or [::1]:9469, or off"

#define METRICS(yaml)	HEAD "  - name: default\nmetrics: " yaml "\n"

static void test_errors(void)
{
	static const struct cfg_bad bad[] = {
		{ "no port", METRICS("{listen: 127.0.0.1}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got '127.0.0.1'" },
		{ "port 0", METRICS("{listen: 127.0.0.1:0}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got '127.0.0.1:0'" },
		{ "port too big", METRICS("{listen: 127.0.0.1:65536}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got '127.0.0.1:65536'" },
		{ "host name", METRICS("{listen: localhost:9469}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got 'localhost:9469'" },
		{ "bare IPv6", METRICS("{listen: \"::1:9469\"}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got '::1:9469'" },
		{ "IPv6 without port", METRICS("{listen: \"[::1]\"}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got '[::1]'" },
		{ "signed port", METRICS("{listen: \"127.0.0.1:+80\"}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got '127.0.0.1:+80'" },
		{ "a list", METRICS("{listen: [a]}"),
		  "t.yaml:4:19: metrics.listen: " LISTEN_WANT ", got a list" },
		{ "unknown key", METRICS("{port: 80}"),
		  "t.yaml:4:11: metrics.port: expected a key among listen, got 'port'" },
		{ "a scalar", METRICS("on"),
		  "t.yaml:4:10: metrics: expected a mapping like {listen: 127.0.0.1:9469}, got 'on'" },
	};

	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

TEST_MAIN("unit/config_metrics", TEST(test_default), TEST(test_forms),
	  TEST(test_errors))
