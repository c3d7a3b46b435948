// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `sluicectl config push` and `config status` on the daemon's side
 * (config_source.h): the daemon holds the Redis address and password,
 * so sluicectl needs neither.  Both talk to Redis from the event loop
 * with the section's timeout as their bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>

#include "daemon/config_source.h"
#include "daemon/daemon.h"
#include "common/log.h"

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *jhash(uint64_t h)
{
	char s[CSRC_HASH_LEN];

	snprintf(s, sizeof(s), "%016llx", (unsigned long long)h);
	return json_object_new_string(s);
}

static const char *req_str(json_object *req, const char *key, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	if (len)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Connected now (an operator's command does not wait for the backoff),
 * or the reason in err. */
static int connect_now(struct config_source *cs, const char *what, char *err,
		       size_t errlen)
{
	cs->rc.next_try_ms = 0;
	if (!redis_conn_ensure(&cs->rc))
		return 0;
	snprintf(err, errlen, "redis %s unreachable (%s): %s",
		 cs->rc.cfg.address, cs->rc.last_err, what);
	return -EHOSTUNREACH;
}

int config_cmd_push(void *ctx, json_object *req, json_object **data,
		    char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	struct config_source *cs = d->csrc;
	const char *text, *name = req_str(req, "name", NULL);
	char cerr[CFG_ERR_MAX], hash[CSRC_HASH_LEN], aerr[CFG_ERR_MAX];
	redisReply *set = NULL, *pub = NULL;
	struct sl_config *cfg;
	json_object *o;
	size_t len;
	int rc;

	if (!cs) {
		snprintf(err, errlen, "this sluiced has no config_source in %s: nowhere to publish (add config_source: and restart it)",
			 d->cfg_path);
		return -EOPNOTSUPP;
	}
	text = req_str(req, "text", &len);
	if (!text) {
		snprintf(err, errlen, "config_push: missing \"text\" (the YAML)");
		return -EINVAL;
	}
	/* sluicectl checked it; a check here guards every other client. */
	rc = config_compose(cs->boot, name ? name : "push", text, len, &cfg, cerr);
	if (rc) {
		snprintf(err, errlen, "%s: nothing published", cerr);
		return rc;
	}
	cfg_free(cfg);
	rc = connect_now(cs, "nothing published", err, errlen);
	if (rc)
		return rc;
	snprintf(hash, sizeof(hash), "%016llx",
		 (unsigned long long)cfg_hash(text, len));
	{
		const char *sa[] = { "SET", cs->boot->config_source.key, text };
		const size_t sl[] = { 3, strlen(sa[1]), len };
		const char *pa[] = { "PUBLISH", cs->channel, hash };

		if (!redis_conn_append(&cs->rc, 3, sa, sl) &&
		    !redis_conn_append(&cs->rc, 3, pa, NULL) &&
		    (set = redis_conn_read(&cs->rc)))
			pub = redis_conn_read(&cs->rc);
	}
	if (!set || !pub || redis_conn_reply_err(&cs->rc, set, "SET") ||
	    redis_conn_reply_err(&cs->rc, pub, "PUBLISH")) {
		snprintf(err, errlen, "redis %s: publishing failed: %s", cs->rc.cfg.address,
			 cs->rc.last_err);
		rc = -EIO;
		goto out;
	}
	log_info("%s: version %s published by sluicectl (%zu bytes, %lld subscribers)",
		 cs->name, hash, len, pub->type == REDIS_REPLY_INTEGER ?
		 (long long)pub->integer : -1LL);
	o = json_object_new_object();
	jset(o, "key", json_object_new_string(cs->boot->config_source.key));
	jset(o, "channel", json_object_new_string(cs->channel));
	jset(o, "hash", json_object_new_string(hash));
	jset(o, "bytes", json_object_new_int64((int64_t)len));
	jset(o, "subscribers", json_object_new_int64(
		pub->type == REDIS_REPLY_INTEGER ? pub->integer : -1));
	/* This host at once, not after its own message comes back. */
	aerr[0] = '\0';
	config_source_take(cs, text, len, "pushed", aerr, sizeof(aerr));
	jset(o, "applied_here", json_object_new_boolean(
		d->cfg->hash == cfg_hash(text, len)));
	if (aerr[0])
		jset(o, "apply_error", json_object_new_string(aerr));
	*data = o;
out:
	if (set)
		freeReplyObject(set);
	if (pub)
		freeReplyObject(pub);
	return rc;
}

static json_object *running_json(struct sl_daemon *d)
{
	struct config_source *cs = d->csrc;
	json_object *o = json_object_new_object();

	jset(o, "source", json_object_new_string(config_source_origin(d)));
	jset(o, "name", json_object_new_string(d->cfg->path));
	jset(o, "file", json_object_new_string(d->cfg_path));
	jset(o, "hash", jhash(d->cfg->hash));
	jset(o, "loaded_at", json_object_new_int64(d->loaded_at));
	if (cs) {
		jset(o, "host", json_object_new_string(cs->host_id));
		jset(o, "source_at", json_object_new_int64(cs->origin_at));
	}
	return o;
}

/* GET the key and HGETALL the reports, in one round trip. */
static int status_read(struct config_source *cs, redisReply **get,
		       redisReply **all)
{
	char key[128];
	const char *ga[] = { "GET", cs->boot->config_source.key };
	const char *ha[] = { "HGETALL", key };

	*get = *all = NULL;
	snprintf(key, sizeof(key), "%sconfig:hosts",
		 cs->boot->config_source.redis.key_prefix);
	if (redis_conn_append(&cs->rc, 2, ga, NULL) ||
	    redis_conn_append(&cs->rc, 2, ha, NULL) ||
	    !(*get = redis_conn_read(&cs->rc)) ||
	    !(*all = redis_conn_read(&cs->rc)))
		return -EIO;
	if (redis_conn_reply_err(&cs->rc, *get, "GET") ||
	    redis_conn_reply_err(&cs->rc, *all, "HGETALL") ||
	    (*all)->type != REDIS_REPLY_ARRAY)
		return -EPROTO;
	return 0;
}

static json_object *hosts_json(const redisReply *all, const char *want,
			       int64_t now)
{
	int n = (int)(all->elements / 2);
	const char **ids = calloc(n + 1, sizeof(*ids));
	const char **vals = calloc(n + 1, sizeof(*vals));
	json_object *o = NULL;

	if (!ids || !vals)
		goto out;
	for (int i = 0; i < n; i++) {
		const redisReply *k = all->element[2 * i], *v = all->element[2 * i + 1];

		ids[i] = k->type == REDIS_REPLY_STRING ? k->str : "?";
		vals[i] = v->type == REDIS_REPLY_STRING ? v->str : NULL;
	}
	o = config_hosts_compare(want, n, ids, vals, now);
out:
	free(ids);
	free(vals);
	return o;
}

int config_cmd_status(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	struct config_source *cs = d->csrc;
	json_object *o = json_object_new_object(), *r, *cmp = NULL, *v;
	redisReply *get = NULL, *all = NULL;
	char want[CSRC_HASH_LEN], why[1024] = "";
	int64_t now = time(NULL);
	uint64_t h;
	int rc = 0;

	(void)req;
	jset(o, "now", json_object_new_int64(now));
	jset(o, "running", running_json(d));
	*data = o;
	if (!cs) {
		jset(o, "config_source", json_object_new_boolean(false));
		return 0;
	}
	jset(o, "config_source", json_object_new_boolean(true));
	r = json_object_new_object();
	jset(o, "redis", r);
	jset(r, "address", json_object_new_string(cs->rc.cfg.address));
	jset(r, "key", json_object_new_string(cs->boot->config_source.key));
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)d->cfg->hash);
	if (connect_now(cs, "hosts unknown", why, sizeof(why)) ||
	    status_read(cs, &get, &all)) {
		if (!why[0])
			snprintf(why, sizeof(why), "redis %s: %s: hosts unknown",
				 cs->rc.cfg.address, cs->rc.last_err);
		/* The comparison failed; what this host knows goes along. */
		snprintf(err, errlen, "%s; this host runs hash %s from %s",
			 why, want, config_source_origin(d));
		json_object_put(o);
		*data = NULL;
		rc = -EHOSTUNREACH;
		goto out;
	}
	jset(r, "up", json_object_new_boolean(true));
	jset(r, "subscribed", json_object_new_boolean(cs->sub_fd >= 0));
	if (get->type == REDIS_REPLY_STRING) {
		h = cfg_hash(get->str, get->len);
		snprintf(want, sizeof(want), "%016llx", (unsigned long long)h);
		jset(r, "hash", json_object_new_string(want));
		if (h == cs->refused_hash)
			jset(r, "refused", json_object_new_string(cs->refused_err));
	} else {
		jset(r, "hash", NULL);
	}
	/* The hash every host should run: Redis', else this host's. */
	jset(o, "reference", json_object_new_string(want));
	cmp = hosts_json(all, want, now);
	if (!cmp)
		goto out;
	if (json_object_object_get_ex(cmp, "hosts", &v))
		jset(o, "hosts", json_object_get(v));
	if (json_object_object_get_ex(cmp, "summary", &v))
		jset(o, "summary", json_object_get(v));
	json_object_put(cmp);
out:
	if (get)
		freeReplyObject(get);
	if (all)
		freeReplyObject(all);
	return rc;
}
