// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control protocol's "breaker" and "degrade" (gates.h):
 *
 *   {"cmd":"breaker"}                              every breaker
 *   {"cmd":"breaker","service":S,"force":"open|closed|auto","for_s":D}
 *   {"cmd":"degrade"}                              the level and why
 *   {"cmd":"degrade","level":N|"auto","for_s":D,"reason":T,"pin":B}
 *
 * Times are seconds from now (since_s: ago), null when there is none.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "daemon/gates.h"
#include "daemon/daemon.h"
#include "common/clock.h"
#include "common/json_num.h"
#include "common/names.h"

#define MAX_FOR_S	(7 * 86400.0)

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *jsec(double s)
{
	return json_num_rounded(s, 3);
}

/* ns from now, or null */
static json_object *jahead(__u64 at_ns, __u64 now_ns)
{
	if (!at_ns)
		return NULL;
	return jsec(at_ns > now_ns ? (at_ns - now_ns) / 1e9 : 0);
}

static json_object *jago(__u64 at_ns, __u64 now_ns)
{
	return jsec(now_ns > at_ns ? (now_ns - at_ns) / 1e9 : 0);
}

static const char *next_state(const struct breaker *b)
{
	if (b->force == BREAKER_FORCE_OPEN)
		return b->force_until_ns ? "half_open" : NULL;
	if (b->force == BREAKER_FORCE_CLOSED)
		return b->force_until_ns ? "closed" : NULL;
	return b->state == BREAKER_OPEN ? "half_open" : NULL;
}

static json_object *breaker_json(const struct gate_svc *gs, __u64 now)
{
	const struct breaker *b = &gs->b;
	json_object *o = json_object_new_object(), *p, *t, *sh;
	struct breaker_view v;
	const char *ns;

	breaker_view(b, now, &v);
	jset(o, "service", json_object_new_string(gs->name));
	jset(o, "state", json_object_new_string(breaker_state_name(v.state)));
	jset(o, "forced", json_object_new_boolean(v.force != BREAKER_AUTO));
	jset(o, "force", json_object_new_string(breaker_force_name(v.force)));
	jset(o, "forced_by", v.force != BREAKER_AUTO && gs->forced_by[0] ?
	     json_object_new_string(gs->forced_by) : NULL);
	jset(o, "force_expires_in_s", v.force ? jahead(v.force_until_ns, now) : NULL);
	jset(o, "since_s", jago(v.since_ns, now));
	jset(o, "window_s", jsec(b->cfg.window_ns / 1e9));
	jset(o, "completed", json_object_new_int64(v.completed));
	jset(o, "failed", json_object_new_int64(v.failed));
	jset(o, "slow", json_object_new_int64(v.slow));
	jset(o, "failure_rate", json_num_rounded(v.failure_rate, 4));
	jset(o, "slow_rate", json_num_rounded(v.slow_rate, 4));
	jset(o, "failure_rate_limit", json_num_rounded(b->cfg.failure_rate, 4));
	jset(o, "slow_rate_limit", json_num_rounded(b->cfg.slow_rate, 4));
	ns = next_state(b);
	jset(o, "next_state", ns ? json_object_new_string(ns) : NULL);
	jset(o, "next_transition_s", ns ? jahead(v.next_ns, now) : NULL);
	jset(o, "opens", json_object_new_int64(v.opens_total));
	jset(o, "backoff_step", json_object_new_int64(v.opens));
	jset(o, "open_s", jsec(v.open_ns / 1e9));
	jset(o, "next_open_s", jsec(breaker_next_open(b) / 1e9));
	p = json_object_new_object();
	jset(p, "budget", json_object_new_int64(b->cfg.half_open_probes));
	jset(p, "passed", json_object_new_int64(v.probes_passed));
	jset(p, "ok", json_object_new_int64(v.probes_ok));
	jset(p, "failed", json_object_new_int64(v.probes_failed));
	jset(o, "probes", p);
	t = json_object_new_object();
	for (int f = 0; f < BREAKER_STATES; f++)
		for (int to = 0; to < BREAKER_STATES; to++) {
			char k[40];

			if (f == to)
				continue;
			snprintf(k, sizeof(k), "%s_%s", breaker_state_name(f),
				 breaker_state_name(to));
			jset(t, k, json_object_new_int64(b->transitions[f][to]));
		}
	jset(o, "transitions", t);
	sh = json_object_new_object();
	jset(sh, "breaker", json_object_new_int64(gs->shed_total_breaker));
	jset(sh, "degrade", json_object_new_int64(gs->shed_total_degrade));
	jset(o, "shed_requests", sh);
	return o;
}

static int get_for(json_object *req, __u64 now, __u64 *until, char *err,
		   size_t errlen)
{
	json_object *v;
	double s;

	*until = 0;
	if (!json_object_object_get_ex(req, "for_s", &v) || !v)
		return 0;
	s = json_object_get_double(v);
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		s = NAN;
	if (!(s > 0 && s <= MAX_FOR_S)) {
		snprintf(err, errlen, "expected \"for_s\": seconds, more than 0 and at most 7 days, got '%s'",
			 json_object_get_string(v));
		return -EINVAL;
	}
	*until = now + (__u64)(s * 1e9);
	return 0;
}

static const char *get_str(json_object *req, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

int gates_cmd_breaker(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	__u64 now = clock_ns(CLOCK_MONOTONIC), until = 0;
	const char *name = get_str(req, "service"), *force = get_str(req, "force");
	json_object *o, *a;
	struct gate_svc *gs = NULL;
	enum breaker_force f = BREAKER_AUTO;
	int rc;

	if (!d->gates) {
		snprintf(err, errlen, "the breakers are not running (no interface attached)");
		return -ENODEV;
	}
	if (name) {
		gs = gates_find(d->gates, name);
		if (!gs || !gs->has_breaker) {
			snprintf(err, errlen, "%s '%s'%s", gs ? "no breaker on service" :
				 "no service", name, gs ? " (give it a `breaker:` in the config)" :
				 " in the running config (see `sluicectl services`)");
			return -ENOENT;
		}
	}
	if (force) {
		if (!gs) {
			snprintf(err, errlen, "\"force\" needs a \"service\"");
			return -EINVAL;
		}
		if (!strcmp(force, "open"))
			f = BREAKER_FORCE_OPEN;
		else if (!strcmp(force, "closed"))
			f = BREAKER_FORCE_CLOSED;
		else if (strcmp(force, "auto")) {
			snprintf(err, errlen, "expected \"force\": open, closed or auto, got '%s'",
				 force);
			return -EINVAL;
		}
		rc = get_for(req, now, &until, err, errlen);
		if (rc)
			return rc;
		if (f == BREAKER_AUTO && until) {
			snprintf(err, errlen, "auto takes no duration (it is what a forced state returns to)");
			return -EINVAL;
		}
		rc = gates_force(d, name, f, until, now);
		if (rc) {
			snprintf(err, errlen, "forcing breaker %s failed: %s", name,
				 strerror(-rc));
			return rc;
		}
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (int i = 0; i < gates_count(d->gates); i++) {
		struct gate_svc *s = gates_svc(d->gates, i);

		if (s->has_breaker && (!gs || s == gs))
			json_object_array_add(a, breaker_json(s, now));
	}
	jset(o, "breakers", a);
	*data = o;
	return 0;
}

static json_object *degrade_json(struct sl_daemon *d, __u64 now)
{
	const struct sl_config *cfg = d->cfg;
	struct degrade *dg = gates_degrade(d->gates);
	json_object *o = json_object_new_object(), *m, *au, *al, *sh, *kp, *t, *sf;
	unsigned int level = degrade_level(dg);
	struct degrade_signal sig;

	jset(o, "level", json_object_new_int(level));
	jset(o, "source", json_object_new_string(degrade_source_name(degrade_source(dg))));
	jset(o, "since_s", jago(degrade_since(dg), now));
	jset(o, "reason", json_object_new_string(degrade_reason(dg)));
	jset(o, "pinned", json_object_new_boolean(dg->manual && dg->pin));
	m = NULL;
	if (dg->manual) {
		m = json_object_new_object();
		jset(m, "level", json_object_new_int(dg->manual_level));
		jset(m, "pinned", json_object_new_boolean(dg->pin));
		jset(m, "since_s", jago(dg->manual_since_ns, now));
		jset(m, "expires_in_s", jahead(dg->manual_until_ns, now));
		jset(m, "reason", json_object_new_string(dg->manual_reason));
	}
	jset(o, "manual", m);
	au = json_object_new_object();
	jset(au, "enabled", json_object_new_boolean(cfg->has_degrade));
	jset(au, "level", json_object_new_int(dg->auto_level));
	jset(au, "reason", json_object_new_string(dg->auto_reason));
	if (gates_signal(d->gates, &sig)) {
		json_object *s = json_object_new_object();

		jset(s, "error_rate", json_num_rounded(sig.error_rate, 4));
		jset(s, "p99_s", isnan(sig.p99_s) ? NULL : json_num_rounded(sig.p99_s, 4));
		jset(s, "requests", json_object_new_int64(sig.requests));
		jset(au, "signal", s);
	}
	jset(o, "auto", au);
	al = json_object_new_array();
	for (int i = 0; i < DEGRADE_ALERTS; i++) {
		const struct degrade_alert *a = &dg->alerts[i];
		json_object *x;

		if (!a->fp[0])
			continue;
		x = json_object_new_object();
		jset(x, "fingerprint", json_object_new_string(a->fp));
		jset(x, "name", json_object_new_string(a->name));
		jset(x, "level", json_object_new_int(a->level));
		jset(x, "since_s", jago(a->since_ns, now));
		jset(x, "expires_in_s", jahead(a->until_ns, now));
		json_object_array_add(al, x);
	}
	jset(o, "alerts", al);
	sh = json_object_new_array();
	kp = json_object_new_array();
	for (int s = 0; s < cfg->nservices; s++)
		json_object_array_add(degrade_shed(&cfg->degrade, cfg->services[s].priority,
						   level) ? sh : kp,
				      json_object_new_string(cfg->services[s].name));
	jset(o, "shed", sh);
	jset(o, "kept", kp);
	sf = json_object_new_object();
	for (int p = 0; p < DEGRADE_PRIOS; p++)
		jset(sf, name_of(&cfg_svc_priority_names, p),
		     cfg->degrade.shed_from[p] ?
		     json_object_new_int(cfg->degrade.shed_from[p]) : NULL);
	jset(o, "shed_from", sf);
	t = json_object_new_array();
	for (int i = 0; i < cfg->ntiers; i++) {
		json_object *x = json_object_new_object(), *fs = json_object_new_array();

		jset(x, "name", json_object_new_string(cfg->tiers[i].name));
		jset(x, "factor", json_num_rounded(level < DEGRADE_LEVELS ?
						   cfg->tiers[i].degrade[level] : 1, 4));
		for (int l = 0; l < DEGRADE_LEVELS; l++)
			json_object_array_add(fs, json_num_rounded(cfg->tiers[i].degrade[l], 4));
		jset(x, "factors", fs);
		json_object_array_add(t, x);
	}
	jset(o, "tiers", t);
	jset(o, "tiers_level", json_object_new_int(gates_tiers_level(d->gates)));
	return o;
}

int gates_cmd_degrade(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	__u64 now = clock_ns(CLOCK_MONOTONIC), until = 0;
	json_object *lv, *pv;
	const char *reason = get_str(req, "reason");
	bool pin = false;
	int level = -2, rc;

	if (!d->gates) {
		snprintf(err, errlen, "the degrade controller is not running (no interface attached)");
		return -ENODEV;
	}
	if (json_object_object_get_ex(req, "level", &lv) && lv) {
		if (json_object_is_type(lv, json_type_int))
			level = json_object_get_int(lv);
		else if (json_object_is_type(lv, json_type_string) &&
			 !strcmp(json_object_get_string(lv), "auto"))
			level = -1;
		if (level < -1 || level > DEGRADE_MAX) {
			snprintf(err, errlen, "expected \"level\": 0 to %d or \"auto\", got '%s'",
				 DEGRADE_MAX, json_object_get_string(lv));
			return -EINVAL;
		}
	}
	if (json_object_object_get_ex(req, "pin", &pv) && pv)
		pin = json_object_get_boolean(pv);
	rc = get_for(req, now, &until, err, errlen);
	if (rc)
		return rc;
	if (level == -1 && (until || pin || reason)) {
		snprintf(err, errlen, "auto takes no --for, --reason or --pin");
		return -EINVAL;
	}
	if (level == -2 && (until || pin || reason)) {
		snprintf(err, errlen, "--for, --reason and --pin need a level");
		return -EINVAL;
	}
	if (level >= -1) {
		rc = gates_manual(d, level, until, pin, reason, now);
		if (rc) {
			snprintf(err, errlen, "setting the degrade level failed: %s",
				 strerror(-rc));
			return rc;
		}
	}
	*data = degrade_json(d, now);
	return 0;
}
