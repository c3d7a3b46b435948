/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The gray release's controller (issue 13), pure: no maps, no clock of
 * its own (every call takes `now` in ms), so tests drive it with a fake
 * one.  The daemon (daemon/rollout.c) feeds it the counters and does
 * what it decides.
 *
 *   idle -> [shadow for shadow_ms] -> step 0 at steps[0]% -> ... ->
 *   step n-1 -> promoted;  or rolled_back (a guard failed) or aborted.
 *
 * Each phase is a window: the cohorts' counters are taken at its start
 * and every tick compares what happened since.  Guards, each over the
 * window so far:
 *   - refusal, per tier and over all tiers: refused (or, in shadow
 *     mode, would-be refused: ro_reason_refused) / packets of the
 *     cohort in that tier;
 *   - edge replies over all tiers: replies produced at the edge
 *     (ro_reason_edge) / packets;
 *   - HTTP errors (where services are configured): 5xx, no response and
 *     timeouts / outcomes.
 * A guard fails when canary - control > the allowed absolute increase
 * (max_refusal for the first two, max_error for the third).  A guard
 * judges only with min_packets (min_responses) in the canary's window
 * and as many in the control's; while the control cohort has too few
 * (at 100% it has none) the control's figure is its last one that had
 * enough (the baseline, from an earlier window).  A failed guard rolls
 * back at once, whatever the window's age.  At a window's end the
 * rollout moves on only if the guard over all tiers could judge;
 * otherwise the window runs on ("waiting for packets").
 *
 * In the shadow phase the canary policy decides for everyone without
 * enforcing: its cohort is everyone, the control is everyone too.
 */
#ifndef SLUICE_COMMON_ROLLOUT_H
#define SLUICE_COMMON_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "sluice_abi.h"

#define RO_MAX_STEPS		10
#define RO_TIERS		SL_MAX_TIERS	/* counter rows by tier id */
#define RO_ALL			RO_TIERS	/* a guard over every tier */
#define RO_MAX_GUARDS		(RO_TIERS + 3)
#define RO_REASON_MAX		256
#define RO_SHARE_ONE		65536	/* the data path's share of 100% */

/* Defaults of `sluicectl rollout start`. */
#define RO_DEF_EVERY_MS		60000
#define RO_DEF_MAX_REFUSAL	0.02
#define RO_DEF_MAX_ERROR	0.01
#define RO_DEF_MIN_PACKETS	100
#define RO_DEF_MIN_RESPONSES	20

enum ro_state {
	RO_IDLE = 0,
	RO_SHADOW,
	RO_STEP,
	RO_PROMOTED,
	RO_ROLLED_BACK,
	RO_ABORTED,
	RO__STATES,
};

/* What ro_tick asks the daemon to do. */
enum ro_action {
	RO_ACT_NONE = 0,
	RO_ACT_SHARE,		/* a new step: write ro_share() into the data path */
	RO_ACT_PROMOTE,		/* every step passed: promote the candidate */
	RO_ACT_ROLLBACK,	/* a guard failed: every client back on the running policy */
};

enum ro_guard_kind {
	RO_G_REFUSAL = 0,
	RO_G_EDGE,
	RO_G_ERROR,
	RO_G__KINDS,
};

enum ro_verdict {
	RO_V_OK = 0,
	RO_V_FEW,		/* too few samples to judge */
	RO_V_FAIL,
};

/* One tier's cumulative packets of a cohort. */
struct ro_counts {
	uint64_t total, refused, edge;
};

/* A cohort's cumulative counters (or everyone's: the daemon reads the
 * totals and the canary's; control = total - canary). */
struct ro_sample {
	struct ro_counts tier[RO_TIERS];
	uint64_t outcomes, errors;	/* HTTP responses (and timeouts), failed */
};

struct ro_params {
	int nsteps;
	uint32_t steps[RO_MAX_STEPS];	/* percent, increasing, 1..100 */
	uint64_t every_ms;		/* each step's window */
	uint64_t shadow_ms;		/* 0: no shadow phase */
	double max_refusal;		/* absolute increase, 0.02 = 2 points */
	double max_error;
	uint64_t min_packets;		/* per cohort, before a packet guard judges */
	uint64_t min_responses;		/* likewise for the HTTP error guard */
	bool services;			/* the HTTP error guard applies */
};

struct ro_guard {
	uint8_t kind;		/* enum ro_guard_kind */
	uint8_t verdict;	/* enum ro_verdict */
	bool baseline;		/* control's figure from an earlier window */
	int tier;		/* tier id, or RO_ALL */
	uint64_t n_canary, n_control;	/* packets (outcomes) in the window */
	uint64_t k_canary, k_control;	/* of those refused (edge, failed) */
	double canary, control;		/* the rates; control: maybe the baseline */
};

struct ro_base {
	bool set;
	double rate;
};

struct rollout {
	struct ro_params p;
	int state;		/* enum ro_state */
	int step;		/* index into p.steps while RO_STEP */
	uint64_t started_ms;	/* ro_start */
	uint64_t phase_ms;	/* the current window's start */
	uint64_t ended_ms;	/* promoted, rolled back or aborted */
	uint64_t ticks;
	struct ro_sample snap_total, snap_canary;	/* at the window's start */
	struct ro_base base[RO_G__KINDS][RO_TIERS + 1];	/* control's last figures */
	int nguards;
	struct ro_guard guards[RO_MAX_GUARDS];	/* the latest tick's */
	bool waiting;		/* the window ended without enough packets */
	uint32_t last_percent;	/* the share when it ended (shadow: 0) */
	char reason[RO_REASON_MAX];	/* why it ended */
	char tier_name[RO_TIERS][64];	/* for reasons; "" : "tier N" */
};

/* Defaults: steps 5,25,50,100 every 1m, no shadow, 0.02 / 0.01. */
void ro_params_default(struct ro_params *p);

/* 0, or -EINVAL with what is wrong in err. */
int ro_params_check(const struct ro_params *p, char *err, size_t errlen);

/* Begin: counters now are the first window's start.  0, or -EBUSY when
 * a rollout runs, -EINVAL for bad params (err says). */
int ro_start(struct rollout *r, const struct ro_params *p, uint64_t now,
	     const struct ro_sample *total, const struct ro_sample *canary,
	     char *err, size_t errlen);

/* Compare the cohorts over the window so far and decide.  Counters that
 * went down (reset) restart the window. */
enum ro_action ro_tick(struct rollout *r, uint64_t now,
		       const struct ro_sample *total,
		       const struct ro_sample *canary);

/* A person decides: 0, or -ENOENT when no rollout runs. */
int ro_promote(struct rollout *r, uint64_t now, const char *why);
int ro_abort(struct rollout *r, uint64_t now, const char *why);

/* A new window from now (a reload changed the control policy). */
void ro_restart_window(struct rollout *r, uint64_t now,
		       const struct ro_sample *total,
		       const struct ro_sample *canary);

static inline bool ro_running(const struct rollout *r)
{
	return r->state == RO_SHADOW || r->state == RO_STEP;
}

/* The canary's share now: percent (0 in shadow and when not running),
 * and as the data path's share of RO_SHARE_ONE. */
uint32_t ro_percent(const struct rollout *r);
uint32_t ro_share(const struct rollout *r);

/* When the window ends (ms), 0 when not running. */
uint64_t ro_window_end(const struct rollout *r);

/* The next decision in words ("step 2 at 25% in 12s if the guards
 * hold", "promote in 3s ...", "waiting for packets: ..."). */
char *ro_next(const struct rollout *r, uint64_t now, char *buf, size_t size);

/* A guard's tier as a label: its name, "(all)" for RO_ALL, or the id
 * (buf: 16 bytes) while the name is not known. */
const char *ro_tier_name(const struct rollout *r, int tier, char *buf,
			 size_t size);

/* One guard in words, for logs and reasons. */
char *ro_guard_text(const struct ro_guard *g, const char *tier_name,
		    char *buf, size_t size);

const char *ro_state_name(int state);
int ro_state_parse(const char *s);
const char *ro_guard_kind_name(int kind);
const char *ro_verdict_name(int verdict);

/* Reasons as the guards count them. */
bool ro_reason_refused(int reason);
bool ro_reason_edge(int reason);

/* One tier row of counters (packets by reason) into *c (added to). */
void ro_counts_add(struct ro_counts *c, const uint64_t pkts[SL_R__MAX]);

/* The state as JSON and back (rollout_json.c: what sluiced persists;
 * the tier names and the latest guards are not part of it).  From JSON:
 * 0 or -EBADMSG. */
json_object *ro_json(const struct rollout *ro);
int ro_from_json(json_object *o, struct rollout *ro);

/* "5,25,50,100" into p->steps; 0 or -EINVAL. */
int ro_steps_parse(const char *s, struct ro_params *p);
char *ro_steps_format(const struct ro_params *p, char *buf, size_t size);

#endif /* SLUICE_COMMON_ROLLOUT_H */
