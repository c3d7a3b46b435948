// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/degrade.h"

#define S	1000000000ULL

void degrade_cfg_default(struct degrade_cfg *cfg)
{
	*cfg = (struct degrade_cfg){
		.enter = {
			[1] = { .error_rate = 0.05, .p99_s = 2.5 },
			[2] = { .error_rate = 0.20, .p99_s = 5 },
			[3] = { .error_rate = 0.50, .p99_s = 10 },
		},
		.exit = {
			[1] = { .error_rate = 0.02, .p99_s = 1 },
			[2] = { .error_rate = 0.10, .p99_s = 2.5 },
			[3] = { .error_rate = 0.30, .p99_s = 5 },
		},
		.hold_ns = 30 * S,
		.step_ns = 1 * S,
		.min_requests = 20,
		.alert_expire_ns = 15 * 60 * S,
		.shed_from = {
			[SL_SVC_PRIO_CORE] = 0,
			[SL_SVC_PRIO_NORMAL] = 2,
			[SL_SVC_PRIO_OPTIONAL] = 1,
		},
	};
}

/* One metric at one level: off in both, or 0 < exit < enter, and enter
 * not under the level below's (below 0: off there, or level 1). */
static const char *check_metric(double enter, double exit, double below,
				double max)
{
	if (!(enter >= 0 && enter <= max) || !(exit >= 0 && exit <= max))
		return "out of range";
	if (!enter != !exit)
		return "expected enter and exit both set or both 0";
	if (enter && exit >= enter)
		return "expected exit below enter";
	if (enter && below && enter < below)
		return "expected enter at least the level below's";
	return NULL;
}

int degrade_cfg_check(const struct degrade_cfg *c, char *err, size_t len)
{
	static const char *const keys[2] = { "error_rate", "p99" };
	const char *what = NULL, *key = NULL;
	int lvl = 0;

	for (lvl = 1; lvl <= DEGRADE_MAX; lvl++) {
		const struct degrade_threshold *in = &c->enter[lvl];
		const struct degrade_threshold *out = &c->exit[lvl];
		/* enter[0] means nothing: level 0 is not entered */
		struct degrade_threshold below = lvl > 1 ? c->enter[lvl - 1] :
					(struct degrade_threshold){ 0 };

		key = keys[0];
		what = check_metric(in->error_rate, out->error_rate,
				    below.error_rate, 1);
		if (what)
			break;
		key = keys[1];
		what = check_metric(in->p99_s, out->p99_s, below.p99_s, 3600);
		if (what)
			break;
	}
	if (what) {
		if (err && len)
			snprintf(err, len, "levels[%d].%s: %s", lvl, key, what);
		return -EINVAL;
	}
	if (c->hold_ns > 3600 * S)
		what = "hold: expected 0..1h";
	else if (c->step_ns > 3600 * S)
		what = "step: expected 0..1h";
	else if (c->alert_expire_ns < 1 * S || c->alert_expire_ns > 7 * 86400 * S)
		what = "alert_expire: expected 1s..7d";
	for (int p = 0; p < DEGRADE_PRIOS && !what; p++)
		if (c->shed_from[p] > DEGRADE_MAX)
			what = "shed: expected a level 1..3 or never";
	if (!what)
		return 0;
	if (err && len)
		snprintf(err, len, "%s", what);
	return -EINVAL;
}

bool degrade_shed(const struct degrade_cfg *cfg, enum sl_svc_priority prio,
		  unsigned int level)
{
	unsigned int from;

	if ((unsigned int)prio >= DEGRADE_PRIOS)
		return false;
	from = cfg->shed_from[prio];
	return from && level >= from;
}

/* --- changes --- */

static void note(struct degrade *d, __u64 now_ns, unsigned int from)
{
	struct degrade_event *e;

	if (d->n_events == DEGRADE_EVENTS)
		return;
	e = &d->events[d->n_events++];
	e->at_ns = now_ns;
	e->from = from;
	e->to = d->level;
	e->source = d->source;
	snprintf(e->reason, sizeof(e->reason), "%s", d->reason);
}

static const struct degrade_alert *alert_top(const struct degrade *d)
{
	const struct degrade_alert *top = NULL;

	for (int i = 0; i < DEGRADE_ALERTS; i++) {
		const struct degrade_alert *a = &d->alerts[i];

		if (a->fp[0] && (!top || a->level > top->level))
			top = a;
	}
	return top;
}

static void expire(struct degrade *d, __u64 now_ns)
{
	if (d->manual && d->manual_until_ns && now_ns >= d->manual_until_ns)
		d->manual = d->pin = false;
	for (int i = 0; i < DEGRADE_ALERTS; i++)
		if (d->alerts[i].fp[0] && now_ns >= d->alerts[i].until_ns)
			d->alerts[i].fp[0] = 0;
}

/* The level from the sources; a change of level or source is noted. */
static int combine(struct degrade *d, __u64 now_ns)
{
	const struct degrade_alert *top;
	unsigned int from = d->level, from_src = d->source, lvl;
	enum degrade_source src;
	char reason[DEGRADE_REASON_MAX];

	expire(d, now_ns);
	top = alert_top(d);
	lvl = d->auto_level;
	src = DEGRADE_SRC_AUTO;
	snprintf(reason, sizeof(reason), "%s", d->auto_reason);
	if (top && top->level >= lvl) {
		lvl = top->level;
		src = DEGRADE_SRC_ALERT;
		snprintf(reason, sizeof(reason), "alert %s (%s) holds %u",
			 top->name[0] ? top->name : "?", top->fp, top->level);
	}
	if (d->manual && (d->pin || d->manual_level >= lvl)) {
		lvl = d->manual_level;
		src = d->pin ? DEGRADE_SRC_PINNED : DEGRADE_SRC_MANUAL;
		snprintf(reason, sizeof(reason), "%s",
			 d->manual_reason[0] ? d->manual_reason :
			 d->pin ? "pinned by hand" : "set by hand");
	}
	/* Nothing above 0: auto says so, whatever held it before. */
	if (!lvl && src != DEGRADE_SRC_PINNED && src != DEGRADE_SRC_AUTO) {
		src = DEGRADE_SRC_AUTO;
		snprintf(reason, sizeof(reason), "%s", d->auto_reason);
	}
	d->level = lvl;
	d->source = src;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	if (lvl != from)
		d->since_ns = now_ns;
	if (lvl == from && src == from_src)
		return 0;
	note(d, now_ns, from);
	return 1;
}

/* --- auto --- */

/* Under the level's exit on every metric it uses (or too few requests
 * to say otherwise). */
static bool signal_calm(const struct degrade *d,
			const struct degrade_signal *s, unsigned int lvl)
{
	const struct degrade_threshold *x = &d->cfg.exit[lvl];
	double p99 = isnan(s->p99_s) ? 0 : s->p99_s;

	if (s->requests < d->cfg.min_requests)
		return true;
	return (!x->error_rate || s->error_rate < x->error_rate) &&
	       (!x->p99_s || p99 < x->p99_s);
}

/* The next level's enter reached: why, or NULL. */
static const char *rising(const struct degrade *d,
			  const struct degrade_signal *s, unsigned int lvl,
			  char *why, size_t len)
{
	const struct degrade_threshold *in = &d->cfg.enter[lvl];
	double p99 = isnan(s->p99_s) ? 0 : s->p99_s;

	if (s->requests < d->cfg.min_requests)
		return NULL;
	if (in->error_rate && s->error_rate >= in->error_rate)
		snprintf(why, len, "error rate %.3f >= %.3f (level %u enter)",
			 s->error_rate, in->error_rate, lvl);
	else if (in->p99_s && p99 >= in->p99_s)
		snprintf(why, len, "p99 %.3fs >= %.3fs (level %u enter)",
			 p99, in->p99_s, lvl);
	else
		return NULL;
	return why;
}

static void auto_step(struct degrade *d, __u64 now_ns,
		      const struct degrade_signal *s)
{
	unsigned int lvl = d->auto_level;
	bool stepped = d->auto_moved && now_ns >= d->auto_at_ns &&
		       now_ns - d->auto_at_ns < d->cfg.step_ns;
	char why[DEGRADE_REASON_MAX];

	if (lvl < DEGRADE_MAX && rising(d, s, lvl + 1, why, sizeof(why))) {
		d->calm = false;
		if (stepped)
			return;	/* one level per step */
		d->auto_level = lvl + 1;
		d->auto_moved = true;
		d->auto_at_ns = now_ns;
		snprintf(d->auto_reason, sizeof(d->auto_reason), "%s", why);
		return;
	}
	if (!lvl)
		return;
	if (!signal_calm(d, s, lvl)) {
		d->calm = false;
		return;
	}
	if (!d->calm) {
		d->calm = true;
		d->calm_since_ns = now_ns;
	}
	if (now_ns < d->calm_since_ns ||
	    now_ns - d->calm_since_ns < d->cfg.hold_ns || stepped)
		return;
	d->auto_level = lvl - 1;
	d->auto_moved = true;
	d->auto_at_ns = now_ns;
	/* the level below must be calm for its own hold */
	d->calm = false;
	if (s->requests < d->cfg.min_requests)
		snprintf(d->auto_reason, sizeof(d->auto_reason),
			 "%llu requests < min_requests %u for %.0fs (level %u exit)",
			 (unsigned long long)s->requests, d->cfg.min_requests,
			 d->cfg.hold_ns / 1e9, lvl);
	else
		snprintf(d->auto_reason, sizeof(d->auto_reason),
			 "error rate %.3f, p99 %.3fs under level %u exit for %.0fs",
			 s->error_rate, isnan(s->p99_s) ? 0 : s->p99_s, lvl,
			 d->cfg.hold_ns / 1e9);
}

int degrade_tick(struct degrade *d, __u64 now_ns,
		 const struct degrade_signal *sig)
{
	d->n_events = 0;
	if (sig)
		auto_step(d, now_ns, sig);
	return combine(d, now_ns);
}

/* --- manual and alerts --- */

int degrade_manual(struct degrade *d, __u64 now_ns, unsigned int level,
		   __u64 until_ns, bool pin, const char *reason)
{
	d->n_events = 0;
	if (level > DEGRADE_MAX)
		return -EINVAL;
	d->manual = true;
	d->pin = pin;
	d->manual_level = level;
	d->manual_since_ns = now_ns;
	d->manual_until_ns = until_ns;
	snprintf(d->manual_reason, sizeof(d->manual_reason), "%s",
		 reason ? reason : "");
	return combine(d, now_ns);
}

int degrade_manual_clear(struct degrade *d, __u64 now_ns)
{
	d->n_events = 0;
	d->manual = d->pin = false;
	return combine(d, now_ns);
}

static struct degrade_alert *alert_find(struct degrade *d, const char *fp)
{
	for (int i = 0; i < DEGRADE_ALERTS; i++)
		if (d->alerts[i].fp[0] && !strcmp(d->alerts[i].fp, fp))
			return &d->alerts[i];
	return NULL;
}

int degrade_alert_hold(struct degrade *d, __u64 now_ns, const char *fp,
		       const char *name, unsigned int level, __u64 until_ns)
{
	struct degrade_alert *a;

	d->n_events = 0;
	if (!fp || !fp[0] || strlen(fp) >= DEGRADE_FP_MAX || level > DEGRADE_MAX)
		return -EINVAL;
	expire(d, now_ns);	/* an expired one's slot is free */
	a = alert_find(d, fp);
	for (int i = 0; !a && i < DEGRADE_ALERTS; i++)
		if (!d->alerts[i].fp[0]) {
			a = &d->alerts[i];
			memset(a, 0, sizeof(*a));
			snprintf(a->fp, sizeof(a->fp), "%s", fp);
			a->since_ns = now_ns;
		}
	if (!a)
		return -ENOSPC;
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
	a->level = level;
	a->until_ns = until_ns ? until_ns : now_ns + d->cfg.alert_expire_ns;
	return combine(d, now_ns);
}

int degrade_alert_release(struct degrade *d, __u64 now_ns, const char *fp)
{
	struct degrade_alert *a;

	d->n_events = 0;
	a = fp ? alert_find(d, fp) : NULL;
	if (a)
		a->fp[0] = 0;
	return combine(d, now_ns);
}

unsigned int degrade_alerts_held(const struct degrade *d)
{
	unsigned int n = 0;

	for (int i = 0; i < DEGRADE_ALERTS; i++)
		n += !!d->alerts[i].fp[0];
	return n;
}

/* --- setup and accessors --- */

void degrade_init(struct degrade *d, const struct degrade_cfg *cfg,
		  __u64 now_ns)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->since_ns = now_ns;
	snprintf(d->auto_reason, sizeof(d->auto_reason), "normal");
	snprintf(d->reason, sizeof(d->reason), "normal");
}

void degrade_reconfig(struct degrade *d, const struct degrade_cfg *cfg)
{
	d->cfg = *cfg;
}

unsigned int degrade_level(const struct degrade *d)
{
	return d->level;
}

enum degrade_source degrade_source(const struct degrade *d)
{
	return d->source;
}

__u64 degrade_since(const struct degrade *d)
{
	return d->since_ns;
}

const char *degrade_reason(const struct degrade *d)
{
	return d->reason;
}

const char *degrade_source_name(enum degrade_source s)
{
	static const char *const names[DEGRADE_SOURCES] = {
		[DEGRADE_SRC_AUTO] = "auto",
		[DEGRADE_SRC_MANUAL] = "manual",
		[DEGRADE_SRC_ALERT] = "alert",
		[DEGRADE_SRC_PINNED] = "pinned",
	};

	return (unsigned int)s < DEGRADE_SOURCES ? names[s] : "?";
}
