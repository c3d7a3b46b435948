// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export/expo.h"

static const char *const type_names[] = {
	[EXPO_COUNTER] = "counter",
	[EXPO_GAUGE] = "gauge",
	[EXPO_HISTOGRAM] = "histogram",
};

void expo_init(struct expo *e, bool om)
{
	memset(e, 0, sizeof(*e));
	e->om = om;
	e->type = -1;
}

static void expo_forget(struct expo *e)
{
	for (int i = 0; i < e->nfam; i++)
		free(e->fams[i]);
	e->nfam = 0;
}

void expo_free(struct expo *e)
{
	expo_forget(e);
	free(e->buf);
	e->buf = NULL;
	e->len = e->cap = 0;
}

void expo_reset(struct expo *e)
{
	expo_forget(e);
	e->len = 0;
	e->err = 0;
	e->type = -1;
	e->name[0] = '\0';
}

static bool expo_room(struct expo *e, size_t n)
{
	size_t cap = e->cap ? e->cap : 4096;
	char *p;

	if (e->err)
		return false;
	if (e->len + n + 1 <= e->cap)
		return true;
	while (cap < e->len + n + 1)
		cap *= 2;
	p = realloc(e->buf, cap);
	if (!p) {
		e->err = -ENOMEM;
		return false;
	}
	e->buf = p;
	e->cap = cap;
	return true;
}

static void expo_put(struct expo *e, const char *s, size_t n)
{
	if (!expo_room(e, n))
		return;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	e->buf[e->len] = '\0';
}

static void expo_puts(struct expo *e, const char *s)
{
	expo_put(e, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
expo_printf(struct expo *e, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(buf)) {
		if (!e->err)
			e->err = -EINVAL;
		return;
	}
	expo_put(e, buf, n);
}

/* Escape \ and newline, and " when `quote` (label values; OpenMetrics
 * HELP too). */
static void expo_escaped(struct expo *e, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			expo_puts(e, "\\\\");
		else if (*s == '\n')
			expo_puts(e, "\\n");
		else if (*s == '"' && quote)
			expo_puts(e, "\\\"");
		else
			expo_put(e, s, 1);
	}
}

/* [a-zA-Z_:][a-zA-Z0-9_:]*, without ':' for label names. */
static bool expo_name_ok(const char *s, bool label)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' ||
		      (*s == ':' && !label)))
			return false;
	return true;
}

static int expo_fail(struct expo *e, int err)
{
	if (!e->err)
		e->err = err;
	return e->err;
}

void expo_family(struct expo *e, const char *name, enum expo_type type,
		 const char *help)
{
	const char *suffix = type == EXPO_COUNTER && !e->om ? "_total" : "";

	if (e->err)
		return;
	if (!expo_name_ok(name, false) || strlen(name) + 8 > sizeof(e->name) ||
	    type < EXPO_COUNTER || type > EXPO_HISTOGRAM ||
	    e->nfam == EXPO_FAMILIES_MAX) {
		expo_fail(e, -EINVAL);
		return;
	}
	for (int i = 0; i < e->nfam; i++)
		if (!strcmp(e->fams[i], name)) {
			expo_fail(e, -EINVAL);	/* a family is never split */
			return;
		}
	e->fams[e->nfam] = strdup(name);
	if (!e->fams[e->nfam]) {
		expo_fail(e, -ENOMEM);
		return;
	}
	e->nfam++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->type = type;
	expo_printf(e, "# HELP %s%s ", name, suffix);
	expo_escaped(e, help, e->om);
	expo_printf(e, "\n# TYPE %s%s %s\n", name, suffix, type_names[type]);
}

/* NAME{a="x",b="y"} with an optional extra label (le). */
static void expo_series(struct expo *e, const char *suffix,
			const struct expo_label *l, int nl,
			const char *le)
{
	expo_puts(e, e->name);
	expo_puts(e, suffix);
	if (!nl && !le)
		return;
	expo_puts(e, "{");
	for (int i = 0; i < nl; i++) {
		if (!expo_name_ok(l[i].name, true) || !strcmp(l[i].name, "le") ||
		    !l[i].value) {
			expo_fail(e, -EINVAL);
			return;
		}
		expo_printf(e, "%s%s=\"", i ? "," : "", l[i].name);
		expo_escaped(e, l[i].value, true);
		expo_puts(e, "\"");
	}
	if (le)
		expo_printf(e, "%sle=\"%s\"", nl ? "," : "", le);
	expo_puts(e, "}");
}

static bool expo_in(struct expo *e, bool histogram)
{
	if (e->err)
		return false;
	if (e->type < 0 || (e->type == EXPO_HISTOGRAM) != histogram) {
		expo_fail(e, -EINVAL);
		return false;
	}
	return true;
}

static const char *expo_sample_suffix(const struct expo *e)
{
	return e->type == EXPO_COUNTER ? "_total" : "";
}

void expo_u64(struct expo *e, const struct expo_label *l, int nl, uint64_t v)
{
	if (!expo_in(e, false))
		return;
	expo_series(e, expo_sample_suffix(e), l, nl, NULL);
	expo_printf(e, " %" PRIu64 "\n", v);
}

char *expo_fmt_double(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)	/* 2^53 */
		snprintf(buf, len, "%.0f", v);
	else
		for (int p = 1; p <= 17; p++) {
			snprintf(buf, len, "%.*g", p, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	return buf;
}

void expo_double(struct expo *e, const struct expo_label *l, int nl, double v)
{
	char num[32];

	if (!expo_in(e, false))
		return;
	expo_series(e, expo_sample_suffix(e), l, nl, NULL);
	expo_printf(e, " %s\n", expo_fmt_double(v, num, sizeof(num)));
}

void expo_histogram(struct expo *e, const struct expo_label *l, int nl,
		    const double *le, const uint64_t *count, int n,
		    uint64_t over, double sum)
{
	uint64_t total = 0;
	char num[32];

	if (!expo_in(e, true))
		return;
	for (int i = 0; i < n; i++) {
		if (i && !(le[i] > le[i - 1])) {
			expo_fail(e, -EINVAL);
			return;
		}
		total += count[i];
		expo_series(e, "_bucket", l, nl,
			    expo_fmt_double(le[i], num, sizeof(num)));
		expo_printf(e, " %" PRIu64 "\n", total);
	}
	total += over;
	expo_series(e, "_bucket", l, nl, "+Inf");
	expo_printf(e, " %" PRIu64 "\n", total);
	expo_series(e, "_sum", l, nl, NULL);
	expo_printf(e, " %s\n", expo_fmt_double(sum, num, sizeof(num)));
	expo_series(e, "_count", l, nl, NULL);
	expo_printf(e, " %" PRIu64 "\n", total);
}

int expo_end(struct expo *e)
{
	if (e->om)
		expo_puts(e, "# EOF\n");
	if (!e->err && !e->buf)
		expo_put(e, "", 0);
	return e->err;
}

bool expo_wants_om(const char *accept)
{
	return accept && strcasestr(accept, "application/openmetrics-text");
}
