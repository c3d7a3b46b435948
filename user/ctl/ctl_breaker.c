// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `sluicectl breaker [NAME open|closed|auto [--for DURATION]]`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_gates.h"
#include "ctl/ctl_json.h"
#include "config/duration.h"

char *ctl_secs(double s, char *buf, size_t size)
{
	if (!(s >= 0))
		snprintf(buf, size, "-");
	else if (s < 60)
		snprintf(buf, size, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600),
			 (int)fmod(s / 60, 60));
	return buf;
}

int ctl_gate_for(json_object *req, const char *arg, char *err, size_t errlen)
{
	uint64_t ns;

	if (!arg)
		return 0;
	if (cfg_duration_parse(arg, &ns) || !ns || ns > 7 * 86400ULL * 1000000000ULL) {
		snprintf(err, errlen, "--for: expected a duration like 30s, 5m or 1h (at most 7d), got '%s'",
			 arg);
		return -EINVAL;
	}
	json_object_object_add(req, "for_s", json_object_new_double(ns / 1e9));
	return 0;
}

json_object *ctl_breaker_request(int argc, char **argv,
				 const struct ctl_gate_opts *g, char *err,
				 size_t errlen)
{
	json_object *req;

	*err = 0;
	if (g->reason || g->pin) {
		snprintf(err, errlen, "breaker: %s applies to degrade only",
			 g->reason ? "--reason" : "--pin");
		return NULL;
	}
	if (argc == 1) {
		snprintf(err, errlen, "breaker %s: missing open, closed or auto", argv[0]);
		return NULL;
	}
	if (argc == 2 && strcmp(argv[1], "open") && strcmp(argv[1], "closed") &&
	    strcmp(argv[1], "auto")) {
		snprintf(err, errlen, "breaker: expected open, closed or auto, got '%s'",
			 argv[1]);
		return NULL;
	}
	if (g->for_arg && (argc < 2 || !strcmp(argv[1], "auto"))) {
		snprintf(err, errlen, "--for needs open or closed");
		return NULL;
	}
	req = ctl_request_new("breaker");
	if (!req)
		return NULL;
	if (argc == 2) {
		json_object_object_add(req, "service", json_object_new_string(argv[0]));
		json_object_object_add(req, "force", json_object_new_string(argv[1]));
	}
	if (ctl_gate_for(req, g->for_arg, err, errlen)) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

static const char *rate_cell(json_object *o, const char *rate, const char *n,
			     char *buf, size_t size)
{
	uint64_t num = 0, den = 0;
	double v;

	if (!jnum(o, rate, &v))
		return "-";
	ju64(o, n, &num);
	ju64(o, "completed", &den);
	snprintf(buf, size, "%.2f (%llu/%llu)", v, (unsigned long long)num,
		 (unsigned long long)den);
	return buf;
}

static const char *next_cell(json_object *o, char *buf, size_t size)
{
	const char *ns = jstr(o, "next_state", NULL);
	char t[32];
	double s;

	if (!ns)
		return "-";
	if (!jnum(o, "next_transition_s", &s))
		return ns;
	snprintf(buf, size, "%s in %s", ns, ctl_secs(s, t, sizeof(t)));
	return buf;
}

static const char *forced_cell(json_object *o, char *buf, size_t size)
{
	json_object *f = jget(o, "forced");
	char t[32];
	double s;

	if (!f || !json_object_get_boolean(f))
		return "no";
	if (jnum(o, "force_expires_in_s", &s))
		snprintf(buf, size, "%s by %s, %s left", jstr(o, "force", "?"),
			 jstr(o, "forced_by", "?"), ctl_secs(s, t, sizeof(t)));
	else
		snprintf(buf, size, "%s by %s", jstr(o, "force", "?"),
			 jstr(o, "forced_by", "?"));
	return buf;
}

int ctl_print_breaker(FILE *f, json_object *d)
{
	static const struct table_colspec cols[] = {
		{ "SERVICE", TABLE_LEFT }, { "STATE", TABLE_LEFT },
		{ "SINCE", TABLE_RIGHT }, { "FAILURES", TABLE_RIGHT },
		{ "SLOW", TABLE_RIGHT }, { "WINDOW", TABLE_RIGHT },
		{ "NEXT", TABLE_LEFT }, { "OPENS", TABLE_RIGHT },
		{ "FORCED", TABLE_LEFT },
	};
	char a[FIELD_MAX], b[FIELD_MAX], c[FIELD_MAX], e[FIELD_MAX], g[96];
	json_object *list;
	struct table *t;
	size_t n;
	double s;
	int err;

	err = jlist(d, "breakers", false, &list, &n);
	if (err)
		return err;
	if (!n) {
		fprintf(f, "no service has a breaker (give one a `breaker:` in the config)\n");
		return 0;
	}
	t = table_new_columns(0, cols, NCOLS(cols));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(list, i);

		table_row(t);
		table_cell(t, "%s", jstr(o, "service", "-"));
		table_cell(t, "%s", jstr(o, "state", "-"));
		table_cell(t, "%s", jnum(o, "since_s", &s) ? ctl_secs(s, a, sizeof(a)) : "-");
		table_cell(t, "%s", rate_cell(o, "failure_rate", "failed", b, sizeof(b)));
		table_cell(t, "%s", rate_cell(o, "slow_rate", "slow", c, sizeof(c)));
		table_cell(t, "%s", jnum(o, "window_s", &s) ? ctl_secs(s, e, sizeof(e)) : "-");
		table_cell(t, "%s", next_cell(o, g, sizeof(g)));
		table_cell(t, "%s", ju64_str(o, "opens", a, sizeof(a)));
		table_cell(t, "%s", forced_cell(o, g, sizeof(g)));
	}
	return tables_print(f, &t, 1);
}
