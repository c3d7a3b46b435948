/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The breakers and the degrade level running in sluiced (issue 11).
 *
 * Every GATES_TICK_MS the tick sums each configured service's
 * sl_svc_stats over the interfaces, feeds the deltas to its breaker
 * (common/breaker.h) and a window of all services' sums to the degrade
 * controller (common/degrade.h), and writes what they decide into every
 * interface's sl_svc_gate (include/sluice_gate.h): the breaker's state,
 * a half-open probe budget, the open time the data path counts
 * Retry-After down to, the data path's own trip (consecutive failures,
 * for the next opening's duration), and `shed` for the services the
 * level sheds.  A data-path trip seen in the gate (trips) is told to
 * the breaker, so both agree on when it goes half-open.  A level whose
 * tier factors differ re-applies the tiers with scaled rates through
 * apply_config, in place: client buckets are kept.
 *
 * Breakers survive a reload by service name; at start an open gate
 * found in the pinned map stays open until its time.  Every transition
 * and level change is logged with its source and reason.
 */
#ifndef SLUICE_GATES_H
#define SLUICE_GATES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <json-c/json.h>

#include "common/breaker.h"
#include "common/degrade.h"
#include "config/config.h"

#define GATES_TICK_MS		100
#define GATES_ALERT_BREAKERS	4	/* alerts forcing one breaker at once */

struct sl_daemon;
struct sl_config;
struct loop;
struct gates;

/* After daemon_start: the breakers of the config, the gates adopted,
 * the tick on `l`. */
int gates_start(struct sl_daemon *d, struct loop *l);
void gates_stop(struct sl_daemon *d);

/* After a reload (d->cfg is the new config): breakers by name kept,
 * new ones made, removed ones gone; their gates written at once. */
void gates_reload(struct sl_daemon *d);

/* The config to write into the maps: cfg, or a copy with its tiers'
 * rates scaled by the degrade level's factors (valid until the next
 * call).  Before gates_start: cfg. */
const struct sl_config *gates_cfg(struct sl_daemon *d,
				  const struct sl_config *cfg);

/* One tick (the timer's; tests call it with their clock). */
void gates_tick(struct sl_daemon *d, __u64 now_ns);

/* An Alertmanager alert (daemon/webhook*.c): `level` >= 0 holds the
 * degrade level at least there while firing (-1: the alert has no
 * degrade label); `breaker` (NULL: none) is a service whose breaker it
 * forces open while firing.  Re-sends refresh; resolved (firing false)
 * releases both.  until_ns 0: now + the degrade section's alert_expire.
 * 0, -EINVAL (level, empty fingerprint), -ENOENT (no breaker of that
 * name: the degrade part still applied), -ENOSPC (too many alerts). */
int gates_alert(struct sl_daemon *d, const char *fingerprint,
		const char *alertname, int level, const char *breaker,
		bool firing, __u64 until_ns, __u64 now_ns);

/* --- for the control commands and metrics --- */

struct gate_svc {
	char name[SL_SVC_NAME_MAX];
	int cfg_index;			/* in d->cfg->services */
	__u8 priority;
	bool has_breaker;
	bool shed;			/* the level sheds it */
	struct breaker b;
	struct sl_svc_stats last;	/* the sum at the last tick */
	bool have_last;
	__u32 seen_trips[CFG_MAX_IFACES];	/* by interface */
	bool trips_known[CFG_MAX_IFACES];
	__u64 half_since[CFG_MAX_IFACES];
	struct {			/* alerts forcing it open */
		char fp[DEGRADE_FP_MAX];
		__u64 until_ns;
	} alerts[GATES_ALERT_BREAKERS];
	bool alert_forced;		/* the force is the alerts' */
	char forced_by[16];		/* "sluicectl", "alert", "" */
	__u64 shed_total_breaker, shed_total_degrade;	/* gated_* summed */
};

int gates_count(const struct gates *g);
struct gate_svc *gates_svc(struct gates *g, int i);
struct gate_svc *gates_find(struct gates *g, const char *name);
struct degrade *gates_degrade(struct gates *g);
/* The last signal fed to the auto controller; false: none yet. */
bool gates_signal(const struct gates *g, struct degrade_signal *sig);
/* The level whose tier factors are in the maps. */
unsigned int gates_tiers_level(const struct gates *g);

/* Force a breaker (sluicectl): 0, -ENOENT (no such breaker).  until_ns 0:
 * until told otherwise. */
int gates_force(struct sl_daemon *d, const char *name, enum breaker_force f,
		__u64 until_ns, __u64 now_ns);
/* A manual level (sluicectl degrade); level < 0: back to auto. */
int gates_manual(struct sl_daemon *d, int level, __u64 until_ns, bool pin,
		 const char *reason, __u64 now_ns);

/* Internal to daemon/gates*.c: log what the last call changed, with
 * its source; end the alerts' force that expired. */
void gates_log_breaker(const struct gate_svc *gs, const char *src);
void gates_log_degrade(const struct degrade *dg, const struct sl_config *cfg);
void gates_alerts_expire(struct gate_svc *gs, __u64 now_ns);

/* The control protocol's "breaker" and "degrade" (gates_cmd.c). */
int gates_cmd_breaker(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen);
int gates_cmd_degrade(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen);

#endif /* SLUICE_GATES_H */
