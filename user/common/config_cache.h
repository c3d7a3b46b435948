/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The config source's pure parts (issue 12), apart from Redis so the
 * unit tests reach them: the on-disk cache of the last valid config,
 * a central config composed with the host's bootstrap file, and the
 * hosts' reports compared for `sluicectl config status`.
 *
 * What of the bootstrap file (the -c FILE with `config_source:`)
 * survives under a central config: it says where the config comes from
 * and what is this host's.  Its `interfaces`, `control_socket`,
 * `metrics`, `config_source` and (when it has one) `redis` replace the
 * central config's; everything else (tiers, services, mode, degrade,
 * edge_connections, log_level, webhook, client_table_size, ...) is the
 * central config's.  A `config_source` inside the central config is
 * ignored with a warning: a pushed config cannot move the fleet to
 * another Redis.
 */
#ifndef SLUICE_COMMON_CONFIG_CACHE_H
#define SLUICE_COMMON_CONFIG_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "config/config.h"

/* Where the running config came from (names: config_source_names). */
enum csrc_origin {
	CSRC_FILE = 0,	/* the config file itself (no config_source, or nothing else yet) */
	CSRC_REDIS,	/* the config_source key */
	CSRC_CACHE,	/* the cache of the last valid version from Redis */
	CSRC__MAX,
};

extern const char *const config_source_names[CSRC__MAX];

#define CSRC_HASH_LEN	17	/* "%016llx" and its NUL */

/* Write `text` to `path` atomically: the directory made (0755) if
 * missing, a temporary file beside it (0600) written and fsynced, then
 * renamed over `path`.  0 or -errno, with "what: why" in err. */
int config_cache_write(const char *path, const char *text, size_t len,
		       char *err, size_t errlen);

/* The cache's bytes (malloc'd, NUL-terminated; free them).  -ENOENT
 * when there is none; 0 or -errno. */
int config_cache_read(const char *path, char **text, size_t *len);

/* Parse `text` as `name` ("redis:sluice:config", or the cache's path,
 * so messages read "redis:sluice:config:12:7: ...") and give it the
 * bootstrap's host settings (above).  0, or cfg_parse's error in err. */
int config_compose(const struct sl_config *boot, const char *name,
		   const char *text, size_t len, struct sl_config **out,
		   char err[CFG_ERR_MAX]);

/* What a host reports under "<prefix>config:hosts": its JSON value. */
char *config_report_json(uint64_t hash, int origin, int64_t loaded_at,
			 int64_t now);

/* A host that has not reported for this long is shown stale. */
#define CSRC_REPORT_MS		5000
#define CSRC_STALE_S		15

/* The hosts' reports (ids[i] -> values[i], HGETALL's pairs) against
 * `want` (the hash every host should run): an object
 *   {"hosts": [{"host", "hash", "source", "loaded_at", "reported_at",
 *               "age_s", "stale", "same"}...] (by host id),
 *    "summary": {"hosts", "same", "differ", "stale", "unreadable",
 *                "all_same"}}
 * A value that is not a report counts as unreadable (and differs). */
json_object *config_hosts_compare(const char *want, int n,
				  const char *const *ids,
				  const char *const *values, int64_t now);

#endif /* SLUICE_COMMON_CONFIG_CACHE_H */
