/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The metrics endpoint: libmicrohttpd with its own polling thread,
 * bounded (8 connections, 4 per address, a 5 s timeout, 64 KiB of
 * memory per connection, so a huge request is refused).  The HTTP
 * thread never touches the daemon: the event loop renders both formats
 * (export/render.h) after each counter sample (once a second: the
 * sample's figures, not a second read) and after each reload, and publishes
 * them under a mutex; a request copies the latest.
 *
 *   GET /metrics   text 0.0.4, or OpenMetrics when Accept asks for it
 *   GET /          a small page linking to /metrics
 *   GET /healthz   200 "ok" while the last render read every pin and
 *                  map, else 503
 *   other paths 404, other methods 405 (Allow: GET, HEAD)
 */
#ifndef SLUICE_EXPORT_METRICS_H
#define SLUICE_EXPORT_METRICS_H

#include <stdarg.h>

#include "config/metrics.h"

#define METRICS_CONN_MAX	8
#define METRICS_CONN_PER_IP	4
#define METRICS_TIMEOUT_S	5
#define METRICS_CONN_MEMORY	(64 * 1024)

struct metrics;
struct loop;
struct sl_daemon;

/* Listen on `l` (before anything is attached, so a refused bind leaves
 * nothing behind); *out = NULL when l is off.  Logs "metrics: cannot
 * listen on ADDR: ..." and returns -errno when the bind fails. */
int metrics_open(struct metrics **out, const struct cfg_listen *l);

/* Render now, reading the counters (at start, after a reload); m may
 * be NULL. */
void metrics_update(struct metrics *m, struct sl_daemon *d);

/* Render from the counter sample the daemon has just taken (its
 * once-a-second tick); m may be NULL. */
void metrics_sampled(struct metrics *m, struct sl_daemon *d);

/* The address served ("off" for NULL): metrics.listen at start, which
 * a reload does not change. */
const char *metrics_addr(const struct metrics *m);

/* libmicrohttpd's messages as debug lines; cls: the prefix ("metrics").
 * The webhook's server uses it too. */
void metrics_mhd_log(void *cls, const char *fmt, va_list ap);

/* Stop the HTTP thread and free; m may be NULL. */
void metrics_close(struct metrics *m);

#endif /* SLUICE_EXPORT_METRICS_H */
