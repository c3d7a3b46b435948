/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The central config (issue 12): with `config_source:` in its config
 * file (the bootstrap), sluiced runs the YAML held in a Redis key,
 * validated and applied exactly like a file and refused whole when it
 * is not valid (the running config stays), and follows it:
 *
 *   - SUBSCRIBE "<key>:changed" on a connection of its own, read from
 *     the event loop (never blocking: epoll says when there is data);
 *     each message (`sluicectl config push` publishes one) makes it GET
 *     the key;
 *   - every check_interval a GET all the same, the safety net for a
 *     message lost while the subscription was down;
 *   - both connections reconnect with redis_conn's backoff, and a
 *     subscription that comes back GETs at once.
 *
 * Every version applied is written to `cache` (atomically, 0600).  At
 * start the order is: Redis' version; when Redis is unreachable or the
 * key is empty or invalid, the cache (said in the log; Redis' version
 * replaces it as soon as it can be read); with neither, the bootstrap
 * file itself, with a warning (so a fleet can start before its first
 * push, and push through its own sluiced).  config_cache.h says which
 * settings stay the bootstrap's.
 *
 * Each sluiced reports its running config under "<prefix>config:hosts"
 * (field: host_id, value: {"hash","source","loaded_at","reported_at"})
 * every CSRC_REPORT_MS and after each change; the key expires a day
 * after the last report.  Redis I/O runs on the event loop with the
 * section's timeout as its bound.
 */
#ifndef SLUICE_DAEMON_CONFIG_SOURCE_H
#define SLUICE_DAEMON_CONFIG_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>

#include "common/redis_conn.h"
#include "config/config.h"
#include "common/config_cache.h"

struct sl_daemon;
struct loop;

/* sluice_config_source_errors_total{kind}: redis_err_names, then: */
enum {
	CSRC_ERR_INVALID = RFAIL__MAX,	/* a version that did not validate */
	CSRC_ERR_CACHE,			/* the cache could not be written/read */
	CSRC_ERR__MAX,
};

struct config_source {
	struct sl_daemon *d;
	struct sl_config *boot;		/* the bootstrap file, parsed */
	struct redis_conn rc;		/* GET, SET, PUBLISH, HSET */
	struct redis_conn sub;		/* SUBSCRIBE only */
	int sub_fd;			/* in the loop; -1: not subscribed */
	char name[300];			/* "redis:<key>": cfg_parse's name */
	char channel[300];		/* "<key>:changed" */
	char host_id[64];
	int origin;			/* enum csrc_origin of the running config */
	time_t origin_at;		/* when it was loaded */
	char *text;			/* the running central version (not CSRC_FILE) */
	size_t len;
	bool empty_logged;		/* "the key is empty" said once */
	uint64_t refused_hash;		/* the last refused version: logged once */
	char refused_err[CFG_ERR_MAX];
	bool redis_ok;			/* the last GET was answered */
	bool check_now;			/* a message (or a reconnect) asks for a GET */
	uint64_t next_check_ms, next_report_ms;
	int timer;
	uint64_t loads;			/* versions from Redis applied */
	uint64_t errors[CSRC_ERR__MAX - RFAIL__MAX];	/* invalid, cache */
};

/* With `config_source` in *cfg (the bootstrap file): read Redis (or the
 * cache, or keep the file, as above) and replace *cfg by the config to
 * start with; d->csrc is set.  The bootstrap is kept.  0 or -ENOMEM. */
int config_source_open(struct sl_daemon *d, struct sl_config **cfg);

/* Follow changes from the loop (after daemon_start). */
int config_source_start(struct sl_daemon *d, struct loop *l);

/* A reload: *cfg is the bootstrap file read again; it becomes the
 * config to apply (the central text with this bootstrap), and the
 * connections follow a changed config_source.  0 or the compose
 * error, in err. */
int config_source_rebase(struct sl_daemon *d, struct sl_config **cfg,
			 char err[CFG_ERR_MAX]);

void config_source_free(struct sl_daemon *d);

/* "file", "redis" or "cache" (d->csrc may be NULL: "file"). */
const char *config_source_origin(const struct sl_daemon *d);

/* The control commands "config_push" {"text": YAML} and
 * "config_status" (config_cmd.c). */
int config_cmd_push(void *ctx, json_object *req, json_object **data,
		    char *err, size_t errlen);
int config_cmd_status(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen);

/* For config_cmd.c: GET the key into *text (NULL when empty); 0 or
 * -errno (the connection counted and closed). */
int config_source_get(struct config_source *cs, char **text, size_t *len);
/* Apply `text` from Redis unless it runs already; refused versions
 * are logged once.  0, or -errno with the reason in err. */
int config_source_take(struct config_source *cs, const char *text,
		       size_t len, const char *why, char *err, size_t errlen);
/* HSET this host's report now. */
void config_source_report(struct config_source *cs);

#endif /* SLUICE_DAEMON_CONFIG_SOURCE_H */
