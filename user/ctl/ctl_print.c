// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "ctl/ctl_glob.h"
#include "ctl/ctl_json.h"
#include "ctl/ctl_print.h"
#include "common/flood_json.h"
#include "common/names.h"
#include "common/proto.h"
#include "common/table.h"

#define NREASONS	((size_t)sl_reason_names.n)

#define NONE_TIER_NAME	"(none)"

/* ---- status --------------------------------------------------------- */

static const char *loaded_at(json_object *cfg, char *buf, size_t size)
{
	uint64_t at;
	time_t tt;
	struct tm tm;

	if (!ju64(cfg, "loaded_at", &at))
		return "-";
	tt = (time_t)at;
	if (!localtime_r(&tt, &tm) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm))
		return "-";
	return buf;
}

int ctl_print_status(FILE *f, json_object *d)
{
	static const struct table_colspec if_cols[] = {
		{ "INTERFACE", TABLE_LEFT }, { "IFINDEX", TABLE_RIGHT },
		{ "ATTACH", TABLE_LEFT }, { "PROG ID", TABLE_RIGHT },
		{ "LINK ID", TABLE_RIGHT }, { "TC PROG ID", TABLE_RIGHT },
		{ "TC LINK ID", TABLE_RIGHT }, { "EGRESS PROG ID", TABLE_RIGHT },
		{ "EGRESS LINK ID", TABLE_RIGHT },
	};
	json_object *cfg = jget(d, "config"), *ifs;
	struct table *t[2] = { NULL, NULL };
	char buf[FIELD_MAX], num[FIELD_MAX];
	uint64_t v;
	size_t n;
	int err;

	err = jlist(d, "interfaces", false, &ifs, &n);
	if (err)
		return err;

	t[0] = kv_new();
	if (!t[0])
		return -ENOMEM;
	if (ju64(d, "abi", &v))
		snprintf(buf, sizeof(buf), "%s (abi %" PRIu64 ")",
			 jstr(d, "version", "-"), v);
	else
		snprintf(buf, sizeof(buf), "%s", jstr(d, "version", "-"));
	kv_add(t[0], "version", buf);
	kv_add(t[0], "pid", ju64_str(d, "pid", num, sizeof(num)));
	kv_add(t[0], "uptime", ju64(d, "uptime_s", &v) ?
	       table_human_duration(v, buf, sizeof(buf)) : "-");
	kv_add(t[0], "mode", jstr(d, "mode", "-"));
	kv_add(t[0], "config", jstr(cfg, "path", "-"));
	/* config_source (issue 12): the file only says where from. */
	if (strcmp(jstr(cfg, "source", "file"), "file"))
		kv_add(t[0], "config source", jstr(cfg, "source", "-"));
	kv_add(t[0], "config hash", jstr(cfg, "hash", "-"));
	kv_add(t[0], "loaded", loaded_at(cfg, buf, sizeof(buf)));
	if (ju64(jget(d, "client_table"), "size", &v))
		snprintf(buf, sizeof(buf), "%" PRIu64 " entries", v);
	else
		snprintf(buf, sizeof(buf), "-");
	kv_add(t[0], "client table", buf);
	ctl_glob_status(t[0], jget(d, "redis"));
	if (!n) {
		kv_add(t[0], "interfaces", "none");
		return tables_print(f, t, 1);
	}

	t[1] = table_new_columns(0, if_cols, NCOLS(if_cols));
	if (!t[1])
		return tables_print(f, t, 2);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ifs, i);

		table_row(t[1]);
		table_cell(t[1], "%s", jstr(o, "name", "-"));
		table_cell(t[1], "%s", ju64_str(o, "ifindex", num, sizeof(num)));
		table_cell(t[1], "%s", jstr(o, "attach", "-"));
		table_cell(t[1], "%s", ju64_str(o, "prog_id", num, sizeof(num)));
		table_cell(t[1], "%s", ju64_str(o, "link_id", num, sizeof(num)));
		/* 0: no TC program, edge answers fall back to the XDP RST */
		table_cell(t[1], "%s", ju64_str(o, "tc_prog_id", num, sizeof(num)));
		table_cell(t[1], "%s", ju64_str(o, "tc_link_id", num, sizeof(num)));
		/* 0: no egress program, no response statistics */
		table_cell(t[1], "%s", ju64_str(o, "egress_prog_id", num, sizeof(num)));
		table_cell(t[1], "%s", ju64_str(o, "egress_link_id", num, sizeof(num)));
	}
	return tables_print(f, t, 2);
}

/* ---- tiers ---------------------------------------------------------- */

struct reason_row {
	const char *name;
	json_object *counter;	/* {"packets","bytes"} or NULL */
	json_object *rate;	/* {"pps","bps"} or NULL */
};

static bool reason_known(const char *name)
{
	for (size_t i = 0; i < NREASONS; i++)
		if (!strcmp(reason_name(i), name))
			return true;
	return false;
}

static bool reason_active(const struct reason_row *r)
{
	uint64_t pkts = 0;
	double pps = 0;

	return (ju64(r->counter, "packets", &pkts) && pkts) ||
	       (jnum(r->rate, "pps", &pps) && pps > 0);
}

/* The reasons worth a line: the known ones in ABI order, then any the
 * daemon added since (a newer sluiced); only those that saw packets,
 * except malformed and non_ip, which the "(none)" row always shows. */
static size_t tier_reasons(json_object *tier, bool none_row,
			   struct reason_row *out, size_t max)
{
	json_object *ctr = jget(tier, "counters"), *rates = jget(tier, "rates");
	size_t n = 0;

	for (size_t i = 0; i < NREASONS && n < max; i++) {
		struct reason_row r = {
			.name = reason_name(i),
			.counter = jget(ctr, reason_name(i)),
			.rate = jget(rates, reason_name(i)),
		};

		if (reason_active(&r) ||
		    (none_row && (i == SL_R_MALFORMED || i == SL_R_NON_IP)))
			out[n++] = r;
	}
	if (!json_object_is_type(ctr, json_type_object))
		return n;
	json_object_object_foreach(ctr, key, val) {
		struct reason_row r = {
			.name = key, .counter = val, .rate = jget(rates, key),
		};

		if (n < max && !reason_known(key) && reason_active(&r))
			out[n++] = r;
	}
	return n;
}

static void limit_cell(struct table *t, json_object *lim)
{
	uint64_t burst, reply;
	char st[96] = "";
	size_t n = 0;

	if (!lim) {
		table_cell(t, "%s", "");
		return;
	}
	/* "http 429": the status the edge answers with. */
	if (ju64(lim, "reply", &reply))
		n = snprintf(st, sizeof(st), " %" PRIu64, reply);
	/* "global", "global sliding_window 1s": shared through Redis. */
	if (!strcmp(jstr(lim, "scope", "local"), "global"))
		snprintf(st + n, sizeof(st) - n, " global%s%s%s%s",
			 jget(lim, "window") ? " " : "",
			 jget(lim, "window") ? jstr(lim, "algorithm", "?") : "",
			 jget(lim, "window") ? " " : "",
			 jstr(lim, "window", ""));
	if (ju64(lim, "burst", &burst))
		table_cell(t, "%s %s b%" PRIu64 " %s%s", jstr(lim, "unit", "?"),
			   jstr(lim, "rate", "?"), burst,
			   jstr(lim, "action", "?"), st);
	else
		table_cell(t, "%s %s %s%s", jstr(lim, "unit", "?"),
			   jstr(lim, "rate", "?"), jstr(lim, "action", "?"), st);
}

/* "10485/s b20970 (default)": what new clients are let in at, and
 * whether the config said so or left it to the default; false when `g`
 * is not a guard. */
static bool guard_text(json_object *g, char *buf, size_t size)
{
	uint64_t burst;

	if (!json_object_is_type(g, json_type_object) ||
	    !ju64(g, "burst", &burst))
		return false;
	snprintf(buf, size, "%s b%" PRIu64 "%s", jstr(g, "new_clients", "?"),
		 burst, json_object_get_boolean(jget(g, "default")) ?
		 " (default)" : "");
	return true;
}

static int tier_rows(struct table *t, json_object *tier)
{
	const char *name = jstr(tier, "name", "-");
	struct reason_row *rs;
	json_object *lims, *ctr, *guard = jget(tier, "flood_guard");
	size_t nlim, nrs, rows, max, nlines;
	char num[FIELD_MAX], gtext[96];
	uint64_t id = UINT64_MAX;
	bool none_row, rates_given;
	int err;

	err = jlist(tier, "limits", false, &lims, &nlim);
	if (err)
		return err;
	ju64(tier, "id", &id);
	none_row = !strcmp(name, NONE_TIER_NAME) || id == SL_TIER_NONE;
	rates_given = json_object_is_type(jget(tier, "rates"), json_type_object);

	ctr = jget(tier, "counters");
	max = NREASONS + (json_object_is_type(ctr, json_type_object) ?
			  (size_t)json_object_object_length(ctr) : 0);
	rs = calloc(max, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	nrs = tier_reasons(tier, none_row, rs, max);

	if (!guard_text(guard, gtext, sizeof(gtext)))
		guard = NULL;
	nlines = nlim + !!guard;	/* the guard under the limits */
	rows = nlines > nrs ? nlines : nrs;
	if (!rows)
		rows = 1;
	for (size_t i = 0; i < rows; i++) {
		table_row(t);
		if (!i) {
			table_cell(t, "%s", none_row ? "-" :
				   ju64_str(tier, "id", num, sizeof(num)));
			table_cell(t, "%s", name);
			table_cell(t, "%s", jstr(tier, "verdict", "-"));
		} else {
			table_cell(t, "%s", "");
			table_cell(t, "%s", "");
			table_cell(t, "%s", "");
		}
		if (i < nlim)
			limit_cell(t, json_object_array_get_idx(lims, i));
		else if (i == nlim && guard)
			table_cell(t, "flood guard %s", gtext);
		else
			table_cell(t, "%s", !i ? "-" : "");
		if (i < nrs) {
			uint64_t pkts;
			double pps;

			table_cell(t, "%s", rs[i].name);
			table_cell(t, "%s", ju64(rs[i].counter, "packets", &pkts) ?
				   table_human_count(pkts, num, sizeof(num)) : "-");
			/* A daemon may leave idle reasons out of "rates". */
			if (!rs[i].rate && rates_given)
				table_cell(t, "0");
			else
				table_cell(t, "%s", jnum(rs[i].rate, "pps", &pps) ?
					   table_human_rate(pps, num, sizeof(num)) : "-");
		} else if (!i) {
			table_cell(t, "%s", "-");
		}
	}
	free(rs);
	return 0;
}

int ctl_print_tiers(FILE *f, json_object *d)
{
	static const struct table_colspec tier_cols[] = {
		{ "ID", TABLE_RIGHT }, { "TIER", TABLE_LEFT },
		{ "VERDICT", TABLE_LEFT }, { "LIMITS", TABLE_LEFT },
		{ "REASON", TABLE_LEFT }, { "PACKETS", TABLE_RIGHT },
		{ "PPS", TABLE_RIGHT },
	};
	json_object *tiers = jget(d, "tiers");
	struct table *t;
	size_t n;
	int err;

	/* The one list a tiers answer cannot do without. */
	if (!json_object_is_type(tiers, json_type_array))
		return -EBADMSG;
	err = jlist(d, "tiers", false, &tiers, &n);
	if (err)
		return err;

	t = table_new_columns(0, tier_cols, NCOLS(tier_cols));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++)
		err = tier_rows(t, json_object_array_get_idx(tiers, i));
	if (!err)
		err = table_print(t, f, 0);
	table_free(t);
	return err;
}

/* ---- client --------------------------------------------------------- */

static const char *ms_str(json_object *o, const char *key, char *buf,
			  size_t size)
{
	double ms;

	if (!jnum(o, key, &ms) || ms < 0)
		return "-";
	if (ms == 0)
		snprintf(buf, size, "0 ms");
	else if (ms < 0.1)
		snprintf(buf, size, "<0.1 ms");
	else if (ms < 9.95)
		snprintf(buf, size, "%.1f ms", ms);
	else
		snprintf(buf, size, "%.0f ms", ms);
	return buf;
}

int ctl_print_client(FILE *f, json_object *d)
{
	static const struct table_colspec meter_cols[] = {
		{ "UNIT", TABLE_LEFT }, { "RATE", TABLE_RIGHT },
		{ "BURST", TABLE_RIGHT }, { "TOKENS", TABLE_RIGHT },
		{ "NEXT TOKEN", TABLE_RIGHT },
	};
	struct table *t[3] = { NULL, NULL, NULL };
	json_object *meters, *known = jget(d, "known");
	char buf[FIELD_MAX], num[FIELD_MAX];
	uint64_t id;
	size_t n;
	int err;

	err = jlist(d, "meters", false, &meters, &n);
	if (err)
		return err;

	t[0] = kv_new();
	if (!t[0])
		return -ENOMEM;
	kv_add(t[0], "address", jstr(d, "addr", "-"));
	if (ju64(d, "tier_id", &id))
		snprintf(buf, sizeof(buf), "%s (id %" PRIu64 ")",
			 jstr(d, "tier", "-"), id);
	else
		snprintf(buf, sizeof(buf), "%s", jstr(d, "tier", "-"));
	kv_add(t[0], "tier", buf);
	kv_add(t[0], "key", jstr(d, "key", "-"));
	kv_add(t[0], "known", !json_object_is_type(known, json_type_boolean) ?
	       "-" : json_object_get_boolean(known) ? "yes" : "no");
	/* During a rollout: the policy it is on (tier and meters above
	 * are the running config's). */
	if (jget(d, "rollout")) {
		json_object *ro = jget(d, "rollout");

		snprintf(buf, sizeof(buf), "%s%s%s%s", jstr(ro, "cohort", "-"),
			 json_object_get_boolean(jget(ro, "running")) ? "" : " (in the last rollout, ",
			 json_object_get_boolean(jget(ro, "running")) ? "" : jstr(ro, "state", "-"),
			 json_object_get_boolean(jget(ro, "running")) ? "" : ")");
		kv_add(t[0], "rollout", buf);
	}
	if (!n) {
		kv_add(t[0], "meters", "none");
		return tables_print(f, t, 1);
	}

	t[1] = table_new_columns(0, meter_cols, NCOLS(meter_cols));
	if (!t[1])
		return tables_print(f, t, 2);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(meters, i);

		table_row(t[1]);
		table_cell(t[1], "%s", jstr(m, "unit", "-"));
		table_cell(t[1], "%s", jstr(m, "rate", "-"));
		table_cell(t[1], "%s", ju64_str(m, "burst", num, sizeof(num)));
		table_cell(t[1], "%s", ju64_str(m, "tokens", num, sizeof(num)));
		table_cell(t[1], "%s", ms_str(m, "next_token_ms", num, sizeof(num)));
	}
	t[2] = ctl_glob_client(jget(d, "global"));
	return tables_print(f, t, t[2] ? 3 : 2);
}

/* ---- reload, mode, detach ------------------------------------------ */

int ctl_print_reload(FILE *f, json_object *d)
{
	json_object *changed = jget(d, "changed"), *sum;
	size_t n;
	int err;

	if (!json_object_is_type(changed, json_type_boolean))
		return -EBADMSG;
	err = jlist(d, "summary", true, &sum, &n);
	if (err)
		return err;
	if (!json_object_get_boolean(changed)) {
		fprintf(f, "no change\n");
		return 0;
	}
	if (n == 1) {
		fprintf(f, "reloaded: %s\n",
			json_object_get_string(json_object_array_get_idx(sum, 0)));
		return 0;
	}
	fprintf(f, "reloaded%s\n", n ? ":" : "");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %s\n",
			json_object_get_string(json_object_array_get_idx(sum, i)));
	return 0;
}

int ctl_print_mode(FILE *f, json_object *d)
{
	const char *mode = jstr(d, "mode", NULL);

	if (!mode)
		return -EBADMSG;
	fprintf(f, "mode set to %s\n", mode);
	return 0;
}

/* "a, b, c" from an array of strings. */
static void names_print(FILE *f, json_object *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "",
			json_object_get_string(json_object_array_get_idx(list, i)));
}

int ctl_print_detach(FILE *f, json_object *d)
{
	json_object *list;
	size_t n;
	int err;

	err = jlist(d, "detached", true, &list, &n);
	if (err)
		return err;
	if (!n) {
		fprintf(f, "nothing was attached; sluiced exits\n");
		return 0;
	}
	fprintf(f, "detached: ");
	names_print(f, list, n);
	fprintf(f, "; sluiced exits\n");
	return 0;
}

/* ---- config check --------------------------------------------------- */

json_object *ctl_config_summary(const char *file, const struct sl_config *cfg)
{
	json_object *o = json_object_new_object();
	json_object *tiers = json_object_new_array();
	json_object *ifs = json_object_new_array();
	json_object *guards = json_object_new_object();
	char hash[20];
	int npfx = 0, bad = 0;

	if (!o || !tiers || !ifs || !guards)
		goto fail;
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)cfg->hash);
	for (int i = 0; i < cfg->ntiers; i++) {
		const struct cfg_tier *t = &cfg->tiers[i];

		npfx += t->nmatch;
		bad |= json_object_array_add(tiers,
				json_object_new_string(t->name));
		if (t->flood_guard)
			bad |= json_object_object_add(guards, t->name,
						      flood_guard_json(t, 0));
	}
	for (int i = 0; i < cfg->niface; i++)
		bad |= json_object_array_add(ifs,
				json_object_new_string(cfg->ifaces[i].name));
	bad |= json_object_object_add(o, "file", json_object_new_string(file));
	bad |= json_object_object_add(o, "ok", json_object_new_boolean(1));
	bad |= json_object_object_add(o, "hash", json_object_new_string(hash));
	bad |= json_object_object_add(o, "mode", json_object_new_string(
		mode_name(cfg->mode)));
	bad |= json_object_object_add(o, "tiers", tiers);
	tiers = NULL;	/* owned by o from here */
	bad |= json_object_object_add(o, "prefixes", json_object_new_int(npfx));
	bad |= json_object_object_add(o, "interfaces", ifs);
	ifs = NULL;
	bad |= json_object_object_add(o, "client_table_size",
			json_object_new_int64(cfg->client_table_size));
	/* Per tier with one: who lets new clients in how fast. */
	bad |= json_object_object_add(o, "flood_guards", guards);
	guards = NULL;
	if (bad)
		goto fail;
	return o;
fail:
	json_object_put(o);
	json_object_put(tiers);
	json_object_put(ifs);
	json_object_put(guards);
	return NULL;
}

/* "flood guards: normal 10485/s b20970 (default), vip 100/s b200"; no
 * line from a summary without them. */
static bool guards_ok(json_object *g)
{
	char text[96];

	if (!g)
		return true;
	if (!json_object_is_type(g, json_type_object))
		return false;
	json_object_object_foreach(g, name, guard) {
		(void)name;
		if (!guard_text(guard, text, sizeof(text)))
			return false;
	}
	return true;
}

static void guards_print(FILE *f, json_object *g)
{
	const char *sep = "";
	char text[96];

	if (!g)
		return;
	fprintf(f, "flood guards:");
	json_object_object_foreach(g, name, guard) {
		guard_text(guard, text, sizeof(text));
		fprintf(f, "%s %s %s", sep, name, text);
		sep = ",";
	}
	fprintf(f, "%s\n", *sep ? "" : " none");
}

int ctl_print_config(FILE *f, json_object *s)
{
	json_object *tiers, *ifs;
	char num[FIELD_MAX];
	size_t nt, ni;
	int err;

	err = jlist(s, "tiers", true, &tiers, &nt);
	if (!err)
		err = jlist(s, "interfaces", true, &ifs, &ni);
	if (!err && !guards_ok(jget(s, "flood_guards")))
		err = -EBADMSG;
	if (err)
		return err;
	fprintf(f, "%s: ok\n", jstr(s, "file", "-"));
	fprintf(f, "%zu tier%s (", nt, nt == 1 ? "" : "s");
	names_print(f, tiers, nt);
	fprintf(f, "), %s prefixes, interfaces: ",
		ju64_str(s, "prefixes", num, sizeof(num)));
	if (ni)
		names_print(f, ifs, ni);
	else
		fprintf(f, "none");
	fprintf(f, ", mode %s\n", jstr(s, "mode", "-"));
	guards_print(f, jget(s, "flood_guards"));
	return 0;
}
