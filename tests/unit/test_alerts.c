// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * common/alerts.c against payload fixtures: Alertmanager 0.25's shape
 * (a firing group, a resolved one, several alerts with and without
 * sluice's labels), then everything a receiver must refuse or skip: not
 * JSON, cut short, trailing bytes, too deep, not an object, version 3
 * or missing, alerts not a list, too many alerts, levels out of range,
 * bad service names, long strings, bad times, duplicates; RFC 3339 as
 * Go writes it; the webhook's bearer token compared in constant time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "common/alerts.h"
#include "daemon/webhook.h"

static const struct alerts_opts OPTS = { "sluice_degrade", "sluice_breaker" };

/* What Alertmanager 0.25 sends for a group of two firing alerts (one
 * of sluice's, one not). */
static const char AM_FIRING[] =
	"{\"receiver\":\"sluice\",\"status\":\"firing\",\"alerts\":["
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"SluiceServiceErrors\","
	"\"instance\":\"127.0.0.1:9469\",\"job\":\"sluice\",\"service\":\"api\","
	"\"severity\":\"critical\",\"sluice_degrade\":\"2\"},"
	"\"annotations\":{\"summary\":\"api: over half of the responses fail\"},"
	"\"startsAt\":\"2023-02-06T13:08:45.828Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
	"\"generatorURL\":\"http://prometheus.example.org:9090/graph?g0.expr=x\\u0026g0.tab=1\","
	"\"fingerprint\":\"1a30ba71cca2921f\"},"
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"ProbeFailure\","
	"\"instance\":\"https://server.example.org\",\"job\":\"http_checks\"},"
	"\"annotations\":{},\"startsAt\":\"2018-08-03T09:52:26.739266876+02:00\","
	"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\","
	"\"fingerprint\":\"c6eadffa33fcdf37\"}],"
	"\"groupLabels\":{\"alertname\":\"SluiceServiceErrors\"},"
	"\"commonLabels\":{\"job\":\"sluice\"},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://alertmanager:9093\",\"version\":\"4\","
	"\"groupKey\":\"{}:{alertname=\\\"SluiceServiceErrors\\\"}\",\"truncatedAlerts\":0}\n";

static const char AM_RESOLVED[] =
	"{\"receiver\":\"sluice\",\"status\":\"resolved\",\"alerts\":["
	"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"SluiceServiceErrors\","
	"\"service\":\"api\",\"sluice_degrade\":\"2\",\"sluice_breaker\":\"api\"},"
	"\"annotations\":{},\"startsAt\":\"2023-02-06T13:08:45.828Z\","
	"\"endsAt\":\"2023-02-06T13:12:00.5+01:00\",\"generatorURL\":\"\","
	"\"fingerprint\":\"1a30ba71cca2921f\"}],"
	"\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://alertmanager:9093\",\"version\":\"4\","
	"\"groupKey\":\"{}:{}\",\"truncatedAlerts\":3}";

/* One alert with the given labels (inside {}), status and fingerprint. */
static char *one(const char *status, const char *fp, const char *labels)
{
	char *s;

	if (asprintf(&s, "{\"version\":\"4\",\"status\":\"%s\",\"alerts\":[{\"status\":\"%s\","
		     "\"labels\":{%s},\"startsAt\":\"2024-01-01T00:00:00Z\","
		     "\"endsAt\":\"0001-01-01T00:00:00Z\",\"fingerprint\":\"%s\"}]}",
		     status, status, labels, fp) < 0)
		abort();
	return s;
}

static struct alerts_batch batch;
static struct alerts_batch *B = &batch;
static char msg[ALERTS_MSG_MAX];

static int parse(const char *s)
{
	return alerts_parse(s, strlen(s), &OPTS, B, msg, sizeof(msg));
}

static int parse_free(char *s)
{
	int err = parse(s);

	free(s);
	return err;
}

static void test_alertmanager(void)
{
	const struct alert_event *e = &B->ev[0];

	ASSERT_OK(parse(AM_FIRING), "Alertmanager's firing group");
	ASSERT_EQ(B->total, 2, "two alerts");
	ASSERT_EQ(B->n, 1, "one of sluice's");
	ASSERT_EQ(B->ignored, 1, "the other ignored");
	ASSERT_STREQ(e->fp, "1a30ba71cca2921f", "fingerprint");
	ASSERT_STREQ(e->name, "SluiceServiceErrors", "alertname");
	ASSERT_TRUE(e->firing, "firing");
	ASSERT_EQ(e->level, 2, "level 2");
	ASSERT_STREQ(e->breaker, "", "no breaker");
	ASSERT_EQ(e->starts_at_ns, 1675688925828000000LL, "startsAt");
	ASSERT_EQ(e->ends_at_ns, 0, "endsAt: Go's zero time");
	ASSERT_STREQ(B->status, "firing", "group status");
	ASSERT_STREQ(B->receiver, "sluice", "receiver");
	ASSERT_STREQ(msg, "ok", "message");

	ASSERT_OK(parse(AM_RESOLVED), "the resolution");
	ASSERT_EQ(B->n, 1, "one event");
	ASSERT_FALSE(e->firing, "resolved");
	ASSERT_EQ(e->level, 2, "its level");
	ASSERT_STREQ(e->breaker, "api", "its breaker");
	ASSERT_EQ(e->ends_at_ns, 1675685520500000000LL, "endsAt with an offset");
	ASSERT_EQ(B->truncated, 3, "truncatedAlerts");
}

static void test_labels(void)
{
	const struct alert_event *e = &B->ev[0];
	static const char *const bad_levels[] = {
		"\"4\"", "\"-1\"", "\"\"", "\"two\"", "\" 2\"", "\"02\"", "\"2 \"", "2",
	};
	static const char *const bad_services[] = {
		"\"\"", "\"a b\"", "\"api/v1\"", "\"x\\u0000y\"", "7",
		"\"abcdefghijabcdefghijabcdefghij12\"",		/* 32 */
	};
	char labels[128];

	for (int l = 0; l <= 3; l++) {
		snprintf(labels, sizeof(labels), "\"sluice_degrade\":\"%d\"", l);
		ASSERT_OK(parse_free(one("firing", "f1", labels)), labels);
		ASSERT_EQ(B->n, 1, labels);
		ASSERT_EQ(e->level, l, labels);
	}
	for (size_t i = 0; i < sizeof(bad_levels) / sizeof(*bad_levels); i++) {
		snprintf(labels, sizeof(labels), "\"sluice_degrade\":%s", bad_levels[i]);
		ASSERT_OK(parse_free(one("firing", "f1", labels)), labels);
		ASSERT_EQ(B->n, 0, labels);
		ASSERT_EQ(B->skipped[ALERTS_SKIP_LEVEL], 1, labels);
		ASSERT_TRUE(strstr(B->skip_msg, "sluice_degrade"), B->skip_msg);
	}
	ASSERT_OK(parse_free(one("firing", "f1", "\"sluice_breaker\":\"api-v2_x\"")), "breaker only");
	ASSERT_EQ(e->level, -1, "no level");
	ASSERT_STREQ(e->breaker, "api-v2_x", "breaker");
	for (size_t i = 0; i < sizeof(bad_services) / sizeof(*bad_services); i++) {
		snprintf(labels, sizeof(labels), "\"sluice_breaker\":%s", bad_services[i]);
		ASSERT_OK(parse_free(one("firing", "f1", labels)), labels);
		ASSERT_EQ(B->n, 0, labels);
		ASSERT_EQ(B->skipped[ALERTS_SKIP_SERVICE], 1, labels);
	}
	/* both labels; a bad one skips the whole alert */
	ASSERT_OK(parse_free(one("firing", "f1", "\"sluice_degrade\":\"3\",\"sluice_breaker\":\"api\"")), "both");
	ASSERT_EQ(e->level, 3, "both: level");
	ASSERT_STREQ(e->breaker, "api", "both: breaker");
	ASSERT_OK(parse_free(one("firing", "f1", "\"sluice_degrade\":\"3\",\"sluice_breaker\":\"a b\"")), "one bad");
	ASSERT_EQ(B->n, 0, "skipped whole");

	/* the label names come from the config */
	{
		struct alerts_opts o = { "deg", "brk" };
		char *s = one("firing", "f1", "\"deg\":\"1\",\"sluice_degrade\":\"3\"");

		ASSERT_OK(alerts_parse(s, strlen(s), &o, B, msg, sizeof(msg)), "own label");
		ASSERT_EQ(B->ev[0].level, 1, "level from `deg`");
		free(s);
	}
	ASSERT_OK(parse_free(one("firing", "f1", "\"severity\":\"critical\"")), "neither label");
	ASSERT_EQ(B->n, 0, "no event");
	ASSERT_EQ(B->ignored, 1, "ignored, not skipped");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_INVALID], 0, "not invalid");
}

static void test_alert_fields(void)
{
	char fp[64], name[128], labels[192];

	ASSERT_OK(parse_free(one("pending", "f1", "\"sluice_degrade\":\"1\"")), "status pending");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_INVALID], 1, "invalid");
	ASSERT_OK(parse_free(one("firing", "", "\"sluice_degrade\":\"1\"")), "empty fingerprint");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_INVALID], 1, "invalid");
	ASSERT_OK(parse_free(one("firing", "a b", "\"sluice_degrade\":\"1\"")), "fingerprint with a space");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_INVALID], 1, "invalid");
	memset(fp, 'a', ALERT_FP_MAX - 1);
	fp[ALERT_FP_MAX - 1] = '\0';
	ASSERT_OK(parse_free(one("firing", fp, "\"sluice_degrade\":\"1\"")), "longest fingerprint");
	ASSERT_EQ(B->n, 1, "taken");
	fp[ALERT_FP_MAX - 1] = 'a';
	fp[ALERT_FP_MAX] = '\0';
	ASSERT_OK(parse_free(one("firing", fp, "\"sluice_degrade\":\"1\"")), "fingerprint too long");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_LONG], 1, "too long");
	memset(name, 'n', ALERT_NAME_MAX);
	name[ALERT_NAME_MAX] = '\0';
	snprintf(labels, sizeof(labels), "\"alertname\":\"%s\",\"sluice_degrade\":\"1\"", name);
	ASSERT_OK(parse_free(one("firing", "f1", labels)), "alertname too long");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_LONG], 1, "too long");
	ASSERT_TRUE(strstr(B->skip_msg, "alertname"), B->skip_msg);

	ASSERT_OK(parse("{\"version\":\"4\",\"alerts\":[1,\"x\",null,{\"status\":\"firing\"},"
			"{\"labels\":[],\"fingerprint\":\"a\"},"
			"{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"1\"},\"fingerprint\":7},"
			"{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"1\"},\"fingerprint\":\"f\",\"startsAt\":\"yesterday\"},"
			"{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"1\"},\"fingerprint\":\"g\"}]}"),
		  "odd alerts");
	ASSERT_EQ(B->total, 8, "eight");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_INVALID], 7, "seven invalid");
	ASSERT_EQ(B->n, 1, "the good one");
	ASSERT_STREQ(B->ev[0].fp, "g", "g");
	ASSERT_EQ(B->ev[0].starts_at_ns, 0, "no startsAt: 0");
	ASSERT_STREQ(B->skip_msg, "alerts[0]: not an object", "the first skip said");
}

static void test_duplicates(void)
{
	ASSERT_OK(parse("{\"version\":\"4\",\"alerts\":["
			"{\"status\":\"resolved\",\"labels\":{\"sluice_degrade\":\"1\"},\"fingerprint\":\"a\"},"
			"{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"2\"},\"fingerprint\":\"b\"},"
			"{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"3\"},\"fingerprint\":\"a\"},"
			"{\"status\":\"resolved\",\"labels\":{\"sluice_degrade\":\"2\"},\"fingerprint\":\"b\"},"
			"{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"1\"},\"fingerprint\":\"b\"}]}"),
		  "duplicates");
	ASSERT_EQ(B->n, 2, "two fingerprints");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_DUPLICATE], 3, "three duplicates");
	ASSERT_STREQ(B->ev[0].fp, "a", "a first");
	ASSERT_TRUE(B->ev[0].firing, "a: firing wins over resolved");
	ASSERT_EQ(B->ev[0].level, 3, "a: the firing one's level");
	ASSERT_TRUE(B->ev[1].firing, "b: firing");
	ASSERT_EQ(B->ev[1].level, 2, "b: the first firing one");
}

static void test_mixed(void)
{
	ASSERT_OK(parse("{\"version\":\"4\",\"status\":\"firing\",\"alerts\":["
			"{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"sluice_degrade\":\"1\"},\"fingerprint\":\"a\"},"
			"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"B\",\"sluice_degrade\":\"3\"},\"fingerprint\":\"b\"},"
			"{\"status\":\"firing\",\"labels\":{\"alertname\":\"C\",\"sluice_degrade\":\"9\"},\"fingerprint\":\"c\"},"
			"{\"status\":\"firing\",\"labels\":{\"alertname\":\"D\"},\"fingerprint\":\"d\"},"
			"{\"status\":\"firing\",\"labels\":{\"alertname\":\"E\",\"sluice_breaker\":\"api\"},\"fingerprint\":\"e\"}]}"),
		  "mixed");
	ASSERT_EQ(B->n, 3, "a, b, e");
	ASSERT_EQ(B->ignored, 1, "d ignored");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_LEVEL], 1, "c skipped");
	ASSERT_TRUE(B->ev[0].firing && B->ev[0].level == 1, "a fires 1");
	ASSERT_TRUE(!B->ev[1].firing && B->ev[1].level == 3, "b resolved");
	ASSERT_TRUE(B->ev[2].firing && B->ev[2].level == -1, "e: no level");
	ASSERT_STREQ(B->ev[2].name, "E", "e's name");
	ASSERT_TRUE(strstr(B->skip_msg, "alerts[2]: c (C)"), B->skip_msg);
}

#define REFUSED(text, err, kind) do {						\
	ASSERT_EQ(parse(text), err, text);					\
	ASSERT_EQ(B->error, kind, text);					\
	ASSERT_EQ(B->n, 0, "no events");					\
} while (0)

static void test_refused(void)
{
	size_t n;
	char *s;

	REFUSED("", -EBADMSG, ALERTS_ERR_JSON);
	REFUSED("garbage", -EBADMSG, ALERTS_ERR_JSON);
	REFUSED("{\"version\":\"4\",\"alerts\":[", -EBADMSG, ALERTS_ERR_JSON);
	ASSERT_TRUE(strstr(msg, "cut short"), msg);
	REFUSED("{\"version\":\"4\",\"alerts\":[]} {}", -EBADMSG, ALERTS_ERR_JSON);
	ASSERT_TRUE(strstr(msg, "bytes after"), msg);
	REFUSED("{\"version\":\"4\",\"alerts\":[[[[[[[[[[1]]]]]]]]]]}", -EBADMSG, ALERTS_ERR_JSON);
	REFUSED("[]", -EINVAL, ALERTS_ERR_OBJECT);
	REFUSED("4", -EINVAL, ALERTS_ERR_OBJECT);
	REFUSED("\"x\"", -EINVAL, ALERTS_ERR_OBJECT);
	REFUSED("{\"alerts\":[]}", -EPROTONOSUPPORT, ALERTS_ERR_VERSION);
	REFUSED("{\"version\":\"3\",\"alerts\":[]}", -EPROTONOSUPPORT, ALERTS_ERR_VERSION);
	ASSERT_TRUE(strstr(msg, "got \"3\""), msg);
	REFUSED("{\"version\":4,\"alerts\":[]}", -EPROTONOSUPPORT, ALERTS_ERR_VERSION);
	REFUSED("{\"version\":\"4\"}", -EINVAL, ALERTS_ERR_LIST);
	REFUSED("{\"version\":\"4\",\"alerts\":{}}", -EINVAL, ALERTS_ERR_LIST);
	ASSERT_OK(parse(" {\"version\":\"4\",\"alerts\":[]}\r\n"), "empty list, whitespace around");
	ASSERT_EQ(B->n, 0, "nothing");

	/* the bound: ALERTS_MAX taken, one more refused */
	for (int extra = 0; extra <= 1; extra++) {
		n = 0;
		s = malloc(64 + (ALERTS_MAX + 1) * 96);
		n += sprintf(s, "{\"version\":\"4\",\"alerts\":[");
		for (int i = 0; i < ALERTS_MAX + extra; i++)
			n += sprintf(s + n, "%s{\"status\":\"firing\",\"labels\":{\"sluice_degrade\":\"1\"},\"fingerprint\":\"%x\"}",
				     i ? "," : "", i);
		sprintf(s + n, "]}");
		if (!extra) {
			ASSERT_OK(parse(s), "ALERTS_MAX alerts");
			ASSERT_EQ(B->n, ALERTS_MAX, "all taken");
		} else {
			ASSERT_EQ(parse(s), -E2BIG, "one more");
			ASSERT_EQ(B->error, ALERTS_ERR_TOO_MANY, "too many");
			ASSERT_TRUE(strstr(msg, "max_alerts"), msg);
		}
		free(s);
	}

	/* a huge label value (the body bound is the HTTP side's) */
	s = malloc(300000);
	n = sprintf(s, "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"");
	memset(s + n, 'x', 250000);
	sprintf(s + n + 250000, "\",\"sluice_degrade\":\"2\"},\"fingerprint\":\"f\"}]}");
	ASSERT_OK(parse(s), "a huge alertname");
	ASSERT_EQ(B->skipped[ALERTS_SKIP_LONG], 1, "skipped: too long");
	/* every prefix of a real payload is refused, never taken */
	for (size_t cut = 0; cut < sizeof(AM_FIRING) - 2; cut++)
		if (alerts_parse(AM_FIRING, cut, &OPTS, B, msg, sizeof(msg)) != -EBADMSG) {
			TEST_FAILF("a prefix of %zu bytes was not refused as not JSON", cut);
			break;
		}
	free(s);
	/* NUL bytes: not JSON */
	ASSERT_EQ(alerts_parse("{\"version\":\"4\",\0\"alerts\":[]}", 27, &OPTS, B, msg, sizeof(msg)),
		  -EBADMSG, "a NUL in the body");
}

static void test_time(void)
{
	static const struct { const char *s; __s64 ns; } ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01.5Z", 1500000000 },
		{ "2023-02-06T13:08:45.828Z", 1675688925828000000LL },
		{ "2018-08-03T09:52:26.739266876+02:00", 1533282746739266876LL },
		{ "2018-08-03T07:52:26.7392668761234Z", 1533282746739266876LL },
		{ "2000-02-29T23:59:59-00:30", 951870599000000000LL },
		{ "0001-01-01T00:00:00Z", 0 },
	};
	static const char *const bad[] = {
		"", "2023-02-06", "2023-02-06T13:08:45", "2023-13-01T00:00:00Z",
		"2023-02-06 13:08:45Z", "2023-02-06T13:08:45.Z", "2023-02-06T13:08:45Zx",
		"2023-02-06T25:00:00Z", "2023-02-06T13:08:45+0200", "yesterday",
	};
	__s64 ns;

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		ASSERT_OK(alerts_time(ok[i].s, &ns), ok[i].s);
		ASSERT_EQ(ns, ok[i].ns, ok[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ASSERT_ERR(alerts_time(bad[i], &ns), bad[i]);
}

static void test_token(void)
{
	char path[] = "/tmp/sluice-token-XXXXXX", tok[WEBHOOK_TOKEN_MAX], err[256];
	int fd = mkstemp(path);
	FILE *f;

	if (!ASSERT_GE(fd, 0, "mkstemp"))
		return;
	close(fd);
	ASSERT_ERR(webhook_token_read(path, tok, err, sizeof(err)), "empty file");
	ASSERT_TRUE(strstr(err, path) && strstr(err, "empty"), err);
	f = fopen(path, "w");
	fputs("s3cret-token_1\n", f);
	fclose(f);
	ASSERT_OK(webhook_token_read(path, tok, err, sizeof(err)), "a token and a newline");
	ASSERT_STREQ(tok, "s3cret-token_1", "the newline dropped");
	ASSERT_TRUE(webhook_token_eq(tok, "Bearer s3cret-token_1"), "Bearer TOKEN");
	ASSERT_TRUE(webhook_token_eq(tok, "bearer   s3cret-token_1"), "the scheme in any case, spaces");
	ASSERT_FALSE(webhook_token_eq(tok, "Bearer s3cret-token_2"), "wrong");
	ASSERT_FALSE(webhook_token_eq(tok, "Bearer s3cret-token_"), "a prefix");
	ASSERT_FALSE(webhook_token_eq(tok, "Bearer s3cret-token_11"), "longer");
	ASSERT_FALSE(webhook_token_eq(tok, "Basic s3cret-token_1"), "another scheme");
	ASSERT_FALSE(webhook_token_eq(tok, "s3cret-token_1"), "no scheme");
	ASSERT_FALSE(webhook_token_eq(tok, ""), "empty header");
	ASSERT_FALSE(webhook_token_eq(tok, NULL), "no header");
	ASSERT_FALSE(webhook_token_eq("", "Bearer "), "no token configured");
	f = fopen(path, "w");
	fputs("two words\n", f);
	fclose(f);
	ASSERT_ERR(webhook_token_read(path, tok, err, sizeof(err)), "a space inside");
	unlink(path);
	ASSERT_ERR(webhook_token_read(path, tok, err, sizeof(err)), "missing file");
	ASSERT_TRUE(strstr(err, path), err);
}

static void test_names(void)
{
	ASSERT_STREQ(alerts_error_name(ALERTS_ERR_VERSION), "version", "error name");
	ASSERT_STREQ(alerts_error_name(ALERTS_ERRORS), "?", "past the end");
	ASSERT_STREQ(alerts_skip_name(ALERTS_SKIP_DUPLICATE), "duplicate", "skip name");
	ASSERT_STREQ(webhook_result_name(WEBHOOK_TOO_LARGE), "too_large", "result name");
	ASSERT_STREQ(webhook_result_name(WEBHOOK_RESULTS), "?", "past the end");
}

TEST_MAIN("unit/alerts",
	  TEST(test_alertmanager),
	  TEST(test_labels),
	  TEST(test_alert_fields),
	  TEST(test_duplicates),
	  TEST(test_mixed),
	  TEST(test_refused),
	  TEST(test_time),
	  TEST(test_token),
	  TEST(test_names))
