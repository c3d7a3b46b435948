/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluiced's state and what can happen to it: start (attach or adopt
 * every configured interface), reload (a new valid config, or nothing
 * changes), a live mode switch, detach, and a stop that leaves
 * enforcement running.  The control commands (commands.c) and the main
 * loop (sluiced.c) drive it.
 */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "kern/apply.h"
#include "config/config.h"
#include "daemon/control.h"
#include "kern/loader.h"

#define SL_VERSION_STR	"0.1.0"

struct loop;
struct metrics;
struct talkers;
struct svc_view;
struct webhook;
struct gates;
struct glob_sync;
struct config_source;
struct rollout_run;

struct sl_daemon {
	char cfg_path[4096];	/* absolute, so a reload finds it */
	struct sl_config *cfg;	/* the running config */
	time_t loaded_at;	/* when it was applied (wall clock) */
	uint64_t started_ms;	/* CLOCK_MONOTONIC */
	bool verbose;		/* -v: debug logging whatever the config says */
	struct loop *loop;	/* stopped after a detach */
	struct control ctl;
	struct metrics *metrics;	/* NULL: metrics.listen is off */
	struct talkers *talkers;	/* sluicectl top (daemon/top.h) */
	struct svc_view *svc_view;	/* sluicectl services (daemon/svc_view.h) */
	struct webhook *webhook;	/* the Alertmanager receiver (daemon/webhook.h) */
	struct gates *gates;	/* breakers and degrade (daemon/gates.h) */
	struct glob_sync *glob;	/* global limits' Redis sync (daemon/glob_sync.h) */
	struct config_source *csrc;	/* NULL: no config_source (daemon/config_source.h) */
	struct rollout_run *rollout;	/* NULL until the loop runs (daemon/rollout.h) */
	uint64_t reloads_ok, reloads_failed;	/* since start */
	time_t reload_ok_at;	/* the last successful start or reload */
	int niface;
	struct sl_iface *ifaces;	/* CFG_MAX_IFACES slots */
};

/* Attach or adopt every interface of `cfg` and apply it; takes `cfg`.
 * On error nothing this call attached stays attached. */
int daemon_start(struct sl_daemon *d, struct sl_config *cfg);

/* Load the config file again and apply it.  An invalid file changes
 * nothing: the reason goes to the log and into `err`.  `why` says who
 * asked ("SIGHUP", "inotify", "sluicectl").  *sum (may be NULL) gets
 * what changed. */
int daemon_reload(struct sl_daemon *d, const char *why,
		  struct apply_summary *sum, char *err, size_t errlen);

/* daemon_reload's second half: apply `cfg` (taken, valid) as the
 * running config; the config source applies Redis' versions so. */
int daemon_apply(struct sl_daemon *d, struct sl_config *cfg, const char *why,
		 struct apply_summary *sum, char *err, size_t errlen);

/* Switch every interface to `mode` (enum sl_mode) until the next
 * reload, which writes the config's mode again. */
int daemon_set_mode(struct sl_daemon *d, int mode);

/* Remove programs and pins of every interface; names[0..*n) (may be
 * NULL) get the names of those detached. */
int daemon_detach(struct sl_daemon *d, char names[][IF_NAMESIZE], int *n);

/* Take the once-a-second counter sample for the rates. */
void daemon_sample(struct sl_daemon *d);

/* Let go of everything; pins and programs stay (SIGTERM). */
void daemon_stop(struct sl_daemon *d);

/* The control protocol's commands, NULL-terminated. */
extern const struct control_cmd daemon_cmds[];

#endif /* SLUICE_DAEMON_H */
