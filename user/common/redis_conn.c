// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One Redis connection with backoff (redis_conn.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#include "common/redis_conn.h"
#include "common/clock.h"
#include "common/log.h"

const char *const redis_err_names[RFAIL__MAX] = {
	[RFAIL_CONNECT] = "connect", [RFAIL_AUTH] = "auth",
	[RFAIL_TIMEOUT] = "timeout", [RFAIL_IO] = "io",
	[RFAIL_REPLY] = "reply",
};

void redis_conn_init(struct redis_conn *rc, const struct cfg_redis *cfg,
		     const char *who)
{
	memset(rc, 0, sizeof(*rc));
	rc->cfg = *cfg;
	rc->who = who;
	rc->last_kind = -1;
}

/* Where and how: what a reload must reconnect for. */
static bool same_target(const struct cfg_redis *a, const struct cfg_redis *b)
{
	return !strcmp(a->address, b->address) &&
	       !strcmp(a->password_file, b->password_file) &&
	       !strcmp(a->username, b->username) && a->db == b->db &&
	       a->timeout_ns == b->timeout_ns;
}

void redis_conn_reconfigure(struct redis_conn *rc, const struct cfg_redis *cfg)
{
	bool same = same_target(&rc->cfg, cfg);

	rc->cfg = *cfg;
	if (same)
		return;
	redis_conn_close(rc);
	rc->backoff_ms = 0;
	rc->next_try_ms = 0;
	rc->logged_down = false;
}

void redis_conn_close(struct redis_conn *rc)
{
	if (rc->c)
		redisFree(rc->c);
	rc->c = NULL;
}

void redis_conn_fail(struct redis_conn *rc, int kind, const char *fmt, ...)
{
	uint64_t now = now_ms(), jitter;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rc->last_err, sizeof(rc->last_err), fmt, ap);
	va_end(ap);
	if (kind >= 0 && kind < RFAIL__MAX)
		rc->errors[kind]++;
	rc->last_kind = kind;
	redis_conn_close(rc);
	if (!rc->down_since_ms)
		rc->down_since_ms = now;
	/* Once per outage at error level; the retries at debug. */
	if (!rc->logged_down) {
		log_err("redis %s (%s): %s; %s, retrying with backoff",
			rc->cfg.address, rc->who, rc->last_err,
			rc->who && !strcmp(rc->who, "global limits") ?
			"global limits fall back" : "keeping what runs");
		rc->logged_down = true;
	} else {
		log_dbg("redis %s (%s): %s", rc->cfg.address, rc->who,
			rc->last_err);
	}
	/* A refused connect costs Redis nothing and ends at once: try again
	 * soon, so a restarted Redis is used within a sync or two.  What
	 * waited (a timeout) or cannot get better by itself (AUTH) backs
	 * off further each time. */
	if (kind == RFAIL_CONNECT)
		rc->backoff_ms = REDIS_BACKOFF_MIN_MS;
	else
		rc->backoff_ms = rc->backoff_ms ? rc->backoff_ms * 2 : REDIS_BACKOFF_MIN_MS;
	if (rc->backoff_ms > REDIS_BACKOFF_MAX_MS)
		rc->backoff_ms = REDIS_BACKOFF_MAX_MS;
	/* Up to a quarter more, so gateways that lost one Redis together
	 * do not come back in step. */
	jitter = rc->backoff_ms / 4 ? (uint64_t)random() % (rc->backoff_ms / 4) : 0;
	rc->next_try_ms = now + rc->backoff_ms + jitter;
}

static int read_password(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t len;

	if (!f)
		return -errno;
	if (!fgets(out, (int)size, f)) {
		fclose(f);
		return -ENODATA;
	}
	fclose(f);
	len = strcspn(out, "\r\n");
	out[len] = '\0';
	return len ? 0 : -ENODATA;
}

/* AUTH and SELECT on a fresh connection: 0, or failed. */
static int conn_hello(struct redis_conn *rc)
{
	char pass[512], db[16];
	redisReply *r;
	int err;

	if (rc->cfg.password_file[0]) {
		err = read_password(rc->cfg.password_file, pass, sizeof(pass));
		if (err) {
			redis_conn_fail(rc, RFAIL_AUTH,
					"cannot read password_file %s: %s",
					rc->cfg.password_file,
					err == -ENODATA ? "empty" : strerror(-err));
			return err;
		}
		if (rc->cfg.username[0])
			r = redisCommand(rc->c, "AUTH %s %s", rc->cfg.username, pass);
		else
			r = redisCommand(rc->c, "AUTH %s", pass);
		memset(pass, 0, sizeof(pass));
		if (!r || r->type == REDIS_REPLY_ERROR) {
			redis_conn_fail(rc, r ? RFAIL_AUTH : RFAIL_IO,
					"AUTH%s%s refused: %s (check password_file %s)",
					rc->cfg.username[0] ? " as " : "",
					rc->cfg.username, r ? r->str : "no answer",
					rc->cfg.password_file);
			if (r)
				freeReplyObject(r);
			return -EACCES;
		}
		freeReplyObject(r);
	}
	snprintf(db, sizeof(db), "%u", rc->cfg.db);
	r = redisCommand(rc->c, "SELECT %s", db);
	if (!r || r->type == REDIS_REPLY_ERROR) {
		/* NOAUTH lands here when Redis wants a password we lack. */
		bool noauth = r && r->str && !strncmp(r->str, "NOAUTH", 6);

		redis_conn_fail(rc, !r ? RFAIL_IO :
				noauth ? RFAIL_AUTH : RFAIL_REPLY,
				"SELECT %u: %s%s", rc->cfg.db,
				r ? r->str : "no answer",
				noauth ? " (set password_file)" : "");
		if (r)
			freeReplyObject(r);
		return -EPROTO;
	}
	freeReplyObject(r);
	return 0;
}

int redis_conn_ensure(struct redis_conn *rc)
{
	struct timeval tv = {
		.tv_sec = rc->cfg.timeout_ns / 1000000000ULL,
		.tv_usec = rc->cfg.timeout_ns % 1000000000ULL / 1000,
	};
	int kind;

	if (rc->c)
		return 0;
	if (rc->next_try_ms && now_ms() < rc->next_try_ms)
		return -EAGAIN;
	rc->c = rc->cfg.unix_socket ?
		redisConnectUnixWithTimeout(rc->cfg.host, tv) :
		redisConnectWithTimeout(rc->cfg.host, rc->cfg.port, tv);
	if (!rc->c || rc->c->err) {
		kind = rc->c && rc->c->err == REDIS_ERR_IO &&
		       (errno == ETIMEDOUT || errno == EINPROGRESS) ?
		       RFAIL_TIMEOUT : RFAIL_CONNECT;
		redis_conn_fail(rc, kind, "connect: %s",
				rc->c ? rc->c->errstr : "out of memory");
		return -ECONNREFUSED;
	}
	if (redisSetTimeout(rc->c, tv) != REDIS_OK) {
		redis_conn_fail(rc, RFAIL_IO, "cannot set the timeout");
		return -EIO;
	}
	if (conn_hello(rc))
		return -EACCES;
	rc->connects++;
	if (rc->down_since_ms || !rc->ever_up)
		log_info("redis %s (%s): connected%s", rc->cfg.address, rc->who,
			 rc->down_since_ms ? " again" : "");
	rc->ever_up = true;
	rc->down_since_ms = 0;
	rc->logged_down = false;
	rc->backoff_ms = 0;
	rc->next_try_ms = 0;
	return 0;
}

/* A broken context: timeout or I/O, counted and closed. */
static void conn_broke(struct redis_conn *rc, const char *what)
{
	bool timeout = rc->c && rc->c->err == REDIS_ERR_IO &&
		       (errno == EAGAIN || errno == ETIMEDOUT);

	redis_conn_fail(rc, timeout ? RFAIL_TIMEOUT : RFAIL_IO,
			"%s: %s", what,
			timeout ? "no answer within timeout" :
			rc->c && rc->c->errstr[0] ? rc->c->errstr : "connection lost");
}

struct redisReply *redis_conn_cmd(struct redis_conn *rc, int argc,
				  const char **argv, const size_t *lens)
{
	redisReply *r;

	if (!rc->c)
		return NULL;
	r = redisCommandArgv(rc->c, argc, argv, lens);
	if (!r)
		conn_broke(rc, argc ? argv[0] : "command");
	return r;
}

int redis_conn_append(struct redis_conn *rc, int argc, const char **argv,
		      const size_t *lens)
{
	if (!rc->c)
		return -EIO;
	if (redisAppendCommandArgv(rc->c, argc, argv, lens) != REDIS_OK) {
		conn_broke(rc, "pipeline");
		return -EIO;
	}
	return 0;
}

struct redisReply *redis_conn_read(struct redis_conn *rc)
{
	void *r = NULL;

	if (!rc->c)
		return NULL;
	if (redisGetReply(rc->c, &r) != REDIS_OK || !r) {
		conn_broke(rc, "reply");
		return NULL;
	}
	return r;
}

int redis_conn_reply_err(struct redis_conn *rc, struct redisReply *r,
			 const char *what)
{
	if (!r || r->type != REDIS_REPLY_ERROR)
		return 0;
	rc->errors[RFAIL_REPLY]++;
	rc->last_kind = RFAIL_REPLY;
	snprintf(rc->last_err, sizeof(rc->last_err), "%s: %s", what, r->str);
	log_warn("redis %s (%s): %s", rc->cfg.address, rc->who, rc->last_err);
	return -EPROTO;
}
