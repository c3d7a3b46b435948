// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The redis and config_source sections (redis.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/redis.h"
#include "config/config.h"
#include "config/walk.h"
#include "common/names.h"

#define MS	1000000ULL
#define S	1000000000ULL

void cfg_redis_default(struct cfg_redis *r)
{
	memset(r, 0, sizeof(*r));
	cfg_redis_address(CFG_REDIS_ADDRESS, r);
	snprintf(r->key_prefix, sizeof(r->key_prefix), "%s", CFG_REDIS_PREFIX);
	r->timeout_ns = CFG_REDIS_TIMEOUT_NS;
	r->sync_interval_ns = CFG_REDIS_SYNC_NS;
	r->on_down = CFG_DOWN_LOCAL;
}

int cfg_redis_address(const char *s, struct cfg_redis *r)
{
	const char *colon, *host = s;
	size_t hlen;
	char *end;
	long port;

	if (!s || !*s || strlen(s) >= sizeof(r->address))
		return -EINVAL;
	if (s[0] == '/') {
		/* sun_path holds 107 characters and the NUL. */
		if (strlen(s) > 107)
			return -EINVAL;
		r->unix_socket = true;
		r->port = 0;
		snprintf(r->host, sizeof(r->host), "%s", s);
		snprintf(r->address, sizeof(r->address), "%s", s);
		return 0;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host = s + 1;
		hlen = close - host;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hlen = colon - s;
	}
	if (!hlen || hlen >= sizeof(r->host) ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") < hlen)
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || colon[1] == '+' ||
	    colon[1] == '-' || port < 1 || port > 65535)
		return -EINVAL;
	r->unix_socket = false;
	memcpy(r->host, host, hlen);
	r->host[hlen] = '\0';
	r->port = (uint16_t)port;
	snprintf(r->address, sizeof(r->address), "%s", s);
	return 0;
}

static int rd_address(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	if (cfg_redis_address(walk_scalar(v), obj))
		return walk_expect(w, v, "an address like 127.0.0.1:6379, [2001:2::1]:6379, redis.internal:6379 or a unix socket path like /run/redis/redis.sock");
	return 0;
}

static int rd_path(struct cfg_walk *w, yaml_node_t *v, char *out, size_t size,
		   const char *example)
{
	const char *s = walk_scalar(v);

	if (!s || s[0] != '/' || strlen(s) >= size)
		return walk_expect(w, v, example);
	strcpy(out, s);
	return 0;
}

static int rd_password_file(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_redis *r = obj;

	return rd_path(w, v, r->password_file, sizeof(r->password_file),
		       "an absolute path like /etc/sluice/redis.password");
}

/* Printable, no spaces: it goes into AUTH and into keys. */
static int rd_word(struct cfg_walk *w, yaml_node_t *v, char *out, size_t size,
		   size_t min, const char *what)
{
	const char *s = walk_scalar(v);
	size_t len = s ? strlen(s) : 0;

	if (!s || len < min || len >= size)
		return walk_expect(w, v, what);
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return walk_expect(w, v, what);
	memcpy(out, s, len + 1);
	return 0;
}

static int rd_username(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_redis *r = obj;

	return rd_word(w, v, r->username, sizeof(r->username), 1,
		       "an ACL user name of 1..127 printable characters without spaces");
}

static int rd_db(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t x;
	int err = walk_uint(w, v, 0, 65535, "a database number 0..65535", &x);

	if (!err)
		((struct cfg_redis *)obj)->db = (uint32_t)x;
	return err;
}

static int rd_prefix(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_redis *r = obj;

	/* An empty prefix is allowed: a Redis of sluice's own. */
	return rd_word(w, v, r->key_prefix, sizeof(r->key_prefix), 0,
		       "a key prefix of at most 63 printable characters without spaces, like \"sluice:\"");
}

static int rd_timeout(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_duration(w, v, 1 * MS, 10 * S, "1ms..10s",
			     &((struct cfg_redis *)obj)->timeout_ns);
}

static int rd_sync(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_duration(w, v, 10 * MS, 10 * S, "10ms..10s",
			     &((struct cfg_redis *)obj)->sync_interval_ns);
}

static int rd_on_down(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_on_down_names, 0,
			 &((struct cfg_redis *)obj)->on_down);
}

static int rd_host_id(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_redis *r = obj;

	return rd_word(w, v, r->host_id, sizeof(r->host_id), 1,
		       "a host name of 1..63 printable characters without spaces");
}

enum { RK_ADDRESS, RK_PASSWORD, RK_USERNAME, RK_DB, RK_PREFIX, RK_TIMEOUT,
       RK_SYNC, RK_ON_DOWN, RK_HOST_ID };

static const struct cfg_key redis_keys[] = {
	[RK_ADDRESS]	= { "address", rd_address },
	[RK_PASSWORD]	= { "password_file", rd_password_file },
	[RK_USERNAME]	= { "username", rd_username },
	[RK_DB]		= { "db", rd_db },
	[RK_PREFIX]	= { "key_prefix", rd_prefix },
	[RK_TIMEOUT]	= { "timeout", rd_timeout },
	[RK_SYNC]	= { "sync_interval", rd_sync },
	[RK_ON_DOWN]	= { "on_down", rd_on_down },
	[RK_HOST_ID]	= { "host_id", rd_host_id },
};

int cfg_redis_node(struct cfg_walk *w, yaml_node_t *v, struct cfg_redis *r)
{
	unsigned seen;
	int err;

	cfg_redis_default(r);
	err = walk_map(w, v, redis_keys, NKEYS(redis_keys), r,
		       "a mapping like {address: 127.0.0.1:6379, sync_interval: 100ms}",
		       &seen);
	if (err)
		return err;
	if ((seen & KEY_BIT(RK_USERNAME)) && !(seen & KEY_BIT(RK_PASSWORD)))
		return walk_missing(w, v, "password_file",
				    "the file holding the password of `username`, like /etc/sluice/redis.password");
	if (r->timeout_ns >= r->sync_interval_ns) {
		yaml_node_t *at = walk_map_get(w, v, seen & KEY_BIT(RK_TIMEOUT) ?
					       "timeout" : "sync_interval");

		return walk_expect_key(w, at, at, seen & KEY_BIT(RK_TIMEOUT) ?
				       "timeout" : "sync_interval",
				       "a timeout shorter than sync_interval (a sync must end before the next starts)");
	}
	r->on = true;
	r->line = (int)v->start_mark.line + 1;
	return 0;
}

int cfg_parse_redis(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return cfg_redis_node(w, v, &((struct sl_config *)obj)->redis);
}

/* ---- config_source ---------------------------------------------------- */

static int cs_redis(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_config_source *cs = obj;

	cs->own_redis = true;
	return cfg_redis_node(w, v, &cs->redis);
}

static int cs_key(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_config_source *cs = obj;

	return rd_word(w, v, cs->key, sizeof(cs->key), 1,
		       "a Redis key of 1..255 printable characters without spaces, like sluice:config");
}

static int cs_cache(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_config_source *cs = obj;

	return rd_path(w, v, cs->cache, sizeof(cs->cache),
		       "an absolute path like /var/lib/sluice/config.yaml");
}

static int cs_check(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_duration(w, v, 100 * MS, 3600 * S, "100ms..1h",
			     &((struct cfg_config_source *)obj)->check_interval_ns);
}

static const struct cfg_key source_keys[] = {
	{ "redis", cs_redis },
	{ "key", cs_key },
	{ "cache", cs_cache },
	{ "check_interval", cs_check },
};

int cfg_parse_config_source(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_config_source *cs = &((struct sl_config *)obj)->config_source;
	unsigned seen;
	int err;

	memset(cs, 0, sizeof(*cs));
	snprintf(cs->cache, sizeof(cs->cache), "%s", CFG_CONFIG_CACHE);
	cs->check_interval_ns = CFG_CONFIG_CHECK_NS;
	err = walk_map(w, v, source_keys, NKEYS(source_keys), cs,
		       "a mapping like {key: \"sluice:config\", cache: /var/lib/sluice/config.yaml}",
		       &seen);
	if (err)
		return err;
	cs->on = true;
	cs->line = (int)v->start_mark.line + 1;
	return 0;
}

int cfg_redis_finish(struct cfg_walk *w, yaml_node_t *root, void *obj)
{
	struct sl_config *cfg = obj;
	struct cfg_config_source *cs = &cfg->config_source;

	(void)w;
	(void)root;
	if (!cs->on)
		return 0;
	if (!cs->own_redis) {
		if (cfg->redis.on)
			cs->redis = cfg->redis;
		else
			cfg_redis_default(&cs->redis);
		cs->redis.on = true;
	}
	if (!cs->key[0])
		snprintf(cs->key, sizeof(cs->key), "%.*sconfig",
			 (int)(sizeof(cs->key) - 8), cs->redis.key_prefix);
	return 0;
}
