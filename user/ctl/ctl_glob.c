// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_glob.h"
#include "ctl/ctl_json.h"
#include "common/redis_conn.h"

static const char *ms_ago(json_object *o, const char *key, char *buf,
			  size_t size)
{
	uint64_t ms;

	if (!ju64(o, key, &ms))
		return "never";
	if (ms < 10000)
		snprintf(buf, size, "%" PRIu64 " ms ago", ms);
	else
		snprintf(buf, size, "%" PRIu64 " s ago", ms / 1000);
	return buf;
}

struct table *ctl_glob_client(json_object *g)
{
	char buf[FIELD_MAX * 2], a[FIELD_MAX], b[FIELD_MAX], c[FIELD_MAX];
	json_object *grant = jget(g, "grant");
	struct table *t;
	uint64_t w, hosts;
	double v;
	bool window;

	if (!json_object_is_type(g, json_type_object))
		return NULL;
	t = kv_new();
	if (!t)
		return NULL;
	window = ju64(g, "window_ms", &w);
	if (window)
		snprintf(buf, sizeof(buf), "%s, %s, window %" PRIu64 " ms",
			 jstr(g, "algorithm", "-"), jstr(g, "rate", "-"), w);
	else
		snprintf(buf, sizeof(buf), "%s, %s, burst %s",
			 jstr(g, "algorithm", "-"), jstr(g, "rate", "-"),
			 ju64_str(g, "burst", a, sizeof(a)));
	kv_add(t, "global", buf);
	if (!json_object_is_type(grant, json_type_boolean) ||
	    !jget(g, "granted"))
		snprintf(buf, sizeof(buf), "none (the local meter alone)");
	else
		snprintf(buf, sizeof(buf), "%s (granted %s, used %s)%s",
			 ju64_str(g, "allowance", a, sizeof(a)),
			 ju64_str(g, "granted", b, sizeof(b)),
			 ju64_str(g, "used", c, sizeof(c)),
			 json_object_get_boolean(grant) ? "" : ", expired");
	kv_add(t, "allowance left", buf);
	if (jnum(g, "grant_expires_ms", &v) && v > 0)
		snprintf(buf, sizeof(buf), "in %.0f ms", v);
	else
		snprintf(buf, sizeof(buf), "%s", jget(g, "granted") ? "expired" : "-");
	kv_add(t, "grant expires", buf);
	snprintf(buf, sizeof(buf), "%s used, %s demand",
		 ju64_str(g, "used", a, sizeof(a)),
		 ju64_str(g, "demand", b, sizeof(b)));
	kv_add(t, "local", buf);
	if (jnum(g, window ? "estimate" : "tokens", &v))
		snprintf(buf, sizeof(buf), "%s %.1f", window ? "estimate" : "tokens", v);
	else
		snprintf(buf, sizeof(buf), "-");
	kv_add(t, "global state", buf);
	if (jnum(g, "share", &v) && ju64(g, "hosts", &hosts))
		snprintf(buf, sizeof(buf), "%.1f%% (%" PRIu64 " host%s)", v * 100,
			 hosts, hosts == 1 ? "" : "s");
	else
		snprintf(buf, sizeof(buf), "-");
	kv_add(t, "share", buf);
	kv_add(t, "last sync", ms_ago(g, "last_sync_ms", buf, sizeof(buf)));
	kv_add(t, "fallback", jstr(g, "fallback", "-"));
	return t;
}

void ctl_glob_status(struct table *t, json_object *r)
{
	json_object *up = jget(r, "up"), *e = jget(r, "errors");
	json_object *gl = jget(r, "global_limits");
	char buf[FIELD_MAX * 4], num[FIELD_MAX];
	size_t len = 0;
	uint64_t n;

	if (!json_object_is_type(r, json_type_object))
		return;
	if (json_object_is_type(gl, json_type_boolean) &&
	    !json_object_get_boolean(gl)) {
		snprintf(buf, sizeof(buf), "%s (no global limit to sync)",
			 jstr(r, "address", "-"));
		kv_add(t, "redis", buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%s %s (host %s)", jstr(r, "address", "-"),
		 !json_object_is_type(up, json_type_boolean) ? "-" :
		 json_object_get_boolean(up) ? "up" : "down",
		 jstr(r, "host", "-"));
	kv_add(t, "redis", buf);
	if (ju64(r, "syncs", &n))
		snprintf(buf, sizeof(buf), "%s (%" PRIu64 " syncs)",
			 ms_ago(r, "last_sync_ms", num, sizeof(num)), n);
	else
		snprintf(buf, sizeof(buf), "-");
	kv_add(t, "last sync", buf);
	buf[0] = '\0';
	for (int k = 0; k < RFAIL__MAX && len < sizeof(buf); k++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s %s",
				k ? ", " : "", redis_err_names[k],
				ju64_str(e, redis_err_names[k], num, sizeof(num)));
	kv_add(t, "redis errors", buf);
	snprintf(buf, sizeof(buf), "%s (on_down %s)", jstr(r, "fallback", "-"),
		 jstr(r, "on_down", "-"));
	kv_add(t, "fallback", buf);
	if (jget(r, "last_error"))
		kv_add(t, "last error", jstr(r, "last_error", "-"));
}
