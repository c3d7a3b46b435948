/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Alertmanager receiver (issue 11): `webhook: {listen, token_file}`.
 * libmicrohttpd driven by sluiced's event loop (its epoll descriptor
 * and a timer in loop.h), so the alert callback runs on the loop, next
 * to the degrade controller and the breakers, and needs no lock.
 * Bounded like the metrics endpoint (8 connections, 4 per address, a
 * 5 s timeout, 64 KiB of memory per connection).
 *
 *   POST /alertmanager   Authorization: Bearer TOKEN (compared in
 *                        constant time); the body (at most max_body,
 *                        larger: 413 before it is read) parsed by
 *                        common/alerts.h; 200 and every event to the
 *                        callback, or 400 and nothing changes
 *   other methods 405 (Allow: POST), other paths 404, no or a wrong
 *   token 401.
 *
 * Every request counts once by result and logs one line (at most
 * WEBHOOK_LOG_BURST of each result in WEBHOOK_LOG_WINDOW_S, then a
 * count of those not logged); each event also logs a debug line.  A body sent in chunks
 * with no Content-Length that grows past max_body is cut off: counted
 * too_large, the connection closed without an answer.
 *
 * The token is read from token_file at start and on every reload
 * (surrounding white space dropped, as Alertmanager's credentials_file
 * does).  A missing, unreadable or empty file at start: the receiver
 * does not start, says so naming the file, and sluiced runs on; at a
 * reload: the token read before stays.
 */
#ifndef SLUICE_DAEMON_WEBHOOK_H
#define SLUICE_DAEMON_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/alerts.h"
#include "config/config.h"

#define WEBHOOK_PATH		"/alertmanager"
#define WEBHOOK_TOKEN_MAX	1024	/* bytes with the NUL */
#define WEBHOOK_CONN_MAX	8
#define WEBHOOK_CONN_PER_IP	4
#define WEBHOOK_TIMEOUT_S	5
#define WEBHOOK_CONN_MEMORY	(64 * 1024)
#define WEBHOOK_LOG_BURST	10
#define WEBHOOK_LOG_WINDOW_S	10

/* sluice_webhook_requests_total{result} */
enum webhook_result {
	WEBHOOK_OK = 0,
	WEBHOOK_UNAUTHORIZED,
	WEBHOOK_BAD_REQUEST,
	WEBHOOK_TOO_LARGE,
	WEBHOOK_METHOD,
	WEBHOOK_NOT_FOUND,
	WEBHOOK_RESULTS,
};

/* One event of a good payload, on the event loop; now_ns is
 * CLOCK_MONOTONIC (the degrade controller's clock). */
typedef void (*webhook_alert_fn)(void *ctx, const struct alert_event *ev,
				 uint64_t now_ns);

/* What the metrics renderer reads (sluice_webhook_*). */
struct webhook_counts {
	bool on;			/* webhook configured */
	bool listening;
	uint64_t requests[WEBHOOK_RESULTS];
	uint64_t events;		/* passed to the callback */
	uint64_t ignored;		/* alerts with neither label */
	uint64_t skipped[ALERTS_SKIPS];
};

struct webhook;
struct loop;

/* The receiver's state (counters included), not listening yet; fn may
 * be NULL (events are only logged). */
int webhook_new(struct webhook **out, struct loop *l, webhook_alert_fn fn,
		void *ctx);

/* At start and on every reload: start, stop or move the listener, read
 * the token, take the labels and max_body.  0, or -errno when the
 * receiver could not start (logged; the rest of sluiced is unaffected)
 * or a reload could not read the token (the old one stays). */
int webhook_apply(struct webhook *w, const struct cfg_webhook *c);

/* "off" when not listening. */
const char *webhook_addr(const struct webhook *w);

/* w may be NULL: everything 0. */
void webhook_counts(const struct webhook *w, struct webhook_counts *out);

/* Stop listening and free; w may be NULL. */
void webhook_free(struct webhook *w);

/* The token in `path` into tok: 0, or -errno with the reason, naming
 * the file, in err (missing, unreadable, empty, too long, white space
 * or control bytes inside). */
int webhook_token_read(const char *path, char tok[WEBHOOK_TOKEN_MAX],
		       char *err, size_t errlen);

/* Does an Authorization header carry `tok` ("Bearer TOKEN", the scheme
 * in any case)?  In time independent of where they differ; false for
 * an empty tok. */
bool webhook_token_eq(const char *tok, const char *authorization);

const char *webhook_result_name(enum webhook_result r);

#endif /* SLUICE_DAEMON_WEBHOOK_H */
