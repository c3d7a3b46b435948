/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluiced's configuration: one YAML file, parsed and validated whole
 * into a struct sl_config before anything is applied.  The daemon keeps
 * the running config and swaps in a new one only when it is valid.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sluice_abi.h"
#include "common/addr.h"	/* struct cfg_prefix */
#include "common/degrade.h"	/* struct degrade_cfg */
#include "config/edge.h"	/* struct cfg_edge_conn */
#include "config/metrics.h"	/* struct cfg_listen */
#include "config/redis.h"	/* struct cfg_redis, cfg_config_source */
#include "config/replies.h"	/* struct cfg_reply */
#include "config/services.h"	/* struct cfg_service */

#define CFG_NAME_MAX		64
#define CFG_MAX_IFACES		16
#define CFG_ERR_MAX		512

#define CFG_CLIENTS_MIN		1024
#define CFG_CLIENTS_MAX		(64U << 20)

/* Names: common/names.h (sl_attach_names, sl_log_level_names). */
enum cfg_attach {
	CFG_ATTACH_AUTO = 0,	/* native, falling back to generic with a warning */
	CFG_ATTACH_NATIVE,
	CFG_ATTACH_GENERIC,
};

enum cfg_log_level {
	CFG_LOG_ERROR = 0,
	CFG_LOG_WARN,
	CFG_LOG_INFO,
	CFG_LOG_DEBUG,
};

/* A limit's scope and, for a global one, how Redis keeps it (issue 12,
 * include/sluice_glob.h; names in common/names.h). */
enum cfg_scope {
	CFG_SCOPE_LOCAL = 0,	/* this host alone (the GCRA meter) */
	CFG_SCOPE_GLOBAL,	/* shared through redis: */
};

enum cfg_algorithm {
	CFG_ALG_TOKEN_BUCKET = 0,	/* rate, burst */
	CFG_ALG_SLIDING_WINDOW,		/* rate x window in any window */
	CFG_ALG_FIXED_WINDOW,		/* rate x window per aligned window */
};

struct cfg_meter {
	uint8_t  unit;		/* enum sl_unit */
	uint8_t  action;	/* enum sl_action */
	uint8_t  scope;		/* enum cfg_scope */
	uint8_t  algorithm;	/* enum cfg_algorithm (global only) */
	uint64_t window_ns;	/* the windows' length (default 1 s) */
	uint64_t count;		/* rate = count per period_ns */
	uint64_t period_ns;
	uint32_t burst;
	struct cfg_reply *reply;	/* action http: this limit's own, or NULL */
};

struct cfg_tier {
	char     name[CFG_NAME_MAX];
	uint8_t  verdict;	/* enum sl_tier_verdict */
	uint8_t  v4_prefix;	/* client key prefix; default 32 */
	uint8_t  v6_prefix;	/* default 64 */
	int      nmatch;
	struct cfg_prefix *match;
	int      nmeters;
	struct cfg_meter meters[SL_METERS_PER_TIER];
	int      flood_guard;	/* a new-client rate limit runs? */
	/* The config says nothing about floods: new_clients is
	 * flood_guard_default() of client_table_size (cfg_flood_default). */
	bool     flood_default;
	struct cfg_meter new_clients;	/* unit packets: one per new client */
	struct cfg_reply *reply;	/* for its http limits, or NULL (default) */
	/* `degrade: [1.0, 0.5, 0.2, 0.1]`: its limits' rates times
	 * degrade[level] at each degrade level (all 1.0 unless given). */
	double   degrade[DEGRADE_LEVELS];
	int      line;		/* where it was defined, for messages */
};

/* `webhook:`, the Alertmanager receiver (issue 11). */
struct cfg_webhook {
	bool     on;
	struct cfg_listen listen;	/* default 127.0.0.1:9470 */
	char     token_file[4096];	/* the bearer token, read at start/reload */
	char     label[64];		/* default "sluice_degrade" */
	char     breaker_label[64];	/* default "sluice_breaker" */
	uint32_t max_body;		/* bytes, default 1 MiB */
};

struct cfg_iface {
	char name[IF_NAMESIZE];
	int  attach;		/* enum cfg_attach */
};

struct sl_config {
	char     path[4096];
	uint64_t hash;		/* FNV-1a of the file's bytes */
	int      niface;
	struct cfg_iface ifaces[CFG_MAX_IFACES];
	int      mode;		/* enum sl_mode */
	int      malformed;	/* enum sl_policy */
	uint32_t client_table_size;
	char     control_socket[108];
	struct cfg_listen metrics;	/* metrics.listen */
	struct cfg_edge_conn edge_conn;	/* edge_connections */
	int      log_level;	/* enum cfg_log_level */
	int      default_tier;	/* index into tiers[]: the catch-all tier */
	int      ntiers;
	struct cfg_tier *tiers;
	int      nservices;
	struct cfg_service *services;
	bool     has_degrade;		/* `degrade:` given (defaults otherwise) */
	struct degrade_cfg degrade;
	struct cfg_webhook webhook;	/* `webhook:` (off unless given) */
	struct cfg_redis redis;		/* `redis:` (off unless given) */
	struct cfg_config_source config_source;	/* off unless given */
};

/* Parse and validate `path`.  On error returns a negative errno, *out is
 * NULL and `err` holds one line: "FILE:LINE:COL: KEY.PATH: what was
 * expected, got 'VALUE'". */
int cfg_load(const char *path, struct sl_config **out, char err[CFG_ERR_MAX]);

/* The same from a string (tests); `name` is used in messages. */
int cfg_parse(const char *name, const char *text, size_t len,
	      struct sl_config **out, char err[CFG_ERR_MAX]);

void cfg_free(struct sl_config *cfg);

/* FNV-1a 64 of a config's bytes: sl_config.hash. */
uint64_t cfg_hash(const char *text, size_t len);

#endif /* SLUICE_CONFIG_H */
