// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `sluicectl services`: the answer as a table, or one service in detail. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_json.h"
#include "ctl/ctl_print.h"
#include "common/names.h"
#include "sluice_service.h"

#define MATCH_ITEMS	3	/* addresses or paths shown before "+N" */

/* ":80 /api /v2", "198.18.0.2:80", "default of :80", ":443 tls" */
static const char *match_str(json_object *s, char *buf, size_t size)
{
	json_object *addrs, *paths, *tls = jget(s, "tls");
	char pbuf[FIELD_MAX];
	const char *port;
	size_t na = 0, np = 0, o = 0;

	if (jlist(s, "addresses", true, &addrs, &na) ||
	    jlist(s, "paths", true, &paths, &np))
		na = np = 0;
	port = ju64_str(s, "port", pbuf, sizeof(pbuf));
	if (!na && !np) {
		o = snprintf(buf, size, "default of :%s", port);
	} else {
		for (size_t i = 0; i < na && i < MATCH_ITEMS && o < size; i++)
			o += snprintf(buf + o, size - o, "%s%s", i ? "," : "",
				      json_object_get_string(
					      json_object_array_get_idx(addrs, i)));
		if (na > MATCH_ITEMS && o < size)
			o += snprintf(buf + o, size - o, ",+%zu", na - MATCH_ITEMS);
		if (o < size)
			o += snprintf(buf + o, size - o, ":%s", port);
		for (size_t i = 0; i < np && i < MATCH_ITEMS && o < size; i++)
			o += snprintf(buf + o, size - o, " %s",
				      json_object_get_string(
					      json_object_array_get_idx(paths, i)));
		if (np > MATCH_ITEMS && o < size)
			o += snprintf(buf + o, size - o, " +%zu", np - MATCH_ITEMS);
	}
	if (o < size && json_object_is_type(tls, json_type_boolean) &&
	    json_object_get_boolean(tls))
		snprintf(buf + o, size - o, " tls");
	return buf;
}

/* Milliseconds of a latency: "0.8", "87", "1500"; "-" when null. */
static const char *lat_str(json_object *o, const char *key, char *buf,
			   size_t size)
{
	double ms;

	if (!jnum(o, key, &ms) || ms < 0)
		return "-";
	snprintf(buf, size, ms < 9.95 ? "%.1f" : "%.0f", ms);
	return buf;
}

static const char *pct_str(double v, char *buf, size_t size)
{
	if (v == 0)
		snprintf(buf, size, "0%%");
	else if (v < 0.001)
		snprintf(buf, size, "<0.1%%");
	else
		snprintf(buf, size, "%.1f%%", v * 100);
	return buf;
}

static const char *rate_str(json_object *o, const char *key, char *buf,
			    size_t size)
{
	double v;

	return jnum(o, key, &v) ? table_human_rate(v, buf, size) : "-";
}

/* The error rate, "-" without an outcome in the window (no response
 * with a latency, no no_response, no timeout). */
static const char *err_rate(json_object *w, char *buf, size_t size)
{
	double r, resp = 0, nr = 0, to = 0;

	jnum(w, "responses_per_s", &resp);
	jnum(w, "no_response_per_s", &nr);
	jnum(w, "timeouts_per_s", &to);
	if (!jnum(w, "error_ratio", &r) || (resp <= 0 && nr <= 0 && to <= 0))
		return "-";
	return pct_str(r, buf, size);
}

/* The slow rate, "-" without a response latency in the window. */
static const char *slow_rate(json_object *w, char *buf, size_t size)
{
	double r, p50;

	if (!jnum(w, "slow_ratio", &r) || !jnum(w, "p50_ms", &p50))
		return "-";
	return pct_str(r, buf, size);
}

static void window_header(FILE *f, json_object *d)
{
	json_object *ifs;
	double span = 0;
	size_t n;

	jnum(d, "window_s", &span);
	if (span > 0)
		fprintf(f, "services over the last %.1f s", span);
	else
		fprintf(f, "services (no rates yet: sluiced reads the counters once a second)");
	if (!jlist(d, "interfaces", true, &ifs, &n) && n) {
		fprintf(f, " on ");
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s%s", i ? ", " : "", json_object_get_string(
					json_object_array_get_idx(ifs, i)));
	}
	fprintf(f, "; latency in ms\n\n");
}

/* The answer's list of services, which it cannot do without. */
static int services_list(json_object *d, json_object **list, size_t *n)
{
	if (!json_object_is_type(jget(d, "services"), json_type_array))
		return -EBADMSG;
	return jlist(d, "services", false, list, n);
}

int ctl_print_services(FILE *f, json_object *d)
{
	static const struct table_colspec cols[] = {
		{ "SERVICE", TABLE_LEFT }, { "MATCH", TABLE_LEFT },
		{ "PRIORITY", TABLE_LEFT }, { "REQ/s", TABLE_RIGHT },
		{ "2XX/s", TABLE_RIGHT }, { "3XX/s", TABLE_RIGHT },
		{ "4XX/s", TABLE_RIGHT }, { "5XX/s", TABLE_RIGHT },
		{ "ERRORS", TABLE_RIGHT }, { "SLOW", TABLE_RIGHT },
		{ "P50", TABLE_RIGHT }, { "P90", TABLE_RIGHT },
		{ "P99", TABLE_RIGHT }, { "PENDING", TABLE_RIGHT },
	};
	static const char *const classes[] = { "2xx", "3xx", "4xx", "5xx" };
	json_object *list;
	char buf[160], num[FIELD_MAX];
	struct table *t;
	size_t n;
	int err;

	err = services_list(d, &list, &n);
	if (err)
		return err;
	if (!n) {
		fprintf(f, "no services in the running config (see the config's services: section)\n");
		return 0;
	}
	window_header(f, d);
	t = table_new_columns(0, cols, NCOLS(cols));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(list, i);
		json_object *w = jget(s, "window"), *c = jget(w, "codes_per_s");

		table_row(t);
		table_cell(t, "%s", jstr(s, "name", "-"));
		table_cell(t, "%s", match_str(s, buf, sizeof(buf)));
		table_cell(t, "%s", jstr(s, "priority", "-"));
		table_cell(t, "%s", rate_str(w, "requests_per_s", num, sizeof(num)));
		for (size_t k = 0; k < NCOLS(classes); k++)
			table_cell(t, "%s", rate_str(c, classes[k], num, sizeof(num)));
		table_cell(t, "%s", err_rate(w, num, sizeof(num)));
		table_cell(t, "%s", slow_rate(w, num, sizeof(num)));
		table_cell(t, "%s", lat_str(w, "p50_ms", num, sizeof(num)));
		table_cell(t, "%s", lat_str(w, "p90_ms", num, sizeof(num)));
		table_cell(t, "%s", lat_str(w, "p99_ms", num, sizeof(num)));
		table_cell(t, "%s", ju64_str(s, "pending", num, sizeof(num)));
	}
	return tables_print(f, &t, 1);
}

/* ---- one service ----------------------------------------------------- */

/* 1000 -> "1s", 1500 -> "1500ms". */
static const char *dur_str(json_object *o, const char *key, char *buf,
			   size_t size)
{
	uint64_t ms;

	if (!ju64(o, key, &ms))
		return "-";
	if (ms && !(ms % 1000))
		snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, size, "%" PRIu64 "ms", ms);
	return buf;
}

static struct table *service_kv(json_object *s)
{
	json_object *tls = jget(s, "tls"), *w = jget(s, "window");
	char buf[256], a[FIELD_MAX], b[FIELD_MAX], c[FIELD_MAX];
	struct table *t = kv_new();
	double span = 0;
	uint64_t id;

	if (!t)
		return NULL;
	if (ju64(s, "id", &id))
		snprintf(buf, sizeof(buf), "%s (id %" PRIu64 ")",
			 jstr(s, "name", "-"), id);
	else
		snprintf(buf, sizeof(buf), "%s", jstr(s, "name", "-"));
	kv_add(t, "service", buf);
	kv_add(t, "match", match_str(s, buf, sizeof(buf)));
	kv_add(t, "priority", jstr(s, "priority", "-"));
	kv_add(t, "slow", dur_str(s, "slow_ms", a, sizeof(a)));
	kv_add(t, "timeout", dur_str(s, "timeout_ms", a, sizeof(a)));
	kv_add(t, "tls", !json_object_is_type(tls, json_type_boolean) ? "-" :
	       json_object_get_boolean(tls) ?
	       "yes (counted in connections only)" : "no");
	kv_add(t, "pending", ju64_str(s, "pending", a, sizeof(a)));
	kv_add(t, "failure run", ju64_str(s, "failure_run", a, sizeof(a)));
	jnum(w, "span_s", &span);
	snprintf(buf, sizeof(buf), "%.1f s", span);
	kv_add(t, "window", span > 0 ? buf : "- (no two readings yet)");
	kv_add(t, "error rate", err_rate(w, a, sizeof(a)));
	kv_add(t, "slow rate", slow_rate(w, a, sizeof(a)));
	snprintf(buf, sizeof(buf), "p50 %s, p90 %s, p99 %s ms",
		 lat_str(w, "p50_ms", a, sizeof(a)),
		 lat_str(w, "p90_ms", b, sizeof(b)),
		 lat_str(w, "p99_ms", c, sizeof(c)));
	kv_add(t, "latency", buf);
	return t;
}

static void counter_row(struct table *t, const char *label, json_object *ctr,
			const char *key, json_object *rates, const char *rkey)
{
	char a[FIELD_MAX], b[FIELD_MAX];

	table_row(t);
	table_cell(t, "%s", label);
	table_cell(t, "%s", ju64_str(ctr, key, a, sizeof(a)));
	table_cell(t, "%s", rkey ? rate_str(rates, rkey, b, sizeof(b)) : "-");
}

/* Every counter with its rate over the window. */
static struct table *service_counters(json_object *s)
{
	static const struct table_colspec cols[] = {
		{ "COUNTER", TABLE_LEFT }, { "TOTAL", TABLE_RIGHT },
		{ "PER S", TABLE_RIGHT },
	};
	json_object *ctr = jget(s, "counters"), *w = jget(s, "window");
	json_object *resp = jget(ctr, "responses"), *codes = jget(w, "codes_per_s");
	struct table *t = table_new_columns(0, cols, NCOLS(cols));
	char label[32];

	if (!t)
		return NULL;
	counter_row(t, "requests", ctr, "requests", w, "requests_per_s");
	counter_row(t, "edge_replies", ctr, "edge_replies", NULL, NULL);
	for (int k = SL_SVC_CODE_1XX; k < SL_SVC_CODES; k++) {
		const char *c = name_of(&sl_svc_code_names, k);

		/* The individual codes are counted in their class too. */
		snprintf(label, sizeof(label), "%s%s", k > SL_SVC_CODE_5XX ?
			 "  " : "", c);
		counter_row(t, label, resp, c, codes, c);
	}
	counter_row(t, "other", resp, "other", codes, "other");
	counter_row(t, "slow", ctr, "slow", w, "slow_per_s");
	counter_row(t, "no_response", ctr, "no_response", w, "no_response_per_s");
	counter_row(t, "timeouts", ctr, "timeouts", w, "timeouts_per_s");
	return t;
}

/* The histogram since the service began: per bucket, upper bounds in ms. */
static struct table *service_histogram(json_object *s, int *err)
{
	static const struct table_colspec cols[] = {
		{ "LATENCY <=", TABLE_RIGHT }, { "RESPONSES", TABLE_RIGHT },
	};
	char le[FIELD_MAX], num[FIELD_MAX];
	json_object *h;
	struct table *t;
	size_t n;

	*err = jlist(s, "histogram", false, &h, &n);
	if (*err)
		return NULL;
	t = table_new_columns(0, cols, NCOLS(cols));
	for (size_t i = 0; t && i < n; i++) {
		json_object *b = json_object_array_get_idx(h, i);
		double sec;

		if (jnum(b, "le", &sec))
			snprintf(le, sizeof(le), "%g ms", sec * 1e3);
		else
			snprintf(le, sizeof(le), "%s", jstr(b, "le", "-"));
		table_row(t);
		table_cell(t, "%s", le);
		table_cell(t, "%s", ju64_str(b, "count", num, sizeof(num)));
	}
	return t;
}

int ctl_print_service(FILE *f, json_object *d)
{
	struct table *t[3] = { NULL, NULL, NULL };
	json_object *list, *s;
	size_t n;
	int err;

	err = services_list(d, &list, &n);
	if (err)
		return err;
	if (n != 1)
		return -EBADMSG;
	s = json_object_array_get_idx(list, 0);
	t[2] = service_histogram(s, &err);
	if (err)
		return err;
	t[0] = service_kv(s);
	t[1] = service_counters(s);
	return tables_print(f, t, 3);
}
