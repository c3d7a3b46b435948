// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The gray release's controller: phases, windows, guards (rollout.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/names.h"
#include "common/rollout.h"

static const char *const state_names[RO__STATES] = {
	[RO_IDLE] = "idle",
	[RO_SHADOW] = "shadow",
	[RO_STEP] = "step",
	[RO_PROMOTED] = "promoted",
	[RO_ROLLED_BACK] = "rolled_back",
	[RO_ABORTED] = "aborted",
};

static const char *const kind_names[RO_G__KINDS] = {
	[RO_G_REFUSAL] = "refusal",
	[RO_G_EDGE] = "edge_replies",
	[RO_G_ERROR] = "http_errors",
};

static const struct sl_names ro_state_names = { state_names, RO__STATES };

const char *ro_state_name(int state)
{
	return name_of(&ro_state_names, state);
}

int ro_state_parse(const char *s)
{
	return name_parse(&ro_state_names, s, 0);
}

const char *ro_guard_kind_name(int kind)
{
	return kind >= 0 && kind < RO_G__KINDS ? kind_names[kind] : "?";
}

const char *ro_verdict_name(int verdict)
{
	return verdict == RO_V_OK ? "ok" : verdict == RO_V_FEW ? "too_few" :
	       verdict == RO_V_FAIL ? "fail" : "?";
}

/* Refused by the policy, or would have been in shadow mode (both
 * cohorts count alike, so a running config in shadow mode compares
 * what each policy would do). */
bool ro_reason_refused(int reason)
{
	switch (reason) {
	case SL_R_DROPPED: case SL_R_RESET: case SL_R_HTTP:
	case SL_R_SHADOW_DROP: case SL_R_SHADOW_RESET: case SL_R_SHADOW_HTTP:
	case SL_R_DENYLISTED: case SL_R_FLOOD_DROP:
		return true;
	default:
		return false;
	}
}

/* Replies produced at the edge (limits, breakers, degrade). */
bool ro_reason_edge(int reason)
{
	return reason == SL_R_HTTP || reason == SL_R_SHADOW_HTTP ||
	       reason == SL_R_BREAKER || reason == SL_R_SHED;
}

void ro_counts_add(struct ro_counts *c, const uint64_t pkts[SL_R__MAX])
{
	for (int r = 0; r < SL_R__MAX; r++) {
		c->total += pkts[r];
		if (ro_reason_refused(r))
			c->refused += pkts[r];
		if (ro_reason_edge(r))
			c->edge += pkts[r];
	}
}

void ro_params_default(struct ro_params *p)
{
	static const uint32_t steps[] = { 5, 25, 50, 100 };

	memset(p, 0, sizeof(*p));
	p->nsteps = 4;
	memcpy(p->steps, steps, sizeof(steps));
	p->every_ms = RO_DEF_EVERY_MS;
	p->max_refusal = RO_DEF_MAX_REFUSAL;
	p->max_error = RO_DEF_MAX_ERROR;
	p->min_packets = RO_DEF_MIN_PACKETS;
	p->min_responses = RO_DEF_MIN_RESPONSES;
}

int ro_params_check(const struct ro_params *p, char *err, size_t errlen)
{
	if (p->nsteps < 1 || p->nsteps > RO_MAX_STEPS) {
		snprintf(err, errlen, "steps: expected 1 to %d percentages, got %d",
			 RO_MAX_STEPS, p->nsteps);
		return -EINVAL;
	}
	for (int i = 0; i < p->nsteps; i++)
		if (p->steps[i] < 1 || p->steps[i] > 100 ||
		    (i && p->steps[i] <= p->steps[i - 1])) {
			snprintf(err, errlen, "steps: expected increasing percentages from 1 to 100, got %u at position %d",
				 p->steps[i], i + 1);
			return -EINVAL;
		}
	if (p->every_ms < 1000 || p->every_ms > 7 * 86400000ULL) {
		snprintf(err, errlen, "every: expected 1s to 7d, got %llu ms",
			 (unsigned long long)p->every_ms);
		return -EINVAL;
	}
	if (p->shadow_ms && (p->shadow_ms < 1000 || p->shadow_ms > 7 * 86400000ULL)) {
		snprintf(err, errlen, "shadow-first: expected 1s to 7d, got %llu ms",
			 (unsigned long long)p->shadow_ms);
		return -EINVAL;
	}
	if (!(p->max_refusal >= 0 && p->max_refusal <= 1) ||
	    !(p->max_error >= 0 && p->max_error <= 1)) {
		snprintf(err, errlen, "max-refusal-increase and max-error-increase: expected 0 to 1 (0.02 = 2 points)");
		return -EINVAL;
	}
	if (!p->min_packets || !p->min_responses) {
		snprintf(err, errlen, "min-packets: expected at least 1");
		return -EINVAL;
	}
	return 0;
}

static void snap(struct rollout *r, uint64_t now, const struct ro_sample *total,
		 const struct ro_sample *canary)
{
	r->snap_total = *total;
	r->snap_canary = *canary;
	r->phase_ms = now;
	r->waiting = false;
}

int ro_start(struct rollout *r, const struct ro_params *p, uint64_t now,
	     const struct ro_sample *total, const struct ro_sample *canary,
	     char *err, size_t errlen)
{
	int rc;

	if (ro_running(r)) {
		snprintf(err, errlen, "a rollout runs already (%s): promote or abort it first",
			 ro_state_name(r->state));
		return -EBUSY;
	}
	rc = ro_params_check(p, err, errlen);
	if (rc)
		return rc;
	memset(r, 0, offsetof(struct rollout, tier_name));
	r->p = *p;
	r->started_ms = now;
	r->state = p->shadow_ms ? RO_SHADOW : RO_STEP;
	snap(r, now, total, canary);
	return 0;
}

void ro_restart_window(struct rollout *r, uint64_t now,
		       const struct ro_sample *total,
		       const struct ro_sample *canary)
{
	if (ro_running(r)) {
		snap(r, now, total, canary);
		r->nguards = 0;
	}
}

uint32_t ro_percent(const struct rollout *r)
{
	return r->state == RO_STEP ? r->p.steps[r->step] : 0;
}

uint32_t ro_share(const struct rollout *r)
{
	return (uint32_t)((uint64_t)ro_percent(r) * RO_SHARE_ONE / 100);
}

uint64_t ro_window_end(const struct rollout *r)
{
	if (!ro_running(r))
		return 0;
	return r->phase_ms + (r->state == RO_SHADOW ? r->p.shadow_ms : r->p.every_ms);
}

static double rate(uint64_t k, uint64_t n)
{
	return n ? (double)k / (double)n : 0;
}

/* One guard: canary's k of n against control's (or the baseline). */
static void judge(struct rollout *r, int kind, int tier, uint64_t kc,
		  uint64_t nc, uint64_t kk, uint64_t nk)
{
	struct ro_base *b = &r->base[kind][tier];
	struct ro_guard *g = &r->guards[r->nguards++];
	uint64_t min = kind == RO_G_ERROR ? r->p.min_responses : r->p.min_packets;
	double max = kind == RO_G_ERROR ? r->p.max_error : r->p.max_refusal;

	*g = (struct ro_guard){ .kind = kind, .tier = tier, .n_canary = nc,
				.n_control = nk, .k_canary = kc, .k_control = kk,
				.canary = rate(kc, nc), .control = rate(kk, nk) };
	if (nk >= min) {
		b->set = true;
		b->rate = g->control;
	} else if (b->set) {
		g->control = b->rate;
		g->baseline = true;
	}
	if (nc < min || (nk < min && !b->set))
		g->verdict = RO_V_FEW;
	/* A hair of slack: 0.02 means 2 points, not 2 points and an ulp. */
	else if (g->canary - g->control > max + 1e-9)
		g->verdict = RO_V_FAIL;
	else
		g->verdict = RO_V_OK;
}

/* Counters since the window's start, control = total - canary (in
 * shadow: control = total, the canary policy judged everyone).  false
 * when a counter went down. */
static bool window(const struct rollout *r, const struct ro_sample *total,
		   const struct ro_sample *canary, struct ro_sample *wc,
		   struct ro_sample *wk)
{
	const struct ro_sample *st = &r->snap_total, *sc = &r->snap_canary;
	bool shadow = r->state == RO_SHADOW;

#define RO_D(cur, old, out) do {				\
		if ((cur) < (old))				\
			return false;				\
		(out) = (cur) - (old);				\
	} while (0)
	for (int t = 0; t < RO_TIERS; t++) {
		RO_D(total->tier[t].total, st->tier[t].total, wk->tier[t].total);
		RO_D(total->tier[t].refused, st->tier[t].refused, wk->tier[t].refused);
		RO_D(total->tier[t].edge, st->tier[t].edge, wk->tier[t].edge);
		RO_D(canary->tier[t].total, sc->tier[t].total, wc->tier[t].total);
		RO_D(canary->tier[t].refused, sc->tier[t].refused, wc->tier[t].refused);
		RO_D(canary->tier[t].edge, sc->tier[t].edge, wc->tier[t].edge);
	}
	RO_D(total->outcomes, st->outcomes, wk->outcomes);
	RO_D(total->errors, st->errors, wk->errors);
	RO_D(canary->outcomes, sc->outcomes, wc->outcomes);
	RO_D(canary->errors, sc->errors, wc->errors);
#undef RO_D
	if (shadow)
		return true;
	/* control = total - canary; a canary read after the totals may be
	 * ahead by a few packets: clamp at 0. */
#define RO_SUB(a, b) ((a) = (a) > (b) ? (a) - (b) : 0)
	for (int t = 0; t < RO_TIERS; t++) {
		RO_SUB(wk->tier[t].total, wc->tier[t].total);
		RO_SUB(wk->tier[t].refused, wc->tier[t].refused);
		RO_SUB(wk->tier[t].edge, wc->tier[t].edge);
	}
	RO_SUB(wk->outcomes, wc->outcomes);
	RO_SUB(wk->errors, wc->errors);
#undef RO_SUB
	return true;
}

const char *ro_tier_name(const struct rollout *r, int tier, char *buf,
			 size_t size)
{
	if (tier == RO_ALL)
		return "(all)";
	if (r->tier_name[tier][0])
		return r->tier_name[tier];
	snprintf(buf, size, "%d", tier);
	return buf;
}

static const char *tier_label(const struct rollout *r, int tier, char *buf,
			      size_t size)
{
	char n[16];

	if (tier == RO_ALL)
		return "all tiers";
	snprintf(buf, size, "tier %s", ro_tier_name(r, tier, n, sizeof(n)));
	return buf;
}

char *ro_guard_text(const struct ro_guard *g, const char *tier_name,
		    char *buf, size_t size)
{
	char ctl[64];

	if (g->baseline)
		snprintf(ctl, sizeof(ctl), "baseline");
	else
		snprintf(ctl, sizeof(ctl), "%llu of %llu",
			 (unsigned long long)g->k_control,
			 (unsigned long long)g->n_control);
	snprintf(buf, size, "%s %s: canary %.2f%% (%llu of %llu) vs control %.2f%% (%s), %+.2f points",
		 tier_name, ro_guard_kind_name(g->kind), 100 * g->canary,
		 (unsigned long long)g->k_canary, (unsigned long long)g->n_canary,
		 100 * g->control, ctl, 100 * (g->canary - g->control));
	return buf;
}

/* The guards over this window into r->guards; the first that failed,
 * or NULL. */
static const struct ro_guard *evaluate(struct rollout *r,
				       const struct ro_sample *wc,
				       const struct ro_sample *wk)
{
	struct ro_counts ac = {}, ak = {};
	const struct ro_guard *bad = NULL;

	r->nguards = 0;
	for (int t = 0; t < RO_TIERS; t++) {
		ac.total += wc->tier[t].total;
		ac.refused += wc->tier[t].refused;
		ac.edge += wc->tier[t].edge;
		ak.total += wk->tier[t].total;
		ak.refused += wk->tier[t].refused;
		ak.edge += wk->tier[t].edge;
	}
	/* The guard over all tiers first: it is the one a window waits for. */
	judge(r, RO_G_REFUSAL, RO_ALL, ac.refused, ac.total, ak.refused, ak.total);
	judge(r, RO_G_EDGE, RO_ALL, ac.edge, ac.total, ak.edge, ak.total);
	if (r->p.services)
		judge(r, RO_G_ERROR, RO_ALL, wc->errors, wc->outcomes,
		      wk->errors, wk->outcomes);
	for (int t = 0; t < RO_TIERS; t++)
		if (wc->tier[t].total || wk->tier[t].total)
			judge(r, RO_G_REFUSAL, t, wc->tier[t].refused,
			      wc->tier[t].total, wk->tier[t].refused,
			      wk->tier[t].total);
	for (int i = 0; i < r->nguards && !bad; i++)
		if (r->guards[i].verdict == RO_V_FAIL)
			bad = &r->guards[i];
	return bad;
}

static void end(struct rollout *r, int state, uint64_t now, const char *why)
{
	r->last_percent = ro_percent(r);
	r->state = state;
	r->ended_ms = now;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
}

enum ro_action ro_tick(struct rollout *r, uint64_t now,
		       const struct ro_sample *total,
		       const struct ro_sample *canary)
{
	struct ro_sample *wc, *wk;
	const struct ro_guard *bad;
	enum ro_action act = RO_ACT_NONE;
	char why[RO_REASON_MAX], tl[80], gt[220];

	if (!ro_running(r))
		return RO_ACT_NONE;
	r->ticks++;
	wc = calloc(2, sizeof(*wc));
	if (!wc)
		return RO_ACT_NONE;	/* judged on the next tick */
	wk = wc + 1;
	if (!window(r, total, canary, wc, wk)) {
		snap(r, now, total, canary);	/* counters were reset */
		goto out;
	}
	bad = evaluate(r, wc, wk);
	if (bad) {
		double max = bad->kind == RO_G_ERROR ? r->p.max_error :
			     r->p.max_refusal;

		ro_guard_text(bad, tier_label(r, bad->tier, tl, sizeof(tl)), gt,
			      sizeof(gt));
		if (r->state == RO_STEP)
			snprintf(why, sizeof(why), "step %d (%u%%): %s > +%.2f",
				 r->step + 1, r->p.steps[r->step], gt, 100 * max);
		else
			snprintf(why, sizeof(why), "shadow: %s > +%.2f", gt,
				 100 * max);
		end(r, RO_ROLLED_BACK, now, why);
		act = RO_ACT_ROLLBACK;
		goto out;
	}
	if (now < ro_window_end(r))
		goto out;
	if (r->guards[0].verdict == RO_V_FEW) {
		r->waiting = true;	/* no evidence yet: the window runs on */
		goto out;
	}
	if (r->state == RO_SHADOW) {
		r->state = RO_STEP;
		r->step = 0;
	} else if (r->step + 1 < r->p.nsteps) {
		r->step++;
	} else {
		snprintf(why, sizeof(why), "every step passed (%d, last %u%%)",
			 r->p.nsteps, r->p.steps[r->step]);
		end(r, RO_PROMOTED, now, why);
		act = RO_ACT_PROMOTE;
		goto out;
	}
	snap(r, now, total, canary);
	act = RO_ACT_SHARE;
out:
	free(wc);
	return act;
}

int ro_promote(struct rollout *r, uint64_t now, const char *why)
{
	if (!ro_running(r))
		return -ENOENT;
	end(r, RO_PROMOTED, now, why);
	return 0;
}

int ro_abort(struct rollout *r, uint64_t now, const char *why)
{
	if (!ro_running(r))
		return -ENOENT;
	end(r, RO_ABORTED, now, why);
	return 0;
}

static char *secs(uint64_t ms, char *buf, size_t size)
{
	snprintf(buf, size, "%.1fs", ms / 1000.0);
	return buf;
}

char *ro_next(const struct rollout *r, uint64_t now, char *buf, size_t size)
{
	uint64_t end_ms = ro_window_end(r);
	char in[32];
	const struct ro_guard *g = r->nguards ? &r->guards[0] : NULL;

	if (!ro_running(r)) {
		snprintf(buf, size, "none (%s)", ro_state_name(r->state));
		return buf;
	}
	if (r->waiting && g) {
		snprintf(buf, size, "waiting for packets: the guard over all tiers needs %llu per cohort (canary %llu, control %llu); the window runs on",
			 (unsigned long long)r->p.min_packets,
			 (unsigned long long)g->n_canary,
			 (unsigned long long)g->n_control);
		return buf;
	}
	secs(end_ms > now ? end_ms - now : 0, in, sizeof(in));
	if (r->state == RO_SHADOW)
		snprintf(buf, size, "step 1 at %u%% in %s if the guards hold",
			 r->p.steps[0], in);
	else if (r->step + 1 < r->p.nsteps)
		snprintf(buf, size, "step %d at %u%% in %s if the guards hold",
			 r->step + 2, r->p.steps[r->step + 1], in);
	else
		snprintf(buf, size, "promote in %s if the guards hold", in);
	return buf;
}

int ro_steps_parse(const char *s, struct ro_params *p)
{
	int n = 0;
	const char *c = s;
	char *end;

	while (*c) {
		unsigned long v;

		if (n == RO_MAX_STEPS || *c < '0' || *c > '9')
			return -EINVAL;
		v = strtoul(c, &end, 10);
		if (v < 1 || v > 100 || (n && v <= p->steps[n - 1]))
			return -EINVAL;
		p->steps[n++] = (uint32_t)v;
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		c = end;
	}
	if (!n || c[-1] == ',')
		return -EINVAL;
	p->nsteps = n;
	return 0;
}

char *ro_steps_format(const struct ro_params *p, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->nsteps && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%u", i ? "," : "", p->steps[i]);
	return buf;
}
