// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* config push and config status (ctl_config.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_config.h"
#include "ctl/ctl_json.h"
#include "daemon/control.h"	/* CONTROL_REQ_MAX: what one request may carry */
#include "common/config_cache.h"

json_object *ctl_config_push_request(const char *file, char *err,
				     size_t errlen)
{
	char cerr[CFG_ERR_MAX] = "", *text = NULL;
	struct sl_config *cfg;
	json_object *req;
	size_t len;
	int rc;

	rc = cfg_load(file, &cfg, cerr);
	if (rc) {
		snprintf(err, errlen, "%s", *cerr ? cerr : strerror(-rc));
		return NULL;
	}
	cfg_free(cfg);
	/* The bytes checked are the bytes sent: read once more, whole. */
	rc = config_cache_read(file, &text, &len);
	if (rc) {
		snprintf(err, errlen, "%s: cannot read: %s", file, strerror(-rc));
		return NULL;
	}
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: holds a NUL byte: not a YAML text", file);
		free(text);
		return NULL;
	}
	req = ctl_request_new("config_push");
	if (req) {
		json_object_object_add(req, "name", json_object_new_string(file));
		json_object_object_add(req, "text",
				       json_object_new_string_len(text, (int)len));
	}
	free(text);
	if (!req) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* The control socket takes one request line of CONTROL_REQ_MAX. */
	if (strlen(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) + 1 >
	    CONTROL_REQ_MAX) {
		snprintf(err, errlen, "%s: %zu bytes is more than a push carries (%d KiB as JSON): split the config or write the key with redis-cli",
			 file, len, CONTROL_REQ_MAX / 1024);
		json_object_put(req);
		return NULL;
	}
	return req;
}

int ctl_print_config_push(FILE *f, json_object *d)
{
	const char *hash = jstr(d, "hash", NULL), *key = jstr(d, "key", NULL);
	const char *aerr = jstr(d, "apply_error", NULL);
	json_object *here = jget(d, "applied_here");
	uint64_t bytes, subs;

	if (!hash || !key || !ju64(d, "bytes", &bytes) ||
	    !ju64(d, "subscribers", &subs))
		return -EBADMSG;
	fprintf(f, "published %s: hash %s, %llu bytes, %llu subscriber%s notified on %s\n",
		key, hash, (unsigned long long)bytes, (unsigned long long)subs,
		subs == 1 ? "" : "s", jstr(d, "channel", "?"));
	if (here && json_object_get_boolean(here))
		fprintf(f, "this host runs it now\n");
	else
		fprintf(f, "this host did not apply it: %s\n", aerr ? aerr : "see its log");
	return 0;
}

/* "12s ago", or "-" for a time not given. */
static const char *ago(json_object *o, const char *key, uint64_t now,
		       char *buf, size_t size)
{
	char d[TABLE_HUMAN_MAX];
	uint64_t at;

	if (!ju64(o, key, &at) || !at)
		return "-";
	snprintf(buf, size, "%s ago",
		 table_human_duration(now > at ? now - at : 0, d, sizeof(d)));
	return buf;
}

static int print_hosts(FILE *f, json_object *d, uint64_t now)
{
	static const struct table_colspec cols[] = {
		{ "HOST", TABLE_LEFT }, { "SOURCE", TABLE_LEFT },
		{ "HASH", TABLE_LEFT }, { "LOADED", TABLE_LEFT },
		{ "REPORTED", TABLE_LEFT }, { "MATCH", TABLE_LEFT },
	};
	json_object *hosts, *sum = jget(d, "summary"), *h;
	char a[FIELD_MAX], b[FIELD_MAX], differ[256] = "";
	uint64_t n, same, stale;
	struct table *t;
	size_t nh, off = 0;
	int err;

	err = jlist(d, "hosts", false, &hosts, &nh);
	if (err || !ju64(sum, "hosts", &n) || !ju64(sum, "same", &same) ||
	    !ju64(sum, "stale", &stale))
		return err ? err : -EBADMSG;
	t = table_new_columns(0, cols, NCOLS(cols));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < nh; i++) {
		bool is_same, is_stale;

		h = json_object_array_get_idx(hosts, i);
		is_same = json_object_get_boolean(jget(h, "same"));
		is_stale = json_object_get_boolean(jget(h, "stale"));
		table_row(t);
		table_cell(t, "%s", jstr(h, "host", "?"));
		table_cell(t, "%s", jstr(h, "source", "?"));
		table_cell(t, "%s", jstr(h, "hash", "unreadable"));
		table_cell(t, "%s", ago(h, "loaded_at", now, a, sizeof(a)));
		table_cell(t, "%s%s", ago(h, "reported_at", now, b, sizeof(b)),
			   is_stale ? " (stale)" : "");
		table_cell(t, "%s", is_same ? "same" : "differs");
		if (!is_same && off < sizeof(differ))
			off += snprintf(differ + off, sizeof(differ) - off, "%s%s",
					off ? ", " : "", jstr(h, "host", "?"));
	}
	err = nh ? table_print(t, f, 0) : 0;
	table_free(t);
	if (err)
		return err;
	if (!n)
		fprintf(f, "no host has reported yet\n");
	else if (same == n)
		fprintf(f, "%llu host%s, all same (hash %s)", (unsigned long long)n,
			n == 1 ? "" : "s", jstr(d, "reference", "?"));
	else
		fprintf(f, "%llu host%s: %llu same, %llu differ%s (%s)",
			(unsigned long long)n, n == 1 ? "" : "s",
			(unsigned long long)same, (unsigned long long)(n - same),
			n - same == 1 ? "s" : "", differ);
	if (n && stale)
		fprintf(f, "; %llu stale (no report for %ds)", (unsigned long long)stale,
			CSRC_STALE_S);
	if (n)
		fputc('\n', f);
	return 0;
}

int ctl_print_config_status(FILE *f, json_object *d)
{
	json_object *run = jget(d, "running"), *r = jget(d, "redis");
	char a[FIELD_MAX], line[512];
	struct table *t[1];
	const char *rh, *refused;
	uint64_t now;
	int err;

	if (!run || !ju64(d, "now", &now) || !jstr(run, "hash", NULL))
		return -EBADMSG;
	t[0] = kv_new();
	if (!t[0])
		return -ENOMEM;
	snprintf(line, sizeof(line), "%s (%s), hash %s, loaded %s",
		 jstr(run, "name", "?"), jstr(run, "source", "?"),
		 jstr(run, "hash", "?"), ago(run, "loaded_at", now, a, sizeof(a)));
	kv_add(t[0], "running", line);
	if (!json_object_get_boolean(jget(d, "config_source"))) {
		kv_add(t[0], "source", "no config_source: this sluiced runs its config file");
		return tables_print(f, t, 1);
	}
	kv_add(t[0], "host", jstr(run, "host", "?"));
	rh = jstr(r, "hash", NULL);
	snprintf(line, sizeof(line), "%s key %s: %s%s", jstr(r, "address", "?"),
		 jstr(r, "key", "?"), rh ? "hash " : "empty", rh ? rh : "");
	kv_add(t[0], "redis", line);
	refused = jstr(r, "refused", NULL);
	if (refused)
		kv_add(t[0], "refused", refused);
	err = tables_print(f, t, 1);
	if (err)
		return err;
	return print_hosts(f, d, now);
}
