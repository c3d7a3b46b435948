// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A service's breaker, on_open and fallback (user/config/gate.c): every
 * key with its default, the gate's replies rendered byte for byte, and
 * every error message whole. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "config_util.h"
#include "config/gate.h"
#include "common/reply.h"

#define SVC_HEAD	HEAD "  - name: default\nservices:\n"
#define MS_NS		1000000ULL

static void test_breaker_keys(void)
{
	static const char text[] = SVC_HEAD
		"  - name: api\n"
		"    port: 80\n"
		"    breaker:\n"
		"      window: 20s\n"
		"      min_requests: 50\n"
		"      failure_rate: 0.25\n"
		"      slow_rate: 0.9\n"
		"      consecutive_failures: 7\n"
		"      open: 15s\n"
		"      max_open: 10m\n"
		"      backoff: 1.5\n"
		"      jitter: 0.2\n"
		"      half_open_probes: 5\n"
		"      close_after: 4\n"
		"      failures: [4xx, 5xx, 429, 500, 502, 503, 504, no_response, timeout, 1xx, 2xx, 3xx]\n";
	struct sl_config *cfg = parse_ok(text);
	const struct breaker_cfg *b;
	char buf[160];

	if (!cfg)
		return;
	ASSERT_TRUE(cfg->services[0].has_breaker, "a breaker");
	b = &cfg->services[0].breaker;
	ASSERT_EQ(b->window_ns, 20 * SEC_NS, "window");
	ASSERT_EQ(b->min_requests, 50, "min_requests");
	ASSERT_TRUE(b->failure_rate == 0.25, "failure_rate");
	ASSERT_TRUE(b->slow_rate == 0.9, "slow_rate");
	ASSERT_EQ(b->consecutive_failures, 7, "consecutive_failures");
	ASSERT_EQ(b->open_ns, 15 * SEC_NS, "open");
	ASSERT_EQ(b->max_open_ns, 600 * SEC_NS, "max_open");
	ASSERT_TRUE(b->backoff == 1.5, "backoff");
	ASSERT_TRUE(b->jitter == 0.2, "jitter");
	ASSERT_EQ(b->half_open_probes, 5, "half_open_probes");
	ASSERT_EQ(b->close_after, 4, "close_after");
	ASSERT_EQ(b->failures, SL_SVC_FAIL_CLASS(1) | SL_SVC_FAIL_CLASS(2) |
		  SL_SVC_FAIL_CLASS(3) | SL_SVC_FAIL_CLASS(4) |
		  SL_SVC_FAIL_CLASS(5) | SL_SVC_FAIL_429 | SL_SVC_FAIL_500 |
		  SL_SVC_FAIL_502 | SL_SVC_FAIL_503 | SL_SVC_FAIL_504 |
		  SL_SVC_FAIL_NO_RESPONSE | SL_SVC_FAIL_TIMEOUT, "failures: every one");
	ASSERT_STREQ(cfg_failures_format(b->failures, buf, sizeof(buf)),
		     "1xx 2xx 3xx 4xx 5xx 429 500 502 503 504 no_response timeout",
		     "formatted");
	ASSERT_EQ(cfg->services[0].on_open, CFG_ON_OPEN_503, "on_open 503 by default");
	ASSERT_TRUE(cfg->services[0].fallback == NULL, "no fallback");
	cfg_free(cfg);
}

/* {} and on: every default; off and none: no breaker; a scalar failure. */
static void test_breaker_forms(void)
{
	static const char text[] = SVC_HEAD
		"  - {name: a, port: 80, breaker: {}}\n"
		"  - {name: b, port: 81, breaker: on}\n"
		"  - {name: c, port: 82, breaker: true}\n"
		"  - {name: d, port: 83, breaker: off}\n"
		"  - {name: e, port: 84}\n"
		"  - {name: f, port: 85, breaker: {failures: 503, failure_rate: 0, consecutive_failures: 0}}\n"
		"  - {name: g, port: 86, breaker: {failures: [5xx], open: 1s, max_open: 1s, backoff: 1, jitter: 0}}\n";
	struct sl_config *cfg = parse_ok(text);
	struct breaker_cfg def;
	char buf[64];

	if (!cfg)
		return;
	breaker_cfg_default(&def);
	ASSERT_EQ(def.window_ns, 10 * SEC_NS, "default window 10s");
	ASSERT_EQ(def.failures, SL_SVC_FAIL_DEFAULT, "default failures");
	for (int i = 0; i < 3; i++) {
		ASSERT_TRUE(cfg->services[i].has_breaker, cfg->services[i].name);
		ASSERT_TRUE(!memcmp(&cfg->services[i].breaker, &def, sizeof(def)),
			    "the defaults");
	}
	ASSERT_FALSE(cfg->services[3].has_breaker, "off: none");
	ASSERT_FALSE(cfg->services[4].has_breaker, "absent: none");
	ASSERT_TRUE(cfg->services[5].has_breaker, "f");
	ASSERT_EQ(cfg->services[5].breaker.failures, SL_SVC_FAIL_503, "one code as a scalar");
	ASSERT_TRUE(cfg->services[5].breaker.failure_rate == 0, "failure_rate 0: off");
	ASSERT_EQ(cfg->services[5].breaker.consecutive_failures, 0, "no data-path trip");
	ASSERT_STREQ(cfg_failures_format(SL_SVC_FAIL_DEFAULT, buf, sizeof(buf)),
		     "5xx no_response timeout", "the default, formatted");
	ASSERT_EQ(cfg->services[6].breaker.max_open_ns, SEC_NS, "max_open = open");
	cfg_free(cfg);
}

static void test_on_open(void)
{
	static const char text[] = SVC_HEAD
		"  - {name: a, port: 80, on_open: 503}\n"
		"  - {name: b, port: 81, on_open: reset}\n"
		"  - name: c\n"
		"    port: 82\n"
		"    on_open: fallback\n"
		"    fallback:\n"
		"      status: 200\n"
		"      content_type: application/json\n"
		"      body: '{\"status\":\"degraded\",\"data\":[]}'\n"
		"      headers: {Cache-Control: no-store}\n"
		"  - {name: d, port: 83, on_open: fallback, fallback: {body: ''}}\n";
	struct sl_config *cfg = parse_ok(text);
	const struct cfg_reply *f;

	if (!cfg)
		return;
	ASSERT_EQ(cfg->services[0].on_open, CFG_ON_OPEN_503, "503");
	ASSERT_EQ(cfg->services[1].on_open, CFG_ON_OPEN_RESET, "reset");
	ASSERT_EQ(cfg->services[2].on_open, CFG_ON_OPEN_FALLBACK, "fallback");
	ASSERT_FALSE(cfg->services[2].has_breaker, "on_open without a breaker (degrade sheds)");
	f = cfg->services[2].fallback;
	if (ASSERT_TRUE(f != NULL, "parsed")) {
		ASSERT_EQ(f->status, 200, "status");
		ASSERT_STREQ(f->content_type, "application/json", "content_type");
		ASSERT_STREQ(f->body, "{\"status\":\"degraded\",\"data\":[]}", "body");
		ASSERT_EQ(f->nheaders, 1, "a header");
	}
	f = cfg->services[3].fallback;
	if (ASSERT_TRUE(f != NULL, "parsed"))
		ASSERT_EQ(f->status, CFG_FALLBACK_STATUS, "status 200 by default");
	cfg_free(cfg);
}

static void render(const struct cfg_service *s, const char *want, unsigned status,
		   int nfields, unsigned width)
{
	struct sl_reply r;
	char err[256] = "";

	if (!ASSERT_OK(cfg_gate_render(s, &r, err, sizeof(err)), err))
		return;
	ASSERT_EQ(r.len, strlen(want), "length");
	if (!ASSERT_TRUE(r.len == strlen(want) && !memcmp(r.text, want, r.len), "text"))
		fprintf(stderr, "    got: %.*s\n", r.len, (const char *)r.text);
	ASSERT_EQ(r.status, status, "status");
	ASSERT_EQ(r.nfields, nfields, "fields");
	ASSERT_EQ(r.width, width, "width");
	ASSERT_EQ(r.csum, reply_csum(r.text, r.len), "checksum");
}

/* The templates, byte for byte (fields as spaces). */
static void test_render(void)
{
	static const char text[] = SVC_HEAD
		"  - {name: api, port: 80}\n"
		"  - {name: long, port: 81, breaker: {max_open: 24h, jitter: 0.5}}\n"
		"  - name: shop\n"
		"    port: 82\n"
		"    on_open: fallback\n"
		"    fallback:\n"
		"      status: 503\n"
		"      body: '{\"status\":\"degraded\",\"wait\":{retry_after}}'\n"
		"      headers: {Retry-After: '{retry_after}'}\n"
		"  - name: text\n"
		"    port: 83\n"
		"    on_open: fallback\n"
		"    fallback: {status: 599, content_type: text/plain, body: \"down\\n\"}\n";
	struct sl_config *cfg = parse_ok(text);

	if (!cfg)
		return;
	test_subtest_begin("the 503: Retry-After and the JSON body");
	render(&cfg->services[0],
	       "HTTP/1.1 503 Service Unavailable\r\n"
	       "Content-Type: application/json\r\n"
	       "Content-Length: 69\r\n"
	       "Retry-After:      \r\n"
	       "Connection: close\r\n\r\n"
	       "{\"error\":\"service_unavailable\",\"service\":\"api\",\"retry_after_s\":     }",
	       503, 2, 5);
	test_subtest_end();
	test_subtest_begin("a day's opening with its jitter: six digits");
	render(&cfg->services[1],
	       "HTTP/1.1 503 Service Unavailable\r\n"
	       "Content-Type: application/json\r\n"
	       "Content-Length: 71\r\n"
	       "Retry-After:       \r\n"
	       "Connection: close\r\n\r\n"
	       "{\"error\":\"service_unavailable\",\"service\":\"long\",\"retry_after_s\":      }",
	       503, 2, 6);
	test_subtest_end();
	test_subtest_begin("a fallback asking for the delay");
	render(&cfg->services[2],
	       "HTTP/1.1 503 Service Unavailable\r\n"
	       "Content-Type: application/json\r\n"
	       "Content-Length: 34\r\n"
	       "Retry-After:      \r\n"
	       "Connection: close\r\n\r\n"
	       "{\"status\":\"degraded\",\"wait\":     }",
	       503, 2, 5);
	test_subtest_end();
	test_subtest_begin("a fallback without: no Retry-After, any status");
	render(&cfg->services[3],
	       "HTTP/1.1 599 \r\n"
	       "Content-Type: text/plain\r\n"
	       "Content-Length: 5\r\n"
	       "Connection: close\r\n\r\n"
	       "down\n",
	       599, 0, 5);
	test_subtest_end();
	cfg_free(cfg);
}

/* Every message, whole. */
static const struct cfg_bad bad[] = {
	{ "breaker not a mapping", SVC_HEAD "  - {name: api, port: 80, breaker: yes}\n",
	  "t.yaml:5:36: services[0].breaker: expected a breaker like {window: 10s, failure_rate: 0.5, open: 30s}, {} or on for the defaults, or off, got 'yes'" },
	{ "breaker unknown key", SVC_HEAD "  - {name: api, port: 80, breaker: {window_s: 10}}\n",
	  "t.yaml:5:37: services[0].breaker.window_s: expected a key among window, min_requests, failure_rate, slow_rate, consecutive_failures, open, max_open, backoff, jitter, half_open_probes, close_after, failures, got 'window_s'" },
	{ "window without unit", SVC_HEAD "  - {name: api, port: 80, breaker: {window: 10}}\n",
	  "t.yaml:5:45: services[0].breaker.window: expected a duration like 500ms, 10s or 5m (100ms..1h), got '10'" },
	{ "window too short", SVC_HEAD "  - {name: api, port: 80, breaker: {window: 50ms}}\n",
	  "t.yaml:5:45: services[0].breaker.window: expected a duration like 500ms, 10s or 5m (100ms..1h), got '50ms'" },
	{ "window too long", SVC_HEAD "  - {name: api, port: 80, breaker: {window: 2h}}\n",
	  "t.yaml:5:45: services[0].breaker.window: expected a duration like 500ms, 10s or 5m (100ms..1h), got '2h'" },
	{ "min_requests 0", SVC_HEAD "  - {name: api, port: 80, breaker: {min_requests: 0}}\n",
	  "t.yaml:5:51: services[0].breaker.min_requests: expected a number of requests (1..1000000), got '0'" },
	{ "failure_rate over 1", SVC_HEAD "  - {name: api, port: 80, breaker: {failure_rate: 1.5}}\n",
	  "t.yaml:5:51: services[0].breaker.failure_rate: expected a failure rate 0..1 like 0.5 (0: off), got '1.5'" },
	{ "failure_rate percent", SVC_HEAD "  - {name: api, port: 80, breaker: {failure_rate: 50%}}\n",
	  "t.yaml:5:51: services[0].breaker.failure_rate: expected a failure rate 0..1 like 0.5 (0: off), got '50%'" },
	{ "failure_rate negative", SVC_HEAD "  - {name: api, port: 80, breaker: {failure_rate: -0.5}}\n",
	  "t.yaml:5:51: services[0].breaker.failure_rate: expected a failure rate 0..1 like 0.5 (0: off), got '-0.5'" },
	{ "slow_rate exponent", SVC_HEAD "  - {name: api, port: 80, breaker: {slow_rate: 1e-1}}\n",
	  "t.yaml:5:48: services[0].breaker.slow_rate: expected a slow rate 0..1 like 0.8 (0: off), got '1e-1'" },
	{ "consecutive_failures", SVC_HEAD "  - {name: api, port: 80, breaker: {consecutive_failures: many}}\n",
	  "t.yaml:5:59: services[0].breaker.consecutive_failures: expected a number of failures in a row, 0 for off (0..1000000), got 'many'" },
	{ "open too long", SVC_HEAD "  - {name: api, port: 80, breaker: {open: 25h}}\n",
	  "t.yaml:5:43: services[0].breaker.open: expected a duration like 500ms, 10s or 5m (100ms..24h), got '25h'" },
	{ "max_open below open", SVC_HEAD "  - {name: api, port: 80, breaker: {open: 1m, max_open: 30s}}\n",
	  "t.yaml:5:57: services[0].breaker.max_open: expected open..24h, got '30s'" },
	{ "max_open below the default open", SVC_HEAD "  - {name: api, port: 80, breaker: {max_open: 10s}}\n",
	  "t.yaml:5:47: services[0].breaker.max_open: expected open..24h, got '10s'" },
	{ "backoff below 1", SVC_HEAD "  - {name: api, port: 80, breaker: {backoff: 0.5}}\n",
	  "t.yaml:5:46: services[0].breaker.backoff: expected a factor 1..100 like 2.0 (1: none), got '0.5'" },
	{ "jitter over 0.5", SVC_HEAD "  - {name: api, port: 80, breaker: {jitter: 0.6}}\n",
	  "t.yaml:5:45: services[0].breaker.jitter: expected a fraction 0..0.5 like 0.1 (0: none), got '0.6'" },
	{ "half_open_probes 0", SVC_HEAD "  - {name: api, port: 80, breaker: {half_open_probes: 0}}\n",
	  "t.yaml:5:55: services[0].breaker.half_open_probes: expected a number of probe requests (1..1000), got '0'" },
	{ "close_after over the probes", SVC_HEAD "  - {name: api, port: 80, breaker: {half_open_probes: 2, close_after: 3}}\n",
	  "t.yaml:5:71: services[0].breaker.close_after: expected 1..half_open_probes, got '3'" },
	{ "close_after default over the probes", SVC_HEAD "  - {name: api, port: 80, breaker: {half_open_probes: 2}}\n",
	  "t.yaml:5:36: services[0].breaker.close_after: expected 1..half_open_probes, got its default (set close_after)" },
	{ "failures unknown", SVC_HEAD "  - {name: api, port: 80, breaker: {failures: [5xx, 404]}}\n",
	  "t.yaml:5:53: services[0].breaker.failures[1]: expected an outcome among 1xx, 2xx, 3xx, 4xx, 5xx, 429, 500, 502, 503, 504, no_response, timeout, got '404'" },
	{ "failures twice", SVC_HEAD "  - {name: api, port: 80, breaker: {failures: [5xx, timeout, 5xx]}}\n",
	  "t.yaml:5:62: services[0].breaker.failures[2]: expected each outcome once, got '5xx' again" },
	{ "failures empty", SVC_HEAD "  - {name: api, port: 80, breaker: {failures: []}}\n",
	  "t.yaml:5:47: services[0].breaker.failures: expected a list of outcomes that count as failures like [5xx, no_response, timeout], got an empty list" },
	{ "on_open unknown", SVC_HEAD "  - {name: api, port: 80, on_open: 502}\n",
	  "t.yaml:5:36: services[0].on_open: expected one of 503|fallback|reset, got '502'" },
	{ "on_open fallback without one", SVC_HEAD "  - {name: api, port: 80, on_open: fallback}\n",
	  "t.yaml:5:5: services[0].fallback: expected a fallback like {status: 200, body: '...'} (on_open is fallback), got nothing" },
	{ "fallback without on_open", SVC_HEAD "  - {name: api, port: 80, fallback: {body: x}}\n",
	  "t.yaml:5:37: services[0].fallback: expected a fallback only with on_open: fallback (on_open is 503), got a mapping" },
	{ "fallback with on_open reset", SVC_HEAD "  - {name: api, port: 80, on_open: reset, fallback: {body: x}}\n",
	  "t.yaml:5:53: services[0].fallback: expected a fallback only with on_open: fallback (on_open is reset), got a mapping" },
	{ "fallback without body", SVC_HEAD "  - {name: api, port: 80, on_open: fallback, fallback: {status: 200}}\n",
	  "t.yaml:5:56: services[0].fallback.body: expected the fallback's body (a string; \"\" for none), got nothing" },
	{ "fallback status 204", SVC_HEAD "  - {name: api, port: 80, on_open: fallback, fallback: {status: 204, body: x}}\n",
	  "t.yaml:5:65: services[0].fallback.status: expected a status that carries a body (not 1xx, 204, 205 or 304), got '204'" },
	{ "fallback unknown key", SVC_HEAD "  - {name: api, port: 80, on_open: fallback, fallback: {code: 200, body: x}}\n",
	  "t.yaml:5:57: services[0].fallback.code: expected a key among status, reason, content_type, body, headers, got 'code'" },
	{ "fallback reserved header", SVC_HEAD "  - {name: api, port: 80, on_open: fallback, fallback: {body: x, headers: {Content-Length: 1}}}\n",
	  "t.yaml:5:76: services[0].fallback.headers.Content-Length: expected a header sluice does not write itself (not Content-Length, Content-Type, Connection or Transfer-Encoding; content_type sets Content-Type), got 'Content-Length'" },
	{ "fallback too many fields", SVC_HEAD "  - {name: api, port: 80, on_open: fallback, fallback: {body: '{retry_after}{retry_after}{retry_after}{retry_after}{retry_after}'}}\n",
	  "t.yaml:5:56: services[0].fallback: expected at most 4 places for the retry delay ({retry_after}) in the reply, got 5" },
	{ "breaker on TLS", SVC_HEAD "  - {name: api, port: 443, tls: true, breaker: on}\n",
	  "t.yaml:5:48: services[0].breaker: expected no breaker, on_open or fallback on a TLS service (its requests and responses cannot be read), got 'on'" },
	{ "on_open on TLS", SVC_HEAD "  - {name: api, port: 443, tls: true, on_open: reset}\n",
	  "t.yaml:5:48: services[0].on_open: expected no breaker, on_open or fallback on a TLS service (its requests and responses cannot be read), got 'reset'" },
};

static void test_errors(void)
{
	expect_errors(bad, sizeof(bad) / sizeof(bad[0]));
}

/* A fallback past one segment: its size in the message. */
static void test_too_big(void)
{
	char *text = malloc(4096), err[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;
	size_t o;

	if (!ASSERT_TRUE(text, "malloc"))
		return;
	o = sprintf(text, SVC_HEAD "  - {name: api, port: 80, on_open: fallback, fallback: {body: '");
	memset(text + o, 'x', 1200);
	o += 1200;
	sprintf(text + o, "'}}\n");
	ASSERT_EQ(cfg_parse("t.yaml", text, strlen(text), &cfg, err), -EINVAL, "refused");
	ASSERT_STREQ(err, "t.yaml:5:56: services[0].fallback: expected a response of at most 1200 bytes, got 1292 bytes, 92 over the limit of 1200 bytes (one TCP segment on a 1280-byte IPv6 path)", "message");
	free(text);
}

TEST_MAIN("unit/config_gate",
	  TEST(test_breaker_keys),
	  TEST(test_breaker_forms),
	  TEST(test_on_open),
	  TEST(test_render),
	  TEST(test_errors),
	  TEST(test_too_big))
