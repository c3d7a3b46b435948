/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A rollout in sluiced (issue 13): the candidate's policy written as the
 * canary policy of every interface (kern/rollout.h), the controller
 * (common/rollout.h) fed once a second from the counters, and what it
 * decides done:
 *   - a new step: the share written into sl_global;
 *   - promotion: the candidate becomes the running config exactly like
 *     a reload, written where the config came from (the config file,
 *     atomically, or the config source, as `config push` does), then
 *     the canary maps cleared (their tiers are the control's by then);
 *   - rollback and abort: state off first, then the canary maps.
 *
 * Persistence: at every transition the rollout's state goes to
 * STATE_DIR/rollout.json and the candidate's text to rollout.yaml
 * (atomically, 0600); a restarted sluiced reads them back, writes the
 * candidate into the maps again where they lack it (an interface
 * added, or maps made anew) and resumes the step where it was.  A
 * reload during a rollout keeps it: the control policy changes, the
 * canary stays, and the step's window starts again (the comparison
 * changed).  The files go when the rollout ends.
 */
#ifndef SLUICE_DAEMON_ROLLOUT_H
#define SLUICE_DAEMON_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "common/rollout.h"
#include "config/config.h"
#include "kern/apply.h"
#include "sluice_abi.h"

#define ROLLOUT_STATE_DIR	"/var/lib/sluice"
#define ROLLOUT_SPLIT_MAX	16	/* sections applied at promotion only */

struct sl_daemon;
struct loop;

/* What the last sample read, per interface (for the metrics). */
struct rollout_iface {
	char name[16];
	bool ok;
	struct sl_counter *canary;	/* SL_STATS_ENTRIES */
};

struct rollout_run {
	struct rollout ro;
	struct sl_config *cand;		/* the candidate, validated */
	char *text;			/* its bytes, as given */
	size_t len;
	char name[4096];		/* FILE as sluicectl named it */
	uint32_t seed;			/* sl_cohort_seed(cand->hash) */
	int nsplit;			/* sections that wait for promotion */
	const char *split[ROLLOUT_SPLIT_MAX];
	char by[64];			/* who ended it (sluicectl, guard) */
	char state_dir[4096];
	int last_err;			/* the latest map write: 0 or -errno */
	uint64_t ended[RO__STATES];	/* rollouts ended by outcome, since start */
	struct rollout_iface ifs[CFG_MAX_IFACES];
	int nifs;
};

/* Set up (empty) and resume a persisted rollout, if any.  0 or -ENOMEM;
 * a rollout that cannot be resumed is logged and cleared. */
int rollout_open(struct sl_daemon *d, const char *state_dir);
void rollout_free(struct sl_daemon *d);

/* Detached (programs and pins removed): a running rollout ends, its
 * state files go. */
void rollout_detached(struct sl_daemon *d);

/* Once a second, after the counters' sample: feed the controller, do
 * what it decides. */
void rollout_sample(struct sl_daemon *d);

/* After a successful reload (daemon_apply): write the canary into new
 * interfaces, restart the window.  No rollout: nothing. */
void rollout_reloaded(struct sl_daemon *d);

/* Start from candidate text `text` (named `name`) with `p`; *sum (may
 * be NULL) gets how the canary policy differs from the running one.
 * 0, or -errno with the reason in err (nothing changed). */
int rollout_begin(struct sl_daemon *d, const char *name, const char *text,
		  size_t len, const struct ro_params *p,
		  struct apply_summary *sum, char *err, size_t errlen);

/* A person's decision ("sluicectl"): 0, -ENOENT (none running), or the
 * promotion's error in err (the rollout is then aborted). */
int rollout_promote_now(struct sl_daemon *d, const char *who, char *err,
			size_t errlen);
int rollout_abort_now(struct sl_daemon *d, const char *who, char *err,
		      size_t errlen);

/* Read the cohorts' counters now: totals and the canary's, summed over
 * the interfaces (also kept per interface for the metrics). */
int rollout_read(struct sl_daemon *d, struct ro_sample *total,
		 struct ro_sample *canary);

/* Which sections of `cand` differ from `run` and cannot be split per
 * client: names into out[] (static strings); the count. */
int rollout_split_sections(const struct sl_config *run,
			   const struct sl_config *cand, const char **out,
			   int max);

/* Parse a candidate's text as this daemon would run it (composed with
 * the bootstrap under a config source).  0, or -errno with err. */
int rollout_parse(struct sl_daemon *d, const char *name, const char *text,
		  size_t len, struct sl_config **out, char *err, size_t errlen);

/* "services, degrade" ("" with none). */
char *rollout_split_join(const struct rollout_run *r, char *buf, size_t size);

/* rollout_state.c: write the state files (0 or -errno, logged), read
 * them back into r (0, -ENOENT: none, or -errno), remove them. */
int rollout_persist(struct sl_daemon *d);
int rollout_restore(struct sl_daemon *d, struct rollout_run *r);
void rollout_unpersist(struct sl_daemon *d);

/* A client's place in the rollout (`sluicectl client`): {"cohort":
 * "canary"|"control", "point", "share", "state", "running"}, the last
 * rollout's at its end once it ended; NULL before any. */
json_object *rollout_client_json(struct sl_daemon *d, const struct cfg_prefix *addr);

/* The control commands (rollout_cmd.c). */
int rollout_cmd_start(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen);
int rollout_cmd_status(void *ctx, json_object *req, json_object **data,
		       char *err, size_t errlen);
int rollout_cmd_promote(void *ctx, json_object *req, json_object **data,
			char *err, size_t errlen);
int rollout_cmd_abort(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen);

#endif /* SLUICE_DAEMON_ROLLOUT_H */
