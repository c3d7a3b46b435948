/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One connection to Redis (hiredis, blocking with the section's
 * timeout), shared by the global limits' sync and the config source.
 * A failure closes the connection, is counted by kind and logged once
 * per outage (not once per try), and the next connect waits a backoff
 * (100 ms doubling to 5 s, with jitter; 100 ms after a refused connect,
 * which costs nothing): Redis gone is a state sluiced lives in, never a
 * crash loop.
 */
#ifndef SLUICE_REDIS_CONN_H
#define SLUICE_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/redis.h"

/* sluice_redis_errors_total{kind}; names in redis_err_names. */
enum redis_err_kind {
	RFAIL_CONNECT = 0,	/* refused, unreachable, name not found */
	RFAIL_AUTH,		/* AUTH refused, or the password file unreadable */
	RFAIL_TIMEOUT,	/* connect or a round trip past `timeout` */
	RFAIL_IO,		/* the connection broke */
	RFAIL_REPLY,	/* Redis answered an error (script, SELECT, ...) */
	RFAIL__MAX,
};

extern const char *const redis_err_names[RFAIL__MAX];

#define REDIS_BACKOFF_MIN_MS	100
#define REDIS_BACKOFF_MAX_MS	5000

struct redisContext;
struct redisReply;

struct redis_conn {
	struct cfg_redis cfg;
	const char *who;		/* "global limits", "config source": in log lines */
	struct redisContext *c;		/* NULL: down */
	bool ever_up;
	bool logged_down;		/* this outage was logged */
	uint64_t backoff_ms;
	uint64_t next_try_ms;		/* CLOCK_MONOTONIC ms */
	uint64_t down_since_ms;		/* 0: up (or never tried) */
	int last_kind;			/* -1: none yet */
	char last_err[256];		/* the last failure, for status */
	uint64_t errors[RFAIL__MAX];
	uint64_t connects;		/* successful connects */
};

void redis_conn_init(struct redis_conn *rc, const struct cfg_redis *cfg,
		     const char *who);

/* A new section (reload): reconnect only when where or how changed. */
void redis_conn_reconfigure(struct redis_conn *rc, const struct cfg_redis *cfg);

/* Connected: 0.  Down and the backoff not over yet: -EAGAIN.  A connect
 * that failed now: -errno (counted, logged once per outage). */
int redis_conn_ensure(struct redis_conn *rc);

static inline bool redis_conn_up(const struct redis_conn *rc)
{
	return rc->c != NULL;
}

/* Record a failure of `kind` ("what" says which step), close the
 * connection and start the backoff. */
void redis_conn_fail(struct redis_conn *rc, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One command (argv form); the reply (freeReplyObject) or NULL after
 * redis_conn_fail.  An error reply is returned as is: the caller
 * decides (redis_conn_reply_err does the usual). */
struct redisReply *redis_conn_cmd(struct redis_conn *rc, int argc,
				  const char **argv, const size_t *lens);

/* Pipeline: append, then read each reply in order; a broken pipeline
 * fails the connection.  0 or -EIO. */
int redis_conn_append(struct redis_conn *rc, int argc, const char **argv,
		      const size_t *lens);
struct redisReply *redis_conn_read(struct redis_conn *rc);

/* An error reply to `what`: counted as RFAIL_REPLY and logged
 * (-EPROTO; the connection stays); anything else 0. */
int redis_conn_reply_err(struct redis_conn *rc, struct redisReply *r,
			 const char *what);

void redis_conn_close(struct redis_conn *rc);

#endif /* SLUICE_REDIS_CONN_H */
