/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The `redis` section (issue 12): the Redis that global limits share,
 * and the config source's own, when it has one:
 *
 *   redis:
 *     address: 127.0.0.1:6379      # HOST:PORT, [V6]:PORT, or /unix/socket/path
 *     password_file: /etc/sluice/redis.password   # AUTH, read at connect
 *     username: sluice             # ACL user (Redis 6+), with password_file
 *     db: 0                        # SELECT
 *     key_prefix: "sluice:"        # every key sluice writes starts so
 *     timeout: 50ms                # connect and each round trip
 *     sync_interval: 100ms         # global limits' sync period
 *     on_down: local               # local | share: what holds while down
 *     host_id: gw1                 # this host's name in Redis (default:
 *                                  # the host name)
 *
 *   config_source:
 *     redis: {address: ...}        # its own; default: the redis section
 *     key: "sluice:config"         # default key_prefix + "config"
 *     cache: /var/lib/sluice/config.yaml
 *     check_interval: 10s          # the safety net beside pub/sub
 *
 * The password file is read when connecting, not here: a config check
 * needs no access to the secret.
 */
#ifndef SLUICE_CONFIG_REDIS_H
#define SLUICE_CONFIG_REDIS_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#define CFG_REDIS_ADDRESS	"127.0.0.1:6379"
#define CFG_REDIS_PREFIX	"sluice:"
#define CFG_REDIS_TIMEOUT_NS	(50ULL * 1000000)
#define CFG_REDIS_SYNC_NS	(100ULL * 1000000)
#define CFG_CONFIG_CACHE	"/var/lib/sluice/config.yaml"
#define CFG_CONFIG_CHECK_NS	(10ULL * 1000000000)

/* Names: common/names.h (sl_on_down_names). */
enum cfg_on_down {
	CFG_DOWN_LOCAL = 0,	/* each host enforces the full global rate */
	CFG_DOWN_SHARE,		/* the rate divided by the hosts last seen */
};

struct cfg_redis {
	bool     on;		/* the section was given */
	char     address[256];	/* as written (normalised), for log lines */
	bool     unix_socket;	/* address is a path */
	char     host[256];	/* TCP: host name or address; unix: the path */
	uint16_t port;		/* TCP only */
	char     password_file[4096];	/* "" = no AUTH */
	char     username[128];	/* "" = the default user */
	uint32_t db;
	char     key_prefix[64];
	uint64_t timeout_ns;
	uint64_t sync_interval_ns;
	int      on_down;	/* enum cfg_on_down */
	char     host_id[64];	/* "" = gethostname() */
	int      line;		/* where it was defined, for messages */
};

struct cfg_config_source {
	bool     on;
	struct cfg_redis redis;	/* its own, or a copy of the redis section */
	bool     own_redis;	/* `redis:` given inside config_source */
	char     key[256];	/* default: redis.key_prefix + "config" */
	char     cache[4096];	/* the last valid config, on disk */
	uint64_t check_interval_ns;
	int      line;
};

struct cfg_walk;

void cfg_redis_default(struct cfg_redis *r);

/* "HOST:PORT", "[V6]:PORT" or "/path": 0 or -EINVAL. */
int cfg_redis_address(const char *s, struct cfg_redis *r);

/* The `redis` mapping into *r (a struct cfg_redis). */
int cfg_redis_node(struct cfg_walk *w, yaml_node_t *v, struct cfg_redis *r);

/* Top-level keys; obj is the struct sl_config. */
int cfg_parse_redis(struct cfg_walk *w, yaml_node_t *v, void *obj);
int cfg_parse_config_source(struct cfg_walk *w, yaml_node_t *v, void *obj);

/* After the whole file: config_source without its own redis takes the
 * redis section's (or the defaults), its key the prefix's.  0 or
 * -EINVAL with the message in w. */
int cfg_redis_finish(struct cfg_walk *w, yaml_node_t *root, void *obj);

#endif /* SLUICE_CONFIG_REDIS_H */
