// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `sluicectl rollout ...` on the daemon's side (daemon/rollout.h):
 * rollout_start {"name","text", params}, rollout_status, rollout_promote,
 * rollout_abort; each answers with the rollout's state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/rollout.h"
#include "daemon/daemon.h"
#include "common/clock.h"
#include "common/json_num.h"
#include "sluice_rollout.h"

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *jsecs(uint64_t ms)
{
	return json_num_rounded(ms / 1000.0, 1);
}

/* Rates to the hundredth of a point (printed without float noise). */
static json_object *jrate(double v)
{
	return json_num_rounded(v, 6);
}

/* ---- what waits for promotion ---------------------------------------- */

static bool services_differ(const struct sl_config *a, const struct sl_config *b)
{
	if (a->nservices != b->nservices)
		return true;
	for (int i = 0; i < a->nservices; i++) {
		struct cfg_service x = a->services[i], y = b->services[i];

		/* Where it was written and where its reply lives are no
		 * difference; the reply's presence is. */
		if (!x.fallback != !y.fallback)
			return true;
		x.line = y.line = 0;
		x.fallback = y.fallback = NULL;
		if (memcmp(&x, &y, sizeof(x)))
			return true;
	}
	return false;
}

int rollout_split_sections(const struct sl_config *run,
			   const struct sl_config *cand, const char **out,
			   int max)
{
	int n = 0;

#define SPLIT(cond, name) do {			\
		if ((cond) && n < max)		\
			out[n++] = (name);	\
	} while (0)
	SPLIT(run->niface != cand->niface ||
	      memcmp(run->ifaces, cand->ifaces, sizeof(run->ifaces)), "interfaces");
	SPLIT(services_differ(run, cand), "services");
	SPLIT(run->has_degrade != cand->has_degrade ||
	      memcmp(&run->degrade, &cand->degrade, sizeof(run->degrade)), "degrade");
	SPLIT(run->mode != cand->mode, "mode");
	SPLIT(run->malformed != cand->malformed, "malformed");
	SPLIT(run->client_table_size != cand->client_table_size, "client_table_size");
	SPLIT(strcmp(run->control_socket, cand->control_socket), "control_socket");
	SPLIT(strcmp(run->metrics.text, cand->metrics.text), "metrics");
	SPLIT(memcmp(&run->edge_conn, &cand->edge_conn, sizeof(run->edge_conn)),
	      "edge_connections");
	SPLIT(run->log_level != cand->log_level, "log_level");
	SPLIT(memcmp(&run->webhook, &cand->webhook, sizeof(run->webhook)), "webhook");
	SPLIT(memcmp(&run->redis, &cand->redis, sizeof(run->redis)), "redis");
	SPLIT(memcmp(&run->config_source, &cand->config_source,
		     sizeof(run->config_source)), "config_source");
#undef SPLIT
	return n;
}

char *rollout_split_join(const struct rollout_run *r, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < r->nsplit && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? ", " : "", r->split[i]);
	return buf;
}

/* ---- the state ---------------------------------------------------------- */

static json_object *cohort_json(uint64_t n, uint64_t k, double rate)
{
	json_object *o = json_object_new_object();

	jset(o, "packets", json_object_new_int64((int64_t)n));
	jset(o, "counted", json_object_new_int64((int64_t)k));
	jset(o, "rate", jrate(rate));
	return o;
}

static json_object *guards_json(const struct rollout *ro)
{
	json_object *a = json_object_new_array();
	char b[16];

	for (int i = 0; i < ro->nguards; i++) {
		const struct ro_guard *g = &ro->guards[i];
		json_object *o = json_object_new_object(), *c;

		jset(o, "guard", json_object_new_string(ro_guard_kind_name(g->kind)));
		jset(o, "tier", json_object_new_string(ro_tier_name(ro, g->tier, b, sizeof(b))));
		jset(o, "verdict", json_object_new_string(ro_verdict_name(g->verdict)));
		jset(o, "canary", cohort_json(g->n_canary, g->k_canary, g->canary));
		c = cohort_json(g->n_control, g->k_control, g->control);
		jset(c, "baseline", json_object_new_boolean(g->baseline));
		jset(o, "control", c);
		jset(o, "increase", jrate(g->canary - g->control));
		jset(o, "max_increase", json_object_new_double(
			g->kind == RO_G_ERROR ? ro->p.max_error : ro->p.max_refusal));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *status_json(struct sl_daemon *d)
{
	struct rollout_run *r = d->rollout;
	const struct rollout *ro = &r->ro;
	json_object *o = json_object_new_object(), *p, *st, *sp;
	uint64_t now = now_ms(), end = ro_window_end(ro);
	char buf[RO_REASON_MAX + 64], hash[24];

	jset(o, "state", json_object_new_string(ro_state_name(ro->state)));
	jset(o, "running", json_object_new_boolean(ro_running(ro)));
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)d->cfg->hash);
	jset(o, "running_hash", json_object_new_string(hash));
	if (ro->state == RO_IDLE)
		return o;
	jset(o, "name", json_object_new_string(r->name));
	if (r->cand) {
		snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)r->cand->hash);
		jset(o, "hash", json_object_new_string(hash));
		jset(o, "seed", json_object_new_int64(r->seed));
	}
	jset(o, "step", ro->state == RO_STEP ?
	     json_object_new_int(ro->step + 1) : NULL);
	jset(o, "nsteps", json_object_new_int(ro->p.nsteps));
	jset(o, "percent", json_object_new_int((int)ro_percent(ro)));
	jset(o, "share", json_object_new_int64(ro_share(ro)));
	jset(o, "elapsed_s", jsecs((ro_running(ro) ? now : ro->ended_ms) -
				   ro->started_ms));
	if (ro_running(ro)) {
		jset(o, "window_s", jsecs(end - ro->phase_ms));
		jset(o, "window_elapsed_s", jsecs(now - ro->phase_ms));
		jset(o, "window_left_s", jsecs(end > now ? end - now : 0));
		jset(o, "waiting", json_object_new_boolean(ro->waiting));
	}
	jset(o, "next", json_object_new_string(ro_next(ro, now, buf, sizeof(buf))));
	jset(o, "reason", ro->reason[0] ? json_object_new_string(ro->reason) : NULL);
	jset(o, "by", r->by[0] ? json_object_new_string(r->by) : NULL);
	p = json_object_new_object();
	st = json_object_new_array();
	for (int i = 0; i < ro->p.nsteps; i++)
		json_object_array_add(st, json_object_new_int((int)ro->p.steps[i]));
	jset(p, "steps", st);
	jset(p, "every_s", jsecs(ro->p.every_ms));
	jset(p, "shadow_first_s", jsecs(ro->p.shadow_ms));
	jset(p, "max_refusal_increase", json_object_new_double(ro->p.max_refusal));
	jset(p, "max_error_increase", json_object_new_double(ro->p.max_error));
	jset(p, "min_packets", json_object_new_int64((int64_t)ro->p.min_packets));
	jset(p, "min_responses", json_object_new_int64((int64_t)ro->p.min_responses));
	jset(p, "http_error_guard", json_object_new_boolean(ro->p.services));
	jset(o, "params", p);
	sp = json_object_new_array();
	for (int i = 0; i < r->nsplit; i++)
		json_object_array_add(sp, json_object_new_string(r->split[i]));
	jset(o, "applied_at_promotion", sp);
	jset(o, "guards", guards_json(ro));
	return o;
}

json_object *rollout_client_json(struct sl_daemon *d, const struct cfg_prefix *addr)
{
	struct rollout_run *r = d->rollout;
	json_object *o;
	__u32 a[4];
	__u32 point;
	bool in;

	uint32_t share;

	if (!r || r->ro.state == RO_IDLE || !r->seed)
		return NULL;
	/* An ended rollout: where the client was when it ended (whom a
	 * rollback concerned). */
	share = ro_running(&r->ro) ? ro_share(&r->ro) :
		(uint32_t)((uint64_t)r->ro.last_percent * RO_SHARE_ONE / 100);
	memcpy(a, addr->addr, sizeof(a));
	point = sl_cohort_point(r->seed, addr->family, a);
	/* In shadow nobody is enforced by the candidate: share 0. */
	in = point < share;
	o = json_object_new_object();
	jset(o, "cohort", json_object_new_string(in ? "canary" : "control"));
	jset(o, "point", json_object_new_int64(point));
	jset(o, "share", json_object_new_int64(share));
	jset(o, "state", json_object_new_string(ro_state_name(r->ro.state)));
	jset(o, "running", json_object_new_boolean(ro_running(&r->ro)));
	return o;
}

/* ---- the commands ------------------------------------------------------- */

static int opt_u64(json_object *req, const char *key, uint64_t *v)
{
	json_object *x;

	if (!json_object_object_get_ex(req, key, &x))
		return 0;
	if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0)
		return -EINVAL;
	*v = (uint64_t)json_object_get_int64(x);
	return 0;
}

static int opt_double(json_object *req, const char *key, double *v)
{
	json_object *x;

	if (!json_object_object_get_ex(req, key, &x))
		return 0;
	if (!json_object_is_type(x, json_type_double) &&
	    !json_object_is_type(x, json_type_int))
		return -EINVAL;
	*v = json_object_get_double(x);
	return 0;
}

static int req_params(json_object *req, struct ro_params *p, char *err,
		      size_t errlen)
{
	json_object *st;

	ro_params_default(p);
	if (json_object_object_get_ex(req, "steps", &st)) {
		size_t n = json_object_is_type(st, json_type_array) ?
			   json_object_array_length(st) : 0;

		if (!n || n > RO_MAX_STEPS) {
			snprintf(err, errlen, "rollout_start: \"steps\": expected 1 to %d percentages",
				 RO_MAX_STEPS);
			return -EINVAL;
		}
		p->nsteps = (int)n;
		for (size_t i = 0; i < n; i++)
			p->steps[i] = (uint32_t)json_object_get_int(
				json_object_array_get_idx(st, i));
	}
	if (opt_u64(req, "every_ms", &p->every_ms) ||
	    opt_u64(req, "shadow_ms", &p->shadow_ms) ||
	    opt_u64(req, "min_packets", &p->min_packets) ||
	    opt_double(req, "max_refusal_increase", &p->max_refusal) ||
	    opt_double(req, "max_error_increase", &p->max_error)) {
		snprintf(err, errlen, "rollout_start: a parameter of the wrong type (every_ms, shadow_ms, min_packets: integers; the increases: numbers)");
		return -EINVAL;
	}
	return ro_params_check(p, err, errlen);
}

int rollout_cmd_start(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	struct apply_summary sum = {};
	struct ro_params p;
	json_object *t, *n, *ch;
	int rc;

	if (!json_object_object_get_ex(req, "text", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		snprintf(err, errlen, "rollout_start: missing \"text\" (the candidate's YAML)");
		return -EINVAL;
	}
	rc = req_params(req, &p, err, errlen);
	if (rc)
		return rc;
	rc = rollout_begin(d, json_object_object_get_ex(req, "name", &n) ?
			   json_object_get_string(n) : "rollout",
			   json_object_get_string(t),
			   (size_t)json_object_get_string_len(t), &p, &sum, err, errlen);
	if (!rc) {
		*data = status_json(d);
		ch = json_object_new_array();
		for (int i = 0; i < sum.n; i++)
			json_object_array_add(ch, json_object_new_string(sum.lines[i]));
		jset(*data, "changes", ch);
	}
	apply_summary_free(&sum);
	return rc;
}

int rollout_cmd_status(void *ctx, json_object *req, json_object **data,
		       char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	*data = status_json(ctx);
	return 0;
}

int rollout_cmd_promote(void *ctx, json_object *req, json_object **data,
			char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	int rc;

	(void)req;
	rc = rollout_promote_now(d, "sluicectl", err, errlen);
	if (!rc)
		*data = status_json(d);
	return rc;
}

int rollout_cmd_abort(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	int rc;

	(void)req;
	rc = rollout_abort_now(d, "sluicectl", err, errlen);
	if (!rc)
		*data = status_json(d);
	return rc;
}
