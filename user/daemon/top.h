/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `sluicectl top` in the daemon: drain every interface's top-talker
 * rings four times a second into the talkers table (daemon/talkers.h),
 * adapt each interface's sampling period, and answer the "top" command.
 */
#ifndef SLUICE_DAEMON_TOP_H
#define SLUICE_DAEMON_TOP_H

#include <json-c/json.h>
#include <stddef.h>

#define TOP_DRAIN_MS	250

struct loop;
struct sl_daemon;

/* Allocate the table and start the drain timer; 0 or -errno. */
int top_start(struct sl_daemon *d, struct loop *l);
void top_stop(struct sl_daemon *d);

/* One drain (the timer's work; tests and the command call it too). */
void top_drain(struct sl_daemon *d);

/* The "top" command: {"n", "by", "tier"} -> the top clients. */
int top_cmd(void *ctx, json_object *req, json_object **data, char *err,
	    size_t errlen);

#endif /* SLUICE_DAEMON_TOP_H */
