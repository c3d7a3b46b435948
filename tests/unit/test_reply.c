// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Edge reply templates: the renderer's bytes parsed back as HTTP (status
 * line, headers, CRLFs, Content-Length against the body), the fields at
 * their offsets, the checksum against an independent sum, placeholders,
 * the size limit exactly, the config's default and custom replies, and
 * each template with digits written in: still valid HTTP and JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "test.h"
#include "config_util.h"
#include "common/reply.h"
#include "config/replies.h"

#define MAX_HDRS	16

struct http_msg {
	unsigned status;
	char reason[80];
	int nhdr;
	char name[MAX_HDRS][64], value[MAX_HDRS][256];
	size_t body_off, body_len;
};

/* A strict HTTP/1.1 response parser: CRLF only, token names, values
 * without controls (trailing OWS dropped as RFC 9112 does), exactly one
 * Content-Length that equals what follows the header block. */
static bool http_parse(const uint8_t *p, size_t len, struct http_msg *m)
{
	size_t i = 0, cl_n = 0;
	unsigned long cl = 0;

	memset(m, 0, sizeof(*m));
	if (len < 17 || memcmp(p, "HTTP/1.1 ", 9))
		return false;
	for (i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		m->status = m->status * 10 + (p[i] - '0');
	}
	if (p[i++] != ' ')
		return false;
	for (size_t o = 0; i < len && p[i] != '\r'; i++) {
		if (p[i] < 0x20 && p[i] != '\t')
			return false;
		if (o + 1 < sizeof(m->reason))
			m->reason[o++] = p[i];
	}
	for (;;) {
		size_t n = 0, v = 0, end;

		if (i + 1 >= len || p[i] != '\r' || p[i + 1] != '\n')
			return false;
		i += 2;
		if (i + 1 < len && p[i] == '\r' && p[i + 1] == '\n')
			break;
		if (m->nhdr == MAX_HDRS)
			return false;
		while (i < len && p[i] != ':') {
			if (!strchr("!#$%&'*+-.^_`|~", p[i]) && !(p[i] >= '0' && p[i] <= '9') &&
			    !((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z'))
				return false;
			m->name[m->nhdr][n++] = p[i++];
			if (n == 63)
				return false;
		}
		if (!n || i++ >= len)
			return false;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		for (end = i; end < len && p[end] != '\r'; end++)
			if ((p[end] < 0x20 && p[end] != '\t') || p[end] == 0x7f ||
			    p[end] == '\n')
				return false;
		while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		for (; i < end && v < 255; i++)
			m->value[m->nhdr][v++] = p[i];
		while (i < len && p[i] != '\r')
			i++;
		if (!strcasecmp(m->name[m->nhdr], "Content-Length")) {
			char *e;

			cl = strtoul(m->value[m->nhdr], &e, 10);
			if (*e || !m->value[m->nhdr][0])
				return false;
			cl_n++;
		}
		m->nhdr++;
	}
	m->body_off = i + 2;
	m->body_len = len - m->body_off;
	return cl_n == 1 && cl == m->body_len;
}

static const char *hdr(const struct http_msg *m, const char *name)
{
	for (int i = 0; i < m->nhdr; i++)
		if (!strcasecmp(m->name[i], name))
			return m->value[i];
	return NULL;
}

/* Big-endian pairs, then swapped: the same ones' complement sum by
 * another road (on a little-endian host it is the host-order sum). */
static uint32_t csum_indep(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	uint16_t one = 1;

	for (size_t i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		s = (s & 0xffff) + (s >> 16);
	}
	if (*(uint8_t *)&one)
		s = (s >> 8 | s << 8) & 0xffff;
	return s;
}

static bool fields_blank(const struct sl_reply *r)
{
	for (int f = 0; f < r->nfields; f++)
		for (int j = 0; j < r->width; j++)
			if (r->field_off[f] + j >= r->len ||
			    r->text[r->field_off[f] + j] != ' ')
				return false;
	return true;
}

/* The template with `v` written left-aligned into each field. */
static void fill(const struct sl_reply *r, uint64_t v, uint8_t *out)
{
	char d[24];
	int n = snprintf(d, sizeof(d), "%llu", (unsigned long long)v);

	memcpy(out, r->text, r->len);
	for (int f = 0; f < r->nfields; f++)
		memcpy(out + r->field_off[f], d, n);
}

/* json.loads in python3; -1 when python3 is missing. */
static int json_valid(const uint8_t *p, size_t len)
{
	FILE *f = popen("python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read())' 2>/dev/null",
			"w");
	int rc;

	if (!f)
		return -1;
	fwrite(p, 1, len, f);
	rc = pclose(f);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 127)
		return -1;
	return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

/* Every structural check on a template, then again with the smallest
 * and the largest delay its width holds. */
static void check_template(const struct sl_reply *r, bool json)
{
	uint64_t vals[2] = { 1, 1 };
	struct http_msg m;
	uint8_t buf[SL_REPLY_MAX];

	ASSERT_TRUE(http_parse(r->text, r->len, &m), "valid HTTP");
	ASSERT_TRUE(fields_blank(r), "fields are spaces of the width");
	ASSERT_EQ(r->csum, csum_indep(r->text, r->len), "csum");
	ASSERT_EQ(r->csum, reply_csum(r->text, r->len), "csum again");
	ASSERT_EQ(m.status, r->status, "status recorded");
	ASSERT_STREQ(hdr(&m, "Connection") ?: "", "close", "Connection: close");
	for (int i = 1; i < r->width; i++)
		vals[1] = vals[1] * 10;
	vals[1] = vals[1] * 10 - 1;
	for (int v = 0; v < 2; v++) {
		fill(r, vals[v], buf);
		if (!ASSERT_TRUE(http_parse(buf, r->len, &m), "valid HTTP with digits"))
			continue;
		if (json) {
			int ok = json_valid(buf + m.body_off, m.body_len);

			if (ok < 0)
				TEST_SKIP("no python3 for the JSON check");
			else
				ASSERT_TRUE(ok, "valid JSON with digits");
		}
	}
}

static void test_render(void)
{
	static const struct reply_header h[] = {
		{ "Retry-After", REPLY_PLACEHOLDER },
		{ "X-Note", "literal " REPLY_PLACEHOLDER_ESC },
	};
	struct reply_spec s = {
		.status = 503, .headers = h, .nheaders = 2, .width = 3,
		.body = "{\"wait\":" REPLY_PLACEHOLDER "}",
	};
	struct sl_reply r;
	struct http_msg m;
	char err[256];
	static const char want[] =
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: 12\r\n"
		"Retry-After:    \r\n"
		"X-Note: literal {retry_after}\r\n"
		"Connection: close\r\n\r\n"
		"{\"wait\":   }";

	if (!ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err))
		return;
	ASSERT_EQ(r.len, strlen(want), "length");
	ASSERT_TRUE(!memcmp(r.text, want, r.len), "bytes");
	ASSERT_EQ(r.nfields, 2, "two fields");
	ASSERT_EQ(r.width, 3, "width");
	ASSERT_EQ(r.field_off[0], strstr(want, "Retry-After: ") - want + 13, "field 0");
	ASSERT_EQ(r.field_off[1], strstr(want, "\"wait\":") - want + 7, "field 1");
	ASSERT_EQ(r.status, 503, "status");
	ASSERT_TRUE(http_parse(r.text, r.len, &m), "parses");
	ASSERT_STREQ(m.reason, "Service Unavailable", "reason");
	ASSERT_STREQ(hdr(&m, "X-Note") ?: "", "literal {retry_after}", "escape");
	check_template(&r, true);

	/* A fallback body: 200, no fields. */
	s = (struct reply_spec){ .status = 200, .width = 1,
				 .body = "{\"status\":\"degraded\",\"data\":[]}" };
	if (ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err)) {
		ASSERT_EQ(r.nfields, 0, "no fields");
		ASSERT_TRUE(!memcmp(r.text, "HTTP/1.1 200 OK\r\n", 17), "200 OK");
		check_template(&r, true);
	}
	/* Unregistered code: empty phrase; or a custom one. */
	s = (struct reply_spec){ .status = 599, .width = 1, .body = "x" };
	if (ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err))
		ASSERT_TRUE(!memcmp(r.text, "HTTP/1.1 599 \r\n", 15), "empty phrase");
	s.reason = "Slow Down";
	s.content_type = "text/plain; charset=utf-8";
	if (ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err)) {
		ASSERT_TRUE(!memcmp(r.text, "HTTP/1.1 599 Slow Down\r\nContent-Type: text/plain; charset=utf-8\r\n", 65),
			    "custom phrase and type");
		check_template(&r, false);
	}
	/* One of two lengths in a row is odd: the zero-padded last byte. */
	s.body = r.len % 2 ? "x" : "xy";
	if (ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err)) {
		ASSERT_EQ(r.len % 2, 1, "odd length");
		ASSERT_EQ(r.csum, csum_indep(r.text, r.len), "odd csum");
	}
}

static void test_render_refused(void)
{
	static const struct reply_header five[] = {
		{ "A", REPLY_PLACEHOLDER }, { "B", REPLY_PLACEHOLDER },
		{ "C", REPLY_PLACEHOLDER }, { "D", REPLY_PLACEHOLDER },
		{ "E", REPLY_PLACEHOLDER },
	};
	static const struct reply_header bad[][1] = {
		{ { "Bad Name", "x" } }, { { "Content-Length", "5" } },
		{ { "connection", "keep-alive" } }, { { "X", "a\r\nSet-Cookie: x" } },
		{ { "X", " lead" } }, { { "X", "nul\x01" } },
	};
	struct reply_spec s = { .status = 429, .width = 2 };
	struct sl_reply r;
	char err[256];

	for (unsigned st = 100; st < 200; st += 99) {
		s.status = st;
		ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, "1xx");
	}
	s.status = 204;
	ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, "204");
	ASSERT_STREQ(err, "status 204 cannot answer a request at the edge (200..599 but 204, 205 and 304)", "204 message");
	s.status = 304;
	ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, "304");
	s.status = 429;
	s.headers = five;
	s.nheaders = 5;
	ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, "5 fields");
	ASSERT_STREQ(err, "5 places for the retry delay, at most 4", "fields message");
	s.nheaders = 4;
	ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), "4 fields");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.headers = bad[i];
		s.nheaders = 1;
		ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, bad[i][0].name);
		ASSERT_EQ(r.len, 0, "nothing rendered");
	}
	s.nheaders = 0;
	s.content_type = "json";
	ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, "media type");
	s.content_type = NULL;
	s.width = 9;
	ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -EINVAL, "width 9");
}

/* A body that makes the response exactly SL_REPLY_MAX bytes, then one more. */
static void test_render_limit(void)
{
	struct reply_spec s = { .status = 429, .width = 1 };
	static char body[SL_REPLY_MAX + 2];
	struct sl_reply r;
	char err[256];
	int head;

	s.body = "";
	if (!ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err))
		return;
	/* Content-Length grows from 1 digit to 4 along the way. */
	head = r.len + 3;
	memset(body, 'x', SL_REPLY_MAX - head);
	body[SL_REPLY_MAX - head] = '\0';
	s.body = body;
	if (ASSERT_OK(reply_render(&s, &r, err, sizeof(err)), err)) {
		ASSERT_EQ(r.len, SL_REPLY_MAX, "exactly at the limit");
		check_template(&r, false);
	}
	body[SL_REPLY_MAX - head] = 'x';
	body[SL_REPLY_MAX - head + 1] = '\0';
	ASSERT_EQ(reply_render(&s, &r, err, sizeof(err)), -E2BIG, "one over");
	ASSERT_STREQ(err, "1201 bytes, 1 over the limit of 1200 bytes (one TCP segment on a 1280-byte IPv6 path)",
		     "over message");
	ASSERT_EQ(r.len, 0, "nothing rendered");
}

static void test_media_types(void)
{
	static const char *good[] = {
		"application/json", "text/plain; charset=utf-8",
		"application/problem+json", "text/html;charset=\"utf-8\"",
		"a/b ; x=y ;z=\"q\\\"uoted\"", "text/plain;",
	};
	static const char *bad[] = {
		"json", "/json", "text/", "text/plain; charset",
		"text/plain; a=", "text/plain; a=\"open", "te xt/plain",
		"text/plain\r\nX: y", "",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ASSERT_TRUE(reply_media_type_ok(good[i]), good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_FALSE(reply_media_type_ok(bad[i]), bad[i]);
	ASSERT_EQ(reply_width_for(0), 1, "width 0 s");
	ASSERT_EQ(reply_width_for(9), 1, "width 9 s");
	ASSERT_EQ(reply_width_for(10), 2, "width 10 s");
	ASSERT_EQ(reply_width_for(UINT64_MAX), SL_REPLY_DIGITS, "width capped");
}

/* The reply each limit of a parsed config answers with. */
static bool render_of(const struct sl_config *cfg, int tier, int k,
		      struct sl_reply *r, struct http_msg *m)
{
	char err[256];

	if (!ASSERT_OK(cfg_reply_render(&cfg->tiers[tier], k, r, err, sizeof(err)), err))
		return false;
	return ASSERT_TRUE(http_parse(r->text, r->len, m), "parses");
}

static void test_config_default(void)
{
	struct sl_config *cfg = parse_ok(
		HEAD "  - name: normal\n    match: [0.0.0.0/0]\n"
		"    limits:\n"
		"      - {unit: requests, rate: 1/s, burst: 5, action: http}\n"
		"      - {unit: requests, rate: 1/h, burst: 10, action: http}\n"
		"      - {unit: bytes, rate: 1000, action: http}\n"
		"      - {unit: connections, rate: 10, action: http}\n");
	struct sl_reply r;
	struct http_msg m;
	char body[256];

	if (!cfg)
		return;
	if (render_of(cfg, 0, 0, &r, &m)) {
		ASSERT_STREQ(m.reason, "Too Many Requests", "429");
		ASSERT_EQ(r.width, 1, "1/s: a 1-digit delay");
		ASSERT_EQ(r.nfields, 3, "Retry-After, RateLimit, body");
		ASSERT_STREQ(hdr(&m, "Content-Type") ?: "", "application/json", "type");
		ASSERT_STREQ(hdr(&m, "Retry-After") ?: "", "", "Retry-After blank");
		ASSERT_STREQ(hdr(&m, "RateLimit-Policy") ?: "", "\"normal\";q=5;w=5", "policy");
		ASSERT_STREQ(hdr(&m, "RateLimit") ?: "", "\"normal\";r=0;t=", "limit");
		snprintf(body, sizeof(body), "%.*s", (int)m.body_len,
			 (const char *)r.text + m.body_off);
		ASSERT_STREQ(body, "{\"error\":\"too_many_requests\",\"tier\":\"normal\",\"retry_after_s\": }",
			     "default body");
		/* Retry-After and RateLimit's t carry the same digits. */
		ASSERT_TRUE(r.field_off[0] < r.field_off[1] && r.field_off[1] < r.field_off[2],
			    "fields in order");
		check_template(&r, true);
	}
	if (render_of(cfg, 0, 1, &r, &m)) {
		ASSERT_EQ(r.width, 4, "1/h: up to 3601 s");
		ASSERT_STREQ(hdr(&m, "RateLimit-Policy") ?: "", "\"normal\";q=10;w=36000", "10 h window");
		check_template(&r, true);
	}
	if (render_of(cfg, 0, 2, &r, &m)) {
		/* 64 KiB at 1000 B/s: 66 s, plus one. */
		ASSERT_EQ(r.width, 2, "bytes: a 64 KiB frame");
		ASSERT_TRUE(!hdr(&m, "RateLimit-Policy"), "no policy for bytes");
		ASSERT_TRUE(hdr(&m, "RateLimit") != NULL, "RateLimit for bytes");
		check_template(&r, true);
	}
	ASSERT_EQ(cfg_reply_status(&cfg->tiers[0], 0), 429, "status of limit 0");
	ASSERT_EQ(cfg_reply_status(&cfg->tiers[0], 3), 0, "connections: none");
	cfg_free(cfg);
}

static void test_config_custom(void)
{
	struct sl_config *cfg = parse_ok(
		HEAD "  - name: default\n    match: [0.0.0.0/0]\n"
		"    reply:\n      status: 503\n      content_type: text/plain\n"
		"      body: \"busy, retry in {retry_after}s\\n\"\n"
		"      headers: {Cache-Control: no-store, X-Retry: \"{retry_after}\"}\n"
		"    limits:\n"
		"      - {unit: requests, rate: 10, action: http}\n"
		"      - unit: packets\n        rate: 100\n        action: http\n"
		"        reply: {status: 200, body: '{\"status\":\"degraded\",\"data\":[]}'}\n"
		"      - {unit: requests, rate: 5, action: http,\n"
		"         reply: {headers: {X-Tier: gold}, body: '{\"wait\":{retry_after}}'}}\n");
	struct sl_reply r;
	struct http_msg m;

	if (!cfg)
		return;
	if (render_of(cfg, 0, 0, &r, &m)) {
		ASSERT_EQ(m.status, 503, "tier's 503");
		ASSERT_STREQ(hdr(&m, "Content-Type") ?: "", "text/plain", "type");
		ASSERT_STREQ(hdr(&m, "Cache-Control") ?: "", "no-store", "custom header");
		ASSERT_TRUE(!hdr(&m, "RateLimit"), "no RateLimit on 503");
		ASSERT_EQ(r.nfields, 3, "Retry-After, X-Retry, body");
		ASSERT_TRUE(!memcmp(r.text + m.body_off, "busy, retry in  s\n", m.body_len),
			    "body with a field");
		check_template(&r, false);
	}
	if (render_of(cfg, 0, 1, &r, &m)) {
		ASSERT_EQ(m.status, 200, "limit's own 200");
		ASSERT_EQ(r.nfields, 0, "no fields");
		ASSERT_TRUE(!hdr(&m, "Retry-After") && !hdr(&m, "Cache-Control"),
			    "the tier's reply is replaced, not merged");
		check_template(&r, true);
	}
	if (render_of(cfg, 0, 2, &r, &m)) {
		ASSERT_EQ(m.status, 429, "default status");
		ASSERT_STREQ(hdr(&m, "X-Tier") ?: "", "gold", "header");
		ASSERT_EQ(r.nfields, 3, "two automatic and the body");
		check_template(&r, true);
	}
	ASSERT_EQ(cfg_reply_status(&cfg->tiers[0], 1), 200, "status");
	cfg_free(cfg);
}

TEST_MAIN("unit/reply",
	  TEST(test_render),
	  TEST(test_render_refused),
	  TEST(test_render_limit),
	  TEST(test_media_types),
	  TEST(test_config_default),
	  TEST(test_config_custom))
