/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Alertmanager's webhook payload (version "4") turned into alert events
 * for the degrade controller and the breakers (issue 11).  Pure: a
 * buffer in, a batch out, no clock and no sockets (daemon/webhook.h
 * serves it).
 *
 * An alert becomes an event when it carries the degrade label (a level
 * "0".."3") or the breaker label (a service name); an alert with
 * neither is ignored (Alertmanager may route more to sluice than it
 * needs).  A bad alert is skipped and counted by why; the rest of the
 * payload still counts, since Alertmanager does not retry a 4xx and a
 * rejected payload would lose its good alerts too.  The payload as a
 * whole is refused (a defined error, 400 on the wire) when it is not
 * JSON, not an object, not version "4", has no list of alerts, or has
 * more than ALERTS_MAX (set the receiver's max_alerts below it).
 *
 * A fingerprint given twice in one payload counts once: firing wins
 * over resolved (a stale "resolved" must not release a live hold; the
 * hold's expiry ends it anyway), otherwise the first.
 */
#ifndef SLUICE_ALERTS_H
#define SLUICE_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common/degrade.h"

#define ALERTS_MAX		256	/* alerts in one payload */
#define ALERTS_DEPTH		8	/* JSON nesting (a payload needs 4) */
#define ALERT_FP_MAX		DEGRADE_FP_MAX
#define ALERT_NAME_MAX		DEGRADE_NAME_MAX
#define ALERT_SERVICE_MAX	32	/* a service name: 1..31 of A-Z a-z 0-9 _ - */
#define ALERT_LABEL_MAX		64	/* a label name (config) */
#define ALERTS_MSG_MAX		160

/* Why a payload was refused (alerts_parse's b->error). */
enum alerts_error {
	ALERTS_OK = 0,
	ALERTS_ERR_JSON,	/* not JSON, truncated, trailing bytes, too deep */
	ALERTS_ERR_OBJECT,	/* JSON, but not an object */
	ALERTS_ERR_VERSION,	/* "version" missing or not "4" */
	ALERTS_ERR_LIST,	/* "alerts" missing or not a list */
	ALERTS_ERR_TOO_MANY,	/* more than ALERTS_MAX alerts */
	ALERTS_ERR_NOMEM,
	ALERTS_ERRORS,
};

/* Why one alert was skipped (the rest of the payload still counts). */
enum alerts_skip {
	ALERTS_SKIP_LEVEL = 0,	/* degrade label not "0".."3" */
	ALERTS_SKIP_SERVICE,	/* breaker label not a service name */
	ALERTS_SKIP_LONG,	/* fingerprint or alertname too long */
	ALERTS_SKIP_INVALID,	/* not an object, no fingerprint, bad status or time */
	ALERTS_SKIP_DUPLICATE,	/* its fingerprint came earlier in the payload */
	ALERTS_SKIPS,
};

struct alert_event {
	char fp[ALERT_FP_MAX];		/* Alertmanager's fingerprint */
	char name[ALERT_NAME_MAX];	/* alertname, "" when it has none */
	bool firing;			/* else resolved */
	int level;			/* the degrade label, -1: not given */
	char breaker[ALERT_SERVICE_MAX];	/* the breaker label, "": not given */
	/* Wall clock (unix ns), 0 for Alertmanager's zero time
	 * ("0001-01-01T00:00:00Z": a firing alert's end). */
	__s64 starts_at_ns, ends_at_ns;
};

struct alerts_opts {
	const char *label;		/* "sluice_degrade" */
	const char *breaker_label;	/* "sluice_breaker" */
};

struct alerts_batch {
	enum alerts_error error;
	unsigned int n;			/* events in ev[] */
	unsigned int total;		/* alerts in the payload */
	unsigned int ignored;		/* with neither label */
	unsigned int skipped[ALERTS_SKIPS];
	unsigned int truncated;		/* Alertmanager's truncatedAlerts */
	char status[16];		/* the group's, for the log */
	char receiver[64];
	char skip_msg[ALERTS_MSG_MAX];	/* the first skip, said in words */
	struct alert_event ev[ALERTS_MAX];
};

/* Parse `len` bytes (need not be NUL-terminated) into *b (reset first).
 * 0 (some alerts may have been skipped: b->skipped), or -EBADMSG (not
 * JSON), -EINVAL (not an object, no list), -EPROTONOSUPPORT (version),
 * -E2BIG (too many), -ENOMEM; then b->error says which and `msg` what,
 * in a line for the log and the 400's body. */
int alerts_parse(const char *buf, size_t len, const struct alerts_opts *o,
		 struct alerts_batch *b, char *msg, size_t msglen);

/* RFC 3339 as Go writes it ("2023-02-06T13:08:45.828Z", "...+02:00"):
 * unix ns in *ns, 0 for times before 1970 (Go's zero time); 0 or
 * -EINVAL. */
int alerts_time(const char *s, __s64 *ns);

/* Alert labels' values: "0".."3" -> 0..3, else -EINVAL; a service name
 * (1..31 of A-Z a-z 0-9 _ -): true. */
int alerts_level(const char *s);
bool alerts_service_ok(const char *s);

const char *alerts_error_name(enum alerts_error e);
const char *alerts_skip_name(enum alerts_skip s);

#endif /* SLUICE_ALERTS_H */
