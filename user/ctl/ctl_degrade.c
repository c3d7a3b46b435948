// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `sluicectl degrade [LEVEL [--for D] [--reason T] [--pin] | auto]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_client.h"
#include "ctl/ctl_gates.h"
#include "ctl/ctl_json.h"

json_object *ctl_degrade_request(int argc, char **argv,
				 const struct ctl_gate_opts *g, char *err,
				 size_t errlen)
{
	bool is_auto = argc && !strcmp(argv[0], "auto");
	json_object *req;
	char *end;
	long lvl = -1;

	*err = 0;
	if (argc && !is_auto) {
		lvl = strtol(argv[0], &end, 10);
		if (end == argv[0] || *end || lvl < 0 || lvl > 3) {
			snprintf(err, errlen, "degrade: expected a level 0 to 3 or auto, got '%s'",
				 argv[0]);
			return NULL;
		}
	}
	if ((!argc || is_auto) && g->given) {
		snprintf(err, errlen, "%s needs a level (degrade LEVEL %s ...)",
			 g->given, g->given);
		return NULL;
	}
	req = ctl_request_new("degrade");
	if (!req)
		return NULL;
	if (is_auto)
		json_object_object_add(req, "level", json_object_new_string("auto"));
	else if (argc)
		json_object_object_add(req, "level", json_object_new_int((int)lvl));
	if (g->reason)
		json_object_object_add(req, "reason", json_object_new_string(g->reason));
	if (g->pin)
		json_object_object_add(req, "pin", json_object_new_boolean(1));
	if (ctl_gate_for(req, g->for_arg, err, errlen)) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

static void join(json_object *d, const char *key, char *buf, size_t size)
{
	json_object *a = jget(d, key);
	size_t n = 0, len = a && json_object_is_type(a, json_type_array) ?
			    json_object_array_length(a) : 0;

	buf[0] = 0;
	for (size_t i = 0; i < len; i++)
		n += snprintf(buf + n, n < size ? size - n : 0, "%s%s", i ? ", " : "",
			      json_object_get_string(json_object_array_get_idx(a, i)));
	if (!len)
		snprintf(buf, size, "none");
}

int ctl_print_degrade(FILE *f, json_object *d)
{
	json_object *m = jget(d, "manual"), *au = jget(d, "auto"), *sig, *alerts,
		    *tiers;
	char v[512], t1[32], t2[32];
	size_t na, nt, n;
	struct table *t;
	double s, x;
	int err;

	err = jlist(d, "alerts", false, &alerts, &na);
	if (!err)
		err = jlist(d, "tiers", false, &tiers, &nt);
	if (err)
		return err;
	t = kv_new();
	if (!t)
		return -ENOMEM;
	snprintf(v, sizeof(v), "%s (%s)", ju64_str(d, "level", t1, sizeof(t1)),
		 jstr(d, "source", "?"));
	kv_add(t, "level", v);
	snprintf(v, sizeof(v), "%s ago", jnum(d, "since_s", &s) ?
		 ctl_secs(s, t1, sizeof(t1)) : "-");
	kv_add(t, "since", v);
	kv_add(t, "why", jstr(d, "reason", "-"));
	join(d, "shed", v, sizeof(v));
	kv_add(t, "shed", v);
	join(d, "kept", v, sizeof(v));
	kv_add(t, "kept", v);
	n = 0;
	v[0] = 0;
	for (size_t i = 0; i < nt; i++) {
		json_object *o = json_object_array_get_idx(tiers, i);

		n += snprintf(v + n, n < sizeof(v) ? sizeof(v) - n : 0, "%s%s x%g",
			      i ? ", " : "", jstr(o, "name", "?"),
			      jnum(o, "factor", &x) ? x : 1.0);
	}
	kv_add(t, "tier factors", nt ? v : "none");
	if (m) {
		snprintf(v, sizeof(v), "level %s%s, %s%s%s",
			 ju64_str(m, "level", t1, sizeof(t1)),
			 json_object_get_boolean(jget(m, "pinned")) ? " pinned" : "",
			 jnum(m, "expires_in_s", &s) ? "expires in " : "no expiry",
			 jnum(m, "expires_in_s", &s) ? ctl_secs(s, t2, sizeof(t2)) : "",
			 "");
		kv_add(t, "manual", v);
	} else {
		kv_add(t, "manual", "none");
	}
	sig = jget(au, "signal");
	snprintf(v, sizeof(v), "%s, level %s (%s)",
		 json_object_get_boolean(jget(au, "enabled")) ? "on" : "off (no degrade: section)",
		 ju64_str(au, "level", t1, sizeof(t1)), jstr(au, "reason", "-"));
	kv_add(t, "auto", v);
	if (sig) {
		snprintf(v, sizeof(v), "error rate %.3f, p99 %s over %s requests",
			 jnum(sig, "error_rate", &x) ? x : 0,
			 jnum(sig, "p99_s", &s) ? ctl_secs(s, t1, sizeof(t1)) : "-",
			 ju64_str(sig, "requests", t2, sizeof(t2)));
		kv_add(t, "signal", v);
	}
	for (size_t i = 0; i < na; i++) {
		json_object *o = json_object_array_get_idx(alerts, i);

		snprintf(v, sizeof(v), "%s (%s) holds level %s, expires in %s",
			 jstr(o, "name", "?"), jstr(o, "fingerprint", "?"),
			 ju64_str(o, "level", t1, sizeof(t1)),
			 jnum(o, "expires_in_s", &s) ? ctl_secs(s, t2, sizeof(t2)) : "-");
		kv_add(t, i ? "" : "alerts", v);
	}
	if (!na)
		kv_add(t, "alerts", "none");
	return tables_print(f, &t, 1);
}
