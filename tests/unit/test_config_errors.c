// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config validation: one case per error kind, each message checked from
 * "name:line:col: key.path:" on, and the limits on counts. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "test.h"
#include "config_util.h"

/* One case per error kind: the message must start with this prefix. */
static const struct {
	const char *what, *text, *prefix;
} bad[] = {
	{ "rate 'fast'",
	  HEAD "  - name: default\n    limits:\n      - {unit: requests, rate: fast}\n",
	  "t.yaml:5:32: tiers[0].limits[0].rate: expected a positive rate" },
	{ "negative rate",
	  HEAD "  - name: default\n    limits:\n      - {unit: requests, rate: -5/s}\n",
	  "t.yaml:5:32: tiers[0].limits[0].rate: expected a positive rate" },
	{ "zero rate",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: 0/s}]\n",
	  "t.yaml:4:37: tiers[0].limits[0].rate: expected a positive rate" },
	{ "missing rate",
	  HEAD "  - name: default\n    limits: [{unit: requests}]\n",
	  "t.yaml:4:14: tiers[0].limits[0].rate: expected a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s, got nothing" },
	{ "zero burst",
	  HEAD "  - name: default\n    limits:\n      - unit: requests\n        rate: 10/s\n        burst: 0\n",
	  "t.yaml:7:16: tiers[0].limits[0].burst: expected a burst (1..4294967295), got '0'" },
	{ "unknown unit",
	  HEAD "  - name: default\n    limits:\n      - {unit: furlongs, rate: 1}\n",
	  "t.yaml:5:16: tiers[0].limits[0].unit: expected one of packets|bytes|connections|requests, got 'furlongs'" },
	{ "unknown action",
	  HEAD "  - name: default\n    limits:\n      - {unit: packets, rate: 1, action: explode}\n",
	  "t.yaml:5:42: tiers[0].limits[0].action: expected one of drop|reset|http, got 'explode'" },
	{ "unknown tier key",
	  HEAD "  - name: default\n    colour: red\n",
	  "t.yaml:4:5: tiers[0].colour: expected a key among name, match, key, verdict, limits, flood_guard, reply, degrade, got 'colour'" },
	{ "unknown top-level key",
	  HEAD "  - name: default\nfoo: 1\n",
	  "t.yaml:4:1: foo: expected a key among interfaces, interface, tiers," },
	{ "bad CIDR",
	  HEAD "  - name: default\n  - name: vip\n    match: [198.18.10.0/24, 198.18.300.0/24]\n",
	  "t.yaml:5:29: tiers[1].match[1]: expected an IPv4 or IPv6 prefix like 198.18.0.0/15 or 2001:2::/48, got '198.18.300.0/24'" },
	{ "prefix length",
	  HEAD "  - name: default\n  - name: vip\n    match: [2001:2::/129]\n",
	  "t.yaml:5:13: tiers[1].match[0]: expected an IPv4 or IPv6 prefix" },
	{ "host bits",
	  HEAD "  - name: default\n  - name: vip\n    match:\n      - 198.18.10.1/24\n",
	  "t.yaml:6:9: tiers[1].match[0]: expected a prefix without host bits (198.18.10.0/24), got '198.18.10.1/24'" },
	{ "IPv6 host bits",
	  HEAD "  - name: default\n  - name: vip\n    match: [2001:2:0:10::1/64]\n",
	  "t.yaml:5:13: tiers[1].match[0]: expected a prefix without host bits (2001:2:0:10::/64)" },
	{ "same prefix in two tiers",
	  HEAD "  - name: default\n  - name: vip\n    match: [198.18.10.0/24]\n"
	  "  - name: partner\n    match: [198.18.20.0/24, 198.18.10.0/24]\n",
	  "t.yaml:7:29: tiers[2].match[1]: expected each prefix once, got '198.18.10.0/24' again (first in tiers[1] 'vip' at line 5)" },
	{ "duplicate tier name",
	  HEAD "  - name: default\n  - name: vip\n    match: [198.18.10.0/24]\n"
	  "  - name: vip\n    match: [198.18.20.0/24]\n",
	  "t.yaml:6:11: tiers[2].name: expected a unique tier name, got 'vip' (also tiers[1] at line 4)" },
	{ "two catch-alls",
	  HEAD "  - name: v4\n    match: [0.0.0.0/0]\n  - name: v6\n    match: [\"::/0\"]\n",
	  "t.yaml:6:13: tiers[1].match[0]: expected one catch-all tier, got '::/0' (tiers[0] 'v4' at line 3" },
	{ "no default",
	  HEAD "  - name: vip\n    match: [198.18.10.0/24]\n",
	  "t.yaml:3:3: tiers: expected a catch-all tier" },
	{ "tier without match",
	  HEAD "  - name: default\n  - name: vip\n",
	  "t.yaml:4:5: tiers[1].match: expected a list of prefixes (only the default tier may have none), got nothing" },
	{ "too many limits",
	  HEAD "  - name: default\n    limits:\n"
	  "      - {unit: packets, rate: 1}\n      - {unit: packets, rate: 2}\n"
	  "      - {unit: packets, rate: 3}\n      - {unit: packets, rate: 4}\n"
	  "      - {unit: packets, rate: 5}\n",
	  "t.yaml:9:9: tiers[0].limits[4]: expected at most 4 limits per tier, got 5" },
	{ "YAML syntax",
	  HEAD "  - name: default\n    match: [0.0.0.0/0\n",
	  "t.yaml:5:1: YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 4:12)" },
	{ "YAML indentation",
	  HEAD "  - name: default\n   limits: x\n",
	  "t.yaml:4:4: YAML syntax: " },
	{ "invalid UTF-8",
	  HEAD "  - name: def\xff\n",
	  "t.yaml:3:14: YAML syntax: invalid leading UTF-8 octet" },
	{ "empty file", "",
	  "t.yaml:1:1: (top level): expected a mapping with interfaces and tiers, got an empty file" },
	{ "only comments", "# nothing\n",
	  "t.yaml:1:1: (top level): expected a mapping" },
	{ "not a mapping", "- eth0\n",
	  "t.yaml:1:1: (top level): expected a mapping with interfaces and tiers, got a list" },
	{ "list where a mapping is expected",
	  HEAD "  - name: default\n    key: [32, 64]\n",
	  "t.yaml:4:10: tiers[0].key: expected a mapping like {v4_prefix: 32, v6_prefix: 64}, got a list" },
	{ "mapping where a list is expected",
	  HEAD "  name: default\n",
	  "t.yaml:3:3: tiers: expected a list of tiers, got a mapping" },
	{ "list where a scalar is expected",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: [1]}]\n",
	  "t.yaml:4:37: tiers[0].limits[0].rate: expected a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s, got a list" },
	{ "duplicate key",
	  "mode: enforce\n" HEAD "  - name: default\nmode: shadow\n",
	  "t.yaml:5:1: mode: expected each key once (first at line 1), got 'mode' again" },
	{ "duplicate key in a flow mapping",
	  HEAD "  - {name: default, name: x}\n",
	  "t.yaml:3:21: tiers[0].name: expected each key once (first at line 3), got 'name' again" },
	{ "size unit on a requests meter",
	  HEAD "  - name: default\n    limits: [{rate: 10Mbit/s, unit: requests}]\n",
	  "t.yaml:4:21: tiers[0].limits[0].rate: expected a rate without a size unit" },
	{ "unknown size unit",
	  HEAD "  - name: default\n    limits: [{unit: bytes, rate: 10Mbps}]\n",
	  "t.yaml:4:34: tiers[0].limits[0].rate: expected a positive byte rate" },
	{ "unknown period",
	  HEAD "  - name: default\n    limits: [{unit: packets, rate: 10/d}]\n",
	  "t.yaml:4:36: tiers[0].limits[0].rate: expected a positive rate" },
	{ "bytes burst below a frame",
	  HEAD "  - name: default\n    limits: [{unit: bytes, rate: 10Mbit/s, burst: 1000}]\n",
	  "t.yaml:4:51: tiers[0].limits[0].burst: expected a burst in bytes of at least one full frame (1518..4294967295), got '1000'" },
	{ "byte rate the meter cannot hold",
	  HEAD "  - name: default\n    limits: [{unit: bytes, rate: 1/m}]\n",
	  "t.yaml:4:34: tiers[0].limits[0].rate: expected a byte rate of at least 1 byte per 2 s" },
	{ "burst window too long",
	  HEAD "  - name: default\n    limits: [{unit: packets, rate: 1/h, burst: 4294967295}]\n",
	  "t.yaml:4:48: tiers[0].limits[0].burst: expected a burst that the rate drains in under 146 years" },
	{ "rate too fast",
	  HEAD "  - name: default\n    limits: [{unit: packets, rate: 100000000000000}]\n",
	  "t.yaml:4:36: tiers[0].limits[0].rate: expected a rate of at most 65536 per ns, got '100000000000000'" },
	{ "rate too slow",
	  HEAD "  - name: default\n    limits: [{unit: packets, rate: 0.000004/s, burst: 1}]\n",
	  "t.yaml:4:36: tiers[0].limits[0].rate: expected a rate of at least 1 per 39 h (0.0000072/s), got '0.000004/s'" },
	{ "a 634-year window",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: 0.00000005/s, burst: 1000}]\n",
	  "t.yaml:4:37: tiers[0].limits[0].rate: expected a rate of at least 1 per 39 h (0.0000072/s), got '0.00000005/s'" },
	{ "limits on a drop tier",
	  HEAD "  - name: default\n    verdict: drop\n    limits: [{unit: packets, rate: 1}]\n",
	  "t.yaml:5:13: tiers[0].limits: expected no limits on a tier with verdict drop, got a list" },
	{ "unknown verdict",
	  HEAD "  - name: default\n    verdict: maybe\n",
	  "t.yaml:4:14: tiers[0].verdict: expected one of limit|pass|drop, got 'maybe'" },
	{ "flood guard without rate",
	  HEAD "  - name: default\n    flood_guard: {burst: 5}\n",
	  "t.yaml:4:18: tiers[0].flood_guard.new_clients: expected a positive rate" },
	{ "bad tier name",
	  HEAD "  - name: my tier\n",
	  "t.yaml:3:11: tiers[0].name: expected a tier name of 1..63 characters" },
	{ "missing tier name",
	  HEAD "  - match: [0.0.0.0/0]\n",
	  "t.yaml:3:5: tiers[0].name: expected a tier name, got nothing" },
	{ "key prefix out of range",
	  HEAD "  - name: default\n    key: {v4_prefix: 33}\n",
	  "t.yaml:4:22: tiers[0].key.v4_prefix: expected an IPv4 prefix length (1..32), got '33'" },
	{ "unknown mode", "mode: dryrun\n" HEAD "  - name: default\n",
	  "t.yaml:1:7: mode: expected one of enforce|shadow, got 'dryrun'" },
	{ "unknown log level", "log_level: loud\n" HEAD "  - name: default\n",
	  "t.yaml:1:12: log_level: expected one of error|warn|info|debug, got 'loud'" },
	{ "unknown malformed policy", "malformed: maybe\n" HEAD "  - name: default\n",
	  "t.yaml:1:12: malformed: expected one of pass|drop, got 'maybe'" },
	{ "client table too small",
	  HEAD "  - name: default\nclient_table_size: 100\n",
	  "t.yaml:4:20: client_table_size: expected a client table size (1024..67108864), got '100'" },
	{ "relative control socket",
	  HEAD "  - name: default\ncontrol_socket: relative.sock\n",
	  "t.yaml:4:17: control_socket: expected an absolute path" },
	{ "interface name too long",
	  "interface: this-name-is-too-long\ntiers: [{name: default}]\n",
	  "t.yaml:1:12: interface: expected an interface name" },
	{ "unknown attach mode",
	  "interfaces: [{name: eth0, attach: turbo}]\ntiers: [{name: default}]\n",
	  "t.yaml:1:35: interfaces[0].attach: expected one of auto|native|generic, got 'turbo'" },
	{ "interface twice",
	  "interfaces: [eth0, eth0]\ntiers: [{name: default}]\n",
	  "t.yaml:1:20: interfaces[1]: expected each interface once, got 'eth0' again" },
	{ "interface and interfaces",
	  "interfaces: [eth1]\n" HEAD "  - name: default\n",
	  "t.yaml:2:12: interface: expected either interface or interfaces, not both" },
	{ "no interface", "tiers:\n  - name: default\n",
	  "t.yaml:1:1: interfaces: expected a list of interfaces like [eth0], got nothing" },
	{ "no tiers", "interface: eth0\n",
	  "t.yaml:1:1: tiers: expected a list of tiers, got nothing" },
	{ "two documents", HEAD "  - name: default\n---\nfoo: 1\n",
	  "t.yaml:5:1: (top level): expected one YAML document, got a second one" },
};

#define HTTP_LIMIT	"    limits: [{unit: requests, rate: 1, action: http}]\n"

/* Replies: each bad input with its whole message. */
static const struct {
	const char *what, *text, *want;
} bad_replies[] = {
	{ "status 204",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: 1, action: http, reply: {status: 204}}]\n",
	  "t.yaml:4:70: tiers[0].limits[0].reply.status: expected a status that carries a body (not 1xx, 204, 205 or 304), got '204'" },
	{ "status 99",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: 1, action: http, reply: {status: 99}}]\n",
	  "t.yaml:4:70: tiers[0].limits[0].reply.status: expected an HTTP status (100..599), got '99'" },
	{ "status 103",
	  HEAD "  - name: default\n    reply: {status: 103}\n" HTTP_LIMIT,
	  "t.yaml:4:21: tiers[0].reply.status: expected a status that carries a body (not 1xx, 204, 205 or 304), got '103'" },
	{ "unknown key",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: 1, action: http, reply: {colour: red}}]\n",
	  "t.yaml:4:62: tiers[0].limits[0].reply.colour: expected a key among status, reason, content_type, body, headers, got 'colour'" },
	{ "not a mapping",
	  HEAD "  - name: default\n    reply: 429\n" HTTP_LIMIT,
	  "t.yaml:4:12: tiers[0].reply: expected a reply like {status: 429, content_type: application/json, body: \"...\", headers: {...}}, got '429'" },
	{ "header name",
	  HEAD "  - name: default\n    reply: {headers: {\"X Bad\": 1}}\n" HTTP_LIMIT,
	  "t.yaml:4:23: tiers[0].reply.headers.?: expected a header name (a token like X-Reason), got 'X Bad'" },
	{ "header value CRLF",
	  HEAD "  - name: default\n    reply:\n      headers: {X-A: \"a\\r\\nSet-Cookie: x=1\"}\n" HTTP_LIMIT,
	  "t.yaml:5:22: tiers[0].reply.headers.X-A: expected a header value of printable ASCII, without control characters or leading and trailing spaces, got 'a??Set-Cookie: x=1'" },
	{ "header value control",
	  HEAD "  - name: default\n    reply:\n      headers: {X-A: \"a\\x01\"}\n" HTTP_LIMIT,
	  "t.yaml:5:22: tiers[0].reply.headers.X-A: expected a header value of printable ASCII, without control characters or leading and trailing spaces, got 'a?'" },
	{ "header value trailing space",
	  HEAD "  - name: default\n    reply:\n      headers: {X-A: \"a \"}\n" HTTP_LIMIT,
	  "t.yaml:5:22: tiers[0].reply.headers.X-A: expected a header value of printable ASCII, without control characters or leading and trailing spaces, got 'a '" },
	{ "header value a list",
	  HEAD "  - name: default\n    reply:\n      headers: {X-A: [1]}\n" HTTP_LIMIT,
	  "t.yaml:5:22: tiers[0].reply.headers.X-A: expected a header value of printable ASCII, without control characters or leading and trailing spaces, got a list" },
	{ "reserved header",
	  HEAD "  - name: default\n    reply: {headers: {content-length: 5}}\n" HTTP_LIMIT,
	  "t.yaml:4:23: tiers[0].reply.headers.content-length: expected a header sluice does not write itself (not Content-Length, Content-Type, Connection or Transfer-Encoding; content_type sets Content-Type), got 'content-length'" },
	{ "Retry-After on a 429",
	  HEAD "  - name: default\n    reply: {headers: {Retry-After: 5}}\n" HTTP_LIMIT,
	  "t.yaml:4:23: tiers[0].reply.headers.Retry-After: expected a header that a 429 reply does not write itself (it adds Retry-After, RateLimit-Policy and RateLimit), got 'Retry-After'" },
	{ "RateLimit on a 429",
	  HEAD "  - name: default\n    reply:\n      headers: {ratelimit: x}\n" HTTP_LIMIT,
	  "t.yaml:5:17: tiers[0].reply.headers.ratelimit: expected a header that a 429 reply does not write itself (it adds Retry-After, RateLimit-Policy and RateLimit), got 'ratelimit'" },
	{ "header twice",
	  HEAD "  - name: default\n    reply: {headers: {X-A: 1, x-a: 2}}\n" HTTP_LIMIT,
	  "t.yaml:4:31: tiers[0].reply.headers.x-a: expected each header once, got 'x-a' again (as 'X-A')" },
	{ "content type",
	  HEAD "  - name: default\n    reply: {content_type: json}\n" HTTP_LIMIT,
	  "t.yaml:4:27: tiers[0].reply.content_type: expected a media type like application/json or text/plain; charset=utf-8, got 'json'" },
	{ "reason with a newline",
	  HEAD "  - name: default\n    reply: {reason: \"Slow\\nDown\"}\n" HTTP_LIMIT,
	  "t.yaml:4:21: tiers[0].reply.reason: expected a reason phrase of up to 64 printable ASCII characters, got 'Slow?Down'" },
	{ "reply on a reset limit",
	  HEAD "  - name: default\n    limits: [{unit: requests, rate: 1, action: reset, reply: {status: 503}}]\n",
	  "t.yaml:4:62: tiers[0].limits[0].reply: expected a reply only on a limit with action http, got a mapping" },
	{ "reply on a connections limit",
	  HEAD "  - name: default\n    limits: [{unit: connections, rate: 1, action: http, reply: {status: 503}}]\n",
	  "t.yaml:4:64: tiers[0].limits[0].reply: expected no reply on a connections limit (a refused SYN is answered with a RST), got a mapping" },
	{ "tier reply without an http limit",
	  HEAD "  - name: default\n    reply: {status: 503}\n    limits: [{unit: requests, rate: 1}]\n",
	  "t.yaml:4:12: tiers[0].reply: expected a reply only on a tier with a limit of action http (unit packets, bytes or requests), got a mapping" },
	{ "too many fields",
	  HEAD "  - name: default\n    reply: {body: '{retry_after}{retry_after}{retry_after}'}\n" HTTP_LIMIT,
	  "t.yaml:4:12: tiers[0].reply: expected at most 4 places for the retry delay ({retry_after}) in the reply, got 5 (counting those the automatic headers hold)" },
};

static void test_reply_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_replies) / sizeof(bad_replies[0]); i++) {
		struct sl_config *cfg = (void *)1;
		char err[CFG_ERR_MAX];

		test_subtest_begin(bad_replies[i].what);
		ASSERT_EQ(cfg_parse("t.yaml", bad_replies[i].text,
				    strlen(bad_replies[i].text), &cfg, err),
			  -EINVAL, "refused");
		ASSERT_TRUE(cfg == NULL, "nothing returned");
		ASSERT_STREQ(err, bad_replies[i].want, "message");
		test_subtest_end();
	}
}

/* A body that fills the reply exactly, then one byte more: the message
 * says by how much and what the limit is. */
static void test_reply_size(void)
{
	static const char head[] = HEAD "  - name: default\n    reply:\n      body: '";
	static const char tail[] = "'\n" HTTP_LIMIT;
	char text[4096], err[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;
	struct sl_reply r;
	size_t fill;

	/* The default reply with an empty body gives the headers' size. */
	snprintf(text, sizeof(text), "%s%s", head, tail);
	cfg = parse_ok(text);
	if (!cfg || !ASSERT_OK(cfg_reply_render(&cfg->tiers[0], 0, &r, err, sizeof(err)), err))
		goto out;
	/* Content-Length goes from 1 digit to 4. */
	fill = SL_REPLY_MAX - r.len - 3;
	cfg_free(cfg);
	snprintf(text, sizeof(text), "%s%0*d%s", head, (int)fill, 0, tail);
	cfg = parse_ok(text);
	if (cfg && ASSERT_OK(cfg_reply_render(&cfg->tiers[0], 0, &r, err, sizeof(err)), err))
		ASSERT_EQ(r.len, SL_REPLY_MAX, "exactly the limit");
	cfg_free(cfg);
	cfg = NULL;
	snprintf(text, sizeof(text), "%s%0*d%s", head, (int)fill + 1, 0, tail);
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "one over");
	ASSERT_STREQ(err, "t.yaml:5:7: tiers[0].reply: expected a response of at most 1200 bytes for limits[0], got 1201 bytes, 1 over the limit of 1200 bytes (one TCP segment on a 1280-byte IPv6 path)", "message");
	/* The same on a limit's own reply. */
	snprintf(text, sizeof(text), HEAD "  - name: default\n    limits:\n"
		 "      - unit: requests\n        rate: 1\n        action: http\n"
		 "        reply: {status: 503, body: '%0*d'}\n", 1300, 0);
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "limit's reply");
	ASSERT_STREQ(err, "t.yaml:8:16: tiers[0].limits[0].reply: expected a response of at most 1200 bytes for limits[0], got 1425 bytes, 225 over the limit of 1200 bytes (one TCP segment on a 1280-byte IPv6 path)", "limit message");
out:
	cfg_free(cfg);
}

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_config *cfg = (void *)1;
		char err[CFG_ERR_MAX];
		int ret;

		test_subtest_begin(bad[i].what);
		ret = cfg_parse("t.yaml", bad[i].text, strlen(bad[i].text),
				&cfg, err);
		ASSERT_EQ(ret, -EINVAL, "refused");
		ASSERT_TRUE(cfg == NULL, "nothing returned");
		if (!ASSERT_TRUE(!strncmp(err, bad[i].prefix, strlen(bad[i].prefix)),
				 "message prefix"))
			fprintf(stderr, "    want: %s\n    got:  %s\n",
				bad[i].prefix, err);
		ASSERT_TRUE(!strchr(err, '\n'), "one line");
		test_subtest_end();
	}
}

static void test_too_many_tiers(void)
{
	char *text = malloc(64 * 1024), err[CFG_ERR_MAX];
	struct sl_config *cfg;
	size_t o = 0;

	if (!ASSERT_TRUE(text, "malloc"))
		return;
	o += sprintf(text, HEAD "  - name: default\n");
	for (int i = 1; i <= SL_MAX_TIERS; i++)
		o += sprintf(text + o, "  - {name: t%d, match: [198.18.%d.0/24]}\n",
			     i, i);
	ASSERT_EQ(cfg_parse("t.yaml", text, o, &cfg, err), -EINVAL, "65 tiers");
	ASSERT_TRUE(!strncmp(err, "t.yaml:67:5: tiers[64]: expected at most 64 tiers, got 65", 57),
		    err);
	/* 64 is fine. */
	*strstr(text, "  - {name: t64") = '\0';
	cfg = parse_ok(text);
	if (cfg)
		ASSERT_EQ(cfg->ntiers, SL_MAX_TIERS, "64 tiers");
	cfg_free(cfg);
	free(text);
}

static void test_too_many_interfaces(void)
{
	char text[1024], err[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;
	size_t o;

	o = snprintf(text, sizeof(text), "interfaces:\n");
	for (int i = 0; i <= CFG_MAX_IFACES; i++)
		o += snprintf(text + o, sizeof(text) - o, "  - eth%d\n", i);
	snprintf(text + o, sizeof(text) - o, "tiers: [{name: default}]\n");
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL,
		  "17 interfaces");
	ASSERT_STREQ(err, "t.yaml:18:5: interfaces[16]: expected at most 16 interfaces, got 17",
		     "message with the count");
	ASSERT_TRUE(cfg == NULL, "nothing returned");
	/* 16 are fine. */
	*strstr(text, "  - eth16\n") = '\0';
	strcat(text, "tiers: [{name: default}]\n");
	cfg = parse_ok(text);
	if (cfg)
		ASSERT_EQ(cfg->niface, CFG_MAX_IFACES, "16 interfaces");
	cfg_free(cfg);
}

/* The "::/0" quoting hint only where a flow value starts with ':'. */
static void test_quote_hint(void)
{
	static const struct {
		const char *what, *text, *want;
	} cases[] = {
		{ "unclosed [ before a key",
		  "interfaces: [eth0\ntiers:\n  - name: default\n",
		  "t.yaml:2:6: YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 1:13)" },
		{ "unclosed [ of limits",
		  HEAD "  - name: default\n    limits: [{unit: requests, rate: 1}\n  - name: vip\n",
		  "t.yaml:5:3: YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 4:13)" },
		{ "bare ::/0",
		  HEAD "  - name: default\n    match: [0.0.0.0/0, ::/0]\n",
		  "t.yaml:4:24: YAML syntax: did not find expected node content (while parsing a flow node at 4:24); inside [...] or {...} quote addresses that start with ':', like \"::/0\"" },
		{ "bare ::/0 first",
		  HEAD "  - name: default\n    match: [::/0]\n",
		  "t.yaml:4:13: YAML syntax: did not find expected node content (while parsing a flow node at 4:13); inside [...] or {...} quote addresses that start with ':', like \"::/0\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_config *cfg = NULL;
		char err[CFG_ERR_MAX];

		test_subtest_begin(cases[i].what);
		ASSERT_EQ(cfg_parse("t.yaml", cases[i].text, strlen(cases[i].text),
				    &cfg, err), -EINVAL, "refused");
		ASSERT_STREQ(err, cases[i].want, "message");
		test_subtest_end();
	}
}

TEST_MAIN("unit/config_errors",
	  TEST(test_errors),
	  TEST(test_too_many_tiers),
	  TEST(test_too_many_interfaces),
	  TEST(test_quote_hint),
	  TEST(test_reply_errors),
	  TEST(test_reply_size))
