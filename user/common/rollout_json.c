// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A controller's state as JSON and back (common/rollout.h): what
 * sluiced persists over a restart.  The window's starting counters go as
 * the rows that counted something, the baselines as [kind, tier, rate].
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/rollout.h"

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *ju(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static uint64_t gu(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       (uint64_t)json_object_get_int64(v) : 0;
}

static double gd(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

static const char *gs(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

/* The rows that counted something: [[tier, total, refused, edge]...]. */
static json_object *sample_json(const struct ro_sample *s)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (int t = 0; t < RO_TIERS; t++) {
		const struct ro_counts *c = &s->tier[t];
		json_object *row;

		if (!c->total && !c->refused && !c->edge)
			continue;
		row = json_object_new_array();
		json_object_array_add(row, json_object_new_int(t));
		json_object_array_add(row, ju(c->total));
		json_object_array_add(row, ju(c->refused));
		json_object_array_add(row, ju(c->edge));
		json_object_array_add(a, row);
	}
	jset(o, "tiers", a);
	jset(o, "outcomes", ju(s->outcomes));
	jset(o, "errors", ju(s->errors));
	return o;
}

static int sample_from(json_object *o, struct ro_sample *s)
{
	json_object *a;

	memset(s, 0, sizeof(*s));
	if (!o || !json_object_object_get_ex(o, "tiers", &a) ||
	    !json_object_is_type(a, json_type_array))
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *row = json_object_array_get_idx(a, i);
		int t;

		if (!json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) != 4)
			return -EBADMSG;
		t = json_object_get_int(json_object_array_get_idx(row, 0));
		if (t < 0 || t >= RO_TIERS)
			return -EBADMSG;
		s->tier[t].total = (uint64_t)json_object_get_int64(json_object_array_get_idx(row, 1));
		s->tier[t].refused = (uint64_t)json_object_get_int64(json_object_array_get_idx(row, 2));
		s->tier[t].edge = (uint64_t)json_object_get_int64(json_object_array_get_idx(row, 3));
	}
	s->outcomes = gu(o, "outcomes");
	s->errors = gu(o, "errors");
	return 0;
}

json_object *ro_json(const struct rollout *ro)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object(),
		    *st = json_object_new_array(), *b = json_object_new_array();

	for (int i = 0; i < ro->p.nsteps; i++)
		json_object_array_add(st, json_object_new_int((int)ro->p.steps[i]));
	jset(p, "steps", st);
	jset(p, "every_ms", ju(ro->p.every_ms));
	jset(p, "shadow_ms", ju(ro->p.shadow_ms));
	jset(p, "max_refusal_increase", json_object_new_double(ro->p.max_refusal));
	jset(p, "max_error_increase", json_object_new_double(ro->p.max_error));
	jset(p, "min_packets", ju(ro->p.min_packets));
	jset(p, "min_responses", ju(ro->p.min_responses));
	jset(p, "services", json_object_new_boolean(ro->p.services));
	jset(o, "params", p);
	jset(o, "state", json_object_new_string(ro_state_name(ro->state)));
	jset(o, "step", json_object_new_int(ro->step));
	jset(o, "started_ms", ju(ro->started_ms));
	jset(o, "phase_ms", ju(ro->phase_ms));
	jset(o, "ended_ms", ju(ro->ended_ms));
	jset(o, "waiting", json_object_new_boolean(ro->waiting));
	jset(o, "reason", json_object_new_string(ro->reason));
	jset(o, "snap_total", sample_json(&ro->snap_total));
	jset(o, "snap_canary", sample_json(&ro->snap_canary));
	/* [[kind, tier, rate]...]: the control's figures an empty control
	 * cohort (100%) is judged against. */
	for (int k = 0; k < RO_G__KINDS; k++)
		for (int t = 0; t <= RO_TIERS; t++) {
			json_object *row;

			if (!ro->base[k][t].set)
				continue;
			row = json_object_new_array();
			json_object_array_add(row, json_object_new_int(k));
			json_object_array_add(row, json_object_new_int(t));
			json_object_array_add(row, json_object_new_double(ro->base[k][t].rate));
			json_object_array_add(b, row);
		}
	jset(o, "baselines", b);
	return o;
}

int ro_from_json(json_object *o, struct rollout *ro)
{
	json_object *p, *st, *b, *v;
	const char *state = gs(o, "state"), *reason = gs(o, "reason");
	int rc;

	memset(ro, 0, offsetof(struct rollout, tier_name));
	if (!state || (ro->state = ro_state_parse(state)) < 0 ||
	    !json_object_object_get_ex(o, "params", &p) ||
	    !json_object_object_get_ex(p, "steps", &st) ||
	    !json_object_is_type(st, json_type_array) ||
	    json_object_array_length(st) > RO_MAX_STEPS)
		return -EBADMSG;
	ro->p.nsteps = (int)json_object_array_length(st);
	for (int i = 0; i < ro->p.nsteps; i++)
		ro->p.steps[i] = (uint32_t)json_object_get_int(json_object_array_get_idx(st, i));
	ro->p.every_ms = gu(p, "every_ms");
	ro->p.shadow_ms = gu(p, "shadow_ms");
	ro->p.max_refusal = gd(p, "max_refusal_increase");
	ro->p.max_error = gd(p, "max_error_increase");
	ro->p.min_packets = gu(p, "min_packets");
	ro->p.min_responses = gu(p, "min_responses");
	ro->p.services = json_object_object_get_ex(p, "services", &v) &&
			 json_object_get_boolean(v);
	ro->step = (int)gu(o, "step");
	if (ro->step < 0 || ro->step >= ro->p.nsteps)
		return -EBADMSG;
	ro->started_ms = gu(o, "started_ms");
	ro->phase_ms = gu(o, "phase_ms");
	ro->ended_ms = gu(o, "ended_ms");
	ro->waiting = json_object_object_get_ex(o, "waiting", &v) &&
		      json_object_get_boolean(v);
	snprintf(ro->reason, sizeof(ro->reason), "%s", reason ? reason : "");
	json_object_object_get_ex(o, "snap_total", &v);
	rc = sample_from(v, &ro->snap_total);
	if (!rc) {
		json_object_object_get_ex(o, "snap_canary", &v);
		rc = sample_from(v, &ro->snap_canary);
	}
	if (rc)
		return rc;
	if (json_object_object_get_ex(o, "baselines", &b) &&
	    json_object_is_type(b, json_type_array))
		for (size_t i = 0; i < json_object_array_length(b); i++) {
			json_object *row = json_object_array_get_idx(b, i);
			int k = json_object_get_int(json_object_array_get_idx(row, 0));
			int t = json_object_get_int(json_object_array_get_idx(row, 1));

			if (k < 0 || k >= RO_G__KINDS || t < 0 || t > RO_TIERS)
				return -EBADMSG;
			ro->base[k][t].set = true;
			ro->base[k][t].rate =
				json_object_get_double(json_object_array_get_idx(row, 2));
		}
	return 0;
}

