// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `sluicectl rollout ...` (ctl_rollout.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_rollout.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_config.h"
#include "ctl/ctl_gates.h"
#include "ctl/ctl_json.h"
#include "common/rollout.h"
#include "config/duration.h"

static int parse_frac(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end == s || *end || !(*v >= 0 && *v <= 1) ? -EINVAL : 0;
}

static int parse_ms(const char *s, uint64_t *ms)
{
	uint64_t ns;

	if (cfg_duration_parse(s, &ns) || ns < 1000000000ULL ||
	    ns > 7 * 86400ULL * 1000000000ULL)
		return -EINVAL;
	*ms = ns / 1000000;
	return 0;
}

/* --percent P: the first step is P, later steps at or under P go. */
static int apply_percent(const char *s, struct ro_params *p)
{
	struct ro_params q = *p;
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1 || v > 100)
		return -EINVAL;
	q.nsteps = 0;
	q.steps[q.nsteps++] = (uint32_t)v;
	for (int i = 0; i < p->nsteps; i++)
		if (p->steps[i] > (uint32_t)v)
			q.steps[q.nsteps++] = p->steps[i];
	*p = q;
	return 0;
}

static json_object *start_request(const char *file,
				  const struct ctl_rollout_opts *o, char *err,
				  size_t errlen, int *file_err)
{
	struct ro_params p;
	json_object *req, *st;
	char *end;
	uint64_t mp;

	ro_params_default(&p);
	if (o->steps && ro_steps_parse(o->steps, &p)) {
		snprintf(err, errlen, "--steps: expected increasing percentages 1 to 100, comma-separated (5,25,50,100), got '%s'",
			 o->steps);
		return NULL;
	}
	if (o->percent && apply_percent(o->percent, &p)) {
		snprintf(err, errlen, "--percent: expected 1 to 100, got '%s'", o->percent);
		return NULL;
	}
	if (o->every && parse_ms(o->every, &p.every_ms)) {
		snprintf(err, errlen, "--every: expected a duration from 1s to 7d (30s, 1m), got '%s'",
			 o->every);
		return NULL;
	}
	if (o->shadow_first && parse_ms(o->shadow_first, &p.shadow_ms)) {
		snprintf(err, errlen, "--shadow-first: expected a duration from 1s to 7d, got '%s'",
			 o->shadow_first);
		return NULL;
	}
	if (o->max_refusal && parse_frac(o->max_refusal, &p.max_refusal)) {
		snprintf(err, errlen, "--max-refusal-increase: expected 0 to 1 (0.02 = 2 points), got '%s'",
			 o->max_refusal);
		return NULL;
	}
	if (o->max_error && parse_frac(o->max_error, &p.max_error)) {
		snprintf(err, errlen, "--max-error-increase: expected 0 to 1 (0.01 = 1 point), got '%s'",
			 o->max_error);
		return NULL;
	}
	if (o->min_packets) {
		mp = strtoull(o->min_packets, &end, 10);
		if (end == o->min_packets || *end || !mp || mp > 1000000000ULL) {
			snprintf(err, errlen, "--min-packets: expected 1 to 1000000000, got '%s'",
				 o->min_packets);
			return NULL;
		}
		p.min_packets = mp;
	}
	/* FILE validated and read exactly as `config push` does it. */
	req = ctl_config_push_request(file, err, errlen);
	if (!req) {
		*file_err = 1;
		return NULL;
	}
	json_object_object_add(req, "cmd", json_object_new_string("rollout_start"));
	st = json_object_new_array();
	for (int i = 0; i < p.nsteps; i++)
		json_object_array_add(st, json_object_new_int((int)p.steps[i]));
	json_object_object_add(req, "steps", st);
	json_object_object_add(req, "every_ms", json_object_new_int64((int64_t)p.every_ms));
	json_object_object_add(req, "shadow_ms", json_object_new_int64((int64_t)p.shadow_ms));
	json_object_object_add(req, "min_packets", json_object_new_int64((int64_t)p.min_packets));
	json_object_object_add(req, "max_refusal_increase", json_object_new_double(p.max_refusal));
	json_object_object_add(req, "max_error_increase", json_object_new_double(p.max_error));
	return req;
}

json_object *ctl_rollout_request(int argc, char **argv,
				 const struct ctl_rollout_opts *o, char *err,
				 size_t errlen, int *file_err)
{
	const char *cmd = NULL;

	*err = 0;
	*file_err = 0;
	if (argc && !strcmp(argv[0], "start")) {
		if (argc != 2) {
			snprintf(err, errlen, argc < 2 ? "rollout start: missing FILE" :
				 "rollout start: unexpected argument '%s'", argv[argc - 1]);
			return NULL;
		}
		return start_request(argv[1], o, err, errlen, file_err);
	}
	if (o->given) {
		snprintf(err, errlen, "%s applies to rollout start only", o->given);
		return NULL;
	}
	if (!argc || !strcmp(argv[0], "status"))
		cmd = "rollout_status";
	else if (!strcmp(argv[0], "promote"))
		cmd = "rollout_promote";
	else if (!strcmp(argv[0], "abort"))
		cmd = "rollout_abort";
	if (!cmd) {
		snprintf(err, errlen, "rollout: unknown action '%s' (expected start FILE, promote or abort)",
			 argv[0]);
		return NULL;
	}
	if (argc > 1) {
		snprintf(err, errlen, "rollout %s: unexpected argument '%s'", argv[0], argv[1]);
		return NULL;
	}
	return ctl_request_new(cmd);
}

static const char *pct(json_object *o, const char *key, char *buf, size_t size)
{
	double v;

	if (!jnum(o, key, &v))
		return "-";
	snprintf(buf, size, "%.2f%%", 100 * v);
	return buf;
}

static int guards_table(FILE *f, json_object *gs, size_t n, bool *any_base)
{
	static const struct table_colspec cols[] = {
		{ "GUARD", TABLE_LEFT }, { "TIER", TABLE_LEFT },
		{ "CANARY", TABLE_RIGHT }, { "OF", TABLE_RIGHT },
		{ "CONTROL", TABLE_RIGHT }, { "OF", TABLE_RIGHT },
		{ "INCREASE", TABLE_RIGHT }, { "MAX", TABLE_RIGHT },
		{ "VERDICT", TABLE_LEFT },
	};
	struct table *t = table_new_columns(0, cols, NCOLS(cols));
	char a[32], b[TABLE_HUMAN_MAX];
	uint64_t v;
	double x;
	int err;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(gs, i);
		json_object *c = jget(g, "canary"), *k = jget(g, "control");
		bool base = json_object_get_boolean(jget(k, "baseline"));

		*any_base |= base;
		table_row(t);
		table_cell(t, "%s", jstr(g, "guard", "?"));
		table_cell(t, "%s", jstr(g, "tier", "?"));
		table_cell(t, "%s", pct(c, "rate", a, sizeof(a)));
		table_cell(t, "%s", ju64(c, "packets", &v) ?
			   table_human_count(v, b, sizeof(b)) : "-");
		table_cell(t, "%s%s", pct(k, "rate", a, sizeof(a)), base ? "*" : "");
		table_cell(t, "%s", ju64(k, "packets", &v) ?
			   table_human_count(v, b, sizeof(b)) : "-");
		table_cell(t, "%+.2f", jnum(g, "increase", &x) ? 100 * x : NAN);
		table_cell(t, "+%.2f", jnum(g, "max_increase", &x) ? 100 * x : NAN);
		table_cell(t, "%s", jstr(g, "verdict", "?"));
	}
	err = table_print(t, f, 0);
	table_free(t);
	return err;
}

int ctl_print_rollout(FILE *f, json_object *d)
{
	const char *state = jstr(d, "state", "?");
	json_object *gs, *sp, *ch, *p = jget(d, "params");
	char v[1024], t1[32], t2[32], t3[32], t4[32];
	bool base = false;
	size_t ng, ns, nc, n = 0;
	uint64_t step, nsteps, pc;
	struct table *t;
	double s, w, x, y;
	int err;

	err = jlist(d, "guards", false, &gs, &ng);
	if (!err)
		err = jlist(d, "applied_at_promotion", true, &sp, &ns);
	if (!err)
		err = jlist(d, "changes", true, &ch, &nc);
	if (err)
		return err;
	t = kv_new();
	if (!t)
		return -ENOMEM;
	if (!strcmp(state, "idle")) {
		kv_add(t, "rollout", "none (idle)");
		kv_add(t, "running", jstr(d, "running_hash", "-"));
		return tables_print(f, &t, 1);
	}
	if (!strcmp(state, "step") && ju64(d, "step", &step) &&
	    ju64(d, "nsteps", &nsteps) && ju64(d, "percent", &pc))
		snprintf(v, sizeof(v), "step %llu of %llu at %llu%%",
			 (unsigned long long)step, (unsigned long long)nsteps,
			 (unsigned long long)pc);
	else if (jstr(d, "by", NULL))
		snprintf(v, sizeof(v), "%s (by %s)", state, jstr(d, "by", "?"));
	else
		snprintf(v, sizeof(v), "%s", state);
	kv_add(t, "rollout", v);
	snprintf(v, sizeof(v), "%s (hash %s)", jstr(d, "name", "-"), jstr(d, "hash", "-"));
	kv_add(t, "candidate", v);
	kv_add(t, "running", jstr(d, "running_hash", "-"));
	if (jnum(d, "window_elapsed_s", &w) && jnum(d, "window_s", &x) &&
	    jnum(d, "elapsed_s", &s)) {
		snprintf(v, sizeof(v), "%s of %s, %s left (%s since the start)",
			 ctl_secs(w, t1, sizeof(t1)), ctl_secs(x, t2, sizeof(t2)),
			 jnum(d, "window_left_s", &y) ? ctl_secs(y, t3, sizeof(t3)) : "-",
			 ctl_secs(s, t4, sizeof(t4)));
		kv_add(t, "window", v);
	}
	kv_add(t, "next", jstr(d, "next", "-"));
	if (jstr(d, "reason", NULL))
		kv_add(t, "why", jstr(d, "reason", "-"));
	if (p) {
		json_object *st = jget(p, "steps");

		for (size_t i = 0; st && i < json_object_array_length(st) && n < sizeof(v); i++)
			n += snprintf(v + n, sizeof(v) - n, "%s%d", i ? "," : "",
				      json_object_get_int(json_object_array_get_idx(st, i)));
		snprintf(v + n, n < sizeof(v) ? sizeof(v) - n : 0,
			 "%% every %s%s", jnum(p, "every_s", &x) ? ctl_secs(x, t1, sizeof(t1)) : "-",
			 jnum(p, "shadow_first_s", &y) && y > 0 ? ", shadow first" : "");
		kv_add(t, "steps", v);
		snprintf(v, sizeof(v), "refusal +%.2f points, http errors +%.2f points%s; at least %s packets per cohort",
			 jnum(p, "max_refusal_increase", &x) ? 100 * x : NAN,
			 jnum(p, "max_error_increase", &y) ? 100 * y : NAN,
			 json_object_get_boolean(jget(p, "http_error_guard")) ? "" :
			 " (no services: unused)",
			 ju64_str(p, "min_packets", t1, sizeof(t1)));
		kv_add(t, "guards", v);
	}
	n = 0;
	v[0] = 0;
	for (size_t i = 0; i < ns; i++)
		n += snprintf(v + n, n < sizeof(v) ? sizeof(v) - n : 0, "%s%s",
			      i ? ", " : "",
			      json_object_get_string(json_object_array_get_idx(sp, i)));
	kv_add(t, "at promotion only", ns ? v : "nothing");
	err = tables_print(f, &t, 1);
	/* `rollout start`: how the canary policy differs. */
	if (!err && nc)
		fprintf(f, "\nthe canary policy against the running one:\n");
	for (size_t i = 0; !err && i < nc; i++)
		fprintf(f, "  %s\n", json_object_get_string(json_object_array_get_idx(ch, i)));
	if (!err && ng) {
		fputc('\n', f);
		err = guards_table(f, gs, ng, &base);
		if (!err && base)
			fprintf(f, "* the control's figure from an earlier window (the control cohort is too small now)\n");
	}
	return err;
}
