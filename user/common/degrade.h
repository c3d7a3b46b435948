/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The degrade level controller (issue 11): levels 0 (normal) to 3, the
 * pure decision logic, no clock of its own (every call takes now_ns).
 *
 * Three sources, combined as the highest unless a manual level is
 * pinned:
 *   auto	from the services' aggregate error rate and p99 over a window
 *		(the caller's numbers): up one level when the signal reaches
 *		the next level's `enter` (either metric), at most one level
 *		per `step`; down one level when the signal has stayed under
 *		the level's lower `exit` (every metric) for `hold`, so at
 *		least `hold` at a level before stepping down;
 *   manual	a level with an optional expiry and reason; `pin` makes it
 *		the level whatever the others say;
 *   alert	fingerprints each holding a minimum level until resolved or
 *		until they stop being re-sent (an expiry refreshed by each
 *		re-send); re-sends are idempotent; the highest holds.
 * Ties go to manual, then alert, then auto.
 */
#ifndef SLUICE_DEGRADE_H
#define SLUICE_DEGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sluice_service.h"

#define DEGRADE_LEVELS		4	/* 0..3 */
#define DEGRADE_MAX		(DEGRADE_LEVELS - 1)
#define DEGRADE_PRIOS		3	/* enum sl_svc_priority */
#define DEGRADE_ALERTS		64
#define DEGRADE_FP_MAX		40	/* Alertmanager's are 16 hex digits */
#define DEGRADE_NAME_MAX	64
#define DEGRADE_REASON_MAX	160
#define DEGRADE_EVENTS		4

enum degrade_source {
	DEGRADE_SRC_AUTO = 0,
	DEGRADE_SRC_MANUAL,
	DEGRADE_SRC_ALERT,
	DEGRADE_SRC_PINNED,
	DEGRADE_SOURCES,
};

/* 0 leaves a metric out at that level (in enter and exit both). */
struct degrade_threshold {
	double error_rate;	/* 0..1 */
	double p99_s;
};

struct degrade_cfg {
	struct degrade_threshold enter[DEGRADE_LEVELS];	/* [l]: up to l (l >= 1) */
	struct degrade_threshold exit[DEGRADE_LEVELS];	/* [l]: down from l, < enter[l] */
	__u64 hold_ns;		/* calm under exit this long to step down */
	__u64 step_ns;		/* between two automatic steps */
	__u32 min_requests;	/* fewer in the window: no evidence, calm */
	__u64 alert_expire_ns;	/* an alert not re-sent for this long ends */
	/* By enum sl_svc_priority: the first level that sheds it, 0 never. */
	__u8 shed_from[DEGRADE_PRIOS];
};

void degrade_cfg_default(struct degrade_cfg *cfg);
/* 0, or -EINVAL with what is wrong in err (a key name first). */
int degrade_cfg_check(const struct degrade_cfg *cfg, char *err, size_t len);

/* Is a service of this priority shed at this level? */
bool degrade_shed(const struct degrade_cfg *cfg, enum sl_svc_priority prio,
		  unsigned int level);

/* One tick's signal, over the caller's window of every service. */
struct degrade_signal {
	double error_rate;	/* 0..1 */
	double p99_s;		/* NaN: no response in the window */
	__u64 requests;		/* completed in the window */
};

struct degrade_alert {
	char fp[DEGRADE_FP_MAX];	/* "" = free */
	char name[DEGRADE_NAME_MAX];	/* alertname, for the reason */
	__u8 level;
	__u64 since_ns, until_ns;
};

struct degrade_event {
	__u64 at_ns;
	__u8 from, to;			/* levels (equal: the source changed) */
	__u8 source;			/* enum degrade_source, of `to` */
	char reason[DEGRADE_REASON_MAX];
};

struct degrade {
	struct degrade_cfg cfg;
	/* the effective level */
	__u8 level, source;
	__u64 since_ns;			/* the level's start */
	char reason[DEGRADE_REASON_MAX];
	/* auto */
	__u8 auto_level;
	bool auto_moved;		/* auto_at_ns is a step's time */
	__u64 auto_at_ns;		/* the last automatic step */
	bool calm;			/* under the level's exit since: */
	__u64 calm_since_ns;
	char auto_reason[DEGRADE_REASON_MAX];
	/* manual */
	bool manual, pin;
	__u8 manual_level;
	__u64 manual_since_ns, manual_until_ns;	/* until 0: no expiry */
	char manual_reason[DEGRADE_REASON_MAX];
	/* alerts */
	struct degrade_alert alerts[DEGRADE_ALERTS];
	/* what the last call changed */
	struct degrade_event events[DEGRADE_EVENTS];
	unsigned int n_events;
};

void degrade_init(struct degrade *d, const struct degrade_cfg *cfg,
		  __u64 now_ns);
/* A new config (reload): levels, holds and manual settings are kept. */
void degrade_reconfig(struct degrade *d, const struct degrade_cfg *cfg);

/* One tick: expiries, the auto step, the combination.  Returns the
 * number of changes (events[]: level or source). */
int degrade_tick(struct degrade *d, __u64 now_ns,
		 const struct degrade_signal *sig);

/* `sluicectl degrade LEVEL [--for D] [--reason T] [--pin]`: until_ns 0
 * for no expiry, reason NULL or "" for none.  The changes, or -EINVAL
 * for a level past DEGRADE_MAX. */
int degrade_manual(struct degrade *d, __u64 now_ns, unsigned int level,
		   __u64 until_ns, bool pin, const char *reason);
/* `sluicectl degrade auto`: the manual level (pinned or not) ends. */
int degrade_manual_clear(struct degrade *d, __u64 now_ns);

/* A firing alert holds at least `level` until until_ns (0: now +
 * alert_expire); a re-send refreshes it (and takes its level).  The
 * changes, -EINVAL (level, empty fingerprint), -ENOSPC (DEGRADE_ALERTS
 * held: the caller logs and counts it). */
int degrade_alert_hold(struct degrade *d, __u64 now_ns, const char *fp,
		       const char *name, unsigned int level, __u64 until_ns);
/* Resolved: the changes (0 for a fingerprint not held: idempotent). */
int degrade_alert_release(struct degrade *d, __u64 now_ns, const char *fp);
/* The alerts held (for display). */
unsigned int degrade_alerts_held(const struct degrade *d);

unsigned int degrade_level(const struct degrade *d);
enum degrade_source degrade_source(const struct degrade *d);
__u64 degrade_since(const struct degrade *d);
const char *degrade_reason(const struct degrade *d);

const char *degrade_source_name(enum degrade_source s);

#endif /* SLUICE_DEGRADE_H */
