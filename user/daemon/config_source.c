// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The central config: Redis, the cache, the bootstrap (config_source.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

#include "daemon/config_source.h"
#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "export/metrics.h"
#include "common/clock.h"
#include "common/log.h"

#define CSRC_TICK_MS	100	/* reconnects and due checks */
#define CSRC_HOSTS_TTL	"86400000"	/* ms: a day after the last report */

const char *config_source_origin(const struct sl_daemon *d)
{
	return config_source_names[d->csrc ? d->csrc->origin : CSRC_FILE];
}

/* The bootstrap's settings, without what a config owns on the heap
 * (config_compose reads only the host's settings). */
static struct sl_config *boot_copy(const struct sl_config *cfg)
{
	struct sl_config *b = malloc(sizeof(*b));

	if (!b)
		return NULL;
	*b = *cfg;
	b->tiers = NULL;
	b->ntiers = 0;
	b->services = NULL;
	b->nservices = 0;
	return b;
}

static void names_set(struct config_source *cs)
{
	const struct cfg_config_source *c = &cs->boot->config_source;

	snprintf(cs->name, sizeof(cs->name), "redis:%s", c->key);
	snprintf(cs->channel, sizeof(cs->channel), "%s:changed", c->key);
	snprintf(cs->host_id, sizeof(cs->host_id), "%s", c->redis.host_id);
	if (!cs->host_id[0] && gethostname(cs->host_id, sizeof(cs->host_id)))
		snprintf(cs->host_id, sizeof(cs->host_id), "unknown");
	cs->host_id[sizeof(cs->host_id) - 1] = '\0';
}

int config_source_get(struct config_source *cs, char **text, size_t *len)
{
	const char *argv[] = { "GET", cs->boot->config_source.key };
	redisReply *r;
	int rc;

	*text = NULL;
	*len = 0;
	rc = redis_conn_ensure(&cs->rc);
	if (rc) {
		cs->redis_ok = false;
		return rc;
	}
	r = redis_conn_cmd(&cs->rc, 2, argv, NULL);
	if (!r) {
		cs->redis_ok = false;
		return -EIO;
	}
	rc = redis_conn_reply_err(&cs->rc, r, "GET");
	if (!rc && r->type == REDIS_REPLY_STRING) {
		*text = malloc(r->len + 1);
		if (*text) {
			memcpy(*text, r->str, r->len);
			(*text)[r->len] = '\0';
			*len = r->len;
		}
		rc = *text ? 0 : -ENOMEM;
	} else if (!rc && r->type != REDIS_REPLY_NIL) {
		cs->rc.errors[RFAIL_REPLY]++;
		log_warn("%s: the key holds no string (type %d): nothing to load; write it with sluicectl config push",
			 cs->name, r->type);
		rc = -EPROTO;
	}
	freeReplyObject(r);
	cs->redis_ok = rc != -EPROTO;
	return rc;
}

/* The running central text, kept for reloads of the bootstrap. */
static int keep_text(struct config_source *cs, const char *text, size_t len)
{
	char *t = malloc(len + 1);

	if (!t)
		return -ENOMEM;
	memcpy(t, text, len);
	t[len] = '\0';
	free(cs->text);
	cs->text = t;
	cs->len = len;
	return 0;
}

static void cache_save(struct config_source *cs, const char *text, size_t len)
{
	char err[512];

	if (!config_cache_write(cs->boot->config_source.cache, text, len, err,
				sizeof(err)))
		return;
	cs->errors[CSRC_ERR_CACHE - RFAIL__MAX]++;
	log_warn("%s (a restart without Redis will not find this version)", err);
}

void config_source_report(struct config_source *cs)
{
	char key[128], *val;
	redisReply *r;
	time_t now = time(NULL);

	cs->next_report_ms = now_ms() + CSRC_REPORT_MS;
	if (redis_conn_ensure(&cs->rc))
		return;
	snprintf(key, sizeof(key), "%sconfig:hosts",
		 cs->boot->config_source.redis.key_prefix);
	val = config_report_json(cs->d->cfg->hash, cs->origin, cs->origin_at,
				 now);
	if (!val)
		return;
	{
		const char *hset[] = { "HSET", key, cs->host_id, val };
		const char *ttl[] = { "PEXPIRE", key, CSRC_HOSTS_TTL };

		if (!redis_conn_append(&cs->rc, 4, hset, NULL) &&
		    !redis_conn_append(&cs->rc, 3, ttl, NULL)) {
			for (int i = 0; i < 2; i++) {
				r = redis_conn_read(&cs->rc);
				if (!r)
					break;
				redis_conn_reply_err(&cs->rc, r, i ? "PEXPIRE" : "HSET");
				freeReplyObject(r);
			}
		}
	}
	free(val);
}

/* The running config is now Redis' version `text`. */
static void now_from_redis(struct config_source *cs, const char *text,
			   size_t len)
{
	cs->origin = CSRC_REDIS;
	cs->origin_at = time(NULL);
	cs->refused_hash = 0;
	keep_text(cs, text, len);
	cache_save(cs, text, len);
	config_source_report(cs);
}

int config_source_take(struct config_source *cs, const char *text,
		       size_t len, const char *why, char *err, size_t errlen)
{
	struct sl_daemon *d = cs->d;
	uint64_t h = cfg_hash(text, len);
	char cerr[CFG_ERR_MAX];
	struct sl_config *cfg;
	int prev = cs->origin, rc;

	if (h == d->cfg->hash && prev != CSRC_FILE) {
		if (prev == CSRC_CACHE) {
			log_info("%s: Redis holds the version running from the cache (hash %016llx): following Redis again",
				 cs->name, (unsigned long long)h);
			now_from_redis(cs, text, len);
			metrics_update(d->metrics, d);
		}
		return 0;
	}
	if (h == cs->refused_hash) {
		snprintf(err, errlen, "%s", cs->refused_err);
		return -EINVAL;
	}
	rc = config_compose(cs->boot, cs->name, text, len, &cfg, cerr);
	if (rc) {
		cs->refused_hash = h;
		snprintf(cs->refused_err, sizeof(cs->refused_err), "%s", cerr);
		snprintf(err, errlen, "%s", cerr);
		cs->errors[CSRC_ERR_INVALID - RFAIL__MAX]++;
		log_err("%s: version %016llx refused (%s): %s; still enforcing the running config (hash %016llx, from %s)",
			cs->name, (unsigned long long)h, why, cerr,
			(unsigned long long)d->cfg->hash, config_source_names[prev]);
		metrics_update(d->metrics, d);
		return rc;
	}
	log_info("%s: applying version %016llx (%s; was %016llx from %s)",
		 cs->name, (unsigned long long)h, why,
		 (unsigned long long)d->cfg->hash, config_source_names[prev]);
	rc = daemon_apply(d, cfg, cs->name, NULL, err, errlen);
	/* Applied with errors still runs: it is what enforces now.  Not
	 * applied at all (an interface would not attach): tried again at
	 * the next message or check. */
	if (d->cfg->hash != h)
		return rc;
	cs->loads++;
	now_from_redis(cs, text, len);
	metrics_update(d->metrics, d);
	return rc;
}

/* A GET now: a message, a reconnect, the check interval or a reload. */
static void check(struct config_source *cs, const char *why)
{
	char err[CFG_ERR_MAX], *text;
	size_t len;

	cs->check_now = false;
	cs->next_check_ms = now_ms() + cs->boot->config_source.check_interval_ns / 1000000;
	if (config_source_get(cs, &text, &len))
		return;
	if (!text) {
		if (!cs->empty_logged)
			log_warn("%s: the key is empty: keeping the running config (hash %016llx, from %s); publish one with sluicectl config push",
				 cs->name, (unsigned long long)cs->d->cfg->hash,
				 config_source_names[cs->origin]);
		cs->empty_logged = true;
		return;
	}
	cs->empty_logged = false;
	config_source_take(cs, text, len, why, err, sizeof(err));
	free(text);
}

/* ---- the subscription ------------------------------------------------ */

static void sub_drop(struct config_source *cs, const char *what)
{
	if (cs->sub_fd >= 0 && cs->d->loop)
		loop_del_fd(cs->d->loop, cs->sub_fd);
	cs->sub_fd = -1;
	redis_conn_fail(&cs->sub, RFAIL_IO, "subscription: %s", what);
}

static void on_sub(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct config_source *cs = arg;
	redisContext *c = cs->sub.c;
	void *r;

	(void)l, (void)fd, (void)events;
	/* epoll said readable: one read, no wait. */
	if (redisBufferRead(c) != REDIS_OK) {
		sub_drop(cs, c->errstr[0] ? c->errstr : "connection lost");
		return;
	}
	for (;;) {
		r = NULL;
		if (redisGetReplyFromReader(c, &r) != REDIS_OK) {
			sub_drop(cs, c->errstr[0] ? c->errstr : "protocol error");
			return;
		}
		if (!r)
			break;
		/* ["message", channel, payload]: the payload is only a hint,
		 * the key is the truth. */
		if (((redisReply *)r)->type == REDIS_REPLY_ARRAY) {
			cs->check_now = true;
			/* Redis is there: the GET need not wait for a backoff. */
			cs->rc.next_try_ms = 0;
		}
		freeReplyObject(r);
	}
	if (cs->check_now)
		check(cs, "published");
}

static void sub_connect(struct config_source *cs)
{
	const char *argv[] = { "SUBSCRIBE", cs->channel };
	redisReply *r;

	if (cs->sub_fd >= 0 || redis_conn_ensure(&cs->sub))
		return;
	r = redis_conn_cmd(&cs->sub, 2, argv, NULL);
	if (!r)
		return;
	if (r->type != REDIS_REPLY_ARRAY) {
		redis_conn_fail(&cs->sub, RFAIL_REPLY, "SUBSCRIBE %s: %s",
				cs->channel, r->type == REDIS_REPLY_ERROR ?
				r->str : "unexpected answer");
		freeReplyObject(r);
		return;
	}
	freeReplyObject(r);
	/* From here on only read when epoll says so, and never wait: a
	 * wake-up without data is EAGAIN, not a timeout. */
	cs->sub.c->flags &= ~REDIS_BLOCK;
	fcntl(cs->sub.c->fd, F_SETFL, fcntl(cs->sub.c->fd, F_GETFL) | O_NONBLOCK);
	if (loop_add_fd(cs->d->loop, cs->sub.c->fd, EPOLLIN, on_sub, cs)) {
		redis_conn_fail(&cs->sub, RFAIL_IO, "cannot watch the subscription (out of memory)");
		return;
	}
	cs->sub_fd = cs->sub.c->fd;
	log_dbg("%s: subscribed to %s", cs->name, cs->channel);
	/* What was published while it was down: read the key now, and do
	 * not wait for the other connection's backoff. */
	cs->rc.next_try_ms = 0;
	cs->check_now = true;
}

static void on_tick(struct loop *l, int id, void *arg)
{
	struct config_source *cs = arg;
	uint64_t now = now_ms();

	bool was_up = cs->sub_fd >= 0 && cs->redis_ok;

	(void)l, (void)id;
	if (cs->sub_fd < 0)
		sub_connect(cs);
	if (cs->check_now || now >= cs->next_check_ms)
		check(cs, cs->check_now ? "subscribed" : "periodic check");
	if (now_ms() >= cs->next_report_ms)
		config_source_report(cs);
	/* sluice_config_source_up without waiting for the next sample. */
	if (was_up != (cs->sub_fd >= 0 && cs->redis_ok))
		metrics_update(cs->d->metrics, cs->d);
}

/* ---- start, reload, stop --------------------------------------------- */

/* The cache as the config to start with, or NULL (logged). */
static struct sl_config *from_cache(struct config_source *cs)
{
	const char *path = cs->boot->config_source.cache;
	char err[CFG_ERR_MAX], *text;
	struct sl_config *cfg = NULL;
	size_t len;
	int rc;

	rc = config_cache_read(path, &text, &len);
	if (rc == -ENOENT)
		return NULL;
	if (!rc)
		rc = config_compose(cs->boot, path, text, len, &cfg, err);
	else
		snprintf(err, sizeof(err), "%.300s: cannot read: %s", path,
			 strerror(-rc));
	if (!rc)
		keep_text(cs, text, len);
	else {
		cs->errors[CSRC_ERR_CACHE - RFAIL__MAX]++;
		log_err("config cache refused: %s", err);
	}
	free(text);
	return cfg;
}

int config_source_open(struct sl_daemon *d, struct sl_config **cfg)
{
	struct config_source *cs = calloc(1, sizeof(*cs));
	struct sl_config *start = NULL;
	char err[CFG_ERR_MAX], *text = NULL;
	size_t len;
	int rc;

	if (!cs || !(cs->boot = boot_copy(*cfg))) {
		free(cs);
		return -ENOMEM;
	}
	cs->d = d;
	cs->sub_fd = -1;
	names_set(cs);
	redis_conn_init(&cs->rc, &cs->boot->config_source.redis, "config source");
	redis_conn_init(&cs->sub, &cs->boot->config_source.redis,
			"config source subscription");
	d->csrc = cs;
	rc = config_source_get(cs, &text, &len);
	if (!rc && text) {
		if (config_compose(cs->boot, cs->name, text, len, &start, err)) {
			cs->refused_hash = cfg_hash(text, len);
			snprintf(cs->refused_err, sizeof(cs->refused_err), "%s", err);
			cs->errors[CSRC_ERR_INVALID - RFAIL__MAX]++;
			log_err("%s: refused at start: %s", cs->name, err);
		} else {
			cs->origin = CSRC_REDIS;
			keep_text(cs, text, len);
			cache_save(cs, text, len);
			log_info("config from %s (hash %016llx)", cs->name,
				 (unsigned long long)start->hash);
		}
	} else if (!rc) {
		cs->empty_logged = true;
		log_warn("%s: the key is empty (nothing pushed yet?)", cs->name);
	}
	free(text);
	if (!start && (start = from_cache(cs))) {
		cs->origin = CSRC_CACHE;
		log_warn("starting from the config cache %s (hash %016llx): %s has no valid version now; switching to Redis' version as soon as it can be read",
			 start->path, (unsigned long long)start->hash, cs->name);
	}
	if (!start) {
		log_warn("starting from the config file %s itself: neither %s nor the cache %s has a valid config; following Redis from now on",
			 (*cfg)->path, cs->name, cs->boot->config_source.cache);
		cs->origin = CSRC_FILE;
	} else {
		cfg_free(*cfg);
		*cfg = start;
	}
	cs->origin_at = time(NULL);
	return 0;
}

int config_source_start(struct sl_daemon *d, struct loop *l)
{
	struct config_source *cs = d->csrc;

	if (!cs)
		return 0;
	cs->timer = loop_add_timer(l, CSRC_TICK_MS, true, on_tick, cs);
	if (cs->timer < 0)
		return cs->timer;
	cs->next_check_ms = now_ms() + cs->boot->config_source.check_interval_ns / 1000000;
	sub_connect(cs);
	config_source_report(cs);
	return 0;
}

static bool same_source(const struct cfg_config_source *a,
			const struct cfg_config_source *b)
{
	return !strcmp(a->key, b->key) &&
	       !strcmp(a->redis.address, b->redis.address) &&
	       !strcmp(a->redis.password_file, b->redis.password_file) &&
	       !strcmp(a->redis.username, b->redis.username) &&
	       a->redis.db == b->redis.db;
}

int config_source_rebase(struct sl_daemon *d, struct sl_config **cfg,
			 char err[CFG_ERR_MAX])
{
	struct config_source *cs = d->csrc;
	struct sl_config *nb = *cfg, *boot, *out;
	const char *name;
	int rc;

	if (!nb->config_source.on) {
		snprintf(err, CFG_ERR_MAX,
			 "%.200s: config_source was removed: sluiced keeps following %.200s until it restarts (put it back, or restart)",
			 nb->path, cs->name);
		goto fail;
	}
	boot = boot_copy(nb);
	if (!boot) {
		snprintf(err, CFG_ERR_MAX, "%.300s: out of memory", nb->path);
		goto fail;
	}
	if (!same_source(&cs->boot->config_source, &nb->config_source)) {
		log_info("reload: config_source now %s at %s", nb->config_source.key,
			 nb->config_source.redis.address);
		if (cs->sub_fd >= 0)
			loop_del_fd(d->loop, cs->sub_fd);
		cs->sub_fd = -1;
		redis_conn_close(&cs->sub);
	}
	redis_conn_reconfigure(&cs->rc, &nb->config_source.redis);
	redis_conn_reconfigure(&cs->sub, &nb->config_source.redis);
	free(cs->boot);
	cs->boot = boot;
	names_set(cs);
	/* A reload reads the key again, too. */
	cs->check_now = true;
	if (cs->origin == CSRC_FILE || !cs->text)
		return 0;
	name = cs->origin == CSRC_CACHE ? boot->config_source.cache : cs->name;
	rc = config_compose(boot, name, cs->text, cs->len, &out, err);
	if (rc)
		goto fail;
	cfg_free(nb);
	*cfg = out;
	return 0;
fail:
	cfg_free(nb);
	*cfg = NULL;
	return -EINVAL;
}

void config_source_free(struct sl_daemon *d)
{
	struct config_source *cs = d->csrc;

	if (!cs)
		return;
	if (cs->timer > 0 && d->loop)
		loop_del_timer(d->loop, cs->timer);
	if (cs->sub_fd >= 0 && d->loop)
		loop_del_fd(d->loop, cs->sub_fd);
	redis_conn_close(&cs->sub);
	redis_conn_close(&cs->rc);
	free(cs->text);
	free(cs->boot);
	free(cs);
	d->csrc = NULL;
}
