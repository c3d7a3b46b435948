/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `sluicectl services` in the daemon: every interface's per-service
 * counters read once a second into a 10 s window (common/svc.h) per
 * interface and service id, and the "services" command, which sums the
 * live counters and the windows over the interfaces per service name.
 *
 * A window holds the readings of one service name: when an id changes
 * hands (a service removed, its id reused) or an interface goes, its
 * windows start again, so no rate spans two services.
 */
#ifndef SLUICE_DAEMON_SVC_VIEW_H
#define SLUICE_DAEMON_SVC_VIEW_H

#include <json-c/json.h>
#include <stddef.h>
#include <linux/types.h>

struct sl_daemon;

/* One reading of every interface at `now_ns` (CLOCK_MONOTONIC), from
 * the sample tick; the windows are allocated on the first call. */
void svc_view_sample(struct sl_daemon *d, __u64 now_ns);
void svc_view_free(struct sl_daemon *d);

/* The "services" command: {"name": S} (optional) -> the services of the
 * running config, or that one (-ENOENT when it has none of that name);
 * the shape is in common/proto.h. */
int svc_view_cmd(void *ctx, json_object *req, json_object **data, char *err,
		 size_t errlen);

#endif /* SLUICE_DAEMON_SVC_VIEW_H */
