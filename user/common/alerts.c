// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "common/alerts.h"

static const char *const error_names[ALERTS_ERRORS] = {
	[ALERTS_OK]		= "ok",
	[ALERTS_ERR_JSON]	= "not_json",
	[ALERTS_ERR_OBJECT]	= "not_object",
	[ALERTS_ERR_VERSION]	= "version",
	[ALERTS_ERR_LIST]	= "no_alerts",
	[ALERTS_ERR_TOO_MANY]	= "too_many",
	[ALERTS_ERR_NOMEM]	= "nomem",
};

static const char *const skip_names[ALERTS_SKIPS] = {
	[ALERTS_SKIP_LEVEL]	= "level",
	[ALERTS_SKIP_SERVICE]	= "service",
	[ALERTS_SKIP_LONG]	= "too_long",
	[ALERTS_SKIP_INVALID]	= "invalid",
	[ALERTS_SKIP_DUPLICATE]	= "duplicate",
};

const char *alerts_error_name(enum alerts_error e)
{
	return (unsigned)e < ALERTS_ERRORS ? error_names[e] : "?";
}

const char *alerts_skip_name(enum alerts_skip s)
{
	return (unsigned)s < ALERTS_SKIPS ? skip_names[s] : "?";
}

int alerts_level(const char *s)
{
	if (s[0] < '0' || s[0] > '0' + DEGRADE_MAX || s[1])
		return -EINVAL;
	return s[0] - '0';
}

bool alerts_service_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= ALERT_SERVICE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's). */
static __s64 days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (__s64)era * 146097 + doe - 719468;
}

int alerts_time(const char *s, __s64 *ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	__s64 frac = 0, scale = 1000000000, t;
	const char *p = s;

	*ns = 0;
	y = digits(&p, 4);
	if (y < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 1 || mo > 12 ||
	    *p++ != '-' || (d = digits(&p, 2)) < 1 || d > 31 ||
	    (*p != 'T' && *p != 't') || (p++, (h = digits(&p, 2)) < 0) || h > 23 ||
	    *p++ != ':' || (mi = digits(&p, 2)) < 0 || mi > 59 ||
	    *p++ != ':' || (sec = digits(&p, 2)) < 0 || sec > 60)
		return -EINVAL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++)
			if (scale > 1)
				scale /= 10, frac += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if ((oh = digits(&p, 2)) < 0 || oh > 23 || *p++ != ':' ||
		    (om = digits(&p, 2)) < 0 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	/* Go's zero time (year 1) and anything else before the epoch. */
	if (t < 0)
		return 0;
	if (t > INT64_MAX / 1000000000 - 1)
		return -EINVAL;
	*ns = t * 1000000000 + frac;
	return 0;
}

static void say(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/* A string member: NULL when missing or not a string (or holding a
 * NUL), *n its length. */
static const char *member_str(struct json_object *o, const char *key,
			      size_t *n)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	*n = json_object_get_string_len(v);
	return strlen(s) == *n ? s : NULL;
}

/* Into a fixed buffer, for the log only: cut short and marked. */
static void copy_cut(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n < size) {
		memcpy(dst, s, n + 1);
		return;
	}
	memcpy(dst, s, size - 4);
	memcpy(dst + size - 4, "...", 4);
}

static void skip(struct alerts_batch *b, unsigned int i, enum alerts_skip why,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void skip(struct alerts_batch *b, unsigned int i, enum alerts_skip why,
		 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->skip_msg[0]) {
		n = snprintf(b->skip_msg, sizeof(b->skip_msg), "alerts[%u]: ", i);
		va_start(ap, fmt);
		vsnprintf(b->skip_msg + n, sizeof(b->skip_msg) - n, fmt, ap);
		va_end(ap);
	}
	b->skipped[why]++;
}

static bool fp_ok(const char *s)
{
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

/* One alert into *ev: 1 an event, 0 ignored, -1 skipped (counted). */
static int alert_one(struct alerts_batch *b, unsigned int i,
		     struct json_object *a, const struct alerts_opts *o,
		     struct alert_event *ev)
{
	struct json_object *labels;
	const char *fp, *st, *name, *lv, *svc, *t;
	size_t n, fpn, namen = 0;

	memset(ev, 0, sizeof(*ev));
	ev->level = -1;
	if (!json_object_is_type(a, json_type_object)) {
		skip(b, i, ALERTS_SKIP_INVALID, "not an object");
		return -1;
	}
	if (!json_object_object_get_ex(a, "labels", &labels) ||
	    !json_object_is_type(labels, json_type_object)) {
		skip(b, i, ALERTS_SKIP_INVALID, "no labels object");
		return -1;
	}
	lv = member_str(labels, o->label, &n);
	svc = member_str(labels, o->breaker_label, &n);
	if (!lv && json_object_object_get_ex(labels, o->label, NULL)) {
		skip(b, i, ALERTS_SKIP_LEVEL, "%s is not a string", o->label);
		return -1;
	}
	if (!svc && json_object_object_get_ex(labels, o->breaker_label, NULL)) {
		skip(b, i, ALERTS_SKIP_SERVICE, "%s is not a string", o->breaker_label);
		return -1;
	}
	if (!lv && !svc)
		return 0;
	name = member_str(labels, "alertname", &namen);
	fp = member_str(a, "fingerprint", &fpn);
	if (!fp || !fpn || !fp_ok(fp)) {
		skip(b, i, ALERTS_SKIP_INVALID, "no fingerprint (Alertmanager 0.19 or later sends one)");
		return -1;
	}
	if (fpn >= ALERT_FP_MAX || namen >= ALERT_NAME_MAX) {
		skip(b, i, ALERTS_SKIP_LONG, "%s longer than %d bytes",
		     fpn >= ALERT_FP_MAX ? "fingerprint" : "alertname",
		     (fpn >= ALERT_FP_MAX ? ALERT_FP_MAX : ALERT_NAME_MAX) - 1);
		return -1;
	}
	memcpy(ev->fp, fp, fpn + 1);
	if (name)
		memcpy(ev->name, name, namen + 1);
	st = member_str(a, "status", &n);
	if (!st || (strcmp(st, "firing") && strcmp(st, "resolved"))) {
		skip(b, i, ALERTS_SKIP_INVALID, "%s: status is not firing or resolved", ev->fp);
		return -1;
	}
	ev->firing = !strcmp(st, "firing");
	if (((t = member_str(a, "startsAt", &n)) && alerts_time(t, &ev->starts_at_ns)) ||
	    ((t = member_str(a, "endsAt", &n)) && alerts_time(t, &ev->ends_at_ns))) {
		skip(b, i, ALERTS_SKIP_INVALID, "%s: startsAt or endsAt is not an RFC 3339 time", ev->fp);
		return -1;
	}
	if (lv && (ev->level = alerts_level(lv)) < 0) {
		skip(b, i, ALERTS_SKIP_LEVEL, "%s (%s): %s=\"%.16s\" is not a level 0..%d",
		     ev->fp, ev->name, o->label, lv, DEGRADE_MAX);
		return -1;
	}
	if (svc) {
		if (!alerts_service_ok(svc)) {
			skip(b, i, ALERTS_SKIP_SERVICE, "%s (%s): %s=\"%.32s\" is not a service name",
			     ev->fp, ev->name, o->breaker_label, svc);
			return -1;
		}
		snprintf(ev->breaker, sizeof(ev->breaker), "%s", svc);
	}
	return 1;
}

/* An earlier event of the same fingerprint, or NULL. */
static struct alert_event *find_fp(struct alerts_batch *b, const char *fp)
{
	for (unsigned int i = 0; i < b->n; i++)
		if (!strcmp(b->ev[i].fp, fp))
			return &b->ev[i];
	return NULL;
}

static int refuse(struct alerts_batch *b, enum alerts_error e, int err)
{
	b->error = e;
	b->n = 0;
	return err;
}

static int alerts_walk(struct json_object *root, const struct alerts_opts *o,
		       struct alerts_batch *b, char *msg, size_t msglen)
{
	struct json_object *list, *v;
	const char *s;
	size_t n;

	if (!json_object_is_type(root, json_type_object)) {
		say(msg, msglen, "expected a JSON object (Alertmanager's webhook payload), got %s",
		    json_type_to_name(json_object_get_type(root)));
		return refuse(b, ALERTS_ERR_OBJECT, -EINVAL);
	}
	s = member_str(root, "version", &n);
	if (!s || strcmp(s, "4")) {
		say(msg, msglen, "expected \"version\": \"4\" (Alertmanager's webhook payload), got %s%.16s%s",
		    s ? "\"" : "", s ? s : "none", s ? "\"" : "");
		return refuse(b, ALERTS_ERR_VERSION, -EPROTONOSUPPORT);
	}
	if (!json_object_object_get_ex(root, "alerts", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		say(msg, msglen, "expected \"alerts\": a list of alerts");
		return refuse(b, ALERTS_ERR_LIST, -EINVAL);
	}
	b->total = json_object_array_length(list);
	if (b->total > ALERTS_MAX) {
		say(msg, msglen, "%u alerts in one payload, at most %d (set max_alerts: %d in the webhook_config)",
		    b->total, ALERTS_MAX, ALERTS_MAX);
		return refuse(b, ALERTS_ERR_TOO_MANY, -E2BIG);
	}
	if ((s = member_str(root, "status", &n)))
		copy_cut(b->status, sizeof(b->status), s);
	if ((s = member_str(root, "receiver", &n)))
		copy_cut(b->receiver, sizeof(b->receiver), s);
	if (json_object_object_get_ex(root, "truncatedAlerts", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
		b->truncated = json_object_get_int64(v) > UINT32_MAX ? UINT32_MAX :
			       (unsigned int)json_object_get_int64(v);
	for (unsigned int i = 0; i < b->total; i++) {
		struct alert_event *ev = &b->ev[b->n], *dup;
		int r = alert_one(b, i, json_object_array_get_idx(list, i), o, ev);

		if (r == 0)
			b->ignored++;
		if (r <= 0)
			continue;
		dup = find_fp(b, ev->fp);
		if (!dup) {
			b->n++;
			continue;
		}
		skip(b, i, ALERTS_SKIP_DUPLICATE, "%s: fingerprint given twice", ev->fp);
		if (ev->firing && !dup->firing)
			*dup = *ev;
	}
	return 0;
}

int alerts_parse(const char *buf, size_t len, const struct alerts_opts *o,
		 struct alerts_batch *b, char *msg, size_t msglen)
{
	struct json_object *root = NULL;
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	size_t end;
	int err;

	memset(b, 0, offsetof(struct alerts_batch, ev));
	say(msg, msglen, "ok");
	tok = json_tokener_new_ex(ALERTS_DEPTH);
	if (!tok) {
		say(msg, msglen, "out of memory");
		return refuse(b, ALERTS_ERR_NOMEM, -ENOMEM);
	}
	root = json_tokener_parse_ex(tok, buf, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A bare number is only complete at the next byte. */
	if (!root && jerr == json_tokener_continue && len) {
		root = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (!root) {
		say(msg, msglen, "not JSON: %s at byte %zu",
		    jerr == json_tokener_continue ? "cut short" :
		    json_tokener_error_desc(jerr), jerr == json_tokener_continue ? len : end);
		err = refuse(b, ALERTS_ERR_JSON, -EBADMSG);
		goto out;
	}
	while (end < len && isspace((unsigned char)buf[end]))
		end++;
	if (end < len) {
		say(msg, msglen, "not JSON: bytes after the value at byte %zu", end);
		err = refuse(b, ALERTS_ERR_JSON, -EBADMSG);
		goto out;
	}
	err = alerts_walk(root, o, b, msg, msglen);
out:
	json_object_put(root);
	json_tokener_free(tok);
	return err;
}
