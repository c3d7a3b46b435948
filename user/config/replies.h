/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `reply:` on a tier (for its http limits) or on one limit (replacing
 * the tier's whole; keys are not merged): {status, reason, content_type,
 * body, headers}, every key optional.  What a refused request is
 * answered with, rendered by common/reply.h:
 *
 *   status 429 (default) adds Retry-After, RateLimit-Policy (requests
 *   limits) and RateLimit; 503 adds Retry-After; any other status adds
 *   neither.  Those added are reserved in `headers`, like Content-Type
 *   (the content_type key), Content-Length, Connection and
 *   Transfer-Encoding.  The default body is
 *   {"error":"too_many_requests","tier":"<tier>","retry_after_s":N}.
 */
#ifndef SLUICE_CONFIG_REPLIES_H
#define SLUICE_CONFIG_REPLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "sluice_reply.h"

#define CFG_REPLY_STATUS	429
#define CFG_REASON_MAX		64
#define CFG_REPLY_HEADERS	32
#define CFG_FALLBACK_STATUS	200
#define CFG_GATE_DELAY_S	86400	/* a gate's Retry-After digits cover a day at least */

struct cfg_header {
	char *name;
	char *value;
};

struct cfg_reply {
	unsigned status;	/* CFG_REPLY_STATUS unless set */
	char *reason;		/* NULL: the registered phrase */
	char *content_type;	/* NULL: application/json */
	char *body;		/* NULL: the default JSON body */
	int nheaders;
	struct cfg_header *headers;
};

struct cfg_walk;
struct cfg_tier;
struct cfg_meter;
struct cfg_service;

/* A `reply` mapping into a new *out (freed by cfg_reply_free). */
int cfg_parse_reply(struct cfg_walk *w, yaml_node_t *v, struct cfg_reply **out);
/* A service's `fallback`: the same keys, status 200 unless set, `body`
 * required, and no automatic headers (Retry-After only where its body or
 * headers hold REPLY_PLACEHOLDER). */
int cfg_parse_fallback(struct cfg_walk *w, yaml_node_t *v, struct cfg_reply **out);
void cfg_reply_free(struct cfg_reply *r);

/* Does meter `m` answer a refused request with a template?  Action
 * http and a unit that counts requests' segments (a connections meter
 * refuses SYNs, which get a RST). */
bool cfg_meter_answers(const struct cfg_meter *m);

/* The status meter `k` of tier `t` answers with, 0 for none. */
unsigned cfg_reply_status(const struct cfg_tier *t, int k);

/* Render the reply of meter `k` of tier `t` (its own, the tier's or the
 * default).  The retry delay's field width covers the longest delay the
 * meter can give: one cost (a 64 KiB frame for bytes) of its interval,
 * plus a second for rounding and the clock.  0, or reply_render()'s
 * error. */
int cfg_reply_render(const struct cfg_tier *t, int k, struct sl_reply *out,
		     char *err, size_t errlen);

/* Render the answer of service `s`'s gate (on_open 503 or fallback; a
 * reset has none): the 503 is
 *   HTTP/1.1 503 Service Unavailable, Retry-After: N, and
 *   {"error":"service_unavailable","service":"NAME","retry_after_s":N};
 * the fallback is its status, headers and body as written.  The delay's
 * width covers the breaker's longest opening (max_open with its jitter)
 * and a day.  0, or reply_render()'s error. */
int cfg_gate_render(const struct cfg_service *s, struct sl_reply *out,
		    char *err, size_t errlen);

/* After a tier is parsed (`n` its mapping): replies only where a limit
 * answers, and each one renders. */
int cfg_check_replies(struct cfg_walk *w, yaml_node_t *n,
		      const struct cfg_tier *t);

#endif /* SLUICE_CONFIG_REPLIES_H */
